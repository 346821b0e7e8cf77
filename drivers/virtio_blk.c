/*
 * drivers/virtio_blk.c: virtio block devices (virtio 1.x 5.2) as struct blkdev "vda", "vdb"...
 *
 * One request queue (queue 0) of up to VBLK_QUEUE_MAX descriptors. A request is a chain of
 *   header  { type le32, reserved le32, sector le64 }      device reads
 *   data    one descriptor per physically contiguous run   device writes for a read
 *   status  one byte: 0 OK, 1 IOERR, 2 UNSUPP              device writes
 * The header and status byte of the request whose chain starts at descriptor h live in slot h
 * of one DMA page (headers first, then the status bytes), so they need no allocation per
 * request; inflight[h] is the bio. A flush (VIRTIO_BLK_T_FLUSH, offered as
 * VIRTIO_BLK_F_FLUSH) is a chain without data; inside the driver it is a bio with count 0.
 *
 * Buffers. bio->buf is any kernel virtual address: the direct map and the kernel image are
 * physically contiguous, anything else (a buffer on a guarded kernel stack, the VMAP area) is
 * translated page by page with arch_mmu_query and adjacent pages merged. A bio needing more
 * than max_segs runs (VBLK_MAX_SEGS, the device's seg_max and the ring size allow) is refused
 * with -EINVAL; an unmapped page gives -EFAULT. Both are checked at submit, before anything is
 * queued.
 *
 * Queue full: submit never waits. When the ring has too few free descriptors (or older bios
 * are already waiting) the bio goes on a FIFO of VBLK_PENDING_MAX entries, and the completion
 * interrupt starts waiting bios as descriptors come free; only when that FIFO is full too does
 * submit return -EAGAIN. So submit is safe with interrupts disabled and from done() callbacks,
 * and blkdev_rw never blocks on a full queue (its wait is for its own completion).
 *
 * Read-only devices (VIRTIO_BLK_F_RO) set blkdev.read_only; submit fails writes with -EROFS
 * at once. Requests past the end are -EINVAL.
 *
 * Locking: b->lock (a spinlock, so interrupts are masked while it is held) covers the
 * virtqueue, inflight[] and the FIFO. The interrupt handler takes completed bios off the ring
 * under the lock, refills the ring from the FIFO, drops the lock and only then calls each
 * bio's done(), which may submit again.
 */
#include "arch/arch.h"
#include "core/blkdev.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/kprintf.h"
#include "core/layout.h"
#include "core/pmm.h"
#include "core/spinlock.h"
#include "core/sync.h"
#include "drivers/drivers.h"
#include "drivers/virtio.h"

#define VIRTIO_BLK_F_SEG_MAX (1ull << 2)
#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_UNSUPP 2
#define STATUS_UNSET 0xff

#define CFG_CAPACITY 0 /* le64, 512-byte sectors */
#define CFG_SEG_MAX 12 /* le32, with VIRTIO_BLK_F_SEG_MAX */

#define VBLK_QUEUE_MAX 128
#define VBLK_MAX_SEGS 16
#define VBLK_PENDING_MAX 256
#define VBLK_DONE_BATCH 16
#define VBLK_MAX_DEVICES 26

struct vblk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

_Static_assert(VBLK_QUEUE_MAX * (sizeof(struct vblk_hdr) + 1) <= PAGE_SIZE,
	       "request headers and status bytes fit one page");

struct vblk {
	struct blkdev blk;
	char name[8];
	struct virtio_dev vdev;
	struct virtq vq;
	struct spinlock lock;
	struct vblk_hdr *hdr;    /* [head] */
	uint8_t *status;         /* [head] */
	uint64_t hdr_pa, status_pa;
	unsigned max_segs;
	struct bio *inflight[VBLK_QUEUE_MAX];
	struct bio *pending[VBLK_PENDING_MAX];
	unsigned pend_first, pend_count;
};

static unsigned ndevices;

/* ---- Buffers ------------------------------------------------------------------------------ */

/* Physical address of a kernel virtual address, and how many bytes from it are known to be
 * physically contiguous without looking further (all of a direct-map or image range). */
static int kva_to_pa(uintptr_t va, size_t want, uint64_t *pa, size_t *contig)
{
	if (va >= DIRECT_MAP_BASE && va - DIRECT_MAP_BASE < DIRECT_MAP_SIZE) {
		*pa = va - DIRECT_MAP_BASE;
		*contig = want;
	} else if (va >= KERNEL_IMAGE_BASE) {
		*pa = va - KERNEL_IMAGE_BASE;
		*contig = want;
	} else {
		unsigned prot;
		if (arch_mmu_query(arch_kernel_aspace(), va, pa, &prot))
			return -EFAULT;
		*contig = PAGE_SIZE - (va & (PAGE_SIZE - 1));
	}
	if (*contig > want)
		*contig = want;
	return 0;
}

/* The physical runs of [buf, buf+len) as virtqueue buffers: their count, -EFAULT or -EINVAL
 * (more than max runs). */
