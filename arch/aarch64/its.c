/*
 * arch/aarch64/its.c: MSIs on the GICv3: LPIs, and the ITS that turns a PCI function's message
 * into one (GICv3/v4 architecture specification, IHI 0069, chapters 5, 6 and 12).
 *
 * LPIs. INTIDs from 8192 up are LPIs: message-based, edge, always Group 1, with no distributor
 * state. Their configuration lives in memory: the property table (one byte per LPI: priority
 * in bits 7:2, bit 1 RES1, bit 0 enable) that GICR_PROPBASER names together with the number
 * of INTID bits, and a pending table (one bit per INTID, 64 KiB aligned) per redistributor,
 * GICR_PENDBASER. Both are set before GICR_CTLR.EnableLPIs, which cannot be undone. Only the
 * boot CPU's redistributor gets LPIs, since every device interrupt goes to the boot CPU. We
 * use 14 INTID bits (LPIs 8192-16383, an 8 KiB property table; QEMU ignores LPIs when
 * PROPBASER.IDbits says fewer) and hand out the first LPI_COUNT: core sees LPI 8192 + n as
 * irq 1024 + n (LPI_IRQ_BASE). A changed property byte reaches the redistributor through INV.
 *
 * ITS. A PCI function writes its EventID to GITS_TRANSLATER (offset 0x40 of the ITS's second
 * 64 KiB frame); the write carries the function's DeviceID (its requester id through the host
 * bridge's msi-map: aarch64_pci_msi_devid). The ITS looks the DeviceID up in the device table
 * (per device: an interrupt translation table, ITT), the EventID in that ITT (an LPI and a
 * collection), the collection in the collection table (a redistributor), and makes the LPI
 * pending there. The tables are memory handed over in GITS_BASER<n> (flat, 4 KiB pages; entry
 * formats are the ITS's own) and are filled only by commands: 32-byte records in a ring
 * (GITS_CBASER) that the ITS consumes from GITS_CREADR up to GITS_CWRITER. Used here:
 *   MAPC     collection 0 -> the boot CPU's redistributor (its physical address >> 16 if
 *            GITS_TYPER.PTA, else its GICR_TYPER processor number, as QEMU has it)
 *   MAPD     DeviceID -> a zeroed one-page ITT with EVENT_BITS bits of EventID
 *   MAPTI    (DeviceID, EventID) -> LPI, collection 0
 *   INV      reread the property byte of (DeviceID, EventID)'s LPI
 *   DISCARD  forget (DeviceID, EventID); INT makes its LPI pending (tests)
 *   SYNC     wait until the redistributor has seen everything before it
 * its_run queues commands and a SYNC and waits for GITS_CREADR to catch up, so the ring (one
 * page, 128 commands) never holds more than a few.
 *
 * Memory: Normal write-back frames from the allocator, zeroed, declared inner-shareable
 * write-back to the GIC, and a dsb before the register write that makes the GIC look. That is
 * right for a GIC that reads memory coherently (QEMU's does). One that reads a shareability
 * back as non-shareable would need cache maintenance this file does not do, so then the ITS
 * is left unused: no MSIs, every driver on INTx.
 *
 * Locking: its_lock (a spinlock: interrupts masked) covers the ring, the property table and
 * the allocation state; arch_irq_mask may take it in interrupt context. Setup runs once, from
 * arch_irq_init on the boot CPU, before interrupts are enabled.
 */
#include "arch/arch.h"
#include "core/dtb.h"
#include "core/errno.h"
#include "core/irq.h"
#include "core/kprintf.h"
#include "core/pmm.h"
#include "core/spinlock.h"
#include "core/string.h"

#include "aarch64.h"

#define LPI_COUNT (IRQ_MAX - LPI_IRQ_BASE)
#define LPI_ID_BITS 14
#define PROP_ORDER 1           /* (1 << LPI_ID_BITS) - 8192 bytes: 8 KiB */
#define PEND_ORDER 4           /* 64 KiB, the alignment GICR_PENDBASER needs (2 KiB used) */
#define LPI_PRIO 0xa0u         /* irq.c's PRIO_DEFAULT */
#define LPI_RES1 0x2u
#define LPI_ENABLE 0x1u
#define EVENT_BITS 5           /* EventIDs 0-31 per device */
#define MAX_DEVICES 16
#define MAX_DEVID_BITS 16      /* PCI requester ids */
#define MAX_BASER_PAGES 256    /* GITS_BASER.Size is 8 bits */
#define CMD_SIZE 32
#define POLL_LIMIT 1000000
#define DTB_MAX_SIZE (2u << 20)

