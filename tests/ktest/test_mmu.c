/*
 * tests/ktest/test_mmu.c: the MMU interface (arch.h) behaves the same on both ports: map,
 * query, protect and unmap round trips in the kernel half and in a user address space, the
 * error contracts, and every frame given back. The manual tests must fault (the runner checks
 * the panic message): a write to read-only kernel data, a jump into a data page, a kernel stack
 * overflow into its guard page.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/kstack.h"
#include "core/ktest.h"
#include "core/layout.h"
#include "core/pmm.h"

#define PAGE 4096ul

/* A scratch kernel address no one else uses: the last pages of the vmap area. */
#define SCRATCH (VMAP_AREA_BASE + VMAP_AREA_SIZE - 16 * PAGE)

KTEST(mmu_kernel_round_trip)
{
	struct arch_aspace *k = arch_kernel_aspace();
	uint64_t before = pmm_free_frames(), pa = alloc_page(), got;
	unsigned prot;

	KT_EXPECT_EQ(arch_mmu_query(k, SCRATCH, &got, &prot), -ENOENT);
	KT_EXPECT_EQ(arch_mmu_map(k, SCRATCH, pa, PAGE, MMU_READ | MMU_WRITE), 0);
	KT_EXPECT_EQ(arch_mmu_map(k, SCRATCH, pa, PAGE, MMU_READ), -EEXIST);
	KT_EXPECT_EQ(arch_mmu_query(k, SCRATCH + 123, &got, &prot), 0);
	KT_EXPECT_EQ(got, pa + 123);
	KT_EXPECT_EQ(prot & (MMU_READ | MMU_WRITE | MMU_EXEC | MMU_USER), MMU_READ | MMU_WRITE);
	volatile uint32_t *v = (volatile uint32_t *)SCRATCH;
	*v = 0x4a616e75;
	KT_EXPECT_EQ(*(volatile uint32_t *)phys_to_virt(pa), 0x4a616e75); /* same frame */
	KT_EXPECT_EQ(arch_mmu_protect(k, SCRATCH, PAGE, MMU_READ), 0);
	KT_EXPECT_EQ(arch_mmu_query(k, SCRATCH, &got, &prot), 0);
	KT_EXPECT_EQ(prot & (MMU_WRITE | MMU_EXEC), 0);
	KT_EXPECT_EQ(*v, 0x4a616e75);
	KT_EXPECT_EQ(arch_mmu_protect(k, SCRATCH + PAGE, PAGE, MMU_READ), -ENOENT);
	KT_EXPECT_EQ(arch_mmu_unmap(k, SCRATCH, 2 * PAGE), 0);
	KT_EXPECT_EQ(arch_mmu_query(k, SCRATCH, &got, &prot), -ENOENT);
	KT_EXPECT_EQ(arch_mmu_map(k, SCRATCH + 1, pa, PAGE, MMU_READ), -EINVAL);
	free_page(pa);
	KT_EXPECT(pmm_free_frames() <= before); /* table pages for the vmap area may stay */
}

KTEST(mmu_user_aspace_round_trip)
{
	uint64_t before = pmm_free_frames(), got;
	unsigned prot;
	struct arch_aspace *as = arch_aspace_create();
	uint64_t pa = alloc_pages(2);

	KT_EXPECT(as != NULL);
	KT_EXPECT_EQ(arch_mmu_map(as, 0x400000, pa, 4 * PAGE, MMU_READ | MMU_EXEC | MMU_USER), 0);
	KT_EXPECT_EQ(arch_mmu_query(as, 0x402010, &got, &prot), 0);
	KT_EXPECT_EQ(got, pa + 2 * PAGE + 0x10);
	KT_EXPECT_EQ(prot & (MMU_READ | MMU_WRITE | MMU_EXEC | MMU_USER),
		     MMU_READ | MMU_EXEC | MMU_USER);
	KT_EXPECT_EQ(arch_mmu_protect(as, 0x401000, PAGE, MMU_READ | MMU_WRITE | MMU_USER), 0);
	KT_EXPECT_EQ(arch_mmu_query(as, 0x401000, &got, &prot), 0);
	KT_EXPECT_EQ(prot & (MMU_WRITE | MMU_EXEC), MMU_WRITE);
	KT_EXPECT_EQ(arch_mmu_query(arch_kernel_aspace(), 0x400000, &got, &prot), -ENOENT);
	KT_EXPECT_EQ(arch_mmu_map(as, USER_TOP - PAGE, pa, 2 * PAGE, MMU_READ | MMU_USER),
		     -EINVAL); /* crosses the split */
	KT_EXPECT_EQ(arch_mmu_unmap(as, 0x400000, 4 * PAGE), 0);
	KT_EXPECT_EQ(arch_mmu_query(as, 0x400000, &got, &prot), -ENOENT);
	arch_aspace_destroy(as);
	free_pages(pa, 2);
	KT_EXPECT_EQ(pmm_free_frames(), before);
}