static int buf_to_segs(void *buf, size_t len, bool device_writes, struct virtq_buf *out,
		       unsigned max)
{
	uintptr_t va = (uintptr_t)buf;
	unsigned n = 0;
	while (len) {
		uint64_t pa;
		size_t chunk;
		if (kva_to_pa(va, len, &pa, &chunk))
			return -EFAULT;
		if (chunk > UINT32_MAX / 2)
			return -EINVAL;
		if (n && out[n - 1].pa + out[n - 1].len == pa && out[n - 1].len <= UINT32_MAX / 2) {
			out[n - 1].len += (uint32_t)chunk;
		} else {
			if (n == max)
				return -EINVAL;
			out[n++] = (struct virtq_buf){pa, (uint32_t)chunk, device_writes};
		}
		va += chunk;
		len -= chunk;
	}
	return (int)n;
}

/* ---- Starting and finishing requests (b->lock held) --------------------------------------- */

/* Put bio on the ring (not yet published). -ENOSPC if the ring lacks descriptors just now. */
static int vblk_start(struct vblk *b, struct bio *bio)
{
	struct virtq_buf bufs[VBLK_MAX_SEGS + 2];
	bool flush = bio->count == 0;
	int n = 0;

	if (!flush) {
		n = buf_to_segs(bio->buf, (size_t)bio->count * SECTOR_SIZE, !bio->write, bufs + 1,
				b->max_segs);
		if (n < 0)
			return n;
	}
	if ((unsigned)n + 2 > b->vq.num_free)
		return -ENOSPC;
	uint16_t head = virtq_next_head(&b->vq);
	b->hdr[head] = (struct vblk_hdr){
		.type = flush ? VIRTIO_BLK_T_FLUSH : bio->write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
		.sector = flush ? 0 : bio->sector};
	b->status[head] = STATUS_UNSET;
	bufs[0] = (struct virtq_buf){b->hdr_pa + head * sizeof(struct vblk_hdr),
				     sizeof(struct vblk_hdr), false};
	bufs[n + 1] = (struct virtq_buf){b->status_pa + head, 1, true};
	virtq_add(&b->vq, bufs, (unsigned)n + 2);
	b->inflight[head] = bio;
	return 0;
}

static int pending_push(struct vblk *b, struct bio *bio)
{
	if (b->pend_count == VBLK_PENDING_MAX)
		return -EAGAIN;
	b->pending[(b->pend_first + b->pend_count) % VBLK_PENDING_MAX] = bio;
	b->pend_count++;
	return 0;
}

/* Move waiting bios onto the ring while they fit; returns how many were started. A bio that
 * fails for good (its pages were unmapped meanwhile) is finished with that error. */
static unsigned start_pending(struct vblk *b, struct bio **failed, unsigned *nfailed)
{
	unsigned started = 0;
	while (b->pend_count) {
		struct bio *bio = b->pending[b->pend_first];
		int err = vblk_start(b, bio);
		if (err == -ENOSPC)
			break;
		b->pend_first = (b->pend_first + 1) % VBLK_PENDING_MAX;
		b->pend_count--;
		if (err) {
			bio->status = err;
			failed[(*nfailed)++] = bio;
		} else {
			started++;
		}
		if (*nfailed == VBLK_DONE_BATCH)
			break;
	}
	return started;
}

static int status_to_errno(uint8_t s)
{
	if (s == VIRTIO_BLK_S_OK)
		return 0;
	return s == VIRTIO_BLK_S_UNSUPP ? -ENOSYS : -EIO;
}

/* Take up to max completed bios off the used ring, status set. */
static unsigned reap(struct vblk *b, struct bio **out, unsigned max)
{
	unsigned n = 0;
	uint32_t len;
	int head;
	while (n < max && (head = virtq_get_used(&b->vq, &len)) >= 0) {
		struct bio *bio = b->inflight[head];
		b->inflight[head] = NULL;
		if (!bio)
			continue;
		bio->status = status_to_errno(b->status[head]);
		out[n++] = bio;
	}
	return n;
}

static void vblk_interrupt(void *ctx)
{
	struct vblk *b = ctx;
	struct bio *done[2 * VBLK_DONE_BATCH];
	unsigned n, nfailed;
	do {
		unsigned long s = spin_lock_irqsave(&b->lock);
		n = reap(b, done, VBLK_DONE_BATCH);
		nfailed = 0;
		if (start_pending(b, done + n, &nfailed))
			virtq_kick(&b->vq);
		spin_unlock_irqrestore(&b->lock, s);
		for (unsigned i = 0; i < n + nfailed; i++)
			done[i]->done(done[i]);
	} while (n == VBLK_DONE_BATCH || nfailed == VBLK_DONE_BATCH);
}

/* ---- The blkdev operations ---------------------------------------------------------------- */

static int vblk_queue(struct vblk *b, struct bio *bio)
{
	int err = -ENOSPC;
	unsigned long s = spin_lock_irqsave(&b->lock);
	if (b->pend_count == 0)
		err = vblk_start(b, bio);
	if (err == 0)
		virtq_kick(&b->vq);
	else if (err == -ENOSPC)
		err = pending_push(b, bio);
	spin_unlock_irqrestore(&b->lock, s);
	return err;
}