/* GICR (RD frame) and GICD */
#define GICR_CTLR 0x0000
#define GICR_CTLR_ENABLE_LPIS 1u
#define GICR_TYPER 0x0008
#define GICR_TYPER_PLPIS 1ull
#define GICR_PROPBASER 0x0070
#define GICR_PENDBASER 0x0078
#define PENDBASER_PTZ (1ull << 62)
#define GICD_TYPER 0x0004
#define GICD_TYPER_LPIS (1u << 17)

/* Cacheability and shareability, the same encoding in every *BASER register. */
#define CACHE_WB_RAWA 7ull
#define BASER_CACHE_SHIFT 59   /* GITS_BASER, GITS_CBASER */
#define RBASER_CACHE_SHIFT 7   /* GICR_PROPBASER, GICR_PENDBASER */
#define SH_INNER (1ull << 10)
#define SH_MASK (3ull << 10)
#define ATTRS(shift) (CACHE_WB_RAWA << (shift) | SH_INNER)

/* ITS registers */
#define GITS_CTLR 0x0000
#define GITS_CTLR_ENABLED 1u
#define GITS_TYPER 0x0008
#define GITS_CBASER 0x0080
#define GITS_CWRITER 0x0088
#define GITS_CREADR 0x0090
#define GITS_BASER(n) (0x0100 + 8 * (n))
#define GITS_NBASER 8
#define GITS_TRANSLATER 0x10040
#define ITS_FRAMES_SIZE 0x20000
#define TYPER_PHYSICAL 1ull
#define TYPER_ITT_ENTRY_SIZE(t) ((unsigned)((t) >> 4 & 0xf) + 1)
#define TYPER_ID_BITS(t) ((unsigned)((t) >> 8 & 0x1f) + 1)
#define TYPER_DEV_BITS(t) ((unsigned)((t) >> 13 & 0x1f) + 1)
#define TYPER_PTA (1ull << 19)
#define BASER_VALID (1ull << 63)
#define BASER_TYPE(b) ((unsigned)((b) >> 56 & 7))
#define BASER_RO_FIELDS (7ull << 56 | 0x1full << 48) /* type, entry size */
#define BASER_ENTRY_SIZE(b) ((unsigned)((b) >> 48 & 0x1f) + 1)
#define BASER_PAGE_SIZE_MASK (3ull << 8)             /* 0: 4 KiB, what we write */
#define BASER_TYPE_DEVICE 1
#define BASER_TYPE_COLLECTION 4
#define CREADR_STALLED 1ull
#define CMDQ_OFFSET_MASK 0xfffe0ull

enum { CMD_SYNC = 0x05, CMD_INT = 0x03, CMD_MAPD = 0x08, CMD_MAPC = 0x09, CMD_MAPTI = 0x0a,
       CMD_INV = 0x0c, CMD_DISCARD = 0x0f };

struct its_cmd {
	uint64_t dw[4];
};

struct its_device {
	uint32_t devid;
	uint32_t events; /* bitmap of EventIDs in use */
};

struct lpi {
	bool used;
	uint8_t dev;     /* index in its.dev */
	uint8_t event;
};

static struct {
	uintptr_t base;        /* registers, in the device window */
	uint64_t phys;
	uint32_t phandle;
	uint64_t typer;
	uint64_t target;       /* RDbase field of MAPC and SYNC: the boot CPU's redistributor */
	uint64_t ndevids;      /* DeviceIDs the device table covers */
	uint8_t *cmdq;
	unsigned cwriter;      /* byte offset of the next command */
	uint8_t *prop;         /* property table: prop[n] configures LPI 8192 + n */
	struct its_device dev[MAX_DEVICES];
	unsigned ndev;
	struct lpi lpi[LPI_COUNT];
	bool ready;
} its;
static struct spinlock its_lock = SPINLOCK_INIT("gic its");

static void dsb_ishst(void)
{
	__asm__ volatile("dsb ishst" : : : "memory");
}

/* 2^order zeroed frames; their physical address in *pa. NULL if out of memory. */
static uint8_t *alloc_zeroed(unsigned order, uint64_t *pa)
{
	*pa = alloc_pages(order);
	if (!*pa)
		return NULL;
	memset(phys_to_virt(*pa), 0, (size_t)PAGE_SIZE << order);
	return phys_to_virt(*pa);
}

static unsigned order_of(uint64_t pages)
{
	unsigned order = 0;
	while ((1ull << order) < pages)
		order++;
	return order;
}

/* ---- Commands ------------------------------------------------------------------------------ */

