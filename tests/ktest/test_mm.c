/*
 * tests/ktest/test_mm.c: user address spaces (core/mm.h) without user mode: regions made with
 * mm_map and friends, faults resolved by calling mm_fault directly, the page tables checked
 * with arch_mmu_query, and page contents read through the direct map. No mm is ever
 * activated, so the kernel's own address space stays in force. Every test ends by checking
 * that mm_put gave back every frame (kernel heap pages released before both counts).
 */
#include "arch/arch.h"
#include "core/elf.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/ktest.h"
#include "core/mm.h"
#include "core/pmm.h"
#include "core/string.h"
#include "core/uio.h"
#include "fs/vfs.h"

#define PG 4096ul
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define MMU_BITS (MMU_USER | MMU_READ | MMU_WRITE | MMU_EXEC)

static uint64_t frames_now(void)
{
	kheap_release_free_pages();
	return pmm_free_frames();
}

/* The frame behind va (0 if none) and its MMU bits. */
static uint64_t frame_of(struct mm *mm, uintptr_t va, unsigned *prot)
{
	uint64_t pa;
	unsigned p;

	if (arch_mmu_query(mm->as, va, &pa, &p) != 0)
		return 0;
	if (prot)
		*prot = p & MMU_BITS;
	return pa & ~(PG - 1);
}

static unsigned char *bytes_at(struct mm *mm, uintptr_t va)
{
	uint64_t pa = frame_of(mm, va, NULL);
	return pa ? (unsigned char *)phys_to_virt(pa) + (va & (PG - 1)) : NULL;
}

static unsigned count_regions(struct mm *mm)
{
	unsigned n = 0;
	for (struct vma *v = mm->vmas; v; v = v->next)
		n++;
	return n;
}

KTEST(mm_demand_paging)
{
	uint64_t before = frames_now();
	struct mm *mm = mm_create();
	unsigned prot;

	KT_EXPECT(mm != NULL);
	long a = mm_map(mm, 0, 4 * PG, RW, ANON, NULL, 0);
	KT_EXPECT(a >= (long)ELF_MIN_VADDR && a % PG == 0 && (uintptr_t)a < USER_TOP);
	KT_EXPECT_EQ(frame_of(mm, a, NULL), 0); /* nothing until touched */
	KT_EXPECT_EQ(mm_fault(mm, a + PG + 5, false, false), 0);
	KT_EXPECT(frame_of(mm, a + PG, &prot) != 0);
	KT_EXPECT_EQ(prot, MMU_USER | MMU_READ | MMU_WRITE);
	KT_EXPECT_EQ(frame_of(mm, a, NULL), 0);
	bool zero = true;
	for (unsigned i = 0; i < PG; i++)
		zero = zero && bytes_at(mm, a + PG)[i] == 0;
	KT_EXPECT(zero);
	KT_EXPECT_EQ(mm->pages, 1);
	KT_EXPECT_EQ(mm_fault(mm, a + 4 * PG, false, false), -EFAULT);
	KT_EXPECT_EQ(mm_fault(mm, a, false, true), -EACCES); /* not executable */

	long r = mm_map(mm, 0, PG, PROT_READ, ANON, NULL, 0);
	KT_EXPECT_EQ(mm_fault(mm, r, true, false), -EACCES);
	KT_EXPECT_EQ(mm_fault(mm, r, false, false), 0);
	KT_EXPECT(frame_of(mm, r, &prot) != 0);
	KT_EXPECT_EQ(prot, MMU_USER | MMU_READ);
	long x = mm_map(mm, 0, PG, PROT_EXEC, ANON, NULL, 0);
	KT_EXPECT_EQ(mm_fault(mm, x, false, true), 0);
	KT_EXPECT(frame_of(mm, x, &prot) != 0);
	KT_EXPECT_EQ(prot, MMU_USER | MMU_READ | MMU_EXEC);
	long n = mm_map(mm, 0, PG, PROT_NONE, ANON, NULL, 0);
	KT_EXPECT_EQ(mm_fault(mm, n, false, false), -EACCES);
	KT_EXPECT_EQ(frame_of(mm, n, NULL), 0);
	uint64_t faults = mm_fault_count();
	KT_EXPECT_EQ(mm_fault(mm, a, true, false), 0);
	KT_EXPECT(mm_fault_count() > faults);
	mm_put(mm);
	KT_EXPECT_EQ(frames_now(), before);
}

