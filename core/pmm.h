/*
 * core/pmm.h: the physical frame allocator (a binary buddy allocator with reference counts).
 *
 * Two layers. The algorithm (core/pmm.c) works on an explicit struct pmm and never touches the
 * frames it manages: all of its state lives in a per-frame metadata array (struct page) that
 * the caller supplies, so the host suite runs it over a fake physical range under ASan/UBSan.
 * The kernel's single instance, its lock and the boot-time bootstrap live in core/pmm_global.c
 * and are the functions in the second half of this header.
 *
 * Units: physical addresses are uint64_t, always page-aligned; an allocation of order k is 2^k
 * contiguous frames aligned to 2^k frames. Address 0 is never handed out (frame 0 is always
 * reserved), so 0 means "out of memory" and callers turn it into -ENOMEM; nothing here panics
 * in the pure layer.
 *
 * Every allocation has one reference count, kept on its first frame. alloc sets it to 1;
 * page_ref_get/put move it; the put that reaches 0 frees the whole allocation. free_pages is
 * the sole owner's release: it refuses (-EBUSY) while others hold references, and it refuses
 * (-EINVAL) anything that is not the start of a live allocation of exactly that size, which is
 * how double frees and wild frees are caught before they can corrupt the free lists.
 */
#ifndef CORE_PMM_H
#define CORE_PMM_H

#include <stddef.h>
#include <stdint.h>

#include "core/boot_info.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE 4096
#define PMM_MAX_ORDER 10   /* largest block: 2^10 frames = 4 MiB */
#define PMM_NORDERS (PMM_MAX_ORDER + 1)
#define PMM_MAX_SEGS 32    /* disjoint RAM ranges after merging (BOOT_MAX_RANGES) */
#define PMM_NIL UINT32_MAX /* end of a free list */

/* Metadata for one frame. 12 bytes; the array costs 0.3% of RAM. Which union member is live
 * depends on flags: PG_FREE heads use .free, PG_HEAD (allocation start) uses .alloc. */
struct page {
	union {
		struct {
			uint32_t next, prev; /* frame indices on free_list[order]; PMM_NIL ends */
		} free;
		struct {
			uint32_t npages;     /* length of the allocation this frame starts */
			uint32_t ref;        /* its reference count, >= 1 while live */
		} alloc;
	};
	uint8_t flags;  /* PG_* below */
	uint8_t order;  /* PG_FREE: order of the free block this frame heads */
	uint8_t seg;    /* index of the segment holding this frame */
	uint8_t unused;
};

/* A run of RAM with one struct page per frame: frames base_pfn .. base_pfn+count-1 are
 * described by pages[first .. first+count-1]. */
struct pmm_seg {
	uint64_t base_pfn;
	uint32_t first;
	uint32_t count;
};

struct pmm {
	struct page *pages;            /* NULL until pmm_init succeeds */
	uint32_t npages;               /* entries in pages[] */
	unsigned nseg;
	struct pmm_seg seg[PMM_MAX_SEGS]; /* sorted by base_pfn, disjoint, non-adjacent */
	uint32_t free_list[PMM_NORDERS];  /* first free block of each order, if its count > 0 */
	uint32_t nfree_blocks[PMM_NORDERS];
	uint64_t free_frames;          /* frames on the free lists */
	uint64_t total_frames;         /* frames the allocator may ever hand out */
};

/* ---- The algorithm (pure; host-tested). None of these lock; the caller serialises. ---------- */

/* Bytes of struct page metadata needed to describe the RAM in mem[] (after aligning each range
 * inward to pages and merging overlaps). 0 if there is no whole page of RAM. */
size_t pmm_meta_bytes(const struct phys_range *mem, unsigned nmem);

/* Find a page-aligned home of `bytes` for the metadata: inside mem[], outside every reserved
 * range and frame 0, ending at or below `limit` (the highest address the caller can reach).
 * 0 and *pa set, or -ENOMEM if no such hole exists. */
int pmm_meta_place(const struct phys_range *mem, unsigned nmem, const struct phys_range *res,
		   unsigned nres, size_t bytes, uint64_t limit, uint64_t *pa);

