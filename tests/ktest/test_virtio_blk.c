/*
 * tests/ktest/test_virtio_blk.c: the virtio-blk driver against a disk of known content.
 *
 * The runner attaches tests/data/make_pattern_disk.py's image with `tools/qemu-test --disk`
 * (a scratch copy) and adds test.disk=rw, or test.disk=ro with --disk-ro, to the command line.
 * Without test.disk every test here is skipped (ktest=all also runs with no disk); with it,
 * "vda" must exist and its read-only flag must match. Sector s of the image holds
 * "JanusBLK", s, the image's size in sectors, then byte i = (s * 13 + i) mod 256.
 *
 * Four tests need no disk and run in ktest=all on both machines: PCI enumeration (a host
 * bridge at 00:00.0, every memory BAR assigned and naturally aligned: firmware's on x86_64,
 * pci.c's own on aarch64), the INTx routing hook's shape, ioremap, and the port's MSI
 * allocator. virtio_blk_irq_mode checks that the disk runs on MSI-X (completions counted on
 * its queue vector, none on its INTx line), or on INTx when the command line has pci.nomsi
 * (the virtio-blk-nomsi test runs the whole set that way).
 *
 * The tests bring the drivers up themselves (drivers_init is idempotent) until core/main.c
 * does it at boot. Asynchronous tests submit with interrupts masked, so every request is
 * provably outstanding at once before the first completion can run, then wait for the
 * completion interrupts with a deadline instead of forever.
 */
#include "arch/arch.h"
#include "core/blkdev.h"
#include "core/cmdline.h"
#include "core/errno.h"
#include "core/irq.h"
#include "core/kheap.h"
#include "core/ktest.h"
#include "core/layout.h"
#include "core/pmm.h"
#include "core/time.h"
#include "core/vmap.h"
#include "drivers/drivers.h"
#include "drivers/pci.h"

#define HEADER 24
#define WAIT_NS 10000000000ull /* 10 s: TCG is slow, but a lost interrupt must not hang */
#define INFLIGHT 8
#define OVERFLOW 100           /* more than the ring holds (3 descriptors per request) */

static void pattern(uint8_t *p, uint64_t s, uint64_t total)
{
	memcpy(p, "JanusBLK", 8);
	memcpy(p + 8, &s, 8);
	memcpy(p + 16, &total, 8);
	for (unsigned i = HEADER; i < SECTOR_SIZE; i++)
		p[i] = (uint8_t)(s * 13 + i);
}

/* 0 if count sectors at p are the pattern of sectors first.., else the first bad sector+1. */
static uint64_t pattern_mismatch(const uint8_t *p, uint64_t first, uint32_t count, uint64_t total)
{
	uint8_t want[SECTOR_SIZE];
	for (uint32_t i = 0; i < count; i++) {
		pattern(want, first + i, total);
		if (memcmp(p + (size_t)i * SECTOR_SIZE, want, SECTOR_SIZE) != 0)
			return first + i + 1;
	}
	return 0;
}

/* The disk the runner attached, or NULL (test skipped, or failed if it should be there). */
static struct blkdev *test_disk(bool *ro)
{
	const struct boot_info *bi = kernel_boot_info();
	char mode[8];
	if (!cmdline_get(bi->cmdline, "test.disk", mode, sizeof(mode))) {
		ktest_skip("no disk attached (tools/qemu-test --disk)");
		return NULL;
	}
	drivers_init(bi);
	struct blkdev *d = blkdev_find("vda");
	if (!d) {
		ktest_fail(__FILE__, __LINE__, "test.disk=%s but no block device vda", mode);
		return NULL;
	}
	*ro = strcmp(mode, "ro") == 0;
	KT_EXPECT_EQ(d->read_only, *ro);
	return d;
}

KTEST(virtio_blk_read_known)
{
	bool ro;
	struct blkdev *d = test_disk(&ro);
	if (!d)
		return;
	uint8_t *buf = kmalloc(8 * SECTOR_SIZE);
	uint8_t stackbuf[2 * SECTOR_SIZE]; /* on a guarded (vmapped) kernel stack */
	uint64_t n = d->nsectors;
	KT_EXPECT(buf != NULL && n >= 16);
	if (!buf || n < 16)
		return;
	KT_EXPECT_EQ(blkdev_rw(d, 0, buf, 1, false), 0);
	KT_EXPECT_EQ(pattern_mismatch(buf, 0, 1, n), 0);
	KT_EXPECT_EQ(blkdev_rw(d, n - 1, buf, 1, false), 0);
	KT_EXPECT_EQ(pattern_mismatch(buf, n - 1, 1, n), 0);
	KT_EXPECT_EQ(blkdev_rw(d, n - 8, buf, 8, false), 0);
	KT_EXPECT_EQ(pattern_mismatch(buf, n - 8, 8, n), 0);
	KT_EXPECT_EQ(blkdev_rw(d, 1234 % (n - 2), stackbuf, 2, false), 0);
	KT_EXPECT_EQ(pattern_mismatch(stackbuf, 1234 % (n - 2), 2, n), 0);
	KT_EXPECT_EQ(blkdev_rw(d, n - 1, buf, 2, false), -EINVAL); /* past the end */
	kfree(buf);
}