KTEST(mm_write_read_back)
{
	uint64_t before = frames_now();
	struct mm *mm = mm_create();
	static const char msg[] = "Janus writes across a page boundary";

	long a = mm_map(mm, 0x400000, 2 * PG, PROT_READ, ANON, NULL, 0);
	KT_EXPECT_EQ(a, 0x400000); /* a free hint is used as given */
	uintptr_t at = a + PG - 10;
	KT_EXPECT_EQ(mm_write(mm, at, msg, sizeof msg), 0); /* read-only does not stop exec */
	bool same = true;
	for (unsigned i = 0; i < sizeof msg; i++)
		same = same && bytes_at(mm, at + i) && *bytes_at(mm, at + i) == (unsigned char)msg[i];
	KT_EXPECT(same);
	KT_EXPECT_EQ(mm_write(mm, at + 2, NULL, 4), 0);
	KT_EXPECT_EQ(*bytes_at(mm, at + 1), 'a');
	KT_EXPECT_EQ(*bytes_at(mm, at + 2), 0);
	KT_EXPECT_EQ(*bytes_at(mm, at + 5), 0);
	KT_EXPECT_EQ(*bytes_at(mm, at + 6), 'w');
	KT_EXPECT_EQ(mm_write(mm, a + 2 * PG - 2, msg, 4), -EFAULT); /* runs off the region */
	KT_EXPECT_EQ(mm_write(mm, 0x100000, msg, 1), -EFAULT);
	KT_EXPECT_EQ(mm->pages, 2);
	mm_put(mm);
	KT_EXPECT_EQ(frames_now(), before);
}

