/*
 * tests/host/test_kheap.c: the kernel heap (core/kheap.c) under ASan/UBSan.
 *
 * The page source is aligned_alloc with a counter and an optional budget, so the tests can
 * see exactly how many pages the heap holds and can run it out of memory on demand. Every
 * object gets a pattern derived from its number written over its full size and checked just
 * before it is freed, so an object that overlaps another or is handed out twice shows up as a
 * corrupted pattern. At the end of each test every page must be back with the source.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errno.h"
#include "core/kheap.h"
#include "tap.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define HAVE_ASAN 1
#endif
#endif

struct source {
	size_t pages_out;  /* pages handed to the heap and not yet returned */
	size_t budget;     /* refuse a request that would exceed this many pages out */
	unsigned long calls;
};

static void *src_alloc(void *ctx, size_t n)
{
	struct source *s = ctx;
	if (s->pages_out + n > s->budget)
		return NULL;
	void *p = aligned_alloc(PAGE_SIZE, n * PAGE_SIZE);
	if (p) {
		s->pages_out += n;
		s->calls++;
	}
	return p;
}

static void src_free(void *ctx, void *p, size_t n)
{
	struct source *s = ctx;
	CHECK((uintptr_t)p % PAGE_SIZE == 0);
	CHECK(s->pages_out >= n);
	s->pages_out -= n;
	free(p);
}

static void setup(struct kheap *h, struct source *s, size_t budget)
{
	*s = (struct source){0, budget, 0};
	struct kheap_source src = {src_alloc, src_free, s};
	kheap_init(h, &src);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void fill(void *p, size_t n, unsigned id)
{
	unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(id * 31 + i);
}

static int intact(const void *p, size_t n, unsigned id)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != (unsigned char)(id * 31 + i))
			return 0;
	return 1;
}

/* Everything freed and trimmed: no bytes, no objects, no pages, and the source agrees. */
static void check_all_returned(struct kheap *h, struct source *s)
{
	kheap_trim(h);
	CHECK_EQ(h->st.bytes_in_use, 0);
	CHECK_EQ(h->st.objects, 0);
	CHECK_EQ(kheap_pages_held(h), 0);
	CHECK_EQ(s->pages_out, 0);
	CHECK_EQ(kheap_check(h), 0);
}

static void test_sizes(void)
{
	static const size_t sizes[] = {0, 1, 15, 16, 17, 100, 256, 257, 1000, 2016, 2017, 4080,
				       4081, 12345, 1 << 20};
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	struct kheap h;
	struct source s;
	void *p[N];
	setup(&h, &s, SIZE_MAX);
	for (unsigned i = 0; i < N; i++) {
		p[i] = kheap_alloc(&h, sizes[i]);
		CHECK(p[i] != NULL);
		CHECK((uintptr_t)p[i] % KHEAP_ALIGN == 0);
		CHECK(kheap_usable_size(&h, p[i]) >= sizes[i]);
		fill(p[i], sizes[i], i);
	}
	CHECK_EQ(kheap_usable_size(&h, p[4]), 32);  /* 17 bytes: the 32-byte class */
	CHECK_EQ(kheap_usable_size(&h, p[11]), PAGE_SIZE - 16); /* 4080: one page with header */
	CHECK_EQ(kheap_usable_size(&h, p[12]), 2 * PAGE_SIZE - 16);
	CHECK_EQ(h.st.objects, N);
	CHECK_EQ(kheap_check(&h), 0);
	for (unsigned i = 0; i < N; i++) {
		CHECK(intact(p[i], sizes[i], i));
		CHECK_EQ(kheap_free(&h, p[i]), 0);
	}
	CHECK_EQ(kheap_free(&h, NULL), 0);
	check_all_returned(&h, &s);
	tap_point("sizes 0 to 1 MiB: 16-byte aligned, usable size as promised, all pages back");
}

struct obj {
	void *p;
	size_t size;
	unsigned id;
};

/* Mostly small, with a tail of multi-page ones, like a kernel's real mix. */
static size_t random_size(void)
{
	switch (rnd() % 8) {
	case 0:
		return rnd() % 16000;
	case 1:
	case 2:
		return rnd() % 2100;
	default:
		return rnd() % 200;
	}
}

/* One step: allocate and fill a new object, or check and free a random live one. Returns the
 * number of problems seen (a bad pointer, a corrupted pattern, a refused free). */
static size_t random_step(struct kheap *h, struct obj *live, size_t *nlive, unsigned *next_id,
			  unsigned grow)
{
	if (*nlive == 0 || (*nlive < 3000 && rnd() % 100 < grow)) {
		struct obj o = {NULL, random_size(), (*next_id)++};
		o.p = kheap_alloc(h, o.size);
		if (!o.p || (uintptr_t)o.p % KHEAP_ALIGN)
			return 1;
		fill(o.p, o.size, o.id);
		live[(*nlive)++] = o;
		return 0;
	}
	size_t i = rnd() % *nlive, bad = 0;
	bad += !intact(live[i].p, live[i].size, live[i].id);
	bad += kheap_free(h, live[i].p) != 0;
	live[i] = live[--*nlive];
	return bad;
}

