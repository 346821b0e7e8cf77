/*
 * drivers/drivers.h: bringing up the device drivers.
 *
 * drivers_init() enumerates PCI and lets every driver claim its devices; core/main.c calls it
 * once, on the boot CPU, after interrupts are enabled and the clock runs (drivers wait for
 * device resets and take completion interrupts). It is idempotent: a second call (a ktest
 * that needs the devices, before main.c calls it) does nothing.
 */
#ifndef DRIVERS_DRIVERS_H
#define DRIVERS_DRIVERS_H

#include "core/boot_info.h"

void drivers_init(const struct boot_info *bi);

/* Each driver's registration with its bus, called by drivers_init. */
void virtio_blk_register_driver(void);

#endif
