/*
 * core/pmm.c: a binary buddy allocator over per-frame metadata.
 *
 * RAM arrives as up to PMM_MAX_SEGS ranges. Each is trimmed inward to whole pages, overlapping
 * or touching ranges are merged, and the result is a sorted list of segments; every frame of a
 * segment has one struct page, all segments sharing one array, so a frame is named by its index
 * in that array (32 bits, which keeps struct page at 12 bytes) and found from its address by a
 * binary search over the segments.
 *
 * Each frame is in exactly one of five states, told apart by its flags:
 *   PG_RESERVED   never handed out (reserved ranges, frame 0, the metadata itself);
 *   PG_FREE       first frame of a free block of 2^order frames, linked on free_list[order];
 *   0             any other frame of a free block;
 *   PG_HEAD       first frame of a live allocation: its length and reference count;
 *   PG_TAIL       any other frame of a live allocation.
 * Invariants (pmm_check verifies them all): a free block of order k starts at a physical frame
 * number that is a multiple of 2^k and lies inside one segment; no two free buddies of the
 * same order coexist (freeing merges eagerly, so memory returns to the largest blocks it can);
 * free_frames is the sum of the free blocks' sizes; nfree_blocks[k] is the length of list k,
 * and a list is empty exactly when its count is 0 (which makes a zeroed struct pmm a valid,
 * empty allocator, so the kernel's allocator fails cleanly if used before pmm_boot_init).
 *
 * Buddies are computed on physical frame numbers, not array indices, so an order-k block is
 * physically aligned to 2^k pages; a segment need not start aligned, and a buddy outside the
 * segment simply never merges. Allocations of any length n are an order-ceil(log2 n) block
 * whose excess tail is freed at once; freeing any run of frames splits it into the largest
 * aligned blocks that fit, then merges each with its buddies.
 *
 * Nothing here writes to the managed frames or allocates: the caller provides the metadata
 * array and serialises the calls.
 */
#include "core/pmm.h"

#include <stdbool.h>

#include "core/errno.h"
#include "core/string.h"

enum { PG_RESERVED = 1, PG_FREE = 2, PG_HEAD = 4, PG_TAIL = 8 };

_Static_assert(sizeof(struct page) == 12, "struct page is 0.3% of RAM; keep it small");

/* A run of physical frames [lo, hi). */
struct pfn_range {
	uint64_t lo, hi;
};

/* ---- Ranges ------------------------------------------------------------------------------- */

static uint64_t range_end(const struct phys_range *r)
{
	uint64_t end = r->base + r->size;
	return end < r->base ? UINT64_MAX : end; /* saturate rather than wrap */
}

/* Whole pages of mem[], sorted and merged, into out[]; the count, or -1 if there are too many
 * ranges to describe. */
static int normalize(const struct phys_range *mem, unsigned nmem, struct pfn_range *out)
{
	int n = 0;
	if (nmem > PMM_MAX_SEGS)
		return -1;
	for (unsigned i = 0; i < nmem; i++) {
		uint64_t lo = mem[i].base / PAGE_SIZE + (mem[i].base % PAGE_SIZE != 0);
		uint64_t hi = range_end(&mem[i]) / PAGE_SIZE;
		if (lo >= hi)
			continue;
		int j = n++;
		for (; j > 0 && out[j - 1].lo > lo; j--) /* insertion sort: at most 32 entries */
			out[j] = out[j - 1];
		out[j] = (struct pfn_range){lo, hi};
	}
	int m = 0;
	for (int i = 0; i < n; i++) {
		if (m > 0 && out[i].lo <= out[m - 1].hi) {
			if (out[i].hi > out[m - 1].hi)
				out[m - 1].hi = out[i].hi;
		} else {
			out[m++] = out[i];
		}
	}
	return m;
}

/* The frames a reserved range touches, rounded outward. */
static struct pfn_range reserved_frames(const struct phys_range *r)
{
	uint64_t end = range_end(r);
	return (struct pfn_range){r->base / PAGE_SIZE, end / PAGE_SIZE + (end % PAGE_SIZE != 0)};
}

size_t pmm_meta_bytes(const struct phys_range *mem, unsigned nmem)
{
	struct pfn_range r[PMM_MAX_SEGS];
	int n = normalize(mem, nmem, r);
	uint64_t frames = 0;
	for (int i = 0; i < n; i++)
		frames += r[i].hi - r[i].lo;
	return (size_t)frames * sizeof(struct page);
}

unsigned pmm_clip(struct phys_range *r, unsigned n, uint64_t limit)
{
	unsigned m = 0;
	for (unsigned i = 0; i < n; i++) {
		if (r[i].base >= limit || r[i].size == 0)
			continue;
		r[m] = r[i];
		if (range_end(&r[m]) > limit)
			r[m].size = limit - r[m].base;
		m++;
	}
	return m;
}

