/*
 * drivers/drivers.c: the order in which drivers come up.
 *
 * Register every driver with its bus, enumerate the bus, then probe: so a driver sees all the
 * functions at once and device names (vda, vdb, ...) follow discovery order. A machine without
 * PCI (no ECAM in boot_info) simply has no devices.
 */
#include "drivers/drivers.h"

#include "core/kprintf.h"
#include "drivers/pci.h"

static bool initialised;

void drivers_init(const struct boot_info *bi)
{
	if (initialised)
		return;
	initialised = true;
	virtio_blk_register_driver();
	if (pci_init(bi) == 0)
		pr_info("pci: %u function(s) claimed by drivers\n", pci_probe_drivers());
}