KTEST(virtio_blk_write_readback)
{
	bool ro;
	struct blkdev *d = test_disk(&ro);
	if (!d || ro) {
		if (d)
			ktest_skip("read-only disk");
		return;
	}
	uint64_t n = d->nsectors, s = n / 2;
	uint8_t *out = kmalloc(3 * SECTOR_SIZE), *in = kmalloc(3 * SECTOR_SIZE);
	uint8_t stackbuf[SECTOR_SIZE];
	KT_EXPECT(out && in);
	if (!out || !in)
		return;
	for (unsigned i = 0; i < 3 * SECTOR_SIZE; i++)
		out[i] = (uint8_t)(i * 7 + 0x5a);
	KT_EXPECT_EQ(blkdev_rw(d, s, out, 3, true), 0);
	memset(in, 0, 3 * SECTOR_SIZE);
	KT_EXPECT_EQ(blkdev_rw(d, s, in, 3, false), 0);
	KT_EXPECT_EQ(memcmp(in, out, 3 * SECTOR_SIZE), 0);
	if (d->flush)
		KT_EXPECT_EQ(d->flush(d), 0);
	for (unsigned i = 0; i < 3; i++) { /* put the pattern back, one sector from the stack */
		pattern(stackbuf, s + i, n);
		KT_EXPECT_EQ(blkdev_rw(d, s + i, stackbuf, 1, true), 0);
	}
	KT_EXPECT_EQ(blkdev_rw(d, s, in, 3, false), 0);
	KT_EXPECT_EQ(pattern_mismatch(in, s, 3, n), 0);
	kfree(out);
	kfree(in);
}

static struct bio bios[OVERFLOW];
static unsigned ndone;

static void count_done(struct bio *bio)
{
	__atomic_fetch_add(&ndone, 1, __ATOMIC_RELEASE);
}

/* Submit `count` reads of `per` sectors each (bio i at sector i * 37 % ...) with interrupts
 * masked, then wait for all of them and check their data. */
static void read_many(struct blkdev *d, unsigned count, uint32_t per)
{
	uint64_t n = d->nsectors, span = n - per;
	uint8_t *buf = kmalloc((size_t)count * per * SECTOR_SIZE);
	KT_EXPECT(buf != NULL);
	if (!buf)
		return;
	__atomic_store_n(&ndone, 0, __ATOMIC_RELAXED);
	unsigned long s = arch_irq_save();
	for (unsigned i = 0; i < count; i++) {
		bios[i] = (struct bio){.sector = (uint64_t)i * 37 % span, .count = per,
				       .buf = buf + (size_t)i * per * SECTOR_SIZE, .status = 1,
				       .done = count_done};
		KT_EXPECT_EQ(d->submit(d, &bios[i]), 0);
	}
	KT_EXPECT_EQ(__atomic_load_n(&ndone, __ATOMIC_ACQUIRE), 0); /* all outstanding at once */
	arch_irq_restore(s);
	uint64_t deadline = time_ns() + WAIT_NS;
	while (__atomic_load_n(&ndone, __ATOMIC_ACQUIRE) < count && time_ns() < deadline)
		arch_wait_for_interrupt();
	KT_EXPECT_EQ(__atomic_load_n(&ndone, __ATOMIC_ACQUIRE), count);
	if (__atomic_load_n(&ndone, __ATOMIC_ACQUIRE) != count)
		return; /* requests still out may yet write into buf: leave it allocated */
	for (unsigned i = 0; i < count; i++) {
		KT_EXPECT_EQ(bios[i].status, 0);
		KT_EXPECT_EQ(pattern_mismatch(bios[i].buf, bios[i].sector, per, n), 0);
	}
	kfree(buf);
}

KTEST(virtio_blk_inflight)
{
	bool ro;
	struct blkdev *d = test_disk(&ro);
	if (d)
		read_many(d, INFLIGHT, 4);
}

KTEST(virtio_blk_queue_overflow)
{
	bool ro;
	struct blkdev *d = test_disk(&ro);
	if (d)
		read_many(d, OVERFLOW, 1);
}