static struct its_cmd cmd(unsigned op, uint32_t devid, uint64_t dw1, uint64_t dw2)
{
	return (struct its_cmd){{op | (uint64_t)devid << 32, dw1, dw2, 0}};
}

/* Queue n commands and a SYNC, then wait until the ITS has consumed them. its_lock held (or
 * alone, during setup). */
static int its_run(const struct its_cmd *cmds, unsigned n)
{
	struct its_cmd sync = cmd(CMD_SYNC, 0, 0, its.target);
	for (unsigned i = 0; i <= n; i++) {
		memcpy(its.cmdq + its.cwriter, i < n ? &cmds[i] : &sync, CMD_SIZE);
		its.cwriter = (its.cwriter + CMD_SIZE) % PAGE_SIZE;
	}
	dsb_ishst();
	mmio_write64(its.base + GITS_CWRITER, its.cwriter);
	for (unsigned i = 0; i < POLL_LIMIT; i++) {
		uint64_t r = mmio_read64(its.base + GITS_CREADR);
		if (r & CREADR_STALLED) {
			pr_err("GICv3 ITS: command queue stalled at offset %#lx\n",
			       (unsigned long)(r & CMDQ_OFFSET_MASK));
			return -EIO;
		}
		if ((r & CMDQ_OFFSET_MASK) == its.cwriter)
			return 0;
		arch_cpu_relax();
	}
	pr_err("GICv3 ITS: commands not consumed (CREADR stuck)\n");
	return -EIO;
}

/* ---- Setup --------------------------------------------------------------------------------- */

/* The ITS node: registers and phandle. */
static int find_its(const struct boot_info *bi)
{
	struct dtb dt;
	uint64_t size;
	if (!bi->dtb_phys || dtb_init(&dt, phys_to_virt(bi->dtb_phys), DTB_MAX_SIZE))
		return -ENOENT;
	int n = dtb_next_compatible(&dt, -1, "arm,gic-v3-its");
	if (n < 0 || !dtb_prop(&dt, n, "msi-controller", NULL) ||
	    dtb_reg(&dt, n, 0, &its.phys, &size) || size < ITS_FRAMES_SIZE)
		return -ENOENT;
	its.phandle = dtb_prop_u32(&dt, n, "phandle", 0);
	its.base = device_va(its.phys, ITS_FRAMES_SIZE);
	return its.base && its.phandle ? 0 : -ENOENT;
}

/* Property and pending tables for the boot CPU's redistributor, then EnableLPIs. */
static int enable_lpis(const struct boot_info *bi, uintptr_t rd)
{
	uintptr_t gicd = device_va(bi->intc_base[0], 0x10000);
	uint64_t prop_pa, pend_pa;
	if (!(mmio_read32(gicd + GICD_TYPER) & GICD_TYPER_LPIS) ||
	    !(mmio_read64(rd + GICR_TYPER) & GICR_TYPER_PLPIS))
		return -ENODEV;
	if (mmio_read32(rd + GICR_CTLR) & GICR_CTLR_ENABLE_LPIS)
		return -EBUSY; /* firmware enabled them: the tables cannot be replaced */
	its.prop = alloc_zeroed(PROP_ORDER, &prop_pa);
	if (!its.prop || !alloc_zeroed(PEND_ORDER, &pend_pa))
		return -ENOMEM;
	memset(its.prop, LPI_PRIO | LPI_RES1, (size_t)PAGE_SIZE << PROP_ORDER); /* all disabled */
	mmio_write64(rd + GICR_PROPBASER, prop_pa | ATTRS(RBASER_CACHE_SHIFT) | (LPI_ID_BITS - 1));
	mmio_write64(rd + GICR_PENDBASER, pend_pa | ATTRS(RBASER_CACHE_SHIFT) | PENDBASER_PTZ);
	if ((mmio_read64(rd + GICR_PROPBASER) & SH_MASK) != SH_INNER ||
	    (mmio_read64(rd + GICR_PENDBASER) & SH_MASK) != SH_INNER)
		return -ENXIO; /* non-shareable: would need cache maintenance */
	dsb_ishst();
	mmio_write32(rd + GICR_CTLR, mmio_read32(rd + GICR_CTLR) | GICR_CTLR_ENABLE_LPIS);
	uint64_t typer = mmio_read64(rd + GICR_TYPER);
	if (its.typer & TYPER_PTA)
		its.target = (rd - KERNEL_IMAGE_BASE) & 0x000fffffffff0000ull;
	else
		its.target = (typer >> 8 & 0xffff) << 16; /* GICR_TYPER.Processor_Number */
	return 0;
}