static int vblk_submit(struct blkdev *dev, struct bio *bio)
{
	struct vblk *b = dev->priv;
	struct virtq_buf segs[VBLK_MAX_SEGS];

	if (bio->write && dev->read_only)
		return -EROFS;
	if (bio->count == 0 || bio->sector >= dev->nsectors ||
	    bio->count > dev->nsectors - bio->sector || !bio->done)
		return -EINVAL;
	int n = buf_to_segs(bio->buf, (size_t)bio->count * SECTOR_SIZE, false, segs, b->max_segs);
	if (n < 0)
		return n;
	return vblk_queue(b, bio);
}

static void flush_done(struct bio *bio)
{
	complete(bio->ctx);
}

static int vblk_flush(struct blkdev *dev)
{
	struct completion c = COMPLETION_INIT;
	struct bio bio = {.count = 0, .done = flush_done, .ctx = &c};
	int err = vblk_queue(dev->priv, &bio);
	if (err)
		return err;
	wait_for_completion(&c);
	return bio.status;
}

/* ---- Probe -------------------------------------------------------------------------------- */

static int vblk_alloc_slots(struct vblk *b)
{
	uint64_t pa = alloc_page();
	if (!pa)
		return -ENOMEM;
	b->hdr = phys_to_virt(pa);
	b->status = (uint8_t *)(b->hdr + VBLK_QUEUE_MAX);
	b->hdr_pa = pa;
	b->status_pa = pa + VBLK_QUEUE_MAX * sizeof(struct vblk_hdr);
	return 0;
}

static void vblk_describe(struct vblk *b)
{
	struct virtio_dev *v = &b->vdev;
	b->blk.nsectors = virtio_cfg_read64(v, CFG_CAPACITY);
	b->blk.read_only = (v->features & VIRTIO_BLK_F_RO) != 0;
	b->blk.flush = (v->features & VIRTIO_BLK_F_FLUSH) && !b->blk.read_only ? vblk_flush : NULL;
	b->max_segs = VBLK_MAX_SEGS;
	if (b->vq.size - 2u < b->max_segs)
		b->max_segs = b->vq.size - 2u;
	if (v->features & VIRTIO_BLK_F_SEG_MAX) {
		uint32_t seg_max = virtio_cfg_read32(v, CFG_SEG_MAX);
		if (seg_max && seg_max < b->max_segs)
			b->max_segs = seg_max;
	}
}

static int vblk_bringup(struct vblk *b, struct pci_dev *d)
{
	struct virtio_dev *v = &b->vdev;
	int err = virtio_pci_setup(v, d);
	if (!err)
		err = virtio_negotiate(v, VIRTIO_BLK_F_RO | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_SEG_MAX);
	if (!err) {
		virtio_irq_prepare(v);
		err = virtq_setup(v, &b->vq, 0, VBLK_QUEUE_MAX);
	}
	if (!err && b->vq.size < 4)
		err = -EIO;
	if (!err)
		err = vblk_alloc_slots(b);
	if (err)
		return err;
	vblk_describe(b);
	err = virtio_irq_setup(v, vblk_interrupt, b);
	if (err)
		return err;
	virtio_driver_ok(v);
	return 0;
}

static int vblk_probe(struct pci_dev *d)
{
	if (ndevices == VBLK_MAX_DEVICES)
		return -ENOSPC;
	struct vblk *b = kzalloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->lock = (struct spinlock)SPINLOCK_INIT("virtio-blk");
	int err = vblk_bringup(b, d);
	if (err) {
		/* The device may still hold ring addresses: leave its memory allocated. */
		virtio_fail(&b->vdev);
		return err;
	}
	b->name[0] = 'v';
	b->name[1] = 'd';
	b->name[2] = (char)('a' + ndevices++);
	b->blk.name = b->name;
	b->blk.submit = vblk_submit;
	b->blk.priv = b;
	d->driver_data = b;
	pr_info("%s: virtio-blk %02x:%02x.%x, %lu sectors (%lu MiB)%s%s, queue %u, %s\n", b->name,
		d->bus, d->dev, d->fn, (unsigned long)b->blk.nsectors,
		(unsigned long)(b->blk.nsectors >> 11), b->blk.read_only ? ", read-only" : "",
		b->blk.flush ? ", flush" : "", b->vq.size,
		d->irq_mode == PCI_IRQ_MSIX ? "MSI-X" : "INTx");
	err = blkdev_register(&b->blk);
	if (err)
		pr_err("%s: not registered (%d): the block device table is full\n", b->name, err);
	return err;
}

static const struct pci_id vblk_ids[] = {
	{VIRTIO_PCI_VENDOR, 0x1001}, /* transitional */
	{VIRTIO_PCI_VENDOR, 0x1042}, /* modern: 0x1040 + device type 2 */
	{0, 0},
};

static struct pci_driver vblk_driver = {.name = "virtio-blk", .ids = vblk_ids,
					.probe = vblk_probe};

void virtio_blk_register_driver(void)
{
	pci_register_driver(&vblk_driver);
}
