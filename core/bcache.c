/*
 * core/bcache.c: the block cache (see core/bcache.h for the contract).
 *
 * Design: one cache for all devices. Buffers live in a hash table keyed by (device, block
 * number, size); unreferenced ones are also on an LRU list (head = oldest). The cache mutex
 * guards both, plus every buffer's refs and dirty flag and the counters; it is released
 * before any I/O. A buffer's own mutex is held across the I/O that fills it (bread) or writes
 * it back (write_back), so a second reader of a buffer being filled waits for the data
 * instead of seeing half of it. Lock order: a buffer's mutex, then the cache mutex.
 *
 * Making room: before a new buffer is allocated, make_room() evicts from the LRU head while
 * the cache is over its byte limit. A clean victim is freed at once; a dirty one is
 * referenced, written back with the cache mutex dropped, then freed if still unused and clean.
 * Referenced buffers are never evicted, so the limit is soft while they are held.
 *
 * bsync collects the dirty buffers of a device under the mutex (taking references), sorts
 * them by device and block number, and writes them in order outside the mutex.
 */
#include "core/bcache.h"

#include "core/blkdev.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/kprintf.h"
#include "core/string.h"

#define HASH_BUCKETS 1024u
#define MAX_BLOCK_SIZE 65536u

static struct mutex cache_lock = MUTEX_INIT("bcache");
static struct buf *hash_table[HASH_BUCKETS];
static struct buf *lru_head, *lru_tail;
static struct bcache_stats stats = {.limit = BCACHE_DEFAULT_LIMIT};

/* ---- Index and LRU (cache lock held) ------------------------------------------------------ */

static struct buf **bucket(struct blkdev *dev, uint64_t blockno)
{
	uint64_t h = ((uint64_t)(uintptr_t)dev >> 4) * 0x9e3779b97f4a7c15ull;
	h ^= blockno * 0xff51afd7ed558ccdull;
	return &hash_table[(h >> 32) % HASH_BUCKETS];
}

static struct buf *lookup(struct blkdev *dev, uint64_t blockno, uint32_t size)
{
	for (struct buf *b = *bucket(dev, blockno); b; b = b->hnext)
		if (b->dev == dev && b->blockno == blockno && b->size == size)
			return b;
	return NULL;
}

static void lru_remove(struct buf *b)
{
	if (b->lprev)
		b->lprev->lnext = b->lnext;
	else
		lru_head = b->lnext;
	if (b->lnext)
		b->lnext->lprev = b->lprev;
	else
		lru_tail = b->lprev;
	b->lprev = b->lnext = NULL;
}

static void lru_append(struct buf *b)
{
	b->lnext = NULL;
	b->lprev = lru_tail;
	if (lru_tail)
		lru_tail->lnext = b;
	else
		lru_head = b;
	lru_tail = b;
}

/* Take a reference on a cached buffer. */
static void grab(struct buf *b)
{
	if (b->refs++ == 0)
		lru_remove(b);
}

/* Unhash and free an unreferenced buffer that is no longer on the LRU. */
static void destroy(struct buf *b)
{
	struct buf **pp = bucket(b->dev, b->blockno);
	while (*pp != b)
		pp = &(*pp)->hnext;
	*pp = b->hnext;
	if (b->dirty)
		stats.dirty--;
	stats.buffers--;
	stats.bytes -= b->size;
	kfree(b->data);
	kfree(b);
}

static struct buf *create(struct blkdev *dev, uint64_t blockno, uint32_t size)
{
	struct buf *b = kzalloc(sizeof(*b));
	if (!b)
		return NULL;
	b->data = kmalloc(size);
	if (!b->data) {
		kfree(b);
		return NULL;
	}
	b->dev = dev;
	b->blockno = blockno;
	b->size = size;
	b->refs = 1;
	mutex_init(&b->lock, "buf");
	struct buf **pp = bucket(dev, blockno);
	b->hnext = *pp;
	*pp = b;
	stats.buffers++;
	stats.bytes += size;
	return b;
}

/* ---- I/O ---------------------------------------------------------------------------------- */

static int transfer(struct buf *b, bool write)
{
	return blkdev_rw(b->dev, b->blockno * (b->size / SECTOR_SIZE), b->data,
			 b->size / SECTOR_SIZE, write);
}

/* Write b back if dirty. The caller holds a reference and not the cache lock. */
static int write_back(struct buf *b)
{
	mutex_lock(&b->lock);
	mutex_lock(&cache_lock);
	bool was_dirty = b->dirty;
	if (was_dirty) {
		b->dirty = false;
		stats.dirty--;
	}
	mutex_unlock(&cache_lock);
	int err = was_dirty ? transfer(b, true) : 0;
	if (was_dirty) {
		mutex_lock(&cache_lock);
		if (err) {
			stats.write_errors++;
			if (!b->dirty) {
				b->dirty = true;
				stats.dirty++;
			}
		} else {
			stats.writes++;
		}
		mutex_unlock(&cache_lock);
	}
	mutex_unlock(&b->lock);
	return err;
}