/* Memory for the table GITS_BASER<n> describes, if it is the device or collection table. */
static int setup_baser(unsigned n)
{
	uintptr_t reg = its.base + GITS_BASER(n);
	uint64_t b = mmio_read64(reg), ids, pa;
	unsigned type = BASER_TYPE(b), esz = BASER_ENTRY_SIZE(b);
	if (type == BASER_TYPE_DEVICE) {
		unsigned bits = TYPER_DEV_BITS(its.typer);
		ids = 1ull << (bits < MAX_DEVID_BITS ? bits : MAX_DEVID_BITS);
	} else if (type == BASER_TYPE_COLLECTION) {
		ids = 1; /* collection 0 only */
	} else {
		return 0; /* unimplemented, or vPEs (GICv4): unused */
	}
	uint64_t pages = (ids * esz + PAGE_SIZE - 1) / PAGE_SIZE;
	if (pages > MAX_BASER_PAGES)
		pages = MAX_BASER_PAGES;
	if (!alloc_zeroed(order_of(pages), &pa))
		return -ENOMEM;
	mmio_write64(reg, (b & BASER_RO_FIELDS) | BASER_VALID | ATTRS(BASER_CACHE_SHIFT) | pa |
				  (pages - 1));
	b = mmio_read64(reg);
	if (!(b & BASER_VALID) || (b & BASER_PAGE_SIZE_MASK) || (b & SH_MASK) != SH_INNER)
		return -ENXIO; /* wants other pages, or non-shareable memory */
	if (type == BASER_TYPE_DEVICE)
		its.ndevids = pages * PAGE_SIZE / esz;
	return 0;
}

/* Tables and command queue, ITS on, collection 0 mapped. */
static int its_start(void)
{
	uint64_t pa;
	if (!(its.typer & TYPER_PHYSICAL) || TYPER_ID_BITS(its.typer) < EVENT_BITS ||
	    TYPER_ITT_ENTRY_SIZE(its.typer) << EVENT_BITS > PAGE_SIZE)
		return -ENXIO;
	if (mmio_read32(its.base + GITS_CTLR) & GITS_CTLR_ENABLED)
		return -EBUSY;
	for (unsigned n = 0; n < GITS_NBASER; n++) {
		int err = setup_baser(n);
		if (err)
			return err;
	}
	its.cmdq = alloc_zeroed(0, &pa);
	if (!its.cmdq || !its.ndevids)
		return its.cmdq ? -ENXIO : -ENOMEM;
	mmio_write64(its.base + GITS_CBASER, BASER_VALID | ATTRS(BASER_CACHE_SHIFT) | pa);
	if ((mmio_read64(its.base + GITS_CBASER) & SH_MASK) != SH_INNER)
		return -ENXIO;
	mmio_write64(its.base + GITS_CWRITER, 0);
	mmio_write32(its.base + GITS_CTLR, GITS_CTLR_ENABLED);
	struct its_cmd mapc = cmd(CMD_MAPC, 0, 0, BASER_VALID | its.target | 0 /* ICID */);
	return its_run(&mapc, 1);
}

void aarch64_its_init(const struct boot_info *bi, uintptr_t rd)
{
	if (find_its(bi)) {
		pr_info("GICv3: no ITS in the device tree: PCI devices use INTx\n");
		return;
	}
	its.typer = mmio_read64(its.base + GITS_TYPER);
	int err = enable_lpis(bi, rd);
	if (!err)
		err = its_start();
	if (err) {
		pr_warn("GICv3 ITS at %#lx unusable (%d): no MSIs, PCI devices use INTx\n",
			(unsigned long)its.phys, err);
		return;
	}
	its.ready = true;
	pr_info("GICv3 ITS at %#lx: LPIs %u-%u for MSIs, %lu DeviceIDs, collection 0 -> %#lx\n",
		(unsigned long)its.phys, LPI_INTID_BASE, LPI_INTID_BASE + LPI_COUNT - 1,
		(unsigned long)its.ndevids, (unsigned long)its.target);
}

/* ---- Allocation ---------------------------------------------------------------------------- */

/* Index of DeviceID's entry, mapped (MAPD) on first use. its_lock held. */
static int device_get(uint32_t devid)
{
	uint64_t itt;
	for (unsigned i = 0; i < its.ndev; i++)
		if (its.dev[i].devid == devid)
			return (int)i;
	if (its.ndev == MAX_DEVICES)
		return -ENOSPC;
	if (!alloc_zeroed(0, &itt))
		return -ENOMEM;
	struct its_cmd mapd = cmd(CMD_MAPD, devid, EVENT_BITS - 1, BASER_VALID | itt);
	int err = its_run(&mapd, 1);
	if (err) {
		free_page(itt);
		return err;
	}
	its.dev[its.ndev] = (struct its_device){.devid = devid};
	return (int)its.ndev++;
}

