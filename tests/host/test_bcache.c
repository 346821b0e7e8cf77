/*
 * tests/host/test_bcache.c: the block cache (core/bcache.c) under ASan/UBSan.
 *
 * The device is an array in memory whose submit() completes at once, records the order of
 * writes and fails on demand, so the tests see exactly what reaches the "disk" and when:
 * nothing before eviction or bsync (write-back), everything after bsync, in block order,
 * dirty victims written before they are dropped, failed writes kept dirty (bsync) or
 * counted and dropped (eviction), and reads never returning half-filled buffers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bcache.h"
#include "core/blkdev.h"
#include "core/errno.h"
#include "tap.h"

#define DEV_SECTORS 4096u /* 2 MiB */

struct memdev {
	struct blkdev dev;
	uint8_t data[DEV_SECTORS * SECTOR_SIZE];
	uint64_t write_log[4096];
	unsigned nwrites, nreads, nflushes;
	bool fail_writes, fail_reads;
};

static int mem_submit(struct blkdev *dev, struct bio *bio)
{
	struct memdev *m = dev->priv;
	uint8_t *p = m->data + bio->sector * SECTOR_SIZE;
	size_t len = (size_t)bio->count * SECTOR_SIZE;
	bio->status = 0;
	if (bio->write && m->fail_writes) {
		bio->status = -EIO;
	} else if (!bio->write && m->fail_reads) {
		bio->status = -EIO;
	} else if (bio->write) {
		memcpy(p, bio->buf, len);
		if (m->nwrites < 4096)
			m->write_log[m->nwrites] = bio->sector;
		m->nwrites++;
	} else {
		memcpy(bio->buf, p, len);
		m->nreads++;
	}
	bio->done(bio);
	return 0;
}

static int mem_flush(struct blkdev *dev)
{
	((struct memdev *)dev->priv)->nflushes++;
	return 0;
}

static struct memdev *memdev_new(const char *name)
{
	struct memdev *m = calloc(1, sizeof(*m));
	m->dev = (struct blkdev){.name = name, .nsectors = DEV_SECTORS, .submit = mem_submit,
				 .flush = mem_flush, .priv = m};
	for (size_t i = 0; i < sizeof(m->data); i++)
		m->data[i] = (uint8_t)(i / SECTOR_SIZE * 7 + i);
	return m;
}

static uint8_t expect_byte(size_t i)
{
	return (uint8_t)(i / SECTOR_SIZE * 7 + i);
}

static void memdev_free(struct memdev *m)
{
	size_t busy = bcache_invalidate(&m->dev);
	CHECK_EQ(busy, 0);
	free(m);
}

static void test_read_and_share(void)
{
	struct memdev *m = memdev_new("a");
	struct bcache_stats before, after;
	bcache_get_stats(&before);
	struct buf *b = bread(&m->dev, 3, 1024);
	CHECK(b != NULL);
	CHECK_EQ(b->data[0], expect_byte(3 * 1024));
	CHECK_EQ(b->data[1023], expect_byte(3 * 1024 + 1023));
	struct buf *b2 = bread(&m->dev, 3, 1024);
	CHECK(b2 == b);
	CHECK_EQ(m->nreads, 1);
	brelse(b2);
	brelse(b);
	b = bread(&m->dev, 3, 1024);
	CHECK_EQ(m->nreads, 1);
	brelse(b);
	bcache_get_stats(&after);
	CHECK_EQ(after.hits - before.hits, 2);
	CHECK_EQ(after.misses - before.misses, 1);
	b = bread(&m->dev, 1, 4096); /* another size is another buffer */
	CHECK(b != NULL && b->size == 4096);
	CHECK_EQ(b->data[0], expect_byte(4096));
	brelse(b);
	memdev_free(m);
	tap_point("bread reads once, shares the buffer, counts hits and misses");
}