/* The reserved range overlapping frames [lo, lo+n), if any: its first frame in *rlo. */
static bool hits_reserved(const struct phys_range *res, unsigned nres, uint64_t lo, uint64_t n,
			  uint64_t *rlo)
{
	for (unsigned i = 0; i < nres; i++) {
		struct pfn_range r = reserved_frames(&res[i]);
		if (r.lo < lo + n && lo < r.hi) {
			*rlo = r.lo;
			return true;
		}
	}
	return false;
}

/* Searches from the top of RAM down: low memory is scarcer (firmware, the x86 SMP trampoline,
 * legacy DMA), and the top of a range is rarely where a loader put anything. */
int pmm_meta_place(const struct phys_range *mem, unsigned nmem, const struct phys_range *res,
		   unsigned nres, size_t bytes, uint64_t limit, uint64_t *pa)
{
	struct pfn_range r[PMM_MAX_SEGS];
	int n = normalize(mem, nmem, r);
	uint64_t need = bytes / PAGE_SIZE + (bytes % PAGE_SIZE != 0), top = limit / PAGE_SIZE;
	if (need == 0)
		return -ENOMEM;
	for (int i = n - 1; i >= 0; i--) {
		uint64_t lo = r[i].lo ? r[i].lo : 1, hi = r[i].hi < top ? r[i].hi : top, rlo;
		while (hi >= lo && hi - lo >= need) {
			uint64_t cand = hi - need;
			if (!hits_reserved(res, nres, cand, need, &rlo)) {
				*pa = cand * PAGE_SIZE;
				return 0;
			}
			hi = rlo; /* try again just below the range that was in the way */
		}
	}
	return -ENOMEM;
}

/* ---- Frames and free lists ------------------------------------------------------------------ */

static uint64_t pfn_of(const struct pmm *p, uint32_t idx)
{
	const struct pmm_seg *s = &p->seg[p->pages[idx].seg];
	return s->base_pfn + (idx - s->first);
}

/* The array index of the frame at pa, or -1 if pa is unaligned or not RAM we manage. */
static long index_of(const struct pmm *p, uint64_t pa)
{
	uint64_t pfn = pa / PAGE_SIZE;
	unsigned lo = 0, hi = p->nseg;
	if (pa % PAGE_SIZE)
		return -1;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		const struct pmm_seg *s = &p->seg[mid];
		if (pfn < s->base_pfn)
			hi = mid;
		else if (pfn - s->base_pfn >= s->count)
			lo = mid + 1;
		else
			return (long)(s->first + (pfn - s->base_pfn));
	}
	return -1;
}

static void list_push(struct pmm *p, uint32_t idx, unsigned order)
{
	struct page *pg = &p->pages[idx];
	pg->flags = PG_FREE;
	pg->order = (uint8_t)order;
	pg->free.prev = PMM_NIL;
	pg->free.next = p->nfree_blocks[order] ? p->free_list[order] : PMM_NIL;
	if (pg->free.next != PMM_NIL)
		p->pages[pg->free.next].free.prev = idx;
	p->free_list[order] = idx;
	p->nfree_blocks[order]++;
}

static void list_remove(struct pmm *p, uint32_t idx)
{
	struct page *pg = &p->pages[idx];
	if (pg->free.prev != PMM_NIL)
		p->pages[pg->free.prev].free.next = pg->free.next;
	else
		p->free_list[pg->order] = pg->free.next;
	if (pg->free.next != PMM_NIL)
		p->pages[pg->free.next].free.prev = pg->free.prev;
	p->nfree_blocks[pg->order]--;
	pg->flags = 0;
}

/* Free the order-k block starting at idx, merging it with free buddies as far as possible. */
static void free_block(struct pmm *p, uint32_t idx, unsigned k)
{
	const struct pmm_seg *s = &p->seg[p->pages[idx].seg];
	uint64_t pfn = pfn_of(p, idx);

	p->free_frames += 1ull << k;
	for (; k < PMM_MAX_ORDER; k++) {
		uint64_t buddy = pfn ^ (1ull << k);
		if (buddy < s->base_pfn || buddy - s->base_pfn >= s->count)
			break;
		uint32_t b = s->first + (uint32_t)(buddy - s->base_pfn);
		if (!(p->pages[b].flags & PG_FREE) || p->pages[b].order != k)
			break;
		list_remove(p, b);
		if (buddy < pfn) {
			pfn = buddy;
			idx = b;
		}
	}
	list_push(p, idx, k);
}

/* Free n frames from idx on (all in one segment, flags already cleared) as the largest
 * naturally aligned blocks that fit. */