/* Map one page at each of the n addresses, all to the frame pa; 0 if every map worked. */
static int map_each(struct arch_aspace *as, const uintptr_t *va, unsigned n, uint64_t pa,
		    unsigned prot)
{
	for (unsigned i = 0; i < n; i++)
		if (arch_mmu_map(as, va[i], pa, PAGE, prot))
			return -1;
	return 0;
}

/* Unmap gives back every page table it leaves empty, at every level below the top one, and
 * keeps any table that still holds a page (a no-access page counts). */
KTEST(mmu_unmap_frees_tables)
{
	uint64_t start = pmm_free_frames(), pa = alloc_page(), before, full, mapped;
	struct arch_aspace *as = arch_aspace_create();
	unsigned rw = MMU_READ | MMU_WRITE | MMU_USER;
	/* across a 512 GiB, a 1 GiB and a 2 MiB boundary: tables at every level */
	const uintptr_t far[] = {(1ul << 39) - PAGE, 1ul << 39, (3ul << 30) - PAGE, 3ul << 30,
				 0x600000 - PAGE, 0x600000};

	KT_EXPECT(as != NULL && pa != 0);
	before = pmm_free_frames();
	KT_EXPECT_EQ(map_each(as, far, 6, pa, rw), 0);
	full = pmm_free_frames();
	KT_EXPECT(full < before);
	KT_EXPECT_EQ(arch_mmu_unmap(as, (1ul << 39) - PAGE, 2 * PAGE), 0);
	KT_EXPECT_EQ(arch_mmu_unmap(as, (3ul << 30) - PAGE, PAGE), 0);
	KT_EXPECT_EQ(arch_mmu_unmap(as, 3ul << 30, PAGE), 0);
	KT_EXPECT_EQ(arch_mmu_unmap(as, 0x400000, 64ul << 20), 0); /* covers the rest, and more */
	KT_EXPECT_EQ(pmm_free_frames(), before);

	/* a table still holding a page stays, also when that page has no access */
	const uintptr_t near[] = {0x600000, 0x601000};
	KT_EXPECT_EQ(map_each(as, near, 2, pa, rw), 0);
	KT_EXPECT_EQ(arch_mmu_protect(as, 0x601000, PAGE, MMU_USER), 0);
	mapped = pmm_free_frames();
	KT_EXPECT_EQ(arch_mmu_unmap(as, 0x600000, PAGE), 0);
	KT_EXPECT_EQ(pmm_free_frames(), mapped);
	KT_EXPECT_EQ(arch_mmu_query(as, 0x601000, NULL, NULL), 0);
	KT_EXPECT_EQ(arch_mmu_unmap(as, 0x600000, 2 * PAGE), 0);
	KT_EXPECT_EQ(pmm_free_frames(), before);
	KT_EXPECT_EQ(arch_mmu_unmap(as, 0x600000, 2 * PAGE), 0); /* nothing left: fine */

	/* the freed tables are rebuilt on the next map */
	KT_EXPECT_EQ(map_each(as, far, 6, pa, rw), 0);
	KT_EXPECT_EQ(pmm_free_frames(), full);
	arch_aspace_destroy(as);
	free_page(pa);
	KT_EXPECT_EQ(pmm_free_frames(), start);
}

