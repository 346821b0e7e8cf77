/*
 * core/kheap.c: size-class slabs for small objects, page runs for large ones.
 *
 * Small requests (<= KHEAP_MAX_CLASS) are rounded up to one of sixteen classes and served from
 * slabs: one page each, a 64-byte header at the page start, objects packed after it. Above 256
 * bytes the classes are chosen as (4096 - 64) / k rounded down to 16, so a slab of 336, 448,
 * 576, 672, 1008, 1344 or 2016 bytes wastes nothing; powers of two would waste up to half a
 * page at the top. Which objects are taken is a 256-bit map in the header, not a free list
 * threaded through the objects, so a free object is never written, a double free is a clear
 * bit, and a pointer into the middle of an object is caught.
 *
 * Larger requests get ceil((size + 16) / 4096) pages of their own with a 16-byte header in
 * front. Both headers start with a magic word at a page boundary, so kfree(ptr) rounds ptr
 * down to its page and reads what kind of block it is: no size argument, no lookup table.
 *
 * Slab lists, per class: `partial` holds slabs with both free and used objects (allocation
 * takes from its head); full slabs are on no list (found again through their header when an
 * object is freed); a slab whose last object is freed becomes the class's one cached `empty`
 * slab, or goes straight back to the page source if that slot is taken. The cache keeps a
 * class that repeatedly allocates and frees one object from taking and returning a page each
 * time; kheap_trim (and a failed page request, before giving up) empties it, so after a
 * workload frees everything and trims, the heap holds no pages at all.
 *
 * Accounting (struct kheap_stats) is updated on every path, so tests can assert that a workload
 * returned every byte and every page. Under the host suite's ASan, free slab objects are
 * poisoned, so a test that touches freed heap memory, or runs off the end of a slab object into
 * a free neighbour, fails loudly.
 */
#include "core/kheap.h"

#include <stdbool.h>

#include "core/errno.h"
#include "core/string.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#endif
#endif
#ifndef POISON
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define SLAB_MAGIC 0x51ab51abu
#define LARGE_MAGIC 0x1a26eb1du
#define SLAB_HDR 64
#define LARGE_HDR 16
#define SLAB_WORDS 4 /* 256 bits: the 16-byte class has (4096 - 64) / 16 = 252 objects */

struct slab {
	uint32_t magic;
	uint16_t cls;
	uint16_t inuse;
	struct slab *next, *prev; /* on h->partial[cls] while 0 < inuse < capacity */
	uint64_t used[SLAB_WORDS]; /* bit i: object i is allocated */
};

struct large {
	uint32_t magic;
	uint32_t unused;
	uint64_t npages;
};

_Static_assert(sizeof(struct slab) <= SLAB_HDR, "slab header outgrew its slot");
_Static_assert(sizeof(struct large) == LARGE_HDR, "large header must keep 16-byte alignment");
_Static_assert(SLAB_HDR % KHEAP_ALIGN == 0 && LARGE_HDR % KHEAP_ALIGN == 0, "alignment");

static const uint16_t class_size[KHEAP_NCLASSES] = {
	16, 32, 48, 64, 96, 128, 192, 256, 336, 448, 576, 672, 800, 1008, 1344, KHEAP_MAX_CLASS,
};

static unsigned capacity(unsigned cls)
{
	return (PAGE_SIZE - SLAB_HDR) / class_size[cls];
}

static void *obj_at(struct slab *s, unsigned i)
{
	return (char *)s + SLAB_HDR + (size_t)i * class_size[s->cls];
}

/* The header of the page ptr lies in. */
static void *page_of(const void *ptr)
{
	return (void *)((uintptr_t)ptr & ~(uintptr_t)(PAGE_SIZE - 1));
}

/* The smallest class that holds size bytes, or -1 if size needs a large block. */
static int class_of(size_t size)
{
	for (int c = 0; c < KHEAP_NCLASSES; c++)
		if (size <= class_size[c])
			return c;
	return -1;
}

void kheap_init(struct kheap *h, const struct kheap_source *src)
{
	memset(h, 0, sizeof(*h));
	h->src = *src;
}

/* ---- Pages and slab lists ------------------------------------------------------------------- */

static size_t trim(struct kheap *h);

/* Pages from the source; when it is dry, give back our own cached slabs and ask once more. */
static void *source_alloc(struct kheap *h, size_t n)
{
	void *p = h->src.alloc(h->src.ctx, n);
	if (!p && trim(h) > 0)
		p = h->src.alloc(h->src.ctx, n);
	return p;
}

