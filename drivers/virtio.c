/*
 * drivers/virtio.c: virtio 1.x over PCI (the modern interface) and split virtqueues.
 *
 * Transport (virtio 1.x 4.1.4). The device describes its register blocks with vendor-specific
 * PCI capabilities (id 0x09): { cap_vndr, cap_next, cap_len, cfg_type, bar, id, pad[2],
 * offset le32, length le32 }, and the notify capability adds notify_off_multiplier le32.
 * cfg_type 1 = common configuration, 2 = notifications, 3 = ISR status, 4 = device-specific
 * configuration; the first capability of each type is the preferred one. Each block lies
 * inside a memory BAR, which is ioremapped whole once (pci_map_bar). Queue q's doorbell is at
 * notify block + queue_notify_off(q) * notify_off_multiplier; writing the queue number there
 * notifies. Common configuration fields are accessed at their natural width, 64-bit ones as
 * two 32-bit halves, low first. A transitional device (x86_64: 1af4:1001) also has the legacy
 * I/O BAR; it is ignored.
 *
 * Split virtqueue (2.7). Descriptor table (16 bytes each, 16-aligned), available ring
 * (2-aligned) and used ring (4-aligned) share one zeroed, physically contiguous allocation.
 * Free descriptors form a list through desc[].next; taking n of them from its head leaves
 * them chained already, so virtq_add only fills addresses, lengths and flags; a completed
 * chain goes back whole by linking its tail to the old head.
 *
 * Ordering, with __atomic fences only (portable code has no inline assembly):
 *   - descriptors and ring entries, then a release store of avail->idx: the device never
 *     sees an index before the entries it covers;
 *   - a sequentially consistent fence between that store and reading used->flags and the
 *     doorbell write (a store to device memory must not pass the ring update);
 *   - an acquire load of used->idx before reading used entries and the data the device
 *     wrote.
 * On aarch64 these are DMB ISH, which orders what QEMU (a coherent observer) sees; real
 * hardware with non-coherent DMA would need the outer-shareable DMB/DSB of a port helper.
 *
 * Interrupts: MSI-X where possible (virtio 1.x 4.1.4.3 and 4.1.5.1.2), else INTx.
 *   MSI-X. Two entries: 0 for configuration changes (msix_config), 1 for every queue
 *   (queue_msix_vector; the driver has one handler for all its queues, so one vector serves).
 *   The device answers an assignment it cannot honour by reading back VIRTIO_MSI_NO_VECTOR;
 *   each is written before its queue is enabled and read back at once. Each entry is its own
 *   interrupt, so the handlers need not read the ISR.
 *   Fallback. If msix_config is refused, MSI-X is switched off at once; if a queue's vector is
 *   refused, virtio_irq_setup rewrites every vector to NO_VECTOR and switches MSI-X off (the
 *   queue vectors are then rewritten after queue_enable, which QEMU honours; the common case,
 *   no MSI-X at all, never writes anything but NO_VECTOR).
 *   INTx. Reading the ISR register returns and clears the device's interrupt status (bit 0:
 *   used buffer, bit 1: configuration change) and deasserts its INTx line, so the shared-line
 *   handler reads it first and claims the interrupt if it was non-zero.
 */
#include "drivers/virtio.h"

#include "core/errno.h"
#include "core/kprintf.h"
#include "core/layout.h"
#include "core/pmm.h"
#include "core/string.h"
#include "core/time.h"
#include "core/vmap.h"

enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4 };

/* struct virtio_pci_common_cfg offsets. */
#define COMMON_DFSELECT 0x00
#define COMMON_DF 0x04
#define COMMON_GFSELECT 0x08
#define COMMON_GF 0x0c
#define COMMON_MSIX 0x10
#define COMMON_NUMQ 0x12
#define COMMON_STATUS 0x14
#define COMMON_CFGGEN 0x15
#define COMMON_Q_SELECT 0x16
#define COMMON_Q_SIZE 0x18
#define COMMON_Q_MSIX 0x1a
#define COMMON_Q_ENABLE 0x1c
#define COMMON_Q_NOFF 0x1e
#define COMMON_Q_DESC 0x20
#define COMMON_Q_AVAIL 0x28
#define COMMON_Q_USED 0x30
#define COMMON_MIN_LEN 0x38

#define NO_VECTOR 0xffff
#define RESET_TIMEOUT_NS 1000000000ull
#define ISR_QUEUE 1
#define ISR_CONFIG 2
#define MSIX_CONFIG_ENTRY 0
#define MSIX_QUEUE_ENTRY 1
#define MSIX_ENTRIES 2

/* ---- Capabilities and status -------------------------------------------------------------- */