/* Evict from the LRU head until `need` more bytes fit under the limit (or nothing is left
 * to evict). Takes and releases the cache lock. */
static void make_room(size_t need)
{
	mutex_lock(&cache_lock);
	while (lru_head && stats.bytes + need > stats.limit) {
		struct buf *v = lru_head;
		if (!v->dirty) {
			lru_remove(v);
			destroy(v);
			stats.evictions++;
			continue;
		}
		grab(v);
		mutex_unlock(&cache_lock);
		int err = write_back(v);
		mutex_lock(&cache_lock);
		if (err && v->refs == 1 && v->dirty) {
			kprintf("bcache: %s block %llu lost: write-back failed (%d)\n",
				v->dev->name, (unsigned long long)v->blockno, err);
			v->dirty = false;
			stats.dirty--;
		}
		if (--v->refs == 0) {
			if (v->dirty) {
				lru_append(v);
			} else {
				destroy(v);
				stats.evictions++;
			}
		}
	}
	mutex_unlock(&cache_lock);
}

/* A referenced buffer for the block, cached or new (not necessarily valid). */
static struct buf *bget(struct blkdev *dev, uint64_t blockno, uint32_t size)
{
	if (!dev || size == 0 || size % SECTOR_SIZE || size > MAX_BLOCK_SIZE ||
	    blockno > UINT64_MAX / (size / SECTOR_SIZE))
		return NULL;
	mutex_lock(&cache_lock);
	struct buf *b = lookup(dev, blockno, size);
	if (b) {
		stats.hits++;
		grab(b);
		mutex_unlock(&cache_lock);
		return b;
	}
	stats.misses++;
	mutex_unlock(&cache_lock);
	make_room(size);
	mutex_lock(&cache_lock);
	b = lookup(dev, blockno, size); /* someone else may have added it meanwhile */
	if (b)
		grab(b);
	else
		b = create(dev, blockno, size);
	mutex_unlock(&cache_lock);
	return b;
}

struct buf *bread(struct blkdev *dev, uint64_t blockno, uint32_t size)
{
	struct buf *b = bget(dev, blockno, size);
	if (!b)
		return NULL;
	int err = 0;
	/* valid never goes back to false, so a buffer seen valid (acquire: its data with it) is
	 * returned without its lock: a warm read takes one mutex pair less per block. */
	if (__atomic_load_n(&b->valid, __ATOMIC_ACQUIRE))
		return b;
	mutex_lock(&b->lock);
	if (!b->valid) {
		err = transfer(b, false);
		if (!err) {
			__atomic_store_n(&b->valid, true, __ATOMIC_RELEASE);
			__atomic_fetch_add(&stats.reads, 1, __ATOMIC_RELAXED);
		}
	}
	mutex_unlock(&b->lock);
	if (err) {
		brelse(b);
		return NULL;
	}
	return b;
}

struct buf *bzero_get(struct blkdev *dev, uint64_t blockno, uint32_t size)
{
	struct buf *b = bget(dev, blockno, size);
	if (!b)
		return NULL;
	mutex_lock(&b->lock);
	memset(b->data, 0, size);
	__atomic_store_n(&b->valid, true, __ATOMIC_RELEASE); /* bread may look without the lock */
	mutex_unlock(&b->lock);
	bdirty(b);
	return b;
}

void bdirty(struct buf *b)
{
	mutex_lock(&cache_lock);
	if (!b->dirty) {
		b->dirty = true;
		stats.dirty++;
	}
	mutex_unlock(&cache_lock);
}

void brelse(struct buf *b)
{
	if (!b)
		return;
	mutex_lock(&cache_lock);
	if (--b->refs == 0) {
		if (b->valid || b->dirty)
			lru_append(b);
		else
			destroy(b); /* a failed read: nothing worth keeping */
	}
	mutex_unlock(&cache_lock);
}

int bwrite(struct buf *b)
{
	return write_back(b);
}

/* ---- Sync and invalidation ---------------------------------------------------------------- */

static bool buf_before(const struct buf *a, const struct buf *b)
{
	if (a->dev != b->dev)
		return (uintptr_t)a->dev < (uintptr_t)b->dev;
	return a->blockno < b->blockno;
}

static void sift_down(struct buf **v, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;
		if (c >= n)
			return;
		if (c + 1 < n && buf_before(v[c], v[c + 1]))
			c++;
		if (!buf_before(v[root], v[c]))
			return;
		struct buf *t = v[root];
		v[root] = v[c];
		v[c] = t;
		root = c;
	}
}