static int alloc_locked(uint32_t devid, unsigned *n, uint32_t *event)
{
	int d = device_get(devid);
	if (d < 0)
		return d;
	unsigned ev = 0, i = 0;
	while (ev < (1u << EVENT_BITS) && (its.dev[d].events & (1u << ev)))
		ev++;
	while (i < LPI_COUNT && its.lpi[i].used)
		i++;
	if (ev == (1u << EVENT_BITS) || i == LPI_COUNT)
		return -ENOSPC;
	its.prop[i] = LPI_PRIO | LPI_RES1; /* disabled until unmasked */
	struct its_cmd mapti = cmd(CMD_MAPTI, devid, ev | (uint64_t)(LPI_INTID_BASE + i) << 32, 0);
	int err = its_run(&mapti, 1);
	if (err)
		return err;
	its.dev[d].events |= 1u << ev;
	its.lpi[i] = (struct lpi){.used = true, .dev = (uint8_t)d, .event = (uint8_t)ev};
	*n = i;
	*event = ev;
	return 0;
}

int arch_msi_alloc(unsigned rid, unsigned *irq, uint64_t *addr, uint32_t *data)
{
	uint32_t devid;
	unsigned n;
	if (!its.ready || aarch64_pci_msi_devid(rid, its.phandle, &devid) || devid >= its.ndevids)
		return -ENODEV;
	unsigned long s = spin_lock_irqsave(&its_lock);
	int err = alloc_locked(devid, &n, data);
	spin_unlock_irqrestore(&its_lock, s);
	if (err)
		return err;
	*irq = LPI_IRQ_BASE + n;
	*addr = its.phys + GITS_TRANSLATER;
	return 0;
}

/* The LPI record of an allocated irq, or NULL. its_lock held. */
static struct lpi *lpi_of(unsigned irq)
{
	if (irq < LPI_IRQ_BASE || irq >= LPI_IRQ_BASE + LPI_COUNT)
		return NULL;
	struct lpi *l = &its.lpi[irq - LPI_IRQ_BASE];
	return l->used ? l : NULL;
}

/* Run one command (op) on irq's (DeviceID, EventID); property byte first if prop != NULL.
 * -EINVAL if irq is not an allocated LPI. */
static int lpi_command(unsigned irq, unsigned op, const uint8_t *prop)
{
	int err = -EINVAL;
	unsigned long s = spin_lock_irqsave(&its_lock);
	struct lpi *l = lpi_of(irq);
	if (l) {
		if (prop)
			its.prop[irq - LPI_IRQ_BASE] = *prop;
		struct its_cmd c = cmd(op, its.dev[l->dev].devid, l->event, 0);
		err = its_run(&c, 1);
	}
	spin_unlock_irqrestore(&its_lock, s);
	return err;
}

int aarch64_lpi_unmask(unsigned irq, unsigned flags)
{
	const uint8_t on = LPI_PRIO | LPI_RES1 | LPI_ENABLE;
	return flags == IRQ_EDGE ? lpi_command(irq, CMD_INV, &on) : -EINVAL;
}

void aarch64_lpi_mask(unsigned irq)
{
	const uint8_t off = LPI_PRIO | LPI_RES1;
	lpi_command(irq, CMD_INV, &off);
}

int aarch64_its_raise(unsigned irq)
{
	return lpi_command(irq, CMD_INT, NULL);
}

/* Disabled, unmapped (DISCARD also drops a pending message), EventID and LPI free again. An
 * ITT stays mapped once its device has one. */
void arch_msi_free(unsigned irq)
{
	unsigned long s = spin_lock_irqsave(&its_lock);
	struct lpi *l = lpi_of(irq);
	if (l) {
		its.prop[irq - LPI_IRQ_BASE] = LPI_PRIO | LPI_RES1;
		struct its_cmd c[2] = {cmd(CMD_INV, its.dev[l->dev].devid, l->event, 0),
				       cmd(CMD_DISCARD, its.dev[l->dev].devid, l->event, 0)};
		its_run(c, 2);
		its.dev[l->dev].events &= ~(1u << l->event);
		l->used = false;
	}
	spin_unlock_irqrestore(&its_lock, s);
}