/* Map one capability's block; NULL if its BAR is unusable or too small. */
static volatile uint8_t *map_cap(struct pci_dev *d, unsigned cap, uint32_t *len)
{
	unsigned bar = pci_cfg_read8(d, cap + 4);
	uint32_t off = pci_cfg_read32(d, cap + 8);
	*len = pci_cfg_read32(d, cap + 12);
	if (bar >= PCI_NUM_BARS || d->bar[bar].io || (uint64_t)off + *len > d->bar[bar].size)
		return NULL;
	uint8_t *base = pci_map_bar(d, bar);
	return base ? base + off : NULL;
}

static void find_caps(struct virtio_dev *v, struct pci_dev *d)
{
	for (unsigned cap = pci_find_cap(d, PCI_CAP_VENDOR, 0); cap;
	     cap = pci_find_cap(d, PCI_CAP_VENDOR, cap)) {
		uint32_t len;
		unsigned type = pci_cfg_read8(d, cap + 3);
		if (type == CAP_COMMON && !v->common) {
			v->common = map_cap(d, cap, &len);
			if (len < COMMON_MIN_LEN)
				v->common = NULL;
		} else if (type == CAP_NOTIFY && !v->notify_base) {
			v->notify_base = map_cap(d, cap, &v->notify_len);
			v->notify_mult = pci_cfg_read32(d, cap + 16);
		} else if (type == CAP_ISR && !v->isr) {
			v->isr = map_cap(d, cap, &len);
		} else if (type == CAP_DEVICE && !v->device) {
			v->device = map_cap(d, cap, &v->device_len);
		}
	}
}

static uint8_t get_status(struct virtio_dev *v)
{
	return mmio_read8(v->common + COMMON_STATUS);
}

static void add_status(struct virtio_dev *v, uint8_t bits)
{
	mmio_write8(v->common + COMMON_STATUS, get_status(v) | bits);
}

static int reset(struct virtio_dev *v)
{
	mmio_write8(v->common + COMMON_STATUS, 0);
	uint64_t end = time_ns() + RESET_TIMEOUT_NS;
	while (get_status(v) != 0)
		if (time_ns() > end)
			return -EIO;
	return 0;
}

int virtio_pci_setup(struct virtio_dev *v, struct pci_dev *d)
{
	memset(v, 0, sizeof(*v));
	v->pci = d;
	v->queue_vector = NO_VECTOR;
	pci_enable_device(d);
	find_caps(v, d);
	if (!v->common || !v->notify_base || !v->isr)
		return -ENODEV;
	if (reset(v))
		return -EIO;
	add_status(v, VIRTIO_STATUS_ACKNOWLEDGE);
	add_status(v, VIRTIO_STATUS_DRIVER);
	return 0;
}

static void write_features(struct virtio_dev *v, uint64_t f)
{
	mmio_write32(v->common + COMMON_GFSELECT, 0);
	mmio_write32(v->common + COMMON_GF, (uint32_t)f);
	mmio_write32(v->common + COMMON_GFSELECT, 1);
	mmio_write32(v->common + COMMON_GF, (uint32_t)(f >> 32));
}

int virtio_negotiate(struct virtio_dev *v, uint64_t wanted)
{
	mmio_write32(v->common + COMMON_DFSELECT, 0);
	uint64_t offered = mmio_read32(v->common + COMMON_DF);
	mmio_write32(v->common + COMMON_DFSELECT, 1);
	offered |= (uint64_t)mmio_read32(v->common + COMMON_DF) << 32;
	if (!(offered & VIRTIO_F_VERSION_1))
		return -ENODEV;
	v->features = offered & (wanted | VIRTIO_F_VERSION_1);
	write_features(v, v->features);
	add_status(v, VIRTIO_STATUS_FEATURES_OK);
	if (!(get_status(v) & VIRTIO_STATUS_FEATURES_OK))
		return -EIO;
	return 0;
}

void virtio_driver_ok(struct virtio_dev *v)
{
	add_status(v, VIRTIO_STATUS_DRIVER_OK);
}

void virtio_fail(struct virtio_dev *v)
{
	if (v->common)
		add_status(v, VIRTIO_STATUS_FAILED);
}

/* ---- Device configuration ----------------------------------------------------------------- */

static bool cfg_ok(const struct virtio_dev *v, unsigned off, unsigned width)
{
	return v->device && off + width <= v->device_len;
}

uint8_t virtio_cfg_read8(struct virtio_dev *v, unsigned off)
{
	return cfg_ok(v, off, 1) ? mmio_read8(v->device + off) : 0;
}

