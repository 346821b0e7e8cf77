/*
 * drivers/virtio.h: the virtio 1.x PCI transport (modern interface only) and split virtqueues.
 *
 * A device driver (drivers/virtio_blk.c) brings a device up in the order the virtio spec
 * (3.1.1) prescribes:
 *   virtio_pci_setup      find the vendor capabilities, map them, reset, ACKNOWLEDGE | DRIVER
 *   virtio_negotiate      offer the driver's features; VERSION_1 is required; FEATURES_OK
 *   virtio_irq_prepare    MSI-X if the function and platform have it: entry 0 for
 *                         configuration changes, entry 1 for the queues
 *   virtq_setup           each queue it uses (with its MSI-X entry, read back)
 *   virtio_irq_setup      the queue handler on MSI-X, or on INTx if MSI-X is off or the
 *                         device refused a vector
 *   virtio_driver_ok      DRIVER_OK: the device is live
 * and on any failure calls virtio_fail (status FAILED), which also tells the device to stop.
 *
 * A virtqueue is not locked here: the driver serialises all calls on one queue (its own
 * spinlock, held across virtq_add/virtq_kick and virtq_get_used). Buffers are physical
 * addresses the device DMAs to or from directly (no IOMMU on these machines). Both ports and
 * virtio 1.x are little-endian, so ring fields are plain integers.
 */
#ifndef DRIVERS_VIRTIO_H
#define DRIVERS_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/pci.h"

#define VIRTIO_PCI_VENDOR 0x1af4

#define VIRTIO_F_VERSION_1 (1ull << 32)

/* Device status bits (virtio 1.x 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* Split virtqueue layout (virtio 1.x 2.7). */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2   /* device writes this buffer */
#define VIRTQ_USED_F_NO_NOTIFY 1

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];  /* then used_event, unused without VIRTIO_F_EVENT_IDX */
};

struct virtq_used_elem {
	uint32_t id;      /* head of the completed descriptor chain */
	uint32_t len;     /* bytes the device wrote into the chain */
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};

struct virtio_dev;

struct virtq {
	struct virtio_dev *vdev;
	uint16_t index;           /* queue number */
	uint16_t size;            /* descriptors (a power of two) */
	struct virtq_desc *desc;  /* all three in one zeroed allocation of ring_pages frames */
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint64_t ring_pa;
	unsigned ring_order;
	uint16_t free_head;       /* free descriptors, chained through desc[].next */
	uint16_t num_free;
	uint16_t avail_shadow;    /* next avail->idx (published by virtq_kick) */
	uint16_t last_used;       /* used->idx up to which completions were taken */
	volatile uint8_t *notify; /* this queue's doorbell */
};

struct virtio_dev {
	struct pci_dev *pci;
	volatile uint8_t *common; /* struct virtio_pci_common_cfg */
	volatile uint8_t *isr;
	volatile uint8_t *device; /* device-specific configuration */
	volatile uint8_t *notify_base;
	uint32_t notify_mult, notify_len, device_len;
	uint64_t features;        /* negotiated */
	void (*on_queue)(void *ctx); /* virtio_irq_setup's handler */
	void *ctx;
	uint16_t queue_vector;    /* MSI-X entry given to every queue; NO_VECTOR: none */
	bool vector_refused;      /* a queue read back NO_VECTOR: fall back to INTx */
};

/* One buffer of a descriptor chain. */
struct virtq_buf {
	uint64_t pa;
	uint32_t len;
	bool device_writes;
};

/* Find and map the common, notify, ISR and device capabilities, enable the function (memory
 * decoding, bus mastering), reset the device and set ACKNOWLEDGE | DRIVER. 0, -ENODEV (no
 * modern interface), -ENOMEM, -EIO (reset did not complete). */
int virtio_pci_setup(struct virtio_dev *v, struct pci_dev *d);

/* Accept the device's features that are in `wanted` (VERSION_1 always), then FEATURES_OK.
 * 0 and v->features set, -ENODEV (no VERSION_1: legacy-only device), -EIO (refused). */
int virtio_negotiate(struct virtio_dev *v, uint64_t wanted);

/* Between virtio_negotiate and the first virtq_setup: switch the function to MSI-X (two
 * entries) and give configuration changes entry 0, read back. Quietly leaves the device on
 * INTx if the function has no MSI-X, pci.nomsi is set, the platform takes no MSIs, or the
 * device refuses the vector. */
void virtio_irq_prepare(struct virtio_dev *v);

/* Set up queue `index` with at most max_size descriptors (rounded down to a power of two),
 * its MSI-X vector (virtio_irq_prepare's entry 1) written and read back before the queue is
 * enabled. 0, -ENOENT (no such queue), -ENOMEM, -EIO. */
int virtq_setup(struct virtio_dev *v, struct virtq *q, uint16_t index, uint16_t max_size);

/* Call on_queue(ctx) in interrupt context whenever the device signals a used buffer: on MSI-X
 * entry 1 if every vector assignment held (no ISR read needed: the entry says what happened),
 * else (MSI-X given up, all vectors NO_VECTOR again) on the INTx line, where the ISR read that
 * tells whether this device interrupted also deasserts the line. 0, or pci_msix_register's /
 * pci_intx_register's error. */
int virtio_irq_setup(struct virtio_dev *v, void (*on_queue)(void *ctx), void *ctx);

void virtio_driver_ok(struct virtio_dev *v);
void virtio_fail(struct virtio_dev *v);

/* Device-specific configuration, read at its natural width; 64-bit fields are read as two
 * halves retried until config_generation is stable. Out-of-range offsets read as 0. */
uint8_t virtio_cfg_read8(struct virtio_dev *v, unsigned off);
uint32_t virtio_cfg_read32(struct virtio_dev *v, unsigned off);
uint64_t virtio_cfg_read64(struct virtio_dev *v, unsigned off);

/* Take n descriptors from the free list, fill them with bufs as one chain and put its head
 * in the available ring (not yet visible to the device: see virtq_kick). Returns the head
 * index, or -ENOSPC if fewer than n descriptors are free (nothing changed). */
int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n);

/* The head index the next virtq_add will return, so a driver can prepare per-request data
 * kept by head (virtio_blk's request header and status byte) before adding the chain. */
static inline uint16_t virtq_next_head(const struct virtq *q)
{
	return q->free_head;
}

/* Publish what virtq_add queued and notify the device unless it asked not to be. */
void virtq_kick(struct virtq *q);

/* The next completed chain: its head index (its descriptors back on the free list) and the
 * bytes the device wrote in *len; -ENOENT if there is none. */
int virtq_get_used(struct virtq *q, uint32_t *len);

#endif
