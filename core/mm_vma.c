/*
 * core/mm_vma.c: the region list of an address space and the page-range operations on it.
 *
 * Regions are a singly linked list sorted by address that never overlaps (see core/mm.h);
 * every operation walks it from the head, which is fine for the tens of regions a program
 * has. A region's pages are present or not as the page tables say: there is no per-page
 * bookkeeping besides the frame reference counts, so "which pages does this range hold" is a
 * walk with arch_mmu_query. Each present page holds one reference on its frame.
 *
 * Invariants kept here (mm->lock held by every caller):
 *  - regions are page aligned, start < end, sorted, disjoint;
 *  - a present page is mapped with page_mmu_prot(its region, its frame), except that a
 *    private page whose frame became sole-owned may still be read-only until its next write
 *    fault (which then makes it writable in place);
 *  - mm->pages is the number of present pages.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/mm_internal.h"
#include "core/string.h"
#include "fs/vfs.h"

/* ---- The region list ------------------------------------------------------------------- */

struct vma *vma_new(uintptr_t start, uintptr_t end, unsigned prot, unsigned flags)
{
	struct vma *v = kzalloc(sizeof *v);

	if (v) {
		v->start = start;
		v->end = end;
		v->prot = prot;
		v->flags = flags;
	}
	return v;
}

void vma_free(struct vma *v)
{
	if (v->file)
		file_put(v->file);
	kfree(v);
}

struct vma *vma_first_above(struct mm *mm, uintptr_t addr)
{
	struct vma *v = mm->vmas;

	while (v && v->end <= addr)
		v = v->next;
	return v;
}

struct vma *vma_find(struct mm *mm, uintptr_t addr)
{
	struct vma *v = vma_first_above(mm, addr);

	return v && v->start <= addr ? v : NULL;
}

bool vma_range_free(struct mm *mm, uintptr_t a, uintptr_t b)
{
	struct vma *v = vma_first_above(mm, a);

	return !v || v->start >= b;
}

bool vma_range_covered(struct mm *mm, uintptr_t a, uintptr_t b)
{
	struct vma *v = vma_first_above(mm, a);

	while (a < b) {
		if (!v || v->start > a)
			return false;
		a = v->end;
		v = v->next;
	}
	return true;
}

void vma_insert(struct mm *mm, struct vma *v)
{
	struct vma **pp = &mm->vmas;

	while (*pp && (*pp)->start < v->start)
		pp = &(*pp)->next;
	v->next = *pp;
	*pp = v;
}

/* Present pages of v in [a, b): a walk that stops once it has seen all of v's. */
static uint64_t count_present(struct mm *mm, const struct vma *v, uintptr_t a, uintptr_t b)
{
	uint64_t n = 0, pa;
	unsigned prot;

	for (uintptr_t va = a; n < v->pages && arch_mmu_next(mm->as, &va, b, &pa, &prot) == 0;
	     va += PAGE_SIZE)
		n++;
	return n;
}

/* Cut v in two at `at` (strictly inside it): v keeps the lower part. */
static int vma_split(struct mm *mm, struct vma *v, uintptr_t at)
{
	struct vma *n = vma_new(at, v->end, v->prot, v->flags);

	if (!n)
		return -ENOMEM;
	uint64_t low = count_present(mm, v, v->start, at);
	n->pages = v->pages - low;
	v->pages = low;
	if (v->file) {
		n->file = v->file;
		file_get(n->file);
		n->off = v->off + (at - v->start);
	}
	n->next = v->next;
	v->next = n;
	v->end = at;
	return 0;
}

int vma_split_at(struct mm *mm, uintptr_t a, uintptr_t b)
{
	struct vma *v = vma_find(mm, a);
	int err = 0;

	if (v && v->start < a)
		err = vma_split(mm, v, a);
	v = vma_find(mm, b);
	if (!err && v && v->start < b)
		err = vma_split(mm, v, b);
	return err;
}

/* a and b (a directly below b) can be one region. */
static bool vma_alike(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && a->prot == b->prot && a->flags == b->flags &&
	       a->file == b->file && (!a->file || a->off + (a->end - a->start) == b->off);
}

static void vma_absorb_next(struct vma *v)
{
	struct vma *n = v->next;

	v->end = n->end;
	v->pages += n->pages;
	v->next = n->next;
	vma_free(n);
}

struct vma *vma_merge(struct mm *mm, struct vma *v)
{
	struct vma *prev = NULL;

	for (struct vma *p = mm->vmas; p != v; p = p->next)
		prev = p;
	if (prev && vma_alike(prev, v)) {
		vma_absorb_next(prev);
		v = prev;
	}
	if (v->next && vma_alike(v, v->next))
		vma_absorb_next(v);
	return v;
}

