/*
 * arch/x86_64/pci.c: where q35's PCI host bridge is (ACPI MCFG) and how its INTx is routed.
 *
 * ECAM. boot.c hands x86_pci_mcfg() the MCFG table (ACPI PCI Firmware spec, "MCFG"): a
 * 44-byte header (the SDT header and 8 reserved bytes), then 16-byte allocations
 * { base u64, segment u16, start bus u8, end bus u8, reserved u32 }. The base is where bus 0's
 * space would be even when the range starts later; boot_info's convention (the DTB's) is the
 * address of the first bus, so the start bus's offset is added. Only segment 0 is used: core
 * drives one host bridge. q35: 0xb0000000, buses 0-255 (REFERENCE 8). The windows
 * (pci_mmio32/64, pci_io) stay zero: SeaBIOS has already assigned every BAR, and the windows
 * are described only in the DSDT's AML, which the kernel does not interpret.
 *
 * INTx. Measured from QEMU 7.2's q35 DSDT: the root bus's _PRT (the APIC-mode table PRTA,
 * decoded from a memory dump of the ACPI tables) routes slot s, pin p (0 = INTA) to the links
 *   slots 0-24:      GSIE + ((s + p) & 3)
 *   slots 25-29, 31: GSIA + p
 *   slot 30:         GSIE + p
 * and each link GSIA..GSIH is a fixed, level-triggered, active-high, shareable interrupt on
 * GSI 16..23 (REFERENCE 8: slot 1 INTA -> GSI 21). So this is the formula, not an AML
 * interpreter; another chipset would need its _PRT read for real.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/kprintf.h"
#include "core/string.h"
#include "x86.h"

#define MCFG_ENTRIES_OFFSET 44
#define MCFG_ENTRY_SIZE 16
#define ECAM_BUS_SHIFT 20
#define GSI_LINK_A 16 /* GSIA; GSIE is 20 */

void x86_pci_mcfg(struct boot_info *bi, const void *mcfg)
{
	const uint8_t *t = mcfg;
	uint32_t len;

	if (!t)
		return;
	memcpy(&len, t + 4, sizeof(len));
	for (uint32_t off = MCFG_ENTRIES_OFFSET; off + MCFG_ENTRY_SIZE <= len;
	     off += MCFG_ENTRY_SIZE) {
		uint64_t base;
		uint16_t segment;
		memcpy(&base, t + off, sizeof(base));
		memcpy(&segment, t + off + 8, sizeof(segment));
		uint8_t start = t[off + 10], end = t[off + 11];
		if (segment != 0 || end < start)
			continue;
		bi->pci_ecam_base = base + ((uint64_t)start << ECAM_BUS_SHIFT);
		bi->pci_ecam_size = (uint64_t)(end - start + 1) << ECAM_BUS_SHIFT;
		bi->pci_bus_start = start;
		bi->pci_bus_end = end;
		return;
	}
}

int arch_pci_intx(unsigned bus, unsigned dev, unsigned fn, unsigned pin, unsigned *irq,
		  unsigned *flags)
{
	if (pin < 1 || pin > 4 || dev > 31)
		return -EINVAL;
	unsigned p = pin - 1;
	if (dev <= 24)
		*irq = GSI_LINK_A + 4 + ((dev + p) & 3);
	else if (dev == 30)
		*irq = GSI_LINK_A + 4 + p;
	else
		*irq = GSI_LINK_A + p;
	*flags = IRQ_LEVEL; /* active high */
	return 0;
}
