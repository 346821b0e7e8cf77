/*
 * drivers/pci.c: ECAM configuration access, enumeration, BARs, capabilities, INTx, drivers.
 * (MSI-X is drivers/pci_msix.c.)
 *
 * ECAM. Function (bus, dev, fn) has 4 KiB of configuration space at
 * ecam_base + ((bus - bus_start) << 20 | dev << 15 | fn << 12); boot_info's pci_ecam_base is
 * the space of pci_bus_start (the DTB's "reg" on aarch64, MCFG's base plus start bus on
 * x86_64). Each bus's 1 MiB is ioremapped when enumeration first reaches it, so a machine with
 * one bus (both QEMU machines) maps 1 MiB, not the whole 256 MiB window. Config access to a
 * bus that is not mapped reads all ones and ignores writes, as a missing device does.
 *
 * Enumeration is depth first from bus_start: every device's function 0, functions 1-7 when
 * the header's multi-function bit is set. A PCI-to-PCI bridge whose secondary bus firmware has
 * numbered (x86_64 SeaBIOS does) is followed; an unnumbered one (nothing numbers buses on
 * aarch64 virt) is reported and left alone: these machines need no bridges. A bitmap of
 * scanned buses stops a bad bridge from sending the walk around in circles.
 *
 * BARs (type 0 headers only; bridges' own windows are left as firmware set them, and
 * class 0x06 bridge functions - host, ISA/LPC - are never touched: they carry the chipset's
 * legacy decoding on x86_64). Sizing writes all ones with memory and I/O decoding switched off
 * and restores both the BAR and the command register. A BAR that reads back 0 is unassigned
 * and gets an address from boot_info's windows, naturally aligned: memory BARs from the
 * 32-bit window (64-bit BARs from the 64-bit window once the 32-bit one is full), I/O BARs
 * from the I/O window above 0x1000. On x86_64 the windows are zero (firmware assigned
 * everything), so an unassigned BAR there stays unusable (base 0). Decoding and bus mastering
 * are switched on only by pci_enable_device, for functions a driver claims.
 *
 * Locking: enumeration and probing run once at boot on one CPU (drivers_init). The INTx
 * line table is written under intx_lock and read by the interrupt path without it: a handler
 * slot is filled before the count that publishes it is raised (release/acquire).
 */
#include "drivers/pci.h"

#include "arch/arch.h"
#include "core/errno.h"
#include "core/irq.h"
#include "core/kheap.h"
#include "core/kprintf.h"
#include "core/spinlock.h"
#include "core/vmap.h"

#define ECAM_BUS_SIZE (1u << 20)
#define MAX_BUSES 256
#define MAX_BRIDGE_DEPTH 8
#define MAX_CAPS 48            /* (256 - 64) / 4 */
#define CLASS_BRIDGE 0x06
#define IO_ALLOC_MIN 0x1000    /* keep I/O BARs off the legacy ISA range (and off 0) */
#define INTX_MAX_LINES 16
#define INTX_MAX_SHARED 8
#define INTX_UNCLAIMED_LIMIT 10000

struct window {
	uint64_t next, end; /* end exclusive; next == end == 0: no window */
};

static struct {
	uint64_t ecam_base, ecam_size;
	unsigned bus_start, bus_end;
	uint8_t *bus_va[MAX_BUSES];
	uint8_t scanned[MAX_BUSES / 8];
	struct window mmio32, mmio64, io;
	uint64_t io_cpu_base, io_pci_base;
	struct pci_dev *devices, *last;
	struct pci_driver *drivers;
	bool initialised;
} pci;

/* ---- Configuration space ------------------------------------------------------------------ */

static volatile uint8_t *cfg_addr(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	if (bus < pci.bus_start || bus > pci.bus_end || dev > 31 || fn > 7 || off > 0xffc)
		return NULL;
	uint8_t *b = pci.bus_va[bus - pci.bus_start];
	return b ? b + (dev << 15 | fn << 12 | (off & 0xffcu)) : NULL;
}

static uint32_t raw_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	volatile uint8_t *p = cfg_addr(bus, dev, fn, off);
	return p ? mmio_read32(p) : 0xffffffffu;
}

uint32_t pci_cfg_read32(const struct pci_dev *d, unsigned off)
{
	return raw_read32(d->bus, d->dev, d->fn, off);
}