/* Heapsort: bsync may hold tens of thousands of buffers. */
static void sort_bufs(struct buf **v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (size_t end = n; end > 1; end--) {
		struct buf *t = v[0];
		v[0] = v[end - 1];
		v[end - 1] = t;
		sift_down(v, 0, end - 1);
	}
}

/* Reference every dirty buffer of dev (NULL: all) into a new array; *n its length. NULL with
 * *n > 0 when out of memory. Cache lock held. */
static struct buf **collect_dirty(struct blkdev *dev, size_t *n)
{
	size_t count = 0;
	for (unsigned h = 0; h < HASH_BUCKETS; h++)
		for (struct buf *b = hash_table[h]; b; b = b->hnext)
			count += b->dirty && (!dev || b->dev == dev);
	*n = count;
	if (count == 0)
		return NULL;
	struct buf **v = kmalloc(count * sizeof(*v));
	if (!v)
		return NULL;
	size_t i = 0;
	for (unsigned h = 0; h < HASH_BUCKETS; h++)
		for (struct buf *b = hash_table[h]; b; b = b->hnext)
			if (b->dirty && (!dev || b->dev == dev)) {
				grab(b);
				v[i++] = b;
			}
	return v;
}

/* Out of memory for the array: one buffer at a time. */
static int sync_slowly(struct blkdev *dev)
{
	for (;;) {
		struct buf *found = NULL;
		mutex_lock(&cache_lock);
		for (unsigned h = 0; h < HASH_BUCKETS && !found; h++)
			for (struct buf *b = hash_table[h]; b && !found; b = b->hnext)
				if (b->dirty && (!dev || b->dev == dev))
					found = b;
		if (found)
			grab(found);
		mutex_unlock(&cache_lock);
		if (!found)
			return 0;
		int err = write_back(found);
		brelse(found);
		if (err)
			return err; /* it stays dirty: stop instead of spinning on it */
	}
}

static int flush_dev(struct blkdev *dev)
{
	return dev->flush ? dev->flush(dev) : 0;
}

int bsync(struct blkdev *dev)
{
	size_t n;
	mutex_lock(&cache_lock);
	struct buf **v = collect_dirty(dev, &n);
	mutex_unlock(&cache_lock);
	if (!v && n > 0) {
		int err = sync_slowly(dev);
		return err ? err : dev ? flush_dev(dev) : 0;
	}
	sort_bufs(v, n);
	int first_err = 0;
	for (size_t i = 0; i < n; i++) {
		int err = write_back(v[i]);
		if (err && !first_err)
			first_err = err;
		bool last_of_dev = i + 1 == n || v[i + 1]->dev != v[i]->dev;
		if (!dev && last_of_dev && (err = flush_dev(v[i]->dev)) != 0 && !first_err)
			first_err = err;
	}
	for (size_t i = 0; i < n; i++)
		brelse(v[i]);
	kfree(v);
	if (dev) {
		int err = flush_dev(dev);
		if (err && !first_err)
			first_err = err;
	}
	return first_err;
}

void bforget(struct blkdev *dev, uint64_t blockno, uint32_t size)
{
	mutex_lock(&cache_lock);
	struct buf *b = lookup(dev, blockno, size);
	if (b && b->refs == 0) {
		lru_remove(b);
		destroy(b);
	}
	mutex_unlock(&cache_lock);
}

size_t bcache_invalidate(struct blkdev *dev)
{
	size_t busy = 0;
	mutex_lock(&cache_lock);
	for (unsigned h = 0; h < HASH_BUCKETS; h++) {
		struct buf *b = hash_table[h];
		while (b) {
			struct buf *next = b->hnext;
			if (b->dev == dev && b->refs == 0) {
				lru_remove(b);
				destroy(b);
			} else if (b->dev == dev) {
				busy++;
			}
			b = next;
		}
	}
	mutex_unlock(&cache_lock);
	return busy;
}

size_t bcache_drop_clean(void)
{
	return bcache_drop_clean_dev(NULL);
}

size_t bcache_drop_clean_dev(struct blkdev *dev)
{
	size_t kept = 0;
	mutex_lock(&cache_lock);
	for (struct buf *b = lru_head, *next; b; b = next) {
		next = b->lnext;
		if (dev && b->dev != dev)
			continue;
		if (b->dirty) {
			kept++;
			continue;
		}
		lru_remove(b);
		destroy(b);
	}
	mutex_unlock(&cache_lock);
	return kept;
}

void bcache_set_limit(size_t bytes)
{
	mutex_lock(&cache_lock);
	stats.limit = bytes;
	mutex_unlock(&cache_lock);
	make_room(0);
}

void bcache_get_stats(struct bcache_stats *out)
{
	mutex_lock(&cache_lock);
	*out = stats;
	out->reads = __atomic_load_n(&stats.reads, __ATOMIC_RELAXED);
	mutex_unlock(&cache_lock);
}
