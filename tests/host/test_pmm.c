/*
 * tests/host/test_pmm.c: the buddy frame allocator (core/pmm.c) under ASan/UBSan.
 *
 * The allocator never touches the frames it manages, so these tests give it a fake physical
 * map (x86-like low memory, overlapping and unaligned ranges, a range far above the rest) and
 * check every answer against an independent model: which frames are usable RAM, and which are
 * handed out right now. After each workload the free count must return to where it started
 * and the free lists must be exactly as coalesced as after init.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errno.h"
#include "core/pmm.h"
#include "tap.h"

#define MIB (1ull << 20)
#define MAX_PFN 0x40800u /* above the highest frame of the main map */

static const struct phys_range ram[] = {
	{0x0, 0x9fc00},                 /* x86 low memory; its partial last page is dropped */
	{0x100000, 0x1f00000},          /* 31 MiB */
	{0x1e00000, 0x300000},          /* overlaps the end of the previous one */
	{0x40000123, 0x800000 - 0x123}, /* unaligned start: rounded up */
};
static const struct phys_range reserved[] = {
	{0x100000, 0x200000},  /* "the kernel image" */
	{0x500010, 0x10},      /* a few bytes: their whole frame is reserved */
	{0x90000000, 0x1000},  /* entirely outside RAM */
	{0x20ff000, 0x100000}, /* sticks out past the end of a RAM range */
	{0x40100000, 0x3001},  /* ends one byte into a fourth frame */
};
#define NRAM (sizeof(ram) / sizeof(ram[0]))
#define NRES (sizeof(reserved) / sizeof(reserved[0]))

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The model: is frame pfn usable RAM, derived straight from the tables above? */
static int usable(uint64_t pfn, const struct phys_range *res, unsigned nres)
{
	uint64_t lo = pfn * PAGE_SIZE, hi = lo + PAGE_SIZE;
	int in_ram = 0;
	if (pfn == 0)
		return 0;
	for (unsigned i = 0; i < NRAM; i++)
		if (ram[i].base <= lo && hi <= ram[i].base + ram[i].size)
			in_ram = 1;
	for (unsigned i = 0; i < nres; i++)
		if (res[i].base < hi && lo < res[i].base + res[i].size)
			return 0;
	return in_ram;
}

static uint64_t model_total(void)
{
	uint64_t n = 0;
	for (uint64_t pfn = 0; pfn < MAX_PFN; pfn++)
		n += (uint64_t)usable(pfn, reserved, NRES);
	return n;
}

/* Frames of RAM before anything is reserved: what the metadata must describe. */
static uint64_t model_ram_frames(void)
{
	uint64_t n = 0;
	for (uint64_t pfn = 0; pfn < MAX_PFN; pfn++)
		n += (uint64_t)(usable(pfn, NULL, 0) || pfn == 0);
	return n;
}

static void *meta_for(const struct phys_range *mem, unsigned n, size_t *bytes)
{
	*bytes = pmm_meta_bytes(mem, n);
	return malloc(*bytes ? *bytes : 1);
}

static void setup(struct pmm *p, void **meta)
{
	size_t bytes;
	*meta = meta_for(ram, NRAM, &bytes);
	if (pmm_init(p, ram, NRAM, reserved, NRES, *meta, bytes) != 0) {
		printf("Bail out! pmm_init failed\n");
		exit(1);
	}
}

/* ---- Bookkeeping of live allocations ------------------------------------------------------- */

struct live {
	uint64_t pa;
	size_t n;     /* frames */
	int order;    /* >= 0: from pmm_alloc; -1: from pmm_alloc_n */
};

static unsigned char owned[MAX_PFN]; /* 1 while the frame belongs to a live allocation */

/* Record a new allocation: every frame usable, none already owned, alignment as promised. */
static void take(struct live *l)
{
	size_t align = 1;
	while (align < l->n)
		align *= 2;
	CHECK(l->pa % (align * PAGE_SIZE) == 0);
	for (size_t i = 0; i < l->n; i++) {
		uint64_t pfn = l->pa / PAGE_SIZE + i;
		if (pfn >= MAX_PFN || !usable(pfn, reserved, NRES) || owned[pfn]) {
			CHECK(!"allocation overlaps reserved, foreign or live frames");
			return;
		}
		owned[pfn] = 1;
	}
}