static void test_bad_requests(void)
{
	struct memdev *m = memdev_new("b");
	CHECK(bread(&m->dev, DEV_SECTORS / 2, 1024) == NULL);     /* past the end */
	struct buf *last = bread(&m->dev, DEV_SECTORS / 2 - 1, 1024); /* the last block */
	CHECK(last != NULL);
	brelse(last);
	CHECK(bread(&m->dev, 0, 1000) == NULL);                   /* not whole sectors */
	CHECK(bread(&m->dev, 0, 0) == NULL);
	CHECK(bread(NULL, 0, 1024) == NULL);
	CHECK(bread(&m->dev, UINT64_MAX / 2, 1024) == NULL);      /* sector overflow */
	m->fail_reads = true;
	CHECK(bread(&m->dev, 5, 1024) == NULL);
	m->fail_reads = false;
	struct buf *b = bread(&m->dev, 5, 1024);                  /* retried, not cached bad */
	CHECK(b != NULL && b->data[0] == expect_byte(5 * 1024));
	brelse(b);
	memdev_free(m);
	tap_point("bad requests and read errors give NULL and cache nothing");
}

static void test_write_back(void)
{
	struct memdev *m = memdev_new("c");
	for (unsigned blk = 20; blk > 10; blk--) {
		struct buf *b = bread(&m->dev, blk, 1024);
		memset(b->data, (int)blk, 1024);
		bdirty(b);
		brelse(b);
	}
	CHECK_EQ(m->nwrites, 0);
	CHECK_EQ(m->data[15 * 1024], expect_byte(15 * 1024));
	struct bcache_stats st;
	bcache_get_stats(&st);
	CHECK_EQ(st.dirty, 10);
	CHECK_EQ(bsync(&m->dev), 0);
	CHECK_EQ(m->nwrites, 10);
	for (unsigned i = 0; i < 10; i++)
		CHECK_EQ(m->write_log[i], (11 + i) * 2); /* in block order */
	CHECK_EQ(m->data[15 * 1024], 15);
	CHECK_EQ(m->nflushes, 1);
	CHECK_EQ(bsync(&m->dev), 0);
	CHECK_EQ(m->nwrites, 10); /* clean now */
	bcache_get_stats(&st);
	CHECK_EQ(st.dirty, 0);
	memdev_free(m);
	tap_point("dirty buffers reach the device only at bsync, in block order");
}

static void test_zero_get_and_forget(void)
{
	struct memdev *m = memdev_new("d");
	struct buf *b = bzero_get(&m->dev, 7, 2048);
	CHECK(b != NULL);
	bool zero = true;
	for (int i = 0; i < 2048; i++)
		zero = zero && b->data[i] == 0;
	CHECK(zero);
	CHECK_EQ(m->nreads, 0);
	brelse(b);
	b = bread(&m->dev, 8, 2048);
	b->data[0] = 1;
	bdirty(b);
	brelse(b);
	bforget(&m->dev, 8, 2048);
	CHECK_EQ(bsync(&m->dev), 0);
	CHECK_EQ(m->nwrites, 1); /* block 7 only: 8 was forgotten */
	CHECK_EQ(m->write_log[0], 7 * 4);
	CHECK_EQ(m->data[7 * 2048 + 5], 0);
	CHECK_EQ(m->data[8 * 2048], expect_byte(8 * 2048));
	memdev_free(m);
	tap_point("bzero_get needs no read; bforget drops a dirty block");
}