/* Cut every range at `limit` (dropping those wholly above it), in place; returns the new count.
 * Used while only the low `limit` bytes of RAM are mapped. */
unsigned pmm_clip(struct phys_range *r, unsigned n, uint64_t limit);

/* Take over mem[] minus res[] (reserved ranges may overlap mem partly, lie outside it, or
 * overlap each other; partial pages of RAM are dropped, partial pages of reserved ranges are
 * reserved whole). meta is the metadata array of meta_bytes >= pmm_meta_bytes(mem, nmem),
 * suitably aligned for struct page. 0, or -EINVAL (too many ranges, too little metadata). */
int pmm_init(struct pmm *p, const struct phys_range *mem, unsigned nmem,
	     const struct phys_range *res, unsigned nres, void *meta, size_t meta_bytes);

/* 2^order contiguous frames aligned to 2^order frames, refcount 1; 0 if none. */
uint64_t pmm_alloc(struct pmm *p, unsigned order);
/* n contiguous frames (1 <= n <= 2^PMM_MAX_ORDER), aligned to the next power of two >= n; the
 * rounding excess goes straight back to the free lists. 0 if none. */
uint64_t pmm_alloc_n(struct pmm *p, size_t n);
/* Release an allocation made by pmm_alloc(order) / pmm_alloc_n(n). 0; -EINVAL if pa is not the
 * start of a live allocation of exactly that size (double free, wild pointer, reserved frame);
 * -EBUSY if other references remain. Nothing changes on error. */
int pmm_free(struct pmm *p, uint64_t pa, unsigned order);
int pmm_free_n(struct pmm *p, uint64_t pa, size_t n);

/* Take another reference to the allocation starting at pa: the new count, or -EINVAL (not a
 * live allocation start) / -ERANGE (count would overflow). */
long pmm_ref_get(struct pmm *p, uint64_t pa);
/* Drop one reference: the remaining count (0: the allocation was freed), or -EINVAL. */
long pmm_ref_put(struct pmm *p, uint64_t pa);
/* Current count of the allocation starting at pa (1: the caller is the last owner), or -EINVAL. */
long pmm_ref_count(const struct pmm *p, uint64_t pa);

uint64_t pmm_nr_free(const struct pmm *p);
uint64_t pmm_nr_total(const struct pmm *p);

/* Walk every frame and free list and check the invariants listed in core/pmm.c. 0 if they
 * hold, else a negative number naming the first broken one (for tests and debugging). */
int pmm_check(const struct pmm *p);

/* ---- The kernel's allocator (core/pmm_global.c): one instance behind a spinlock. ------------
 * Lock order: the heap lock (core/kheap_global.c) may be held when these take the pmm lock;
 * the pmm lock is a leaf. Allocation failure returns 0, never panics. Misuse (double free,
 * freeing a frame that was never allocated) panics, naming the address. */

/* Boot: hand RAM from bi->mem minus bi->reserved and the kernel image (and minus the
 * metadata array, which this places in RAM below `limit`) to the allocator. Frames above
 * `limit` are not managed: pass the top of what phys_to_virt() reaches. Panics if the
 * metadata does not fit. Call once, on the boot CPU, before any allocation. */
void pmm_boot_init(const struct boot_info *bi, uint64_t limit);

uint64_t alloc_pages(unsigned order);
void free_pages(uint64_t pa, unsigned order);
uint64_t alloc_npages(size_t n);
void free_npages(uint64_t pa, size_t n);
static inline uint64_t alloc_page(void)
{
	return alloc_pages(0);
}
static inline void free_page(uint64_t pa)
{
	free_pages(pa, 0);
}

/* Copy-on-write and other sharing: get returns the new count; put returns the remaining count
 * and frees the allocation at 0; count == 1 means the caller may write in place. */
unsigned long page_ref_get(uint64_t pa);
unsigned long page_ref_put(uint64_t pa);
unsigned long page_ref_count(uint64_t pa);

uint64_t pmm_free_frames(void);
uint64_t pmm_total_frames(void);

#endif