static void give_back(struct pmm *p, struct live *l)
{
	int err = l->order >= 0 ? pmm_free(p, l->pa, (unsigned)l->order)
				: pmm_free_n(p, l->pa, l->n);
	CHECK_EQ(err, 0);
	for (size_t i = 0; i < l->n; i++)
		owned[l->pa / PAGE_SIZE + i] = 0;
}

/* ---- Tests ---------------------------------------------------------------------------------- */

static void test_init(void)
{
	struct pmm p;
	void *meta;
	setup(&p, &meta);
	CHECK_EQ(pmm_nr_total(&p), model_total());
	CHECK_EQ(pmm_nr_free(&p), pmm_nr_total(&p));
	CHECK_EQ(pmm_check(&p), 0);
	CHECK_EQ(p.nseg, 3); /* the two overlapping ranges merged */
	printf("# %llu frames usable, %u segments\n", (unsigned long long)pmm_nr_total(&p), p.nseg);
	free(meta);
	tap_point("init: usable frames match the model (reserved, partial pages, overlaps)");
}

static void test_fill_order0(void)
{
	struct pmm p;
	void *meta;
	setup(&p, &meta);
	uint32_t before[PMM_NORDERS];
	memcpy(before, p.nfree_blocks, sizeof(before));
	uint64_t total = pmm_nr_total(&p), n = 0;
	struct live *all = calloc(total, sizeof(*all));
	for (uint64_t pa; (pa = pmm_alloc(&p, 0)) != 0; n++) {
		all[n] = (struct live){pa, 1, 0};
		take(&all[n]);
	}
	CHECK_EQ(n, total);
	CHECK_EQ(pmm_nr_free(&p), 0);
	CHECK_EQ(pmm_alloc(&p, 0), 0); /* exhaustion is an answer, not a crash */
	CHECK_EQ(pmm_alloc_n(&p, 3), 0);
	CHECK_EQ(pmm_check(&p), 0);
	for (uint64_t i = n; i > 1; i--) { /* shuffle, then free in that order */
		uint64_t j = rnd() % i;
		struct live t = all[i - 1];
		all[i - 1] = all[j];
		all[j] = t;
	}
	for (uint64_t i = 0; i < n; i++)
		give_back(&p, &all[i]);
	CHECK_EQ(pmm_nr_free(&p), total);
	CHECK(memcmp(before, p.nfree_blocks, sizeof(before)) == 0);
	CHECK_EQ(pmm_check(&p), 0);
	free(all);
	free(meta);
	tap_point("every frame allocated once, never a reserved one; freed in random order, "
		  "fully coalesced again");
}

/* One step of the random workload: allocate (by order or by count) or free a random one. */
static unsigned long n_allocs, n_fails, n_frees;

static void random_step(struct pmm *p, struct live *live, size_t *nlive, size_t max)
{
	if (*nlive < max && rnd() % 3 != 0) {
		struct live l;
		if (rnd() % 2) {
			l.order = (int)(rnd() % (PMM_MAX_ORDER + 1));
			l.n = (size_t)1 << l.order;
			l.pa = pmm_alloc(p, (unsigned)l.order);
		} else {
			l.order = -1;
			l.n = 1 + rnd() % (rnd() % 4 ? 9 : 1024);
			l.pa = pmm_alloc_n(p, l.n);
		}
		if (l.pa) {
			take(&l);
			live[(*nlive)++] = l;
			n_allocs++;
		} else {
			n_fails++;
		}
	} else if (*nlive > 0) {
		size_t i = rnd() % *nlive;
		n_frees++;
		give_back(p, &live[i]);
		live[i] = live[--*nlive];
	}
}

static void test_random(void)
{
	struct pmm p;
	void *meta;
	setup(&p, &meta);
	uint32_t before[PMM_NORDERS];
	memcpy(before, p.nfree_blocks, sizeof(before));
	enum { MAX_LIVE = 4000, STEPS = 200000 };
	struct live *live = calloc(MAX_LIVE, sizeof(*live));
	size_t nlive = 0, checks_failed = 0;
	uint64_t held_max = 0;
	for (int step = 0; step < STEPS; step++) {
		random_step(&p, live, &nlive, MAX_LIVE);
		uint64_t held = pmm_nr_total(&p) - pmm_nr_free(&p);
		held_max = held > held_max ? held : held_max;
		if (step % 5000 == 0)
			checks_failed += pmm_check(&p) != 0;
	}
	CHECK_EQ(checks_failed, 0);
	printf("# %lu allocations, %lu refused for want of memory, %lu frees; peak %llu of %llu "
	       "frames in use\n", n_allocs, n_fails, n_frees, (unsigned long long)held_max,
	       (unsigned long long)pmm_nr_total(&p));
	CHECK(n_fails > 1000); /* the workload did run the allocator dry, repeatedly */
	while (nlive > 0)
		give_back(&p, &live[--nlive]);
	CHECK_EQ(pmm_nr_free(&p), pmm_nr_total(&p));
	CHECK(memcmp(before, p.nfree_blocks, sizeof(before)) == 0);
	CHECK_EQ(pmm_check(&p), 0);
	free(live);
	free(meta);
	tap_point("200000 random allocs (orders 0-10, counts 1-1024) and frees: aligned, disjoint, "
		  "all returned");
}