KTEST(virtio_blk_read_only)
{
	bool ro;
	struct blkdev *d = test_disk(&ro);
	if (!d || !ro) {
		if (d)
			ktest_skip("read-write disk");
		return;
	}
	uint8_t buf[SECTOR_SIZE];
	KT_EXPECT(d->flush == NULL);
	uint64_t t0 = time_ns();
	KT_EXPECT_EQ(blkdev_rw(d, 0, buf, 1, true), -EROFS);
	struct bio bio = {.sector = 0, .count = 1, .write = true, .buf = buf, .status = 1,
			  .done = count_done};
	__atomic_store_n(&ndone, 0, __ATOMIC_RELAXED);
	KT_EXPECT_EQ(d->submit(d, &bio), -EROFS); /* the driver's own check, below blkdev_rw's */
	uint64_t took = time_ns() - t0;
	KT_EXPECT(took < 10000000ull); /* at once: no device round trip */
	KT_EXPECT_EQ(__atomic_load_n(&ndone, __ATOMIC_ACQUIRE), 0);
	KT_EXPECT_EQ(blkdev_rw(d, 0, buf, 1, false), 0);
	KT_EXPECT_EQ(pattern_mismatch(buf, 0, 1, d->nsectors), 0);
}

/* ---- Without a disk ----------------------------------------------------------------------- */

static void check_bars(const struct pci_dev *d)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *b = &d->bar[i];
		if (!b->size || b->io)
			continue;
		KT_EXPECT(b->base != 0);
		KT_EXPECT_EQ(b->size & (b->size - 1), 0);
		KT_EXPECT_EQ(b->base & (b->size - 1), 0);
	}
}

KTEST(pci_enumerate)
{
	const struct boot_info *bi = kernel_boot_info();
	KT_EXPECT(bi->pci_ecam_base != 0 && bi->pci_ecam_size >= (1u << 20));
	drivers_init(bi);
	bool host_bridge = false;
	unsigned n = 0;
	for (struct pci_dev *d = pci_devices(); d; d = d->next, n++) {
		KT_EXPECT(d->vendor != 0xffff && d->vendor != 0);
		KT_EXPECT_EQ(pci_cfg_read32(d, PCI_VENDOR_ID), (uint32_t)d->device << 16 | d->vendor);
		if (d->bus == bi->pci_bus_start && d->dev == 0 && d->fn == 0)
			host_bridge = d->class_code == 0x06 && d->subclass == 0x00;
		check_bars(d);
	}
	KT_EXPECT(host_bridge);
	kprintf("# %u PCI functions\n", n);
}

/* Both machines rotate INTA-INTD across slots (the bridge swizzle's pattern): pin p of slot
 * s lands where pin p+1 of slot s-1 does, and a slot's four pins use four level lines. */
KTEST(pci_intx_routing)
{
	unsigned irq[4], flags, irq2, b = kernel_boot_info()->pci_bus_start;
	for (unsigned pin = 1; pin <= 4; pin++) {
		KT_EXPECT_EQ(arch_pci_intx(b, 2, 0, pin, &irq[pin - 1], &flags), 0);
		KT_EXPECT(flags & IRQ_LEVEL);
		KT_EXPECT_EQ(arch_pci_intx(b, 1, 0, pin == 4 ? 1 : pin + 1, &irq2, &flags), 0);
		KT_EXPECT_EQ(irq2, irq[pin - 1]);
	}
	for (unsigned i = 0; i < 4; i++)
		for (unsigned j = i + 1; j < 4; j++)
			KT_EXPECT(irq[i] != irq[j]);
	KT_EXPECT_EQ(arch_pci_intx(b, 1, 0, 0, &irq2, &flags), -EINVAL);
	KT_EXPECT_EQ(arch_pci_intx(b, 1, 0, 5, &irq2, &flags), -EINVAL);
}

KTEST(vmap_ioremap)
{
	uint64_t pa = alloc_page(), got;
	unsigned prot;
	KT_EXPECT(pa != 0);
	KT_EXPECT(ioremap(pa, 0) == NULL);
	volatile uint32_t *v = ioremap(pa + 0x124, 8);
	KT_EXPECT(v != NULL);
	if (!pa || !v)
		return;
	KT_EXPECT_EQ((uintptr_t)v & (PAGE_SIZE - 1), 0x124);
	KT_EXPECT((uintptr_t)v >= VMAP_AREA_BASE && (uintptr_t)v < VMAP_AREA_BASE + VMAP_AREA_SIZE);
	KT_EXPECT_EQ(arch_mmu_query(arch_kernel_aspace(), (uintptr_t)v, &got, &prot), 0);
	KT_EXPECT_EQ(got, pa + 0x124);
	KT_EXPECT_EQ(prot & (MMU_DEVICE | MMU_WRITE | MMU_EXEC), MMU_DEVICE | MMU_WRITE);
	*v = 0x4a616e75;
	KT_EXPECT_EQ(*(volatile uint32_t *)((uint8_t *)phys_to_virt(pa) + 0x124), 0x4a616e75);
	void *w = ioremap(pa, PAGE_SIZE);
	KT_EXPECT(w != NULL && (uintptr_t)w >= (uintptr_t)v + PAGE_SIZE); /* guard page between */
	iounmap((void *)v, 8);
	iounmap(w, PAGE_SIZE);
	KT_EXPECT_EQ(arch_mmu_query(arch_kernel_aspace(), (uintptr_t)v, &got, &prot), -ENOENT);
	free_page(pa);
}