KTEST(mm_fork_copy_on_write)
{
	uint64_t before = frames_now();
	struct mm *p = mm_create();
	unsigned pp, cp;

	long a = mm_map(p, 0, 2 * PG, RW, ANON, NULL, 0);
	KT_EXPECT_EQ(mm_write(p, a, "parent", 7), 0);
	KT_EXPECT_EQ(mm_fault(p, a + PG, true, false), 0);
	long s = mm_map(p, 0, PG, RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
	long r = mm_map(p, 0, PG, PROT_READ, ANON, NULL, 0);
	KT_EXPECT_EQ(mm_fault(p, r, false, false), 0);
	uint64_t old = frame_of(p, a, NULL), cows = mm_cow_count();

	struct mm *c = mm_fork(p);
	KT_EXPECT(c != NULL);
	KT_EXPECT_EQ(count_regions(c), count_regions(p));
	KT_EXPECT_EQ(frame_of(c, a, &cp), old); /* same frame, read-only in both */
	KT_EXPECT_EQ(frame_of(p, a, &pp), old);
	KT_EXPECT_EQ(cp, MMU_USER | MMU_READ);
	KT_EXPECT_EQ(pp, MMU_USER | MMU_READ);
	KT_EXPECT_EQ(page_ref_count(old), 2);
	KT_EXPECT_EQ(frame_of(c, s, &cp), frame_of(p, s, &pp)); /* shared stays writable */
	KT_EXPECT_EQ(cp, MMU_USER | MMU_READ | MMU_WRITE);
	KT_EXPECT_EQ(pp, MMU_USER | MMU_READ | MMU_WRITE);
	KT_EXPECT_EQ(frame_of(c, r, NULL), frame_of(p, r, NULL)); /* read-only is shared */
	KT_EXPECT_EQ(c->pages, p->pages);

	/* The child writes: it gets a copy, the parent keeps the old frame. */
	KT_EXPECT_EQ(mm_fault(c, a + 3, true, false), 0);
	uint64_t copy = frame_of(c, a, &cp);
	KT_EXPECT(copy != 0 && copy != old);
	KT_EXPECT_EQ(cp, MMU_USER | MMU_READ | MMU_WRITE);
	KT_EXPECT(memcmp(phys_to_virt(copy), phys_to_virt(old), PG) == 0);
	KT_EXPECT_EQ(mm_cow_count(), cows + 1);
	KT_EXPECT_EQ(frame_of(p, a, &pp), old);
	KT_EXPECT_EQ(pp, MMU_USER | MMU_READ);
	KT_EXPECT_EQ(page_ref_count(old), 1);
	/* The parent, now the last owner, writes in place. */
	KT_EXPECT_EQ(mm_fault(p, a, true, false), 0);
	KT_EXPECT_EQ(frame_of(p, a, &pp), old);
	KT_EXPECT_EQ(pp, MMU_USER | MMU_READ | MMU_WRITE);
	KT_EXPECT_EQ(mm_cow_count(), cows + 1);
	/* A shared write is seen by both. */
	*bytes_at(c, s) = 0x5a;
	KT_EXPECT_EQ(*bytes_at(p, s), 0x5a);
	/* mm_write into a copy-on-write page breaks the sharing too. */
	KT_EXPECT_EQ(mm_write(c, a + PG, "kid", 4), 0);
	KT_EXPECT(frame_of(c, a + PG, NULL) != frame_of(p, a + PG, NULL));
	mm_put(c);
	mm_put(p);
	KT_EXPECT_EQ(frames_now(), before);
}

KTEST(mm_fork_madvise_flags)
{
	uint64_t before = frames_now();
	struct mm *p = mm_create();

	long a = mm_map(p, 0, 3 * PG, RW, ANON, NULL, 0);
	long b = mm_map(p, 0, PG, RW, ANON, NULL, 0);
	KT_EXPECT_EQ(mm_write(p, a, NULL, 3 * PG), 0);
	KT_EXPECT_EQ(mm_write(p, b, "x", 1), 0);
	KT_EXPECT_EQ(mm_advise(p, a + PG, PG, MADV_DONTFORK), 0);
	KT_EXPECT_EQ(mm_advise(p, b, PG, MADV_WIPEONFORK), 0);
	struct mm *c = mm_fork(p);
	KT_EXPECT(c != NULL);
	KT_EXPECT_EQ(mm_fault(c, a + PG, false, false), -EFAULT);
	KT_EXPECT(frame_of(c, a, NULL) != 0 && frame_of(c, a + 2 * PG, NULL) != 0);
	KT_EXPECT_EQ(frame_of(c, b, NULL), 0);
	KT_EXPECT_EQ(mm_fault(c, b, false, false), 0);
	KT_EXPECT_EQ(*bytes_at(c, b), 0);
	KT_EXPECT_EQ(*bytes_at(p, b), 'x');
	KT_EXPECT_EQ(mm_advise(p, a, 3 * PG, MADV_DOFORK), 0);
	KT_EXPECT_EQ(count_regions(p), 2); /* split for the flag, merged back */
	mm_put(c);
	mm_put(p);
	KT_EXPECT_EQ(frames_now(), before);
}

KTEST(mm_unmap_and_protect_split)
{
	uint64_t before = frames_now();
	struct mm *mm = mm_create();
	unsigned prot;

	long a = mm_map(mm, 0, 4 * PG, RW, ANON, NULL, 0);
	KT_EXPECT_EQ(mm_write(mm, a, NULL, 4 * PG), 0);
	KT_EXPECT_EQ(mm_unmap(mm, a + PG, 2 * PG - 100), 0); /* rounded up to two pages */
	KT_EXPECT_EQ(count_regions(mm), 2);
	KT_EXPECT(frame_of(mm, a, NULL) != 0 && frame_of(mm, a + 3 * PG, NULL) != 0);
	KT_EXPECT_EQ(frame_of(mm, a + PG, NULL), 0);
	KT_EXPECT_EQ(mm_fault(mm, a + 2 * PG, false, false), -EFAULT);
	KT_EXPECT_EQ(mm->pages, 2);
	KT_EXPECT_EQ(mm_unmap(mm, a + PG, 2 * PG), 0); /* nothing there: fine */
	KT_EXPECT_EQ(mm_unmap(mm, a + 1, PG), -EINVAL);
	KT_EXPECT_EQ(mm_unmap(mm, a, 0), -EINVAL);
	KT_EXPECT_EQ(mm_protect(mm, a, 4 * PG, PROT_READ), -ENOMEM); /* the hole */
	KT_EXPECT(frame_of(mm, a, &prot) != 0);
	KT_EXPECT_EQ(prot, MMU_USER | MMU_READ | MMU_WRITE); /* nothing changed */
	KT_EXPECT_EQ(mm_protect(mm, a + 1, PG, PROT_READ), -EINVAL);
	KT_EXPECT_EQ(mm_protect(mm, a, 0, PROT_READ), 0);

	long b = mm_map(mm, 0x800000, 3 * PG, RW, ANON, NULL, 0);
	KT_EXPECT_EQ(mm_write(mm, b, NULL, 3 * PG), 0);
	unsigned n = count_regions(mm);
	KT_EXPECT_EQ(mm_protect(mm, b + PG, PG, PROT_READ), 0);
	KT_EXPECT_EQ(count_regions(mm), n + 2);
	KT_EXPECT(frame_of(mm, b + PG, &prot) != 0);
	KT_EXPECT_EQ(prot, MMU_USER | MMU_READ);
	KT_EXPECT_EQ(mm_fault(mm, b + PG, true, false), -EACCES);
	KT_EXPECT(frame_of(mm, b + 2 * PG, &prot) != 0);
	KT_EXPECT_EQ(prot, MMU_USER | MMU_READ | MMU_WRITE);
	KT_EXPECT_EQ(mm_protect(mm, b + PG, PG, PROT_NONE), 0);
	KT_EXPECT_EQ(mm_fault(mm, b + PG, false, false), -EACCES);
	*bytes_at(mm, b) = 1; /* frames are kept under PROT_NONE */
	KT_EXPECT_EQ(mm_protect(mm, b, 3 * PG, RW), 0);
	KT_EXPECT_EQ(count_regions(mm), n); /* merged again */
	KT_EXPECT(frame_of(mm, b + PG, &prot) != 0);
	KT_EXPECT_EQ(prot, MMU_USER | MMU_READ | MMU_WRITE);
	mm_put(mm);
	KT_EXPECT_EQ(frames_now(), before);
}

KTEST(mm_map_fixed_and_errors)
{
	uint64_t before = frames_now();
	struct mm *mm = mm_create();

	long a = mm_map(mm, 0, 3 * PG, RW, ANON, NULL, 0);
	KT_EXPECT_EQ(mm_write(mm, a, "abc", 3), 0);
	KT_EXPECT_EQ(mm_write(mm, a + PG, "def", 3), 0);
	KT_EXPECT_EQ(mm_map(mm, a + PG, PG, RW, ANON | MAP_FIXED_NOREPLACE, NULL, 0), -EEXIST);
	KT_EXPECT_EQ(mm_map(mm, a + PG, PG, RW, ANON | MAP_FIXED, NULL, 0), a + PG);
	KT_EXPECT_EQ(frame_of(mm, a + PG, NULL), 0); /* replaced: zero on touch */
	KT_EXPECT_EQ(*bytes_at(mm, a), 'a');
	KT_EXPECT_EQ(mm_map(mm, a + 1, PG, RW, ANON | MAP_FIXED, NULL, 0), -EINVAL);
	KT_EXPECT_EQ(mm_map(mm, 0, 0, RW, ANON, NULL, 0), -EINVAL);
	KT_EXPECT_EQ(mm_map(mm, 0, PG, RW, MAP_PRIVATE, NULL, 100), -EINVAL);
	KT_EXPECT_EQ(mm_map(mm, USER_TOP - PG, 2 * PG, RW, ANON | MAP_FIXED, NULL, 0), -ENOMEM);
	KT_EXPECT_EQ(mm_map(mm, 0, 1ull << 63, RW, ANON, NULL, 0), -ENOMEM);
	KT_EXPECT_EQ(mm_map(mm, 0, 1ull << 46, RW, ANON, NULL, 0), -ENOMEM); /* overcommit */
	long big = mm_map(mm, 0, 1ull << 40, RW, ANON | MAP_NORESERVE, NULL, 0);
	KT_EXPECT(big > 0);
	/* A huge sparse region costs what its pages cost: these walks stop early. */
	KT_EXPECT_EQ(mm_fault(mm, big + 5, true, false), 0);
	KT_EXPECT_EQ(mm_unmap(mm, big + (1ull << 39), 1ull << 30), 0);
	KT_EXPECT_EQ(mm_protect(mm, big, 1ull << 38, PROT_READ), 0);
	KT_EXPECT_EQ(mm_fault(mm, big + 5, true, false), -EACCES);
	KT_EXPECT_EQ(mm_map(mm, 0x1000, PG, RW, ANON | MAP_FIXED, NULL, 0), -EPERM);
	long low = mm_map(mm, 0x1000, PG, RW, ANON, NULL, 0); /* a hint below min: ignored */
	KT_EXPECT(low >= (long)ELF_MIN_VADDR);
	/* A taken hint falls back to a free place. */
	long h = mm_map(mm, a, PG, RW, ANON, NULL, 0);
	KT_EXPECT(h > 0 && h != a);
	mm_put(mm);
	KT_EXPECT_EQ(frames_now(), before);
}

KTEST(mm_brk_and_stack)
{
	uint64_t before = frames_now();
	struct mm *mm = mm_create();
	const uintptr_t start = 0x600000;

	KT_EXPECT_EQ(mm_setup_stack(mm, MM_STACK_TOP, false), 0);
	KT_EXPECT_EQ(mm_fault(mm, MM_STACK_TOP - 8, true, false), 0);
	KT_EXPECT_EQ(mm_fault(mm, MM_STACK_TOP - (1ul << 20), true, false), 0);
	KT_EXPECT_EQ(mm_fault(mm, MM_STACK_TOP - MM_STACK_MAX - 1, true, false), -EFAULT);
	long m = mm_map(mm, 0, PG, RW, ANON, NULL, 0);
	KT_EXPECT((uintptr_t)m + PG <= MM_MMAP_BASE);

	mm_set_brk_start(mm, start - 100); /* rounded up to the page */
	KT_EXPECT_EQ(mm_brk(mm, 0), start);
	KT_EXPECT_EQ(mm_fault(mm, start, false, false), -EFAULT);
	KT_EXPECT_EQ(mm_brk(mm, start + 2 * PG + 8), start + 2 * PG + 8);
	KT_EXPECT_EQ(mm_fault(mm, start + 2 * PG + 100, true, false), 0); /* the page of brk */
	KT_EXPECT_EQ(mm_fault(mm, start + 3 * PG, true, false), -EFAULT);
	KT_EXPECT_EQ(mm_write(mm, start, "heap", 5), 0);
	KT_EXPECT_EQ(mm->pages, 4);
	KT_EXPECT_EQ(mm_brk(mm, start + 4 * PG), start + 4 * PG);
	KT_EXPECT_EQ(count_regions(mm), 3); /* the heap grew as one region */
	KT_EXPECT_EQ(mm_brk(mm, start - PG), start + 4 * PG); /* below the start: refused */
	KT_EXPECT_EQ(mm_brk(mm, MM_STACK_TOP - PG), start + 4 * PG); /* into the stack */
	KT_EXPECT_EQ(mm_brk(mm, (uintptr_t)-PG), start + 4 * PG);
	/* A mapping just above the heap stops it. */
	KT_EXPECT_EQ(mm_map(mm, start + 8 * PG, PG, RW, ANON | MAP_FIXED, NULL, 0), start + 8 * PG);
	KT_EXPECT_EQ(mm_brk(mm, start + 8 * PG), start + 4 * PG);
	KT_EXPECT_EQ(mm_brk(mm, start + 7 * PG), start + 7 * PG);
	KT_EXPECT_EQ(mm_brk(mm, start), start); /* shrink: the pages go */
	KT_EXPECT_EQ(frame_of(mm, start, NULL), 0);
	KT_EXPECT_EQ(mm->pages, 2);
	KT_EXPECT_EQ(mm_brk(mm, start + PG), start + PG);
	KT_EXPECT_EQ(mm_fault(mm, start, false, false), 0);
	KT_EXPECT_EQ(*bytes_at(mm, start), 0); /* fresh zeros after regrowth */
	mm_put(mm);
	KT_EXPECT_EQ(frames_now(), before);
}

KTEST(mm_remap_and_dontneed)
{
	uint64_t before = frames_now();
	struct mm *mm = mm_create();

	long a = mm_map(mm, 0x700000, 2 * PG, RW, ANON, NULL, 0);
	KT_EXPECT_EQ(mm_write(mm, a, "one", 4), 0);
	KT_EXPECT_EQ(mm_write(mm, a + PG, "two", 4), 0);
	uint64_t f0 = frame_of(mm, a, NULL);
	KT_EXPECT_EQ(mm_remap(mm, a, 2 * PG, 3 * PG, 0, 0), a); /* room above: in place */
	KT_EXPECT_EQ(mm_fault(mm, a + 2 * PG, true, false), 0);
	KT_EXPECT_EQ(mm_map(mm, a + 3 * PG, PG, RW, ANON | MAP_FIXED, NULL, 0), a + 3 * PG);
	KT_EXPECT_EQ(mm_remap(mm, a, 3 * PG, 4 * PG, 0, 0), -ENOMEM);
	long n = mm_remap(mm, a, 3 * PG, 8 * PG, MREMAP_MAYMOVE, 0);
	KT_EXPECT(n > 0 && n != a);
	KT_EXPECT_EQ(frame_of(mm, n, NULL), f0); /* the frame moved, not a copy */
	KT_EXPECT_EQ(memcmp(bytes_at(mm, n + PG), "two", 4), 0);
	KT_EXPECT_EQ(frame_of(mm, a, NULL), 0);
	KT_EXPECT_EQ(mm_fault(mm, a, false, false), -EFAULT);
	KT_EXPECT_EQ(mm_remap(mm, n, 8 * PG, PG, 0, 0), n); /* shrink */
	KT_EXPECT_EQ(mm_fault(mm, n + PG, false, false), -EFAULT);
	KT_EXPECT_EQ(mm->pages, 1); /* "one": the shrink dropped the other two */
	KT_EXPECT_EQ(mm_remap(mm, n + 5 * PG, PG, PG, 0, 0), -EFAULT);
	KT_EXPECT_EQ(mm_remap(mm, n, PG, 0, 0, 0), -EINVAL);
	KT_EXPECT_EQ(mm_remap(mm, n, PG, 2 * PG, MREMAP_FIXED, 0x900000), -EINVAL);
	KT_EXPECT_EQ(mm_remap(mm, n, PG, 2 * PG, MREMAP_FIXED | MREMAP_MAYMOVE, 0x900000),
		     0x900000);
	KT_EXPECT_EQ(memcmp(bytes_at(mm, 0x900000), "one", 4), 0);

	/* MADV_DONTNEED: the page reads as zero next time. */
	KT_EXPECT_EQ(mm_advise(mm, 0x900000, 2 * PG, MADV_DONTNEED), 0);
	KT_EXPECT_EQ(frame_of(mm, 0x900000, NULL), 0);
	KT_EXPECT_EQ(mm_fault(mm, 0x900000, false, false), 0);
	KT_EXPECT_EQ(*bytes_at(mm, 0x900000), 0);
	KT_EXPECT_EQ(mm_advise(mm, 0x900000, PG, 999), -EINVAL);
	KT_EXPECT_EQ(mm_advise(mm, 0x900001, PG, MADV_NORMAL), -EINVAL);
	KT_EXPECT_EQ(mm_advise(mm, 0x900000, 4 * PG, MADV_NORMAL), -ENOMEM); /* a hole */
	KT_EXPECT_EQ(mm_advise(mm, 0x900000, 0, MADV_NORMAL), 0);
	KT_EXPECT_EQ(mm_advise(mm, 0x900000, 2 * PG, MADV_POPULATE_WRITE), 0);
	KT_EXPECT(frame_of(mm, 0x900000 + PG, NULL) != 0);

	/* Shared memory: old_len 0 duplicates it; DONTNEED keeps it, REMOVE zeroes it. */
	long s = mm_map(mm, 0, PG, RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
	KT_EXPECT_EQ(mm_remap(mm, 0x900000, 0, PG, MREMAP_MAYMOVE, 0), -EINVAL);
	long d = mm_remap(mm, s, 0, PG, MREMAP_MAYMOVE, 0);
	KT_EXPECT(d > 0 && d != s);
	KT_EXPECT_EQ(frame_of(mm, d, NULL), frame_of(mm, s, NULL));
	*bytes_at(mm, s) = 7;
	KT_EXPECT_EQ(mm_advise(mm, s, PG, MADV_DONTNEED), 0);
	KT_EXPECT_EQ(*bytes_at(mm, d), 7);
	KT_EXPECT_EQ(mm_advise(mm, s, PG, MADV_FREE), -EINVAL);
	KT_EXPECT_EQ(mm_advise(mm, d, PG, MADV_REMOVE), 0);
	KT_EXPECT_EQ(*bytes_at(mm, s), 0);
	KT_EXPECT_EQ(mm_advise(mm, 0x900000, PG, MADV_REMOVE), -EINVAL);
	KT_EXPECT_EQ(mm_advise(mm, 0x900000, PG, MADV_HUGEPAGE), -EINVAL);
	mm_put(mm);
	KT_EXPECT_EQ(frames_now(), before);
}

KTEST(mm_private_file_map)
{
	struct mount *mnt;
	struct file *f;
	static char buf[5000];

	KT_EXPECT_EQ(vfs_init(), 0); /* first, as it may keep what it allocates */
	uint64_t before = frames_now();
	if (vfs_kern_mount("tmpfs", NULL, "mode=755", &mnt) != 0) {
		ktest_fail(__FILE__, __LINE__, "no tmpfs");
		return;
	}
	struct path root = {mnt, mnt->sb->root};
	KT_EXPECT_EQ(vfs_open(&root, NULL, "/f", O_RDWR | O_CREAT, 0644, &f), 0);
	for (unsigned i = 0; i < sizeof buf; i++)
		buf[i] = (char)('a' + i % 26);
	struct uio u = uio_kernel(buf, sizeof buf);
	KT_EXPECT_EQ(vfs_write(f, &u), (long)sizeof buf);

	struct mm *mm = mm_create();
	KT_EXPECT_EQ(mm_map(mm, 0, PG, PROT_READ, MAP_PRIVATE, f, 1), -EINVAL);
	long a = mm_map(mm, 0, 2 * PG, RW, MAP_PRIVATE, f, PG);
	KT_EXPECT(a > 0);
	KT_EXPECT_EQ(mm->pages, 1); /* read in at once, up to EOF */
	KT_EXPECT_EQ(memcmp(bytes_at(mm, a), buf + PG, sizeof buf - PG), 0);
	KT_EXPECT_EQ(*bytes_at(mm, a + sizeof buf - PG), 0); /* zeros after EOF */
	KT_EXPECT_EQ(mm_fault(mm, a + PG, false, false), -EIO); /* wholly beyond EOF: SIGBUS */
	/* Private writes stay private; MADV_DONTNEED reads the file again. */
	*bytes_at(mm, a) = '!';
	KT_EXPECT_EQ(mm_advise(mm, a, PG, MADV_DONTNEED), 0);
	KT_EXPECT_EQ(*bytes_at(mm, a), (unsigned char)buf[PG]);
	KT_EXPECT_EQ(mm_advise(mm, a, PG, MADV_FREE), -EINVAL);
	KT_EXPECT_EQ(mm_advise(mm, a, PG, MADV_REMOVE), -EACCES);
	/* mremap growth reads the file's next pages; a fork child has them too. */
	long g = mm_map(mm, 0x2000000, PG, PROT_READ, MAP_PRIVATE, f, 0);
	KT_EXPECT_EQ(g, 0x2000000);
	KT_EXPECT_EQ(mm_remap(mm, g, PG, 3 * PG, 0, 0), g);
	KT_EXPECT_EQ(memcmp(bytes_at(mm, g + PG), buf + PG, sizeof buf - PG), 0);
	KT_EXPECT_EQ(mm_fault(mm, g + 2 * PG, false, false), -EIO);
	long m = mm_remap(mm, g, 3 * PG, 4 * PG, MREMAP_FIXED | MREMAP_MAYMOVE, 0x3000000);
	KT_EXPECT_EQ(m, 0x3000000);
	KT_EXPECT_EQ(*bytes_at(mm, m), 'a');
	struct mm *c = mm_fork(mm);
	KT_EXPECT_EQ(*bytes_at(c, m + PG), (unsigned char)buf[PG]);
	KT_EXPECT_EQ(mm_fault(c, m + 3 * PG, false, false), -EIO);
	mm_put(c);
	file_put(f);
	mm_put(mm); /* drops the mapping's file reference */
	KT_EXPECT_EQ(vfs_umount(mnt), 0);
	KT_EXPECT_EQ(frames_now(), before);
}

/* The file's bytes at pos, n <= 16, NUL-terminated in out. */
static long file_bytes(struct file *f, uint64_t pos, char *out, size_t n)
{
	struct uio u = uio_kernel(out, n);
	long r = vfs_pread(f, &u, pos);
	out[r > 0 ? r : 0] = 0;
	return r;
}

KTEST(mm_shared_file_writeback)
{
	struct mount *mnt;
	struct file *f, *ro;
	static char buf[5000];
	char got[17];
	unsigned prot = 0;

	KT_EXPECT_EQ(vfs_init(), 0);
	uint64_t before = frames_now();
	if (vfs_kern_mount("tmpfs", NULL, "mode=755", &mnt) != 0) {
		ktest_fail(__FILE__, __LINE__, "no tmpfs");
		return;
	}
	struct path root = {mnt, mnt->sb->root};
	KT_EXPECT_EQ(vfs_open(&root, NULL, "/s", O_RDWR | O_CREAT, 0644, &f), 0);
	KT_EXPECT_EQ(vfs_open(&root, NULL, "/s", O_RDONLY, 0, &ro), 0);
	memset(buf, 'a', sizeof buf);
	struct uio u = uio_kernel(buf, sizeof buf);
	KT_EXPECT_EQ(vfs_write(f, &u), (long)sizeof buf);

	struct mm *mm = mm_create();
	long a = mm_map(mm, 0, 3 * PG, RW, MAP_SHARED, f, 0);
	KT_EXPECT(a > 0);
	KT_EXPECT_EQ(mm->pages, 0); /* read on first touch: a later write() shows */
	char one[2] = "Z";
	u = uio_kernel(one, 1);
	KT_EXPECT_EQ(vfs_pwrite(f, &u, 0), 1);
	KT_EXPECT_EQ(mm_fault(mm, a, false, false), 0);
	KT_EXPECT_EQ(*bytes_at(mm, a), 'Z');
	frame_of(mm, a, &prot);
	KT_EXPECT_EQ(prot & MMU_WRITE, 0); /* clean: read-only until the first store */
	KT_EXPECT_EQ(mm_fault(mm, a + 2 * PG, false, false), -EIO); /* wholly beyond EOF */
	/* A store (write fault) makes a page dirty; msync writes it below EOF only. */
	KT_EXPECT_EQ(mm_fault(mm, a + PG, true, false), 0);
	frame_of(mm, a + PG, &prot);
	KT_EXPECT(prot & MMU_WRITE);
	memcpy(bytes_at(mm, a + PG), "dirty", 5);
	*bytes_at(mm, a + sizeof buf) = 'X'; /* past EOF in the last page: stays out */
	KT_EXPECT_EQ(mm_msync(mm, a, 3 * PG, false), 0);
	KT_EXPECT_EQ(file_bytes(f, PG, got, 5), 5);
	KT_EXPECT_EQ(strcmp(got, "dirty"), 0);
	KT_EXPECT_EQ(f->path.ino->size, sizeof buf);
	frame_of(mm, a + PG, &prot);
	KT_EXPECT_EQ(prot & MMU_WRITE, 0); /* clean again */
	KT_EXPECT_EQ(mm_msync(mm, 0x900000, PG, false), -ENOMEM);
	/* munmap writes back what it removes. */
	KT_EXPECT_EQ(mm_fault(mm, a + PG, true, false), 0);
	*bytes_at(mm, a + PG) = '?';
	KT_EXPECT_EQ(mm_unmap(mm, a + PG, PG), 0);
	KT_EXPECT_EQ(file_bytes(f, PG, got, 2), 2);
	KT_EXPECT_EQ(strcmp(got, "?i"), 0);
	/* fork shares the frames; each side's mm_put writes back its dirty pages. */
	KT_EXPECT_EQ(mm_fault(mm, a, true, false), 0);
	struct mm *c = mm_fork(mm);
	KT_EXPECT_EQ(frame_of(c, a, NULL), frame_of(mm, a, NULL));
	bytes_at(c, a)[1] = 'C';
	KT_EXPECT_EQ(bytes_at(mm, a)[1], 'C');
	mm_put(c);
	KT_EXPECT_EQ(file_bytes(f, 0, got, 2), 2);
	KT_EXPECT_EQ(strcmp(got, "ZC"), 0);
	bytes_at(mm, a)[2] = 'P'; /* still writable (dirty) in the parent */
	/* MS_INVALIDATE drops clean pages: the next touch reads the file again. */
	long b = mm_map(mm, 0, PG, PROT_READ, MAP_SHARED, ro, 0);
	KT_EXPECT_EQ(mm_fault(mm, b, false, false), 0);
	KT_EXPECT_EQ(mm_protect(mm, b, PG, RW), -EACCES); /* ro is not open for writing */
	one[0] = 'W';
	u = uio_kernel(one, 1);
	KT_EXPECT_EQ(vfs_pwrite(f, &u, 3), 1);
	KT_EXPECT_EQ(bytes_at(mm, b)[3], 'a');
	KT_EXPECT_EQ(mm_msync(mm, b, PG, true), 0);
	KT_EXPECT_EQ(frame_of(mm, b, NULL), 0);
	mm_prefault(mm, b - PG, 2 * PG, false); /* what read()/write() do first */
	KT_EXPECT(frame_of(mm, b, NULL) != 0);
	KT_EXPECT_EQ(bytes_at(mm, b)[3], 'W');
	mm_put(mm); /* exit: the dirty page goes to the file */
	KT_EXPECT_EQ(file_bytes(f, 0, got, 4), 4);
	/* The whole dirty page went back, over the 'W' written to the file after the page was
	 * read: no shared page cache here (core/mm_sync.c). */
	KT_EXPECT_EQ(strcmp(got, "ZCPa"), 0);
	file_put(ro);
	file_put(f);
	KT_EXPECT_EQ(vfs_umount(mnt), 0);
	KT_EXPECT_EQ(frames_now(), before);
}