static void test_refcounts(void)
{
	struct pmm p;
	void *meta;
	setup(&p, &meta);
	uint64_t total = pmm_nr_free(&p);
	uint64_t pa = pmm_alloc(&p, 0);
	CHECK_EQ(pmm_ref_count(&p, pa), 1);
	CHECK_EQ(pmm_ref_get(&p, pa), 2); /* a fork shares the page */
	CHECK_EQ(pmm_ref_count(&p, pa), 2);
	CHECK_EQ(pmm_free(&p, pa, 0), -EBUSY); /* the sole-owner release refuses */
	CHECK_EQ(pmm_ref_put(&p, pa), 1);  /* one side copied: the other may write in place */
	CHECK_EQ(pmm_nr_free(&p), total - 1);
	CHECK_EQ(pmm_ref_put(&p, pa), 0);  /* the last owner lets go: freed */
	CHECK_EQ(pmm_nr_free(&p), total);
	CHECK_EQ(pmm_ref_put(&p, pa), -EINVAL);
	CHECK_EQ(pmm_ref_get(&p, pa), -EINVAL);
	CHECK_EQ(pmm_ref_count(&p, pa), -EINVAL);

	uint64_t big = pmm_alloc_n(&p, 5);
	CHECK_EQ(pmm_ref_get(&p, big), 2);
	CHECK_EQ(pmm_ref_get(&p, big + PAGE_SIZE), -EINVAL); /* counts live on the first frame */
	CHECK_EQ(pmm_ref_put(&p, big), 1);
	CHECK_EQ(pmm_nr_free(&p), total - 5);
	CHECK_EQ(pmm_ref_put(&p, big), 0);
	CHECK_EQ(pmm_nr_free(&p), total);
	CHECK_EQ(pmm_check(&p), 0);
	free(meta);
	tap_point("refcounts: get/put/count, put to zero frees the whole allocation");
}

static void test_misuse(void)
{
	struct pmm p;
	void *meta;
	setup(&p, &meta);
	uint64_t total = pmm_nr_free(&p);
	uint64_t a = pmm_alloc(&p, 2), b = pmm_alloc(&p, 0);
	CHECK_EQ(pmm_free(&p, a, 1), -EINVAL);              /* wrong size */
	CHECK_EQ(pmm_free(&p, a, 3), -EINVAL);
	CHECK_EQ(pmm_free(&p, a + PAGE_SIZE, 0), -EINVAL);  /* interior frame */
	CHECK_EQ(pmm_free(&p, a + 1, 2), -EINVAL);          /* unaligned */
	CHECK_EQ(pmm_free(&p, a, PMM_MAX_ORDER + 1), -EINVAL);
	CHECK_EQ(pmm_free(&p, a, 2), 0);
	CHECK_EQ(pmm_free(&p, a, 2), -EINVAL);              /* double free */
	CHECK_EQ(pmm_free_n(&p, a, 4), -EINVAL);
	CHECK_EQ(pmm_free(&p, a + 2 * PAGE_SIZE, 0), -EINVAL); /* inside a free block */
	CHECK_EQ(pmm_free(&p, 0x100000, 0), -EINVAL);       /* reserved (the kernel) */
	CHECK_EQ(pmm_free(&p, 0, 0), -EINVAL);              /* frame 0 */
	CHECK_EQ(pmm_free(&p, 0x80000000, 0), -EINVAL);     /* not RAM */
	CHECK_EQ(pmm_free(&p, 0xfffffffffffff000ull, 0), -EINVAL);
	CHECK_EQ(pmm_alloc(&p, PMM_MAX_ORDER + 1), 0);
	CHECK_EQ(pmm_alloc_n(&p, 0), 0);
	CHECK_EQ(pmm_alloc_n(&p, (1u << PMM_MAX_ORDER) + 1), 0);
	CHECK_EQ(pmm_nr_free(&p), total - 1);               /* no error changed anything */
	CHECK_EQ(pmm_check(&p), 0);
	CHECK_EQ(pmm_free(&p, b, 0), 0);
	CHECK_EQ(pmm_nr_free(&p), total);
	free(meta);
	tap_point("double free, wrong size, interior, reserved, foreign: -EINVAL, nothing changes");
}