uint32_t virtio_cfg_read32(struct virtio_dev *v, unsigned off)
{
	return cfg_ok(v, off, 4) ? mmio_read32(v->device + off) : 0;
}

uint64_t virtio_cfg_read64(struct virtio_dev *v, unsigned off)
{
	if (!cfg_ok(v, off, 8))
		return 0;
	uint8_t gen;
	uint64_t val;
	do {
		gen = mmio_read8(v->common + COMMON_CFGGEN);
		val = mmio_read32(v->device + off);
		val |= (uint64_t)mmio_read32(v->device + off + 4) << 32;
	} while (gen != mmio_read8(v->common + COMMON_CFGGEN));
	return val;
}

/* ---- Virtqueues --------------------------------------------------------------------------- */

static void write64(volatile uint8_t *reg, uint64_t val)
{
	mmio_write32(reg, (uint32_t)val);
	mmio_write32(reg + 4, (uint32_t)(val >> 32));
}

static size_t used_offset(uint16_t size)
{
	size_t avail_end = (size_t)size * sizeof(struct virtq_desc) + 6 + 2 * (size_t)size;
	return (avail_end + 3) & ~(size_t)3;
}

/* Allocate and lay out the three rings, with every descriptor on the free list. */
static int ring_alloc(struct virtq *q, uint16_t size)
{
	size_t bytes = used_offset(size) + 6 + 8 * (size_t)size;
	unsigned order = 0;
	while (((size_t)PAGE_SIZE << order) < bytes)
		order++;
	uint64_t pa = alloc_pages(order);
	if (!pa)
		return -ENOMEM;
	uint8_t *mem = phys_to_virt(pa);
	memset(mem, 0, (size_t)PAGE_SIZE << order);
	q->size = size;
	q->ring_pa = pa;
	q->ring_order = order;
	q->desc = (struct virtq_desc *)mem;
	q->avail = (struct virtq_avail *)(mem + (size_t)size * sizeof(struct virtq_desc));
	q->used = (struct virtq_used *)(mem + used_offset(size));
	for (uint16_t i = 0; i + 1 < size; i++)
		q->desc[i].next = (uint16_t)(i + 1);
	q->free_head = 0;
	q->num_free = size;
	return 0;
}

int virtq_setup(struct virtio_dev *v, struct virtq *q, uint16_t index, uint16_t max_size)
{
	volatile uint8_t *c = v->common;
	memset(q, 0, sizeof(*q));
	q->vdev = v;
	q->index = index;
	if (index >= mmio_read16(c + COMMON_NUMQ))
		return -ENOENT;
	mmio_write16(c + COMMON_Q_SELECT, index);
	uint16_t size = mmio_read16(c + COMMON_Q_SIZE);
	if (size == 0 || mmio_read16(c + COMMON_Q_ENABLE))
		return -ENOENT;
	if (size > max_size)
		size = max_size;
	while (size & (size - 1))
		size &= (uint16_t)(size - 1); /* round down to a power of two */
	uint64_t noff = (uint64_t)mmio_read16(c + COMMON_Q_NOFF) * v->notify_mult;
	if (noff + 2 > v->notify_len)
		return -EIO;
	if (ring_alloc(q, size))
		return -ENOMEM;
	q->notify = v->notify_base + noff;
	mmio_write16(c + COMMON_Q_SIZE, size);
	mmio_write16(c + COMMON_Q_MSIX, v->queue_vector);
	if (mmio_read16(c + COMMON_Q_MSIX) != v->queue_vector) {
		v->vector_refused = true; /* virtio_irq_setup falls back to INTx */
		mmio_write16(c + COMMON_Q_MSIX, NO_VECTOR);
	}
	write64(c + COMMON_Q_DESC, q->ring_pa);
	write64(c + COMMON_Q_AVAIL, virt_to_phys(q->avail));
	write64(c + COMMON_Q_USED, virt_to_phys(q->used));
	mmio_write16(c + COMMON_Q_ENABLE, 1);
	return 0;
}