/* ---- Interrupt mode ------------------------------------------------------------------------ */

static struct pci_dev *vblk_function(void)
{
	for (struct pci_dev *d = pci_devices(); d; d = d->next)
		if (d->driver && strcmp(d->driver->name, "virtio-blk") == 0)
			return d;
	return NULL;
}

static bool msi_forbidden(void)
{
	char v[4];
	return cmdline_get(kernel_boot_info()->cmdline, "pci.nomsi", v, sizeof(v));
}

/* INTx under pci.nomsi: no MSI-X entry in use, completions still arrive (read_known). */
static void expect_intx(struct pci_dev *d)
{
	KT_EXPECT_EQ(d->irq_mode, PCI_IRQ_INTX);
	KT_EXPECT_EQ(pci_msix_irq(d, 0), -ENOENT);
	KT_EXPECT_EQ(pci_msix_count(d), 0);
}

/* Without pci.nomsi both machines give virtio-blk MSI-X: completions arrive on entry 1's
 * interrupt and none on the function's INTx line. */
KTEST(virtio_blk_irq_mode)
{
	bool ro;
	struct blkdev *bd = test_disk(&ro);
	struct pci_dev *d = bd ? vblk_function() : NULL;
	if (!bd)
		return;
	KT_EXPECT(d != NULL);
	if (!d)
		return;
	if (msi_forbidden()) {
		expect_intx(d);
		return;
	}
	KT_EXPECT_EQ(d->irq_mode, PCI_IRQ_MSIX);
	int irq = pci_msix_irq(d, 1);
	unsigned line = IRQ_MAX, flags;
	KT_EXPECT(irq >= 0 && irq < IRQ_MAX && irq != pci_msix_irq(d, 0));
	if (irq < 0)
		return;
	arch_pci_intx(d->bus, d->dev, d->fn, d->irq_pin, &line, &flags); /* no bridges here */
	uint64_t before = irq_count((unsigned)irq), line_before = irq_count(line);
	uint8_t buf[SECTOR_SIZE];
	for (unsigned i = 0; i < 4; i++) {
		KT_EXPECT_EQ(blkdev_rw(bd, i, buf, 1, false), 0);
		KT_EXPECT_EQ(pattern_mismatch(buf, i, 1, bd->nsectors), 0);
	}
	KT_EXPECT(irq_count((unsigned)irq) >= before + 4);
	KT_EXPECT_EQ(irq_count(line), line_before);
	kprintf("# MSI-X interrupt %d: %lu completions\n", irq,
		(unsigned long)(irq_count((unsigned)irq) - before));
}

/* The port's MSI allocator, with no device behind the messages: distinct edge-only numbers
 * below IRQ_MAX, refused once freed, reusable. */
KTEST(msi_alloc_free)
{
	unsigned irq[2];
	uint64_t addr[2];
	uint32_t data[2];
	const unsigned rid = 0x00f8; /* 00:1f.0 on x86_64; nothing there on aarch64 */
	int err = arch_msi_alloc(rid, &irq[0], &addr[0], &data[0]);
	if (err == -ENODEV) {
		ktest_skip("the platform takes no MSIs");
		return;
	}
	KT_EXPECT_EQ(err, 0);
	KT_EXPECT_EQ(arch_msi_alloc(rid, &irq[1], &addr[1], &data[1]), 0);
	if (err)
		return;
	KT_EXPECT(irq[0] != irq[1] && irq[0] < IRQ_MAX && irq[1] < IRQ_MAX);
	KT_EXPECT(addr[0] != 0 && (addr[0] & 3) == 0);
	KT_EXPECT(data[0] != data[1]);
	KT_EXPECT_EQ(arch_irq_unmask(irq[0], IRQ_LEVEL), -EINVAL);
	KT_EXPECT_EQ(arch_irq_unmask(irq[0], IRQ_EDGE), 0);
	arch_irq_mask(irq[0]);
	arch_msi_free(irq[0]);
	arch_msi_free(irq[1]);
	KT_EXPECT_EQ(arch_irq_unmask(irq[0], IRQ_EDGE), -EINVAL);
	KT_EXPECT_EQ(arch_msi_alloc(rid, &irq[0], &addr[0], &data[0]), 0);
	arch_msi_free(irq[0]);
}