uint16_t pci_cfg_read16(const struct pci_dev *d, unsigned off)
{
	return (uint16_t)(pci_cfg_read32(d, off & ~3u) >> (8 * (off & 2)));
}

uint8_t pci_cfg_read8(const struct pci_dev *d, unsigned off)
{
	return (uint8_t)(pci_cfg_read32(d, off & ~3u) >> (8 * (off & 3)));
}

void pci_cfg_write32(const struct pci_dev *d, unsigned off, uint32_t v)
{
	volatile uint8_t *p = cfg_addr(d->bus, d->dev, d->fn, off);
	if (p)
		mmio_write32(p, v);
}

void pci_command_update(const struct pci_dev *d, uint16_t set, uint16_t clear)
{
	uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND);
	pci_cfg_write32(d, PCI_COMMAND, (uint16_t)((cmd & ~clear) | set));
}

static bool map_bus(unsigned bus)
{
	unsigned i = bus - pci.bus_start;
	if (pci.bus_va[i])
		return true;
	if ((uint64_t)(i + 1) * ECAM_BUS_SIZE > pci.ecam_size)
		return false;
	pci.bus_va[i] = ioremap(pci.ecam_base + (uint64_t)i * ECAM_BUS_SIZE, ECAM_BUS_SIZE);
	return pci.bus_va[i] != NULL;
}

/* ---- BARs --------------------------------------------------------------------------------- */

/* Write all ones to a BAR register, read the mask back, restore the value. */
static uint32_t bar_mask(const struct pci_dev *d, unsigned off, uint32_t *orig)
{
	*orig = pci_cfg_read32(d, off);
	pci_cfg_write32(d, off, 0xffffffffu);
	uint32_t m = pci_cfg_read32(d, off);
	pci_cfg_write32(d, off, *orig);
	return m;
}

static void size_io_bar(struct pci_bar *b, uint32_t orig, uint32_t m)
{
	m &= ~3u;
	if (!m)
		return;
	if (!(m & 0xffff0000u)) /* 16-bit decoder: upper bits read as zero */
		m |= 0xffff0000u;
	b->io = true;
	b->size = (uint32_t)(~m + 1);
	b->base = orig & ~3u; /* PCI I/O address for now; made a CPU address on assignment */
}

/* Size BAR i; returns the number of register slots it uses (2 for a 64-bit BAR). */
static unsigned size_bar(struct pci_dev *d, unsigned i)
{
	unsigned off = PCI_BAR0 + 4 * i;
	struct pci_bar *b = &d->bar[i];
	uint32_t lo, hi = 0;
	uint32_t mlo = bar_mask(d, off, &lo), mhi = 0xffffffffu;

	if (lo & 1) {
		size_io_bar(b, lo, mlo);
		return 1;
	}
	b->is64 = ((lo >> 1) & 3) == 2 && i + 1 < PCI_NUM_BARS;
	b->prefetch = lo & 8;
	if (b->is64)
		mhi = bar_mask(d, off + 4, &hi);
	uint64_t mask = (uint64_t)mhi << 32 | (mlo & ~0xfu);
	if ((mlo & ~0xfu) == 0 && (!b->is64 || mhi == 0))
		mask = 0; /* unimplemented */
	b->size = mask ? ~mask + 1 : 0;
	b->base = b->size ? ((uint64_t)hi << 32 | (lo & ~0xfu)) : 0;
	return b->is64 ? 2 : 1;
}

static uint64_t window_alloc(struct window *w, uint64_t size)
{
	uint64_t a = (w->next + size - 1) & ~(size - 1);
	if (w->end == 0 || a < w->next || size > w->end - a)
		return 0;
	w->next = a + size;
	return a;
}

