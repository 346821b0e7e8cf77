/*
 * drivers/pci.h: PCI (ECAM) enumeration, BARs, capabilities, INTx and the driver registry.
 *
 * pci_init() walks the host bridge's buses (boot_info's ECAM window and bus range), records
 * every function as a struct pci_dev, sizes its BARs and assigns any that firmware left
 * unassigned (aarch64 virt: nothing is assigned) from boot_info's windows, and enables memory
 * and I/O decoding for what is assigned. Drivers register a table of vendor/device ids;
 * pci_probe_drivers() offers each unclaimed function to each matching driver.
 *
 * Addresses: a BAR's base is the CPU physical address of the region (ready for ioremap); on
 * both QEMU machines PCI memory addresses equal CPU addresses, and an I/O BAR's CPU address is
 * boot_info.pci_io_cpu_base + its PCI address (0 on x86_64, where I/O is port I/O that
 * portable code cannot reach: drivers use memory BARs).
 *
 * Interrupts: MSI-X where the function has it and the platform takes MSIs, else INTx; the
 * driver chooses (drivers/virtio.c tries MSI-X first) and pci_dev.irq_mode records what it got.
 * The kernel command line word "pci.nomsi" makes pci_msix_count() report 0 for every function,
 * so every driver falls back to INTx.
 *
 * INTx: pci_intx_register() routes the function's interrupt pin through the bridge swizzle and
 * arch_pci_intx() to a platform interrupt and installs the handler on it. Lines are shared
 * (four per host bridge), so each line has a list of handlers; a handler returns true if its
 * device was interrupting. A level-triggered line that nobody claims thousands of times in a
 * row is masked with a warning, so a device without a driver cannot livelock a CPU.
 *
 * MSI-X (drivers/pci_msix.c): pci_msix_enable() gives table entries 0..n-1 each a platform
 * MSI (arch_msi_alloc), programs the entries masked and switches the function from INTx to
 * MSI-X; pci_msix_register() installs a handler on one entry and unmasks it. A vector is not
 * shared: its handler runs for that entry's messages only and need not ask the device.
 *
 * Config space is accessed 32 bits at a time (the 8/16-bit readers extract from a 32-bit
 * read). Config accessors may be called from any context once pci_init has run.
 */
#ifndef DRIVERS_PCI_H
#define DRIVERS_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "core/boot_info.h"
#include "core/irq.h"

#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS_REV 0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SECONDARY_BUS 0x19
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_CMD_IO 0x1
#define PCI_CMD_MEM 0x2
#define PCI_CMD_MASTER 0x4
#define PCI_CMD_INTX_DISABLE 0x400
#define PCI_STATUS_CAP_LIST 0x10

#define PCI_CAP_VENDOR 0x09
#define PCI_CAP_MSIX 0x11
#define PCI_ANY_ID 0xffff
#define PCI_NUM_BARS 6
#define PCI_MSIX_MAX_VECTORS 8 /* entries a driver may use (tables may be larger) */

enum pci_irq_mode { PCI_IRQ_NONE, PCI_IRQ_INTX, PCI_IRQ_MSIX };

struct pci_bar {
	uint64_t base; /* CPU physical address; 0 if unimplemented or unassigned */
	uint64_t size; /* bytes; 0 if unimplemented */
	bool io;       /* I/O space (else memory) */
	bool is64;     /* 64-bit memory BAR: the next BAR slot is its upper half */
	bool prefetch;
	void *va;      /* pci_map_bar's mapping, once made */
};

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class_code, subclass, prog_if, revision;
	uint8_t header_type;     /* low 7 bits: 0 device, 1 PCI-to-PCI bridge */
	uint8_t irq_pin;         /* 1-4 for INTA-INTD, 0 none */
	struct pci_bar bar[PCI_NUM_BARS];
	uint8_t irq_mode;        /* enum pci_irq_mode: what the driver's interrupts come from */
	struct {
		volatile uint8_t *table; /* the mapped MSI-X table, once pci_msix_enable ran */
		unsigned nvec;           /* entries in use; 0 while MSI-X is off */
		unsigned irq[PCI_MSIX_MAX_VECTORS]; /* entry i's platform interrupt */
	} msix;
	struct pci_dev *parent;  /* bridge above this function, NULL on the root bus */
	struct pci_dev *next;    /* all functions, in discovery order */
	const struct pci_driver *driver;
	void *driver_data;
};