static void test_fragmentation(void)
{
	struct pmm p;
	void *meta;
	setup(&p, &meta);
	uint64_t total = pmm_nr_total(&p), n = 0;
	uint64_t *pas = calloc(total + 1, sizeof(*pas)); /* and the 0 that ends the loop */
	while ((pas[n] = pmm_alloc(&p, 0)) != 0)
		n++;
	uint64_t freed = 0;
	for (uint64_t i = 0; i < n; i++) /* free every frame with an even frame number */
		if ((pas[i] / PAGE_SIZE) % 2 == 0) {
			CHECK_EQ(pmm_free(&p, pas[i], 0), 0);
			pas[i] = 0;
			freed++;
		}
	CHECK_EQ(pmm_nr_free(&p), freed);
	CHECK(freed > 1000);
	CHECK_EQ(pmm_alloc(&p, 1), 0); /* plenty free, nothing contiguous */
	CHECK_EQ(pmm_alloc_n(&p, 2), 0);
	uint64_t one = pmm_alloc(&p, 0);
	CHECK(one != 0 && (one / PAGE_SIZE) % 2 == 0);
	CHECK_EQ(pmm_free(&p, one, 0), 0);
	for (uint64_t i = 0; i < n; i++)
		if (pas[i])
			CHECK_EQ(pmm_free(&p, pas[i], 0), 0);
	CHECK_EQ(pmm_nr_free(&p), total);
	CHECK(pmm_alloc(&p, PMM_MAX_ORDER) != 0); /* coalesced all the way back up */
	CHECK_EQ(pmm_check(&p), 0);
	free(pas);
	free(meta);
	tap_point("fragmented memory: higher orders fail cleanly, order 0 still works, all "
		  "coalesces back");
}

/* What the kernel does at boot: size the metadata, place it, reserve it, init. */
static void test_bootstrap(void)
{
	struct phys_range res[NRES + 1];
	uint64_t pa = 0;
	size_t bytes = pmm_meta_bytes(ram, NRAM), need = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	CHECK_EQ(bytes, model_ram_frames() * sizeof(struct page));
	/* Placed at the top of the highest RAM below the limit. */
	CHECK_EQ(pmm_meta_place(ram, NRAM, reserved, NRES, bytes, 0x80000000, &pa), 0);
	CHECK_EQ(pa, 0x40800000 - need * PAGE_SIZE);
	/* With a lower limit: the 33 MiB block, below the reserved range at its top. */
	CHECK_EQ(pmm_meta_place(ram, NRAM, reserved, NRES, bytes, 0x40000000, &pa), 0);
	CHECK_EQ(pa, 0x20ff000 - need * PAGE_SIZE);
	for (uint64_t pfn = pa / PAGE_SIZE; pfn * PAGE_SIZE < pa + bytes; pfn++)
		CHECK(usable(pfn, reserved, NRES));
	memcpy(res, reserved, sizeof(reserved));
	res[NRES] = (struct phys_range){pa, bytes};
	struct pmm p;
	void *meta = malloc(bytes);
	CHECK_EQ(pmm_init(&p, ram, NRAM, res, NRES + 1, meta, bytes), 0);
	CHECK_EQ(pmm_nr_total(&p), model_total() - (bytes + PAGE_SIZE - 1) / PAGE_SIZE);
	for (uint64_t got; (got = pmm_alloc(&p, 0)) != 0;)
		CHECK(got + PAGE_SIZE <= pa || got >= pa + bytes);
	CHECK_EQ(pmm_check(&p), 0);
	free(meta);
	/* Placement failures. */
	CHECK_EQ(pmm_meta_place(ram, NRAM, reserved, NRES, bytes, 0x10000, &pa), -ENOMEM);
	struct phys_range all = {0, UINT64_MAX};
	CHECK_EQ(pmm_meta_place(ram, NRAM, &all, 1, bytes, UINT64_MAX, &pa), -ENOMEM);
	CHECK_EQ(pmm_meta_place(ram, NRAM, reserved, NRES, 64 * MIB, UINT64_MAX, &pa), -ENOMEM);
	tap_point("bootstrap: metadata placed in free RAM below the limit, never handed out");
}