/* Give an unassigned BAR an address from the windows and program it. */
static void assign_bar(struct pci_dev *d, unsigned i)
{
	struct pci_bar *b = &d->bar[i];
	unsigned off = PCI_BAR0 + 4 * i;
	uint64_t a;

	if (b->io) {
		a = window_alloc(&pci.io, b->size);
		if (a)
			pci_cfg_write32(d, off, (uint32_t)a);
	} else {
		a = b->size <= 0xffffffffu ? window_alloc(&pci.mmio32, b->size) : 0;
		if (!a && b->is64)
			a = window_alloc(&pci.mmio64, b->size);
		if (a && !b->is64 && a + b->size - 1 > 0xffffffffu)
			a = 0;
		if (a) {
			pci_cfg_write32(d, off, (uint32_t)a);
			if (b->is64)
				pci_cfg_write32(d, off + 4, (uint32_t)(a >> 32));
		}
	}
	b->base = a;
	if (!a)
		pr_warn("pci %02x:%02x.%x: no room for BAR%u (%#lx bytes)\n", d->bus, d->dev,
			d->fn, i, (unsigned long)b->size);
}

static void setup_bars(struct pci_dev *d)
{
	uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND);
	pci_cfg_write32(d, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
	for (unsigned i = 0; i < PCI_NUM_BARS;) {
		unsigned slots = size_bar(d, i);
		if (d->bar[i].size && !d->bar[i].base)
			assign_bar(d, i);
		if (d->bar[i].io && d->bar[i].base)
			d->bar[i].base = pci.io_cpu_base + (d->bar[i].base - pci.io_pci_base);
		i += slots;
	}
	pci_cfg_write32(d, PCI_COMMAND, cmd);
}

void pci_enable_device(struct pci_dev *d)
{
	uint16_t set = PCI_CMD_MASTER;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (d->bar[i].size && d->bar[i].base)
			set |= d->bar[i].io ? PCI_CMD_IO : PCI_CMD_MEM;
	pci_command_update(d, set, 0);
}

void *pci_map_bar(struct pci_dev *d, unsigned i)
{
	if (i >= PCI_NUM_BARS)
		return NULL;
	struct pci_bar *b = &d->bar[i];
	if (!b->va && b->size && b->base && !b->io)
		b->va = ioremap(b->base, (size_t)b->size);
	return b->va;
}

