/*
 * core/bcache.h: the block cache: reference-counted, write-back buffers of whole blocks.
 *
 * A struct buf holds one block (blocksize bytes, a multiple of 512) of one device. At most
 * one buffer exists per (device, block number); users share it:
 *
 *   struct buf *b = bread(dev, blockno, 1024);   // a reference; NULL on I/O error / no memory
 *   ... read or change b->data ...
 *   bdirty(b);                                    // after changing it: written back later
 *   brelse(b);                                    // drop the reference
 *
 * Buffers with no reference stay cached on an LRU list. The cache holds a bounded number of
 * bytes (bcache_set_limit); past that, the least recently used unreferenced buffer is evicted,
 * written back first if dirty. Dirty data reaches the device when evicted, at bsync(dev) (the
 * file system's sync, unmount and power-off), never on its own timer.
 *
 * Concurrency: a cache-wide mutex guards the index, the LRU, reference counts and the dirty
 * flags; it is never held across I/O. Each buffer has its own mutex, held while its data is
 * read from or written to the device, so two users never see a half-read buffer and a buffer
 * is never written twice at once. Data itself is not locked: users that change a buffer
 * serialise among themselves (the file system's locks); a buffer changed while being written
 * back stays dirty, because bdirty after the change sets the flag the writer cleared before
 * starting. No spinlock is involved anywhere, so I/O completions are never blocked.
 *
 * Errors: a buffer whose write-back fails stays dirty (bsync reports the error) unless it is
 * evicted, in which case the failure is counted, printed and the data dropped, so a dead
 * device can never wedge the cache.
 */
#ifndef CORE_BCACHE_H
#define CORE_BCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sync.h"

struct blkdev;

struct buf {
	struct blkdev *dev;
	uint64_t blockno;        /* in units of size */
	uint32_t size;           /* bytes */
	uint8_t *data;           /* size bytes, valid while referenced */
	/* Private to core/bcache.c. */
	int refs;                /* cache lock */
	bool valid;              /* data matches the device or is newer; set under the buffer
	                          * lock (release), never cleared; bread reads it without */
	bool dirty;              /* cache lock */
	struct mutex lock;       /* held during I/O on this buffer */
	struct buf *hnext;       /* hash chain */
	struct buf *lprev, *lnext; /* LRU list of unreferenced buffers (refs == 0) */
};

struct bcache_stats {
	uint64_t hits, misses;   /* lookups that found / did not find the block cached */
	uint64_t reads, writes;  /* blocks transferred to / from the device */
	uint64_t evictions;      /* buffers dropped to make room */
	uint64_t write_errors;   /* failed write-backs */
	size_t buffers, bytes, dirty, limit;
};

/* The block's buffer with its data read from the device: a reference, or NULL on I/O error
 * (including a block past the end of the device), a bad size or no memory. */
struct buf *bread(struct blkdev *dev, uint64_t blockno, uint32_t size);
/* The block's buffer without reading it, filled with zeros, valid and dirty: for a block the
 * caller has just allocated and will overwrite. NULL if out of memory or a bad size. */
struct buf *bzero_get(struct blkdev *dev, uint64_t blockno, uint32_t size);
/* Mark the buffer (a held reference) changed; it will be written back. */
void bdirty(struct buf *b);
/* Drop a reference (NULL is ignored). */
void brelse(struct buf *b);
/* Write b back now if dirty (a held reference). 0 or -errno. */
int bwrite(struct buf *b);

/* Write back every dirty buffer of dev (NULL: of every device) in block order, then flush
 * the device's write cache. 0 or the first error. */
int bsync(struct blkdev *dev);
/* The block is no longer in use (freed by the file system): drop its buffer without writing
 * it back, if nobody holds it. */
void bforget(struct blkdev *dev, uint64_t blockno, uint32_t size);
/* Drop every unreferenced buffer of dev (dirty data discarded: bsync first). Returns the
 * number of buffers still referenced, which stay (0 when the caller released everything). */
size_t bcache_invalidate(struct blkdev *dev);
/* Drop every unreferenced clean buffer of every device, so the frames the cache holds are
 * only those of buffers in use or dirty (the kernel's leak check around init, core/main.c).
 * Returns the number of unreferenced dirty buffers kept. */
size_t bcache_drop_clean(void);
/* The same for one device's buffers (posix_fadvise's POSIX_FADV_DONTNEED). */
size_t bcache_drop_clean_dev(struct blkdev *dev);

/* Bytes of buffers the cache keeps before evicting (default BCACHE_DEFAULT_LIMIT). Buffers
 * in use are never evicted, so the cache may exceed the limit while they are held. */
#define BCACHE_DEFAULT_LIMIT (8u << 20)
void bcache_set_limit(size_t bytes);
void bcache_get_stats(struct bcache_stats *out);

#endif