static void test_eviction(void)
{
	struct memdev *m = memdev_new("e");
	bcache_set_limit(8 * 1024);
	for (unsigned blk = 0; blk < 64; blk++) {
		struct buf *b = bread(&m->dev, blk, 1024);
		CHECK(b != NULL);
		b->data[0] = (uint8_t)(blk + 100);
		bdirty(b);
		brelse(b);
		struct bcache_stats st;
		bcache_get_stats(&st);
		CHECK(st.bytes <= 8 * 1024);
	}
	CHECK_EQ(m->nwrites, 64 - 8); /* every victim was written before it was dropped */
	for (unsigned blk = 0; blk < 56; blk++)
		CHECK_EQ(m->data[blk * 1024], (uint8_t)(blk + 100));
	struct buf *held[12];
	for (unsigned i = 0; i < 12; i++)
		held[i] = bread(&m->dev, 100 + i, 1024);
	struct bcache_stats st;
	bcache_get_stats(&st);
	CHECK_EQ(st.buffers, 12); /* referenced buffers stay, past the limit */
	CHECK_EQ(bcache_invalidate(&m->dev), 12);
	for (unsigned i = 0; i < 12; i++)
		brelse(held[i]);
	CHECK_EQ(bsync(&m->dev), 0);
	for (unsigned blk = 0; blk < 64; blk++)
		CHECK_EQ(m->data[blk * 1024], (uint8_t)(blk + 100));
	bcache_get_stats(&st);
	CHECK(st.evictions >= 56);
	bcache_set_limit(BCACHE_DEFAULT_LIMIT);
	memdev_free(m);
	tap_point("the cache stays under its limit, writing dirty victims first");
}

static void test_write_errors(void)
{
	struct memdev *m = memdev_new("f");
	struct buf *b = bread(&m->dev, 2, 1024);
	b->data[0] = 0xaa;
	bdirty(b);
	brelse(b);
	m->fail_writes = true;
	CHECK_EQ(bsync(&m->dev), -EIO);
	struct bcache_stats st;
	bcache_get_stats(&st);
	CHECK_EQ(st.dirty, 1); /* still dirty: a later sync may succeed */
	m->fail_writes = false;
	CHECK_EQ(bsync(&m->dev), 0);
	CHECK_EQ(m->data[2 * 1024], 0xaa);
	/* Eviction of a buffer that cannot be written: dropped and counted, never a hang. */
	b = bread(&m->dev, 3, 1024);
	bdirty(b);
	brelse(b);
	m->fail_writes = true;
	uint64_t errors = st.write_errors;
	bcache_set_limit(0);
	bcache_get_stats(&st);
	CHECK_EQ(st.buffers, 0);
	CHECK_EQ(st.dirty, 0);
	CHECK(st.write_errors > errors);
	bcache_set_limit(BCACHE_DEFAULT_LIMIT);
	m->fail_writes = false;
	m->dev.read_only = true;
	b = bread(&m->dev, 4, 1024);
	bdirty(b);
	brelse(b);
	CHECK_EQ(bsync(&m->dev), -EROFS);
	CHECK_EQ(bsync(NULL), -EROFS);
	bcache_invalidate(&m->dev);
	bcache_get_stats(&st);
	CHECK_EQ(st.dirty, 0);
	memdev_free(m);
	tap_point("write errors: kept dirty for bsync, dropped and counted on eviction");
}

static void test_two_devices(void)
{
	struct memdev *a = memdev_new("g"), *b = memdev_new("h");
	struct buf *x = bread(&a->dev, 1, 1024), *y = bread(&b->dev, 1, 1024);
	CHECK(x != y);
	x->data[0] = 1;
	y->data[0] = 2;
	bdirty(x);
	bdirty(y);
	brelse(x);
	brelse(y);
	CHECK_EQ(bsync(&a->dev), 0);
	CHECK_EQ(a->nwrites, 1);
	CHECK_EQ(b->nwrites, 0);
	CHECK_EQ(bsync(NULL), 0);
	CHECK_EQ(b->nwrites, 1);
	CHECK_EQ(b->nflushes, 1);
	CHECK_EQ(a->data[1024], 1);
	CHECK_EQ(b->data[1024], 2);
	memdev_free(a);
	memdev_free(b);
	tap_point("devices are kept apart; bsync(NULL) syncs all");
}

int main(void)
{
	test_read_and_share();
	test_bad_requests();
	test_write_back();
	test_zero_get_and_forget();
	test_eviction();
	test_write_errors();
	test_two_devices();
	struct bcache_stats st;
	bcache_get_stats(&st);
	CHECK_EQ(st.buffers, 0);
	CHECK_EQ(st.bytes, 0);
	tap_point("nothing left behind");
	return tap_done();
}