unsigned pci_find_cap(const struct pci_dev *d, uint8_t cap_id, unsigned after)
{
	if (!(pci_cfg_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	unsigned p = after ? pci_cfg_read8(d, after + 1) : pci_cfg_read8(d, PCI_CAP_PTR);
	for (unsigned n = 0; p >= 0x40 && n < MAX_CAPS; n++) {
		p &= 0xfcu;
		if (pci_cfg_read8(d, p) == cap_id)
			return p;
		p = pci_cfg_read8(d, p + 1);
	}
	return 0;
}

/* ---- Enumeration -------------------------------------------------------------------------- */

static void scan_bus(unsigned bus, struct pci_dev *parent, unsigned depth);

static void scan_bridge(struct pci_dev *d, unsigned depth)
{
	unsigned sec = pci_cfg_read8(d, PCI_SECONDARY_BUS);
	if (sec <= d->bus || sec > pci.bus_end || depth >= MAX_BRIDGE_DEPTH) {
		pr_info("pci %02x:%02x.%x: bridge with no usable secondary bus (%u): not scanned\n",
			d->bus, d->dev, d->fn, sec);
		return;
	}
	scan_bus(sec, d, depth + 1);
}

static void log_device(const struct pci_dev *d)
{
	pr_info("pci %02x:%02x.%x %04x:%04x class %02x%02x%02x pin %c\n", d->bus, d->dev, d->fn,
		d->vendor, d->device, d->class_code, d->subclass, d->prog_if,
		d->irq_pin ? 'A' + d->irq_pin - 1 : '-');
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (d->bar[i].size)
			pr_info("    BAR%u %s %#lx size %#lx%s\n", i, d->bar[i].io ? "io " : "mem",
				(unsigned long)d->bar[i].base, (unsigned long)d->bar[i].size,
				d->bar[i].is64 ? " 64-bit" : "");
}

static void add_function(unsigned bus, unsigned dev, unsigned fn, struct pci_dev *parent,
			 unsigned depth)
{
	struct pci_dev *d = kzalloc(sizeof(*d));
	if (!d) {
		pr_err("pci: out of memory at %02x:%02x.%x\n", bus, dev, fn);
		return;
	}
	*d = (struct pci_dev){.bus = (uint8_t)bus, .dev = (uint8_t)dev, .fn = (uint8_t)fn,
			      .parent = parent};
	uint32_t id = pci_cfg_read32(d, PCI_VENDOR_ID), cls = pci_cfg_read32(d, PCI_CLASS_REV);
	d->vendor = (uint16_t)id;
	d->device = (uint16_t)(id >> 16);
	d->class_code = (uint8_t)(cls >> 24);
	d->subclass = (uint8_t)(cls >> 16);
	d->prog_if = (uint8_t)(cls >> 8);
	d->revision = (uint8_t)cls;
	d->header_type = pci_cfg_read8(d, PCI_HEADER_TYPE) & 0x7f;
	d->irq_pin = pci_cfg_read8(d, PCI_INTERRUPT_PIN);
	if (d->irq_pin > 4)
		d->irq_pin = 0;
	if (d->header_type == 0 && d->class_code != CLASS_BRIDGE)
		setup_bars(d);
	if (pci.last)
		pci.last->next = d;
	else
		pci.devices = d;
	pci.last = d;
	log_device(d);
	if (d->header_type == 1)
		scan_bridge(d, depth);
}

static void scan_bus(unsigned bus, struct pci_dev *parent, unsigned depth)
{
	if (pci.scanned[bus / 8] & (1u << (bus % 8)))
		return;
	pci.scanned[bus / 8] |= (uint8_t)(1u << (bus % 8));
	if (!map_bus(bus)) {
		pr_warn("pci: cannot map bus %u's configuration space\n", bus);
		return;
	}
	for (unsigned dev = 0; dev < 32; dev++) {
		if ((uint16_t)raw_read32(bus, dev, 0, PCI_VENDOR_ID) == 0xffff)
			continue;
		unsigned nfn = (raw_read32(bus, dev, 0, 0x0c) >> 16) & 0x80 ? 8 : 1;
		for (unsigned fn = 0; fn < nfn; fn++)
			if ((uint16_t)raw_read32(bus, dev, fn, PCI_VENDOR_ID) != 0xffff)
				add_function(bus, dev, fn, parent, depth);
	}
}

static void init_windows(const struct boot_info *bi)
{
	if (bi->pci_mmio32.size)
		pci.mmio32 = (struct window){bi->pci_mmio32.base,
					     bi->pci_mmio32.base + bi->pci_mmio32.size};
	if (bi->pci_mmio64.size)
		pci.mmio64 = (struct window){bi->pci_mmio64.base,
					     bi->pci_mmio64.base + bi->pci_mmio64.size};
	if (bi->pci_io.size > IO_ALLOC_MIN) {
		uint64_t start = bi->pci_io.base < IO_ALLOC_MIN ? IO_ALLOC_MIN : bi->pci_io.base;
		pci.io = (struct window){start, bi->pci_io.base + bi->pci_io.size};
	}
	pci.io_pci_base = bi->pci_io.base;
	pci.io_cpu_base = bi->pci_io_cpu_base;
}

int pci_init(const struct boot_info *bi)
{
	if (pci.initialised)
		return 0;
	if (!bi->pci_ecam_base || bi->pci_ecam_size < ECAM_BUS_SIZE ||
	    bi->pci_bus_end < bi->pci_bus_start || bi->pci_bus_end >= MAX_BUSES) {
		pr_info("pci: no ECAM host bridge described\n");
		return -ENODEV;
	}
	pci.initialised = true;
	pci.ecam_base = bi->pci_ecam_base;
	pci.ecam_size = bi->pci_ecam_size;
	pci.bus_start = bi->pci_bus_start;
	pci.bus_end = bi->pci_bus_end;
	init_windows(bi);
	pr_info("pci: ECAM at %#lx, buses %u-%u\n", (unsigned long)pci.ecam_base, pci.bus_start,
		pci.bus_end);
	scan_bus(pci.bus_start, NULL, 0);
	return 0;
}

struct pci_dev *pci_devices(void)
{
	return pci.devices;
}

/* ---- Drivers ------------------------------------------------------------------------------ */

void pci_register_driver(struct pci_driver *drv)
{
	for (struct pci_driver *p = pci.drivers; p; p = p->next)
		if (p == drv)
			return;
	drv->next = pci.drivers;
	pci.drivers = drv;
}

static bool driver_matches(const struct pci_driver *drv, const struct pci_dev *d)
{
	for (const struct pci_id *id = drv->ids; id->vendor; id++)
		if (id->vendor == d->vendor && (id->device == PCI_ANY_ID || id->device == d->device))
			return true;
	return false;
}

unsigned pci_probe_drivers(void)
{
	unsigned claimed = 0;
	for (struct pci_dev *d = pci.devices; d; d = d->next) {
		for (struct pci_driver *drv = pci.drivers; drv && !d->driver; drv = drv->next) {
			if (!driver_matches(drv, d))
				continue;
			int err = drv->probe(d);
			if (err == 0) {
				d->driver = drv;
				claimed++;
			} else {
				pr_warn("pci %02x:%02x.%x: %s: probe failed (%d)\n", d->bus, d->dev,
					d->fn, drv->name, err);
			}
		}
	}
	return claimed;
}

/* ---- INTx --------------------------------------------------------------------------------- */

struct intx_line {
	unsigned irq;
	unsigned n;         /* handlers published (acquire/release) */
	unsigned unclaimed; /* consecutive interrupts no handler claimed */
	struct {
		bool (*fn)(void *ctx);
		void *ctx;
	} h[INTX_MAX_SHARED];
};

static struct intx_line lines[INTX_MAX_LINES];
static unsigned nlines;
static struct spinlock intx_lock = SPINLOCK_INIT("pci intx");

static void intx_dispatch(unsigned irq, void *ctx)
{
	struct intx_line *l = ctx;
	unsigned n = __atomic_load_n(&l->n, __ATOMIC_ACQUIRE);
	bool claimed = false;

	for (unsigned i = 0; i < n; i++)
		claimed |= l->h[i].fn(l->h[i].ctx);
	if (claimed) {
		l->unclaimed = 0;
	} else if (++l->unclaimed == INTX_UNCLAIMED_LIMIT) {
		arch_irq_mask(irq);
		pr_warn("pci: interrupt %u keeps firing and no handler claims it: masked\n", irq);
	}
}

/* The pin as it arrives at the root bus, through each bridge's swizzle (PCI-to-PCI bridge
 * specification: INTx of device d behind a bridge appears on INT((x + d) mod 4) of the
 * bridge), and the root-bus function it arrives at. */
static unsigned swizzle_to_root(const struct pci_dev *d, const struct pci_dev **root)
{
	unsigned pin = d->irq_pin;
	for (; d->parent; d = d->parent)
		pin = (pin - 1 + d->dev) % 4 + 1;
	*root = d;
	return pin;
}

/* The line for irq, created (and registered with core) if new. Called with intx_lock. */
static struct intx_line *intx_line_get(unsigned irq, unsigned flags, int *err)
{
	for (unsigned i = 0; i < nlines; i++)
		if (lines[i].irq == irq)
			return &lines[i];
	*err = -ENOSPC;
	if (nlines == INTX_MAX_LINES)
		return NULL;
	struct intx_line *l = &lines[nlines];
	l->irq = irq;
	*err = irq_register(irq, flags, intx_dispatch, l);
	if (*err)
		return NULL;
	nlines++;
	return l;
}

int pci_intx_register(struct pci_dev *d, bool (*handler)(void *ctx), void *ctx)
{
	const struct pci_dev *root;
	unsigned irq, flags;
	if (!d->irq_pin)
		return -ENOENT;
	unsigned pin = swizzle_to_root(d, &root);
	if (arch_pci_intx(root->bus, root->dev, root->fn, pin, &irq, &flags))
		return -ENOENT;
	pci_command_update(d, 0, PCI_CMD_INTX_DISABLE);

	int err = 0;
	unsigned long s = spin_lock_irqsave(&intx_lock);
	struct intx_line *l = intx_line_get(irq, flags, &err);
	if (l && l->n == INTX_MAX_SHARED)
		err = -ENOSPC;
	else if (l) {
		l->h[l->n].fn = handler;
		l->h[l->n].ctx = ctx;
		__atomic_store_n(&l->n, l->n + 1, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&intx_lock, s);
	if (!err)
		d->irq_mode = PCI_IRQ_INTX;
	if (!err)
		pr_info("pci %02x:%02x.%x: INT%c -> interrupt %u (%s)\n", d->bus, d->dev, d->fn,
			'A' + d->irq_pin - 1, irq, flags & IRQ_LEVEL ? "level" : "edge");
	return err;
}
