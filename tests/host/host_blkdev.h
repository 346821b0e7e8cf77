/*
 * tests/host/host_blkdev.h: a block device backed by a file, for the host suite. Requests
 * complete inside submit (pread/pwrite), so blkdev_rw never waits.
 */
#ifndef TESTS_HOST_HOST_BLKDEV_H
#define TESTS_HOST_HOST_BLKDEV_H

#include "core/blkdev.h"

/* Open path as a block device (read-only if ro). NULL on failure. Free with
 * host_blkdev_close. */
struct blkdev *host_blkdev_open(const char *path, bool ro);
void host_blkdev_close(struct blkdev *dev);

#endif
