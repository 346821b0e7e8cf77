/* tests/host/host_blkdev.c: see host_blkdev.h. */
#define _GNU_SOURCE
#include "host_blkdev.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errno.h"

struct hostdev {
	struct blkdev dev;
	int fd;
};

static int host_submit(struct blkdev *dev, struct bio *bio)
{
	struct hostdev *h = dev->priv;
	size_t len = (size_t)bio->count * SECTOR_SIZE;
	off_t off = (off_t)(bio->sector * SECTOR_SIZE);
	if (bio->write && dev->read_only)
		return -EROFS;
	ssize_t n = bio->write ? pwrite(h->fd, bio->buf, len, off) : pread(h->fd, bio->buf, len, off);
	bio->status = n == (ssize_t)len ? 0 : -EIO;
	bio->done(bio);
	return 0;
}

static int host_flush(struct blkdev *dev)
{
	struct hostdev *h = dev->priv;
	return fsync(h->fd) == 0 ? 0 : -EIO;
}

struct blkdev *host_blkdev_open(const char *path, bool ro)
{
	struct stat st;
	struct hostdev *h = calloc(1, sizeof(*h));
	h->fd = open(path, ro ? O_RDONLY : O_RDWR);
	if (h->fd < 0 || fstat(h->fd, &st) != 0) {
		free(h);
		return NULL;
	}
	h->dev = (struct blkdev){.name = "host", .nsectors = (uint64_t)st.st_size / SECTOR_SIZE,
				 .read_only = ro, .submit = host_submit, .flush = host_flush,
				 .priv = h};
	return &h->dev;
}

void host_blkdev_close(struct blkdev *dev)
{
	struct hostdev *h = dev->priv;
	close(h->fd);
	free(h);
}
