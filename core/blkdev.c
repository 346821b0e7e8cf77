/*
 * core/blkdev.c: the block device table and synchronous I/O over asynchronous drivers.
 *
 * blkdev_rw submits one bio and waits on a completion that the driver's done() callback
 * signals from its interrupt handler; the waiter holds no spinlock (asserted by the wait), so
 * the completion interrupt can always be taken. The table is written at boot by drivers
 * registering their devices, before any reader looks.
 */
#include "core/blkdev.h"

#include "core/errno.h"
#include "core/string.h"
#include "core/sync.h"

#define MAX_BLKDEVS 8

static struct blkdev *devices[MAX_BLKDEVS];

int blkdev_register(struct blkdev *dev)
{
	for (unsigned i = 0; i < MAX_BLKDEVS; i++) {
		if (!devices[i]) {
			devices[i] = dev;
			return 0;
		}
	}
	return -ENOSPC;
}

struct blkdev *blkdev_find(const char *name)
{
	for (unsigned i = 0; i < MAX_BLKDEVS; i++)
		if (devices[i] && strcmp(devices[i]->name, name) == 0)
			return devices[i];
	return NULL;
}

static void rw_done(struct bio *bio)
{
	complete(bio->ctx);
}

int blkdev_rw(struct blkdev *dev, uint64_t sector, void *buf, uint32_t count, bool write)
{
	if (count == 0)
		return 0;
	if (sector >= dev->nsectors || count > dev->nsectors - sector)
		return -EINVAL;
	if (write && dev->read_only)
		return -EROFS;
	struct completion done = COMPLETION_INIT;
	struct bio bio = {.sector = sector, .count = count, .write = write, .buf = buf,
			  .done = rw_done, .ctx = &done};
	int err = dev->submit(dev, &bio);
	if (err)
		return err;
	wait_for_completion(&done);
	return bio.status;
}