static void test_clip(void)
{
	struct phys_range r[] = {{0x1000, 0x1000}, {0x7fff0000, 0x20000}, {0x80000000, 0x1000},
				 {0x100000000ull, 0x1000}, {0x5000, 0}};
	CHECK_EQ(pmm_clip(r, 5, 0x80000000), 2);
	CHECK_EQ(r[0].base, 0x1000);
	CHECK_EQ(r[0].size, 0x1000);
	CHECK_EQ(r[1].base, 0x7fff0000);
	CHECK_EQ(r[1].size, 0x10000);
	tap_point("clip: ranges cut at the limit, those above it and empty ones dropped");
}

static void test_empty_and_errors(void)
{
	struct pmm z;
	memset(&z, 0, sizeof(z)); /* the kernel's allocator before pmm_boot_init */
	CHECK_EQ(pmm_alloc(&z, 0), 0);
	CHECK_EQ(pmm_alloc_n(&z, 4), 0);
	CHECK_EQ(pmm_free(&z, 0x1000, 0), -EINVAL);
	CHECK_EQ(pmm_ref_put(&z, 0x1000), -EINVAL);
	CHECK_EQ(pmm_nr_free(&z), 0);
	CHECK_EQ(pmm_check(&z), 0);

	struct pmm p;
	size_t bytes;
	void *meta = meta_for(ram, NRAM, &bytes);
	CHECK_EQ(pmm_init(&p, ram, NRAM, reserved, NRES, meta, bytes - 1), -EINVAL);
	struct phys_range many[PMM_MAX_SEGS + 1];
	for (unsigned i = 0; i <= PMM_MAX_SEGS; i++)
		many[i] = (struct phys_range){(i + 1) * 0x10000ull, 0x1000};
	CHECK_EQ(pmm_init(&p, many, PMM_MAX_SEGS + 1, NULL, 0, meta, bytes), -EINVAL);
	CHECK_EQ(pmm_init(&p, many, PMM_MAX_SEGS, NULL, 0, meta, bytes), 0);
	CHECK_EQ(pmm_nr_total(&p), PMM_MAX_SEGS);
	CHECK_EQ(p.nseg, PMM_MAX_SEGS);
	struct phys_range tiny = {0x1001, 0x1000}; /* no whole page */
	CHECK_EQ(pmm_meta_bytes(&tiny, 1), 0);
	CHECK_EQ(pmm_init(&p, &tiny, 1, NULL, 0, NULL, 0), 0);
	CHECK_EQ(pmm_alloc(&p, 0), 0);
	free(meta);
	tap_point("empty allocator fails cleanly; init rejects short metadata and too many ranges");
}

/* Adjacent ranges merge into one segment (blocks may straddle the seam); a range at the very
 * top of the physical address space works without overflow. */
static void test_seams_and_top(void)
{
	struct phys_range r[] = {{0x600000, 0x200000}, {0x400000, 0x200000},
				 {0xfffffffffff00000ull, 0x200000}}; /* wraps: saturated */
	struct pmm p;
	size_t bytes;
	void *meta = meta_for(r, 3, &bytes);
	CHECK_EQ(pmm_init(&p, r, 3, NULL, 0, meta, bytes), 0);
	CHECK_EQ(p.nseg, 2);
	CHECK_EQ(p.nfree_blocks[PMM_MAX_ORDER], 1); /* 0x400000-0x800000 is one 4 MiB block */
	CHECK_EQ(pmm_nr_total(&p), 1024 + 255);
	CHECK_EQ(pmm_alloc(&p, PMM_MAX_ORDER), 0x400000);
	uint64_t hi = pmm_alloc(&p, 7);
	CHECK(hi >= 0xfffffffffff00000ull && hi % (128 * PAGE_SIZE) == 0);
	CHECK_EQ(pmm_free(&p, hi, 7), 0);
	CHECK_EQ(pmm_free(&p, 0x400000, PMM_MAX_ORDER), 0);
	CHECK_EQ(pmm_check(&p), 0);
	free(meta);
	tap_point("adjacent ranges merge; the top of the address space is handled");
}

int main(void)
{
	test_init();
	test_fill_order0();
	test_random();
	test_refcounts();
	test_misuse();
	test_fragmentation();
	test_bootstrap();
	test_clip();
	test_empty_and_errors();
	test_seams_and_top();
	return tap_done();
}