int mm_remove_range(struct mm *mm, uintptr_t a, uintptr_t b)
{
	int err = vma_split_at(mm, a, b);

	if (err)
		return err;
	for (struct vma **pp = &mm->vmas; *pp && (*pp)->start < b;) {
		struct vma *v = *pp;

		if (v->start >= a) {
			mm_zap(mm, v, v->start, v->end);
			*pp = v->next;
			vma_free(v);
		} else {
			pp = &v->next;
		}
	}
	return 0;
}

/* ---- Pages ----------------------------------------------------------------------------- */

unsigned vma_mmu_prot(const struct vma *v)
{
	unsigned p = MMU_USER | MMU_READ;

	if (!(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return 0; /* PROT_NONE: kept, but no access at all */
	if (v->prot & PROT_WRITE)
		p |= MMU_WRITE;
	if (v->prot & PROT_EXEC)
		p |= MMU_EXEC;
	return p;
}

unsigned page_mmu_prot(const struct vma *v, uint64_t pa)
{
	unsigned p = vma_mmu_prot(v);

	if ((p & MMU_WRITE) && !(v->flags & VMA_SHARED) && page_ref_count(pa) > 1)
		p &= ~(unsigned)MMU_WRITE; /* copy-on-write: another owner still has it */
	return p;
}

unsigned page_mmu_prot_now(const struct vma *v, uint64_t pa, unsigned cur)
{
	unsigned p = page_mmu_prot(v, pa);

	if (vma_shared_file(v) && !(cur & MMU_WRITE))
		p &= ~(unsigned)MMU_WRITE; /* clean: the first store marks it dirty */
	return p;
}

/* Pages are unmapped in batches so one TLB invalidation covers many, and a frame is only
 * released after its mapping is gone (no CPU can still write into a freed frame). */
#define ZAP_BATCH 64

void mm_zap(struct mm *mm, struct vma *v, uintptr_t a, uintptr_t b)
{
	uint64_t frames[ZAP_BATCH];

	while (a < b && v->pages && arch_mmu_next(mm->as, &a, b, NULL, NULL) == 0) {
		/* a is the first mapped page left: the holes before it cost one walk */
		uintptr_t end = b - a > ZAP_BATCH * PAGE_SIZE ? a + ZAP_BATCH * PAGE_SIZE : b;
		unsigned n = 0, prot;

		for (uintptr_t va = a; va < end; va += PAGE_SIZE)
			if (arch_mmu_query(mm->as, va, &frames[n], &prot) == 0)
				n++;
		if (n) {
			arch_mmu_unmap(mm->as, a, end - a);
			for (unsigned i = 0; i < n; i++)
				page_ref_put(frames[i]);
			mm->pages -= n;
			v->pages -= n;
		}
		a = end;
	}
}

void mm_reprotect(struct mm *mm, const struct vma *v, uintptr_t a, uintptr_t b)
{
	uintptr_t run = 0;
	unsigned run_prot = 0;
	bool in_run = false;
	uint64_t seen = 0;

	/* Runs of present pages that get the same protection: one arch call each. */
	for (uintptr_t va = a; va <= b; va += PAGE_SIZE) {
		uint64_t pa;
		unsigned prot, want = 0;
		bool present = false;

		if (va < b && seen < v->pages) /* out of a run, jump over the hole at once */
			present = in_run ? arch_mmu_query(mm->as, va, &pa, &prot) == 0
					 : arch_mmu_next(mm->as, &va, b, &pa, &prot) == 0;

		if (present) {
			want = page_mmu_prot_now(v, pa, prot);
			seen++;
		}
		if (in_run && (!present || want != run_prot)) {
			arch_mmu_protect(mm->as, run, va - run, run_prot);
			in_run = false;
		}
		if (present && !in_run) {
			run = va;
			run_prot = want;
			in_run = true;
		}
		if (!in_run && seen == v->pages)
			break;
	}
}

int mm_new_page(struct mm *mm, struct vma *v, uintptr_t va, uint64_t *pa)
{
	uint64_t f = alloc_page();
	int err;

	if (!f)
		return -ENOMEM;
	memset(phys_to_virt(f), 0, PAGE_SIZE);
	err = arch_mmu_map(mm->as, va, f, PAGE_SIZE, vma_mmu_prot(v));
	if (err) {
		page_ref_put(f);
		return err;
	}
	mm->pages++;
	v->pages++;
	*pa = f;
	return 0;
}

int mm_populate(struct mm *mm, struct vma *v, uintptr_t a, uintptr_t b)
{
	for (uintptr_t va = a; va < b; va += PAGE_SIZE) {
		uint64_t pa;
		unsigned prot;

		if (arch_mmu_query(mm->as, va, &pa, &prot) == 0)
			continue;
		int err = mm_new_page(mm, v, va, &pa);
		if (err)
			return err;
	}
	return 0;
}
