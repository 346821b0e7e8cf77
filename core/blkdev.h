/*
 * core/blkdev.h: block devices, in 512-byte sectors.
 *
 * A driver (drivers/virtio_blk.c; the host suite's file-backed device) fills a struct blkdev
 * and registers it. Requests are asynchronous: submit() queues a struct bio and returns at
 * once; the driver calls bio->done(bio) from its completion path (interrupt context) with
 * bio->status 0 or a negative errno. blkdev_rw() wraps that into a synchronous call that waits
 * on a completion, so it must be called with no spinlock held (the completion interrupt must be
 * able to arrive). A read-only device fails writes with -EROFS at submit, never hangs.
 */
#ifndef CORE_BLKDEV_H
#define CORE_BLKDEV_H

#include <stdbool.h>
#include <stdint.h>

#define SECTOR_SIZE 512u

struct bio {
	uint64_t sector;  /* first 512-byte sector */
	uint32_t count;   /* sectors */
	bool write;
	void *buf;        /* kernel virtual address (direct map or heap), count * 512 bytes */
	int status;       /* set by the driver before done() */
	void (*done)(struct bio *bio);
	void *ctx;        /* for the submitter */
};

struct blkdev {
	const char *name;  /* "vda" */
	uint64_t nsectors;
	bool read_only;
	/* Queue bio; 0, or a negative errno if it cannot be queued (then done() is not called).
	 * Several bios may be in flight. May be called with interrupts enabled or disabled. */
	int (*submit)(struct blkdev *dev, struct bio *bio);
	/* Ask the device to write its volatile cache to stable storage (synchronous; may be
	 * NULL if the device has no cache). */
	int (*flush)(struct blkdev *dev);
	void *priv;
};

/* Register / find devices by name (a small fixed table). */
int blkdev_register(struct blkdev *dev);
struct blkdev *blkdev_find(const char *name);

/* Synchronous read or write of count sectors; 0 or a negative errno (-EIO, -EROFS,
 * -EINVAL past the end). No spinlock may be held. */
int blkdev_rw(struct blkdev *dev, uint64_t sector, void *buf, uint32_t count, bool write);

#endif
