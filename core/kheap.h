/*
 * core/kheap.h: the kernel heap: kmalloc, kzalloc, kfree.
 *
 * Two layers, like the frame allocator. core/kheap.c is the algorithm over an explicit struct
 * kheap that gets whole pages from a page source (two callbacks), so the host suite backs it
 * with aligned_alloc and runs it under ASan/UBSan; core/kheap_global.c is the kernel's one heap,
 * fed by alloc_npages() through phys_to_virt(), behind a spinlock.
 *
 * Requests up to KHEAP_MAX_CLASS bytes come from one-page slabs of a fixed size class; larger
 * ones get their own run of pages. Every pointer handed out is 16-byte aligned, and the page it
 * lies in starts with a header that says which of the two it is, so kfree needs no size.
 * Failure is NULL, never a panic (the caller turns it into -ENOMEM).
 */
#ifndef CORE_KHEAP_H
#define CORE_KHEAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/pmm.h" /* PAGE_SIZE */

#define KHEAP_ALIGN 16
#define KHEAP_NCLASSES 16
#define KHEAP_MAX_CLASS 2016 /* larger requests are page-backed directly */

/* Where the heap's pages come from. alloc returns n contiguous, PAGE_SIZE-aligned, writable
 * pages or NULL; free takes back exactly what one alloc returned, with the same n. */
struct kheap_source {
	void *(*alloc)(void *ctx, size_t npages);
	void (*free)(void *ctx, void *pages, size_t npages);
	void *ctx;
};

struct kheap_stats {
	size_t bytes_in_use;  /* usable size of every live object (class size, or large block) */
	size_t objects;       /* live objects */
	size_t slab_pages;    /* pages held as slabs, including empty_slabs */
	size_t large_pages;   /* pages held by live large blocks */
	size_t empty_slabs;   /* wholly free slabs kept for reuse (one per class at most) */
	uint64_t allocs, frees, failures; /* calls since init; failures returned NULL */
};

struct slab;

struct kheap {
	struct kheap_source src;
	struct slab *partial[KHEAP_NCLASSES]; /* slabs with both free and used objects */
	struct slab *empty[KHEAP_NCLASSES];   /* one wholly free slab per class, or NULL */
	struct kheap_stats st;
};

/* ---- The algorithm (pure; host-tested). None of these lock; the caller serialises. ---------- */

void kheap_init(struct kheap *h, const struct kheap_source *src);
/* size bytes (0 is treated as 1), 16-byte aligned; NULL if the page source is out of pages or
 * size is too large for it. */
void *kheap_alloc(struct kheap *h, size_t size);
/* Free what kheap_alloc returned; NULL is ignored. 0, or -EINVAL if ptr is not a live object
 * of this heap (double free, interior or foreign pointer), in which case nothing changes. */
int kheap_free(struct kheap *h, void *ptr);
/* Bytes usable at ptr (>= the size asked for), or 0 if ptr is not a live object. */
size_t kheap_usable_size(const struct kheap *h, const void *ptr);
/* Give every wholly free slab back to the page source; returns the number of pages given. */
size_t kheap_trim(struct kheap *h);
/* Pages currently taken from the page source (slabs, cached or not, plus large blocks). */
size_t kheap_pages_held(const struct kheap *h);
/* Check the slab lists and counters; 0 if consistent, else a negative code (for tests). */
int kheap_check(const struct kheap *h);

/* ---- The kernel's heap (core/kheap_global.c). Usable once pmm_boot_init has run; before that
 * every allocation fails cleanly. Any CPU, any context that may take a spinlock. ------------- */

void *kmalloc(size_t size);
/* kmalloc, then zero the size bytes asked for. */
void *kzalloc(size_t size);
/* Free a kmalloc'd pointer; NULL is ignored; a pointer kmalloc did not return panics. */
void kfree(void *ptr);
/* Return cached empty slabs to the frame allocator (for leak tests: after this, the heap holds
 * exactly the pages its live objects need). */
void kheap_release_free_pages(void);
/* A consistent snapshot of the kernel heap's counters. */
void kheap_get_stats(struct kheap_stats *out);

#endif