/* Replace points a mapped page at another frame in one step and needs no memory. */
KTEST(mmu_replace)
{
	struct arch_aspace *as = arch_aspace_create();
	uint64_t a = alloc_page(), b = alloc_page(), got, before;
	unsigned prot;

	KT_EXPECT(as != NULL && a != 0 && b != 0);
	KT_EXPECT_EQ(arch_mmu_replace(as, 0x400000, b, MMU_READ | MMU_USER), -ENOENT);
	KT_EXPECT_EQ(arch_mmu_map(as, 0x400000, a, PAGE, MMU_READ | MMU_USER), 0);
	before = pmm_free_frames();
	KT_EXPECT_EQ(arch_mmu_replace(as, 0x400000, b, MMU_READ | MMU_WRITE | MMU_USER), 0);
	KT_EXPECT_EQ(pmm_free_frames(), before);
	KT_EXPECT_EQ(arch_mmu_query(as, 0x400008, &got, &prot), 0);
	KT_EXPECT_EQ(got, b + 8);
	KT_EXPECT_EQ(prot & (MMU_WRITE | MMU_USER), MMU_WRITE | MMU_USER);
	KT_EXPECT_EQ(arch_mmu_replace(as, 0x401000, a, MMU_READ | MMU_USER), -ENOENT);
	KT_EXPECT_EQ(arch_mmu_replace(as, 0x400001, a, MMU_READ | MMU_USER), -EINVAL);
	arch_aspace_destroy(as);
	free_page(a);
	free_page(b);
}

KTEST(mmu_kernel_sections)
{
	uint64_t pa;
	unsigned prot;
	static int data_word;
	static const int rodata_word = 1;

	KT_EXPECT_EQ(arch_mmu_query(arch_kernel_aspace(), (uintptr_t)&kmain, &pa, &prot), 0);
	KT_EXPECT_EQ(prot & (MMU_WRITE | MMU_EXEC), MMU_EXEC);
	KT_EXPECT_EQ(arch_mmu_query(arch_kernel_aspace(), (uintptr_t)&rodata_word, &pa, &prot), 0);
	KT_EXPECT_EQ(prot & (MMU_WRITE | MMU_EXEC), 0);
	KT_EXPECT_EQ(arch_mmu_query(arch_kernel_aspace(), (uintptr_t)&data_word, &pa, &prot), 0);
	KT_EXPECT_EQ(prot & (MMU_WRITE | MMU_EXEC), MMU_WRITE);
	KT_EXPECT_EQ(arch_mmu_query(arch_kernel_aspace(), 0, &pa, &prot), -ENOENT);
}

KTEST(kstack_guard)
{
	uint64_t before = pmm_free_frames(), pa;
	unsigned prot;
	uintptr_t top = kstack_alloc();

	KT_EXPECT(top != 0);
	KT_EXPECT_EQ(arch_mmu_query(arch_kernel_aspace(), top - 8, &pa, &prot), 0);
	KT_EXPECT_EQ(arch_mmu_query(arch_kernel_aspace(), top - KSTACK_SIZE - 8, &pa, &prot),
		     -ENOENT);
	KT_EXPECT(kstack_in_guard(top - KSTACK_SIZE - 8));
	KT_EXPECT(!kstack_in_guard(top - 8));
	kstack_free(top);
	KT_EXPECT_EQ(pmm_free_frames(), before);
}

static const int read_only_word = 7;

KTEST_MANUAL_ONLY(selftest_write_rodata)
{
	*(volatile int *)&read_only_word = 8;
}

KTEST_MANUAL_ONLY(selftest_exec_data)
{
	static uint32_t code[4]; /* in .bss: never executable */
	((void (*)(void))(uintptr_t)code)();
}

static __attribute__((noinline)) unsigned recurse(volatile unsigned *depth)
{
	volatile char pad[512];
	pad[0] = (char)*depth;
	if (++*depth > 100000000) /* never: the 16 KiB stack runs out long before */
		return 0;
	return recurse(depth) + pad[0];
}

KTEST_MANUAL_ONLY(selftest_stack_overflow)
{
	volatile unsigned depth = 0;
	recurse(&depth);
}