static void free_run(struct pmm *p, uint32_t idx, uint64_t n)
{
	uint64_t pfn = pfn_of(p, idx);
	while (n) {
		unsigned k = 0;
		while (k < PMM_MAX_ORDER && !(pfn & (1ull << k)) && (2ull << k) <= n)
			k++;
		free_block(p, idx, k);
		idx += 1u << k;
		pfn += 1ull << k;
		n -= 1ull << k;
	}
}

/* Take a free block of exactly 2^order frames, splitting a larger one if need be; its
 * frames come back with flags 0. PMM_NIL if nothing large enough is free. */
static uint32_t take_block(struct pmm *p, unsigned order)
{
	unsigned k = order;
	while (k <= PMM_MAX_ORDER && p->nfree_blocks[k] == 0)
		k++;
	if (k > PMM_MAX_ORDER)
		return PMM_NIL;
	uint32_t idx = p->free_list[k];
	list_remove(p, idx);
	while (k > order) { /* keep the low half, free the high half */
		k--;
		list_push(p, idx + (1u << k), k);
	}
	p->free_frames -= 1ull << order;
	return idx;
}

/* ---- Setup ---------------------------------------------------------------------------------- */

/* Give one segment's frames to the free lists, except those any reserved range touches. */
static void init_seg(struct pmm *p, unsigned si, const struct phys_range *res, unsigned nres)
{
	const struct pmm_seg *s = &p->seg[si];
	struct page *pages = &p->pages[s->first];
	uint64_t end = s->base_pfn + s->count;

	memset(pages, 0, s->count * sizeof(*pages));
	for (uint32_t i = 0; i < s->count; i++)
		pages[i].seg = (uint8_t)si;
	for (unsigned r = 0; r <= nres; r++) {
		/* Frame 0 is always reserved: address 0 is how allocation failure is returned. */
		struct pfn_range f = r < nres ? reserved_frames(&res[r]) : (struct pfn_range){0, 1};
		uint64_t lo = f.lo > s->base_pfn ? f.lo : s->base_pfn, hi = f.hi < end ? f.hi : end;
		for (uint64_t pfn = lo; pfn < hi; pfn++)
			pages[pfn - s->base_pfn].flags = PG_RESERVED;
	}
	for (uint32_t i = 0; i < s->count;) {
		uint32_t j = i;
		while (j < s->count && pages[j].flags == 0)
			j++;
		if (j > i) {
			free_run(p, s->first + i, j - i);
			p->total_frames += j - i;
		}
		i = j + (j < s->count);
	}
}

int pmm_init(struct pmm *p, const struct phys_range *mem, unsigned nmem,
	     const struct phys_range *res, unsigned nres, void *meta, size_t meta_bytes)
{
	struct pfn_range r[PMM_MAX_SEGS];
	int n = normalize(mem, nmem, r);
	uint64_t frames = 0;

	if (n < 0)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		frames += r[i].hi - r[i].lo;
	if (frames >= PMM_NIL || frames * sizeof(struct page) > meta_bytes || (frames && !meta))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->pages = meta;
	p->npages = (uint32_t)frames;
	p->nseg = (unsigned)n;
	uint32_t first = 0;
	for (int i = 0; i < n; i++) {
		p->seg[i] = (struct pmm_seg){r[i].lo, first, (uint32_t)(r[i].hi - r[i].lo)};
		first += p->seg[i].count;
	}
	for (unsigned i = 0; i < p->nseg; i++)
		init_seg(p, i, res, nres);
	return 0;
}

/* ---- Allocation and release --------------------------------------------------------------- */

uint64_t pmm_alloc_n(struct pmm *p, size_t n)
{
	unsigned order = 0;
	if (n == 0 || n > (1u << PMM_MAX_ORDER))
		return 0;
	while ((1ull << order) < n)
		order++;
	uint32_t idx = take_block(p, order);
	if (idx == PMM_NIL)
		return 0;
	struct page *pg = &p->pages[idx];
	pg->flags = PG_HEAD;
	pg->alloc.npages = (uint32_t)n;
	pg->alloc.ref = 1;
	for (uint32_t i = 1; i < n; i++)
		pg[i].flags = PG_TAIL;
	if ((1ull << order) > n)
		free_run(p, idx + (uint32_t)n, (1ull << order) - n);
	return pfn_of(p, idx) * PAGE_SIZE;
}

uint64_t pmm_alloc(struct pmm *p, unsigned order)
{
	if (order > PMM_MAX_ORDER)
		return 0;
	return pmm_alloc_n(p, (size_t)1 << order);
}

/* The index of the live allocation starting at pa, or -1. */
static long alloc_at(const struct pmm *p, uint64_t pa)
{
	long i = index_of(p, pa);
	if (i < 0 || !(p->pages[i].flags & PG_HEAD))
		return -1;
	return i;
}

/* Return a whole allocation (its count has reached zero) to the free lists. */
static void release(struct pmm *p, uint32_t idx)
{
	uint32_t n = p->pages[idx].alloc.npages;
	for (uint32_t i = 0; i < n; i++)
		p->pages[idx + i].flags = 0;
	free_run(p, idx, n);
}