static void list_push(struct slab **head, struct slab *s)
{
	s->prev = NULL;
	s->next = *head;
	if (*head)
		(*head)->prev = s;
	*head = s;
}

static void list_remove(struct slab **head, struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		*head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static struct slab *slab_new(struct kheap *h, unsigned cls)
{
	struct slab *s = source_alloc(h, 1);
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->magic = SLAB_MAGIC;
	s->cls = (uint16_t)cls;
	POISON((char *)s + SLAB_HDR, PAGE_SIZE - SLAB_HDR);
	h->st.slab_pages++;
	return s;
}

static void slab_release(struct kheap *h, struct slab *s)
{
	s->magic = 0; /* a stale pointer into this page must not look like a slab any more */
	UNPOISON((char *)s + SLAB_HDR, PAGE_SIZE - SLAB_HDR);
	h->src.free(h->src.ctx, s, 1);
	h->st.slab_pages--;
}

static size_t trim(struct kheap *h)
{
	size_t n = 0;
	for (unsigned c = 0; c < KHEAP_NCLASSES; c++) {
		if (h->empty[c]) {
			slab_release(h, h->empty[c]);
			h->empty[c] = NULL;
			h->st.empty_slabs--;
			n++;
		}
	}
	return n;
}

size_t kheap_trim(struct kheap *h)
{
	return trim(h);
}

/* ---- Small objects -------------------------------------------------------------------------- */

/* A slab of class cls with a free object, on the partial list; NULL if no page is to be had. */
static struct slab *slab_with_room(struct kheap *h, unsigned cls)
{
	struct slab *s = h->partial[cls];
	if (s)
		return s;
	s = h->empty[cls];
	if (s) {
		h->empty[cls] = NULL;
		h->st.empty_slabs--;
	} else if (!(s = slab_new(h, cls))) {
		return NULL;
	}
	list_push(&h->partial[cls], s);
	return s;
}

static void *alloc_small(struct kheap *h, unsigned cls)
{
	struct slab *s = slab_with_room(h, cls);
	if (!s)
		return NULL;
	unsigned w = 0;
	while (s->used[w] == ~0ull) /* a partial slab has a clear bit below its capacity */
		w++;
	unsigned i = w * 64 + (unsigned)__builtin_ctzll(~s->used[w]);
	s->used[w] |= 1ull << (i % 64);
	if (++s->inuse == capacity(cls))
		list_remove(&h->partial[cls], s);
	h->st.bytes_in_use += class_size[cls];
	void *obj = obj_at(s, i);
	UNPOISON(obj, class_size[cls]);
	return obj;
}

/* The index of the live object at ptr in slab s, or -1. */
static int slab_index(const struct slab *s, const void *ptr)
{
	if (s->cls >= KHEAP_NCLASSES)
		return -1;
	size_t off = (size_t)((const char *)ptr - (const char *)s), sz = class_size[s->cls];
	if (off < SLAB_HDR || (off - SLAB_HDR) % sz)
		return -1;
	size_t i = (off - SLAB_HDR) / sz;
	if (i >= capacity(s->cls) || !(s->used[i / 64] & (1ull << (i % 64))))
		return -1;
	return (int)i;
}

static int free_small(struct kheap *h, struct slab *s, void *ptr)
{
	int i = slab_index(s, ptr);
	if (i < 0)
		return -EINVAL;
	unsigned cls = s->cls;
	s->used[i / 64] &= ~(1ull << (i % 64));
	POISON(ptr, class_size[cls]);
	h->st.bytes_in_use -= class_size[cls];
	if (s->inuse-- == capacity(cls)) /* it was full, so on no list */
		list_push(&h->partial[cls], s);
	if (s->inuse > 0)
		return 0;
	list_remove(&h->partial[cls], s);
	if (h->empty[cls]) {
		slab_release(h, s);
	} else {
		h->empty[cls] = s;
		h->st.empty_slabs++;
	}
	return 0;
}

/* ---- Large blocks --------------------------------------------------------------------------- */

static void *alloc_large(struct kheap *h, size_t size)
{
	if (size > SIZE_MAX - LARGE_HDR - PAGE_SIZE)
		return NULL;
	size_t n = (size + LARGE_HDR + PAGE_SIZE - 1) / PAGE_SIZE;
	struct large *l = source_alloc(h, n);
	if (!l)
		return NULL;
	l->magic = LARGE_MAGIC;
	l->npages = n;
	UNPOISON((char *)l + LARGE_HDR, n * PAGE_SIZE - LARGE_HDR); /* all of it is usable */
	h->st.large_pages += n;
	h->st.bytes_in_use += n * PAGE_SIZE - LARGE_HDR;
	return (char *)l + LARGE_HDR;
}

static int free_large(struct kheap *h, struct large *l, void *ptr)
{
	if (ptr != (char *)l + LARGE_HDR)
		return -EINVAL;
	size_t n = (size_t)l->npages;
	l->magic = 0;
	h->st.large_pages -= n;
	h->st.bytes_in_use -= n * PAGE_SIZE - LARGE_HDR;
	h->src.free(h->src.ctx, l, n);
	return 0;
}

/* ---- The interface -------------------------------------------------------------------------- */

void *kheap_alloc(struct kheap *h, size_t size)
{
	int cls = class_of(size ? size : 1);
	void *p = cls >= 0 ? alloc_small(h, (unsigned)cls) : alloc_large(h, size);
	h->st.allocs++;
	if (!p) {
		h->st.failures++;
		return NULL;
	}
	h->st.objects++;
	return p;
}

int kheap_free(struct kheap *h, void *ptr)
{
	if (!ptr)
		return 0;
	if ((uintptr_t)ptr % KHEAP_ALIGN)
		return -EINVAL;
	void *page = page_of(ptr);
	uint32_t magic = *(const uint32_t *)page;
	int err = magic == SLAB_MAGIC    ? free_small(h, page, ptr)
		  : magic == LARGE_MAGIC ? free_large(h, page, ptr)
					 : -EINVAL;
	if (err)
		return err;
	h->st.frees++;
	h->st.objects--;
	return 0;
}

size_t kheap_usable_size(const struct kheap *h, const void *ptr)
{
	if (!ptr || (uintptr_t)ptr % KHEAP_ALIGN)
		return 0;
	const void *page = page_of(ptr);
	uint32_t magic = *(const uint32_t *)page;
	if (magic == SLAB_MAGIC) {
		const struct slab *s = page;
		return slab_index(s, ptr) < 0 ? 0 : class_size[s->cls];
	}
	if (magic == LARGE_MAGIC && ptr == (const char *)page + LARGE_HDR)
		return ((const struct large *)page)->npages * PAGE_SIZE - LARGE_HDR;
	return 0;
}

size_t kheap_pages_held(const struct kheap *h)
{
	return h->st.slab_pages + h->st.large_pages;
}

/* ---- Consistency check ---------------------------------------------------------------------- */

static unsigned popcount64(uint64_t x)
{
	unsigned n = 0;
	for (; x; x &= x - 1) /* no builtin: it may become a libgcc call in the kernel */
		n++;
	return n;
}

static int check_slab(const struct slab *s, unsigned cls)
{
	unsigned bits = 0;
	if (s->magic != SLAB_MAGIC || s->cls != cls || (uintptr_t)s % PAGE_SIZE)
		return -1;
	for (unsigned w = 0; w < SLAB_WORDS; w++)
		bits += popcount64(s->used[w]);
	return bits == s->inuse ? 0 : -2;
}

int kheap_check(const struct kheap *h)
{
	size_t slabs = 0;
	for (unsigned c = 0; c < KHEAP_NCLASSES; c++) {
		const struct slab *prev = NULL;
		for (const struct slab *s = h->partial[c]; s; prev = s, s = s->next, slabs++) {
			if (check_slab(s, c) || s->prev != prev)
				return -3;
			if (s->inuse == 0 || s->inuse >= capacity(c))
				return -4;
		}
		if (h->empty[c] && (check_slab(h->empty[c], c) || h->empty[c]->inuse != 0))
			return -5;
		slabs += h->empty[c] != NULL;
	}
	/* Full slabs are on no list, so the walk gives only a lower bound. */
	if (slabs > h->st.slab_pages || h->st.objects != h->st.allocs - h->st.failures - h->st.frees)
		return -6;
	if (h->st.objects == 0 && (h->st.bytes_in_use || h->st.large_pages ||
				   h->st.slab_pages != h->st.empty_slabs))
		return -7;
	return 0;
}