int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n)
{
	if (n == 0 || n > q->num_free)
		return -ENOSPC;
	uint16_t head = q->free_head, d = head;
	for (unsigned i = 0; i < n; i++) {
		struct virtq_desc *e = &q->desc[d];
		e->addr = bufs[i].pa;
		e->len = bufs[i].len;
		e->flags = (uint16_t)((bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
				      (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		if (i + 1 < n)
			d = e->next;
	}
	q->free_head = q->desc[d].next;
	q->num_free = (uint16_t)(q->num_free - n);
	q->avail->ring[q->avail_shadow & (q->size - 1)] = head;
	q->avail_shadow++;
	return head;
}

void virtq_kick(struct virtq *q)
{
	__atomic_store_n(&q->avail->idx, q->avail_shadow, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!(__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED) & VIRTQ_USED_F_NO_NOTIFY))
		mmio_write16(q->notify, q->index);
}

/* Put the chain starting at head back on the free list. */
static void free_chain(struct virtq *q, uint16_t head)
{
	uint16_t d = head, n = 1;
	while ((q->desc[d].flags & VIRTQ_DESC_F_NEXT) && n < q->size) {
		d = q->desc[d].next;
		n++;
	}
	q->desc[d].next = q->free_head;
	q->free_head = head;
	q->num_free = (uint16_t)(q->num_free + n);
}

int virtq_get_used(struct virtq *q, uint32_t *len)
{
	uint16_t idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
	if (idx == q->last_used)
		return -ENOENT;
	struct virtq_used_elem e = q->used->ring[q->last_used & (q->size - 1)];
	q->last_used++;
	if (e.id >= q->size) {
		pr_err("virtio: device returned descriptor %u of %u\n", e.id, q->size);
		return -ENOENT;
	}
	free_chain(q, (uint16_t)e.id);
	*len = e.len;
	return (int)e.id;
}

/* ---- Interrupts --------------------------------------------------------------------------- */

static void log_dev(const struct virtio_dev *v, const char *what, int err)
{
	const struct pci_dev *d = v->pci;
	if (err)
		pr_info("virtio %02x:%02x.%x: %s (%d)\n", d->bus, d->dev, d->fn, what, err);
	else
		pr_info("virtio %02x:%02x.%x: %s\n", d->bus, d->dev, d->fn, what);
}

static void config_changed(const struct virtio_dev *v)
{
	log_dev(v, "configuration changed", 0);
}

static bool intx_handler(void *ctx)
{
	struct virtio_dev *v = ctx;
	uint8_t isr = mmio_read8(v->isr); /* read-to-clear; deasserts INTx */
	if (isr & ISR_CONFIG)
		config_changed(v);
	if (isr & ISR_QUEUE)
		v->on_queue(v->ctx);
	return isr != 0;
}

static void msix_config_handler(unsigned irq, void *ctx)
{
	config_changed(ctx);
}

static void msix_queue_handler(unsigned irq, void *ctx)
{
	struct virtio_dev *v = ctx;
	v->on_queue(v->ctx);
}

void virtio_irq_prepare(struct virtio_dev *v)
{
	volatile uint8_t *c = v->common;
	v->queue_vector = NO_VECTOR;
	if (pci_msix_count(v->pci) < MSIX_ENTRIES)
		return;
	int err = pci_msix_enable(v->pci, MSIX_ENTRIES);
	if (err) {
		log_dev(v, "MSI-X unavailable: using INTx", err);
		return;
	}
	mmio_write16(c + COMMON_MSIX, MSIX_CONFIG_ENTRY);
	if (mmio_read16(c + COMMON_MSIX) != MSIX_CONFIG_ENTRY) {
		log_dev(v, "device refused the configuration MSI-X vector: using INTx", 0);
		mmio_write16(c + COMMON_MSIX, NO_VECTOR);
		pci_msix_disable(v->pci);
		return;
	}
	v->queue_vector = MSIX_QUEUE_ENTRY;
}

/* A queue refused its vector: every vector back to NO_VECTOR and MSI-X off. */
static void msix_abandon(struct virtio_dev *v)
{
	volatile uint8_t *c = v->common;
	uint16_t nq = mmio_read16(c + COMMON_NUMQ);
	log_dev(v, "device refused a queue's MSI-X vector: using INTx", 0);
	mmio_write16(c + COMMON_MSIX, NO_VECTOR);
	for (uint16_t q = 0; q < nq; q++) {
		mmio_write16(c + COMMON_Q_SELECT, q);
		mmio_write16(c + COMMON_Q_MSIX, NO_VECTOR);
	}
	pci_msix_disable(v->pci);
	v->queue_vector = NO_VECTOR;
}

int virtio_irq_setup(struct virtio_dev *v, void (*on_queue)(void *ctx), void *ctx)
{
	v->on_queue = on_queue;
	v->ctx = ctx;
	if (v->queue_vector != NO_VECTOR && v->vector_refused)
		msix_abandon(v);
	if (v->queue_vector == NO_VECTOR) {
		mmio_write16(v->common + COMMON_MSIX, NO_VECTOR);
		return pci_intx_register(v->pci, intx_handler, v);
	}
	int err = pci_msix_register(v->pci, MSIX_CONFIG_ENTRY, msix_config_handler, v);
	if (!err)
		err = pci_msix_register(v->pci, MSIX_QUEUE_ENTRY, msix_queue_handler, v);
	return err;
}