struct pci_id {
	uint16_t vendor, device; /* PCI_ANY_ID matches any device of the vendor */
};

struct pci_driver {
	const char *name;
	const struct pci_id *ids; /* ended by {0, 0} */
	/* Claim the function: 0, or a negative errno (the function stays unclaimed). */
	int (*probe)(struct pci_dev *dev);
	struct pci_driver *next;  /* registry link, set by pci_register_driver */
};

/* Enumerate the host bridge described by bi. 0, or -ENODEV if there is no ECAM window. */
int pci_init(const struct boot_info *bi);

/* Every function found, in discovery order (NULL before pci_init). */
struct pci_dev *pci_devices(void);

void pci_register_driver(struct pci_driver *drv);
/* Offer every unclaimed function to the registered drivers; returns how many were claimed. */
unsigned pci_probe_drivers(void);

uint32_t pci_cfg_read32(const struct pci_dev *d, unsigned off);
uint16_t pci_cfg_read16(const struct pci_dev *d, unsigned off);
uint8_t pci_cfg_read8(const struct pci_dev *d, unsigned off);
void pci_cfg_write32(const struct pci_dev *d, unsigned off, uint32_t v);

/* Set and clear bits of the command register (the status half is written as 0, which leaves
 * its write-one-to-clear bits alone). */
void pci_command_update(const struct pci_dev *d, uint16_t set, uint16_t clear);

/* Enable memory/I/O decoding for the assigned BARs and bus mastering (DMA). */
void pci_enable_device(struct pci_dev *d);

/* The BAR mapped with ioremap (once; later calls return the same mapping); NULL if the BAR is
 * I/O, unassigned or cannot be mapped. */
void *pci_map_bar(struct pci_dev *d, unsigned bar);

/* Config offset of the first capability with id cap_id after offset `after` (0: from the
 * start of the list), or 0 if there is none. */
unsigned pci_find_cap(const struct pci_dev *d, uint8_t cap_id, unsigned after);

/* Route d's INTx pin and call handler(ctx) on each interrupt of its (shared) line; the handler
 * runs in interrupt context and returns true if its device had an interrupt pending.
 * 0, -ENOENT (no pin or no route), -ENOSPC (line table full), or irq_register's error. */
int pci_intx_register(struct pci_dev *d, bool (*handler)(void *ctx), void *ctx);

/* ---- MSI-X (drivers/pci_msix.c) ------------------------------------------------------------ */

/* Entries of d's MSI-X table a driver may use (at most PCI_MSIX_MAX_VECTORS); 0 if d has no
 * MSI-X capability, its table is not in a usable memory BAR, or the command line has
 * pci.nomsi. */
unsigned pci_msix_count(struct pci_dev *d);

/* Switch d from INTx to MSI-X using entries 0..nvec-1: each gets a platform MSI and is
 * programmed masked; MSI-X on, INTx disabled, irq_mode PCI_IRQ_MSIX. Needs bus mastering
 * (pci_enable_device). 0, -ENODEV (nvec exceeds pci_msix_count, or the platform takes no MSIs
 * from d), -EBUSY (already on), -ENOSPC or -ENOMEM (nothing changed on any error). */
int pci_msix_enable(struct pci_dev *d, unsigned nvec);

/* Install handler(irq, ctx) for entry vec's messages and unmask the entry. 0, -EINVAL (vec
 * not enabled), or irq_register's error. */
int pci_msix_register(struct pci_dev *d, unsigned vec, irq_handler_t handler, void *ctx);

/* Undo pci_msix_enable before any entry was registered (the device refused the vectors):
 * entries masked, MSI-X off, the platform MSIs freed, irq_mode PCI_IRQ_NONE, so that
 * pci_intx_register can follow. */
void pci_msix_disable(struct pci_dev *d);

/* Platform interrupt number of enabled entry vec (for irq_count), or -ENOENT. */
int pci_msix_irq(const struct pci_dev *d, unsigned vec);

#endif