int pmm_free_n(struct pmm *p, uint64_t pa, size_t n)
{
	long i = alloc_at(p, pa);
	if (i < 0 || p->pages[i].alloc.npages != n)
		return -EINVAL;
	if (p->pages[i].alloc.ref != 1)
		return -EBUSY;
	release(p, (uint32_t)i);
	return 0;
}

int pmm_free(struct pmm *p, uint64_t pa, unsigned order)
{
	if (order > PMM_MAX_ORDER)
		return -EINVAL;
	return pmm_free_n(p, pa, (size_t)1 << order);
}

long pmm_ref_get(struct pmm *p, uint64_t pa)
{
	long i = alloc_at(p, pa);
	if (i < 0)
		return -EINVAL;
	if (p->pages[i].alloc.ref == UINT32_MAX)
		return -ERANGE;
	return ++p->pages[i].alloc.ref;
}

long pmm_ref_put(struct pmm *p, uint64_t pa)
{
	long i = alloc_at(p, pa);
	if (i < 0)
		return -EINVAL;
	uint32_t left = --p->pages[i].alloc.ref;
	if (left == 0)
		release(p, (uint32_t)i);
	return left;
}

long pmm_ref_count(const struct pmm *p, uint64_t pa)
{
	long i = alloc_at(p, pa);
	return i < 0 ? -EINVAL : (long)p->pages[i].alloc.ref;
}

uint64_t pmm_nr_free(const struct pmm *p)
{
	return p->free_frames;
}

uint64_t pmm_nr_total(const struct pmm *p)
{
	return p->total_frames;
}

/* ---- Consistency check ---------------------------------------------------------------------- */

/* One free block at index i of segment s: aligned, inside, interior clear, buddy not free. */
static int check_free_block(const struct pmm *p, const struct pmm_seg *s, uint32_t i)
{
	const struct page *pg = &p->pages[s->first + i];
	uint64_t pfn = s->base_pfn + i, len = 1ull << pg->order;
	if (pg->order > PMM_MAX_ORDER || pfn % len || i + len > s->count)
		return -2;
	for (uint32_t j = 1; j < len; j++)
		if (pg[j].flags != 0)
			return -3;
	uint64_t buddy = pfn ^ len;
	if (pg->order < PMM_MAX_ORDER && buddy >= s->base_pfn && buddy - s->base_pfn < s->count) {
		const struct page *b = &p->pages[s->first + (buddy - s->base_pfn)];
		if ((b->flags & PG_FREE) && b->order == pg->order)
			return -4; /* two free buddies that should have merged */
	}
	return 0;
}

/* Walk a segment frame by frame; add its free frames to *nfree. */
static int check_seg(const struct pmm *p, unsigned si, uint64_t *nfree)
{
	const struct pmm_seg *s = &p->seg[si];
	for (uint32_t i = 0; i < s->count;) {
		const struct page *pg = &p->pages[s->first + i];
		uint64_t len = 1;
		if (pg->seg != si)
			return -1;
		if (pg->flags == PG_FREE) {
			int e = check_free_block(p, s, i);
			if (e)
				return e;
			len = 1ull << pg->order;
			*nfree += len;
		} else if (pg->flags == PG_HEAD) {
			len = pg->alloc.npages;
			if (len == 0 || pg->alloc.ref == 0 || i + len > s->count)
				return -5;
			for (uint32_t j = 1; j < len; j++)
				if (pg[j].flags != PG_TAIL)
					return -6;
		} else if (pg->flags != PG_RESERVED) {
			return -7; /* a frame that belongs to no block */
		}
		i += (uint32_t)len;
	}
	return 0;
}

/* Each list: well linked, every member a free head of that order, length as counted. */
static int check_lists(const struct pmm *p)
{
	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++) {
		uint32_t prev = PMM_NIL, idx = p->nfree_blocks[k] ? p->free_list[k] : PMM_NIL;
		uint32_t seen = 0;
		for (; idx != PMM_NIL; prev = idx, idx = p->pages[idx].free.next) {
			if (idx >= p->npages || ++seen > p->nfree_blocks[k])
				return -8;
			const struct page *pg = &p->pages[idx];
			if (pg->flags != PG_FREE || pg->order != k || pg->free.prev != prev)
				return -9;
		}
		if (seen != p->nfree_blocks[k])
			return -10;
	}
	return 0;
}

int pmm_check(const struct pmm *p)
{
	uint64_t nfree = 0;
	for (unsigned i = 0; i < p->nseg; i++) {
		int e = check_seg(p, i, &nfree);
		if (e)
			return e;
	}
	if (nfree != p->free_frames || nfree > p->total_frames)
		return -11;
	return check_lists(p);
}