static void test_random(void)
{
	struct kheap h;
	struct source s;
	struct obj *live = calloc(3000, sizeof(*live));
	size_t nlive = 0, bad = 0, checks_failed = 0, peak_pages = 0;
	unsigned next_id = 0;
	setup(&h, &s, SIZE_MAX);
	for (int step = 0; step < 150000; step++) {
		/* Waves: 20000 steps mostly allocating, then 20000 mostly freeing, so slabs go
		 * from empty to full and back many times. */
		bad += random_step(&h, live, &nlive, &next_id, (step / 20000) % 2 ? 35 : 65);
		if (kheap_pages_held(&h) > peak_pages)
			peak_pages = kheap_pages_held(&h);
		if (step % 10000 == 0)
			checks_failed += kheap_check(&h) != 0;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(checks_failed, 0);
	CHECK_EQ(s.pages_out, kheap_pages_held(&h));
	printf("# %u objects allocated, %zu live at the end, peak %zu pages\n", next_id, nlive,
	       peak_pages);
	while (nlive > 0) {
		nlive--;
		CHECK(intact(live[nlive].p, live[nlive].size, live[nlive].id));
		CHECK_EQ(kheap_free(&h, live[nlive].p), 0);
	}
	check_all_returned(&h, &s);
	free(live);
	tap_point("150000 random kmalloc/kfree with content checks; every page returned");
}

static void test_misuse(void)
{
	struct kheap h;
	struct source s;
	setup(&h, &s, SIZE_MAX);
	char *a = kheap_alloc(&h, 64), *b = kheap_alloc(&h, 64), *big = kheap_alloc(&h, 10000);
	struct kheap_stats before = h.st;
	CHECK_EQ(kheap_free(&h, a + 16), -EINVAL);  /* inside an object */
	CHECK_EQ(kheap_free(&h, a + 1), -EINVAL);   /* misaligned */
	CHECK_EQ(kheap_free(&h, a + 128), -EINVAL); /* a free slot of the same slab */
	CHECK_EQ(kheap_free(&h, big + PAGE_SIZE), -EINVAL); /* inside a large block */
	CHECK_EQ(kheap_free(&h, big + 16), -EINVAL);
	CHECK(memcmp(&before, &h.st, sizeof(before)) == 0);
	CHECK_EQ(kheap_free(&h, a), 0);
	CHECK_EQ(kheap_free(&h, a), -EINVAL);       /* double free */
	CHECK_EQ(kheap_usable_size(&h, a), 0);
	CHECK_EQ(h.st.objects, 2);
#ifdef HAVE_ASAN
	CHECK(__asan_address_is_poisoned(a)); /* a use after free would be reported */
	CHECK(!__asan_address_is_poisoned(b));
#endif
	CHECK_EQ(kheap_free(&h, big), 0);
	CHECK_EQ(kheap_free(&h, b), 0);
	CHECK_EQ(kheap_check(&h), 0);
	check_all_returned(&h, &s);
	tap_point("double free, interior and misaligned pointers: -EINVAL, nothing changes");
}

static void test_exhaustion(void)
{
	enum { BUDGET = 40 };
	struct kheap h;
	struct source s;
	void *p[4096];
	size_t n = 0;
	setup(&h, &s, BUDGET);
	while (n < 4096 && (p[n] = kheap_alloc(&h, n % 3 ? 200 : 3000)) != NULL)
		n++;
	CHECK(n > 0 && n < 4096);
	CHECK_EQ(s.pages_out, BUDGET);
	CHECK(kheap_alloc(&h, 100000) == NULL); /* large: refused, not a crash */
	CHECK(kheap_alloc(&h, SIZE_MAX) == NULL); /* would overflow the page count */
	CHECK(h.st.failures >= 3);
	CHECK_EQ(kheap_check(&h), 0);
	while (n > 0)
		CHECK_EQ(kheap_free(&h, p[--n]), 0);
	check_all_returned(&h, &s);

	/* A cached empty slab of one class is given back when another class needs the page. */
	setup(&h, &s, 1);
	void *x = kheap_alloc(&h, 48);
	CHECK_EQ(kheap_free(&h, x), 0);
	CHECK_EQ(h.st.empty_slabs, 1);
	CHECK_EQ(s.pages_out, 1);
	void *y = kheap_alloc(&h, 500);
	CHECK(y != NULL);
	CHECK_EQ(h.st.empty_slabs, 0);
	CHECK_EQ(kheap_free(&h, y), 0);
	check_all_returned(&h, &s);
	tap_point("out of pages: NULL, counted as failures; cached slabs reclaimed before failing");
}

static void test_slab_reuse(void)
{
	struct kheap h;
	struct source s;
	void *p[253];
	setup(&h, &s, SIZE_MAX);
	for (int i = 0; i < 1000; i++) /* ping-pong on one class: the cached slab absorbs it */
		CHECK_EQ(kheap_free(&h, kheap_alloc(&h, 64)), 0);
	CHECK_EQ(s.calls, 1);
	CHECK_EQ(kheap_trim(&h), 1);
	for (int i = 0; i < 252; i++)
		p[i] = kheap_alloc(&h, 16);
	CHECK_EQ(h.st.slab_pages, 1); /* 252 16-byte objects share one page */
	p[252] = kheap_alloc(&h, 16);
	CHECK_EQ(h.st.slab_pages, 2);
	CHECK_EQ(h.st.bytes_in_use, 253 * 16);
	for (int i = 0; i < 253; i++)
		CHECK_EQ(kheap_free(&h, p[i]), 0);
	CHECK_EQ(h.st.slab_pages, 1);  /* one empty slab kept, the other returned */
	check_all_returned(&h, &s);
	tap_point("slabs: 252 objects a page, one empty slab cached per class, trim returns it");
}

int main(void)
{
	test_sizes();
	test_random();
	test_misuse();
	test_exhaustion();
	test_slab_reuse();
	return tap_done();
}
