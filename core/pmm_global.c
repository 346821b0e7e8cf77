/*
 * core/pmm_global.c: the kernel's frame allocator, one struct pmm behind one spinlock.
 *
 * The algorithm is core/pmm.c; this file adds what only the kernel has: the lock (taken with
 * interrupts masked, so an interrupt handler may allocate), the bootstrap that carves the
 * metadata array out of RAM, and the policy that misuse is a bug. Out of memory is not a bug:
 * alloc_* return 0 and the caller reports -ENOMEM. A double free or a free of something never
 * allocated is, and it panics here with the address, while the evidence is fresh, rather than
 * corrupting the free lists and failing somewhere unrelated later.
 *
 * The pmm lock is a leaf: nothing is called while it is held. The heap's lock is taken outside
 * it (kmalloc may call alloc_npages), never the reverse.
 */
#include "core/pmm.h"

#include "core/errno.h"
#include "core/layout.h"
#include "core/panic.h"
#include "core/spinlock.h"

static struct spinlock pmm_lock = SPINLOCK_INIT("pmm");
static struct pmm kernel_pmm; /* guarded by pmm_lock; zeroed = empty until pmm_boot_init */

void pmm_boot_init(const struct boot_info *bi, uint64_t limit)
{
	struct phys_range mem[BOOT_MAX_RANGES], res[BOOT_MAX_RANGES + 2];
	unsigned nmem = bi->nmem < BOOT_MAX_RANGES ? bi->nmem : BOOT_MAX_RANGES;
	unsigned nres = bi->nreserved < BOOT_MAX_RANGES ? bi->nreserved : BOOT_MAX_RANGES;
	uint64_t meta_pa;

	for (unsigned i = 0; i < nmem; i++)
		mem[i] = bi->mem[i];
	for (unsigned i = 0; i < nres; i++)
		res[i] = bi->reserved[i];
	/* The image is in bi->reserved already on both ports; listing it again costs nothing and
	 * keeps the allocator from handing out its own code if a port forgets. */
	res[nres++] = (struct phys_range){bi->kernel_phys_start,
					  bi->kernel_phys_end - bi->kernel_phys_start};
	nmem = pmm_clip(mem, nmem, limit);
	size_t bytes = pmm_meta_bytes(mem, nmem);
	if (pmm_meta_place(mem, nmem, res, nres, bytes, limit, &meta_pa) != 0)
		panic("pmm: no room for %zu bytes of frame metadata", bytes);
	res[nres++] = (struct phys_range){meta_pa, bytes};

	unsigned long s = spin_lock_irqsave(&pmm_lock);
	int err = pmm_init(&kernel_pmm, mem, nmem, res, nres, phys_to_virt(meta_pa), bytes);
	spin_unlock_irqrestore(&pmm_lock, s);
	if (err)
		panic("pmm: init failed (%d): %u RAM ranges", err, nmem);
	pr_info("pmm: %llu MiB free of %llu MiB managed, metadata %zu KiB at %#llx\n",
		(unsigned long long)(pmm_free_frames() >> (20 - PAGE_SHIFT)),
		(unsigned long long)(pmm_total_frames() >> (20 - PAGE_SHIFT)), bytes >> 10,
		(unsigned long long)meta_pa);
}

uint64_t alloc_npages(size_t n)
{
	unsigned long s = spin_lock_irqsave(&pmm_lock);
	uint64_t pa = pmm_alloc_n(&kernel_pmm, n);
	spin_unlock_irqrestore(&pmm_lock, s);
	return pa;
}

uint64_t alloc_pages(unsigned order)
{
	if (order > PMM_MAX_ORDER)
		return 0;
	return alloc_npages((size_t)1 << order);
}

/* The panic happens after the lock is dropped, so panic's own output cannot deadlock on it. */
void free_npages(uint64_t pa, size_t n)
{
	unsigned long s = spin_lock_irqsave(&pmm_lock);
	int err = pmm_free_n(&kernel_pmm, pa, n);
	spin_unlock_irqrestore(&pmm_lock, s);
	if (err == -EBUSY)
		panic("free_npages(%#llx, %zu): frames still shared (use page_ref_put)",
		      (unsigned long long)pa, n);
	if (err)
		panic("free_npages(%#llx, %zu): not a live allocation of that size (double free?)",
		      (unsigned long long)pa, n);
}

void free_pages(uint64_t pa, unsigned order)
{
	if (order > PMM_MAX_ORDER)
		panic("free_pages(%#llx, %u): order too large", (unsigned long long)pa, order);
	free_npages(pa, (size_t)1 << order);
}

/* Run one reference operation under the lock; a negative result is a caller's bug. */
static unsigned long ref_op(long (*op)(struct pmm *, uint64_t), const char *name, uint64_t pa)
{
	unsigned long s = spin_lock_irqsave(&pmm_lock);
	long r = op(&kernel_pmm, pa);
	spin_unlock_irqrestore(&pmm_lock, s);
	if (r < 0)
		panic("%s(%#llx): not the start of a live allocation (%ld)", name,
		      (unsigned long long)pa, r);
	return (unsigned long)r;
}

static long ref_count_op(struct pmm *p, uint64_t pa)
{
	return pmm_ref_count(p, pa);
}

unsigned long page_ref_get(uint64_t pa)
{
	return ref_op(pmm_ref_get, "page_ref_get", pa);
}

unsigned long page_ref_put(uint64_t pa)
{
	return ref_op(pmm_ref_put, "page_ref_put", pa);
}

unsigned long page_ref_count(uint64_t pa)
{
	return ref_op(ref_count_op, "page_ref_count", pa);
}

uint64_t pmm_free_frames(void)
{
	unsigned long s = spin_lock_irqsave(&pmm_lock);
	uint64_t n = pmm_nr_free(&kernel_pmm);
	spin_unlock_irqrestore(&pmm_lock, s);
	return n;
}

uint64_t pmm_total_frames(void)
{
	unsigned long s = spin_lock_irqsave(&pmm_lock);
	uint64_t n = pmm_nr_total(&kernel_pmm);
	spin_unlock_irqrestore(&pmm_lock, s);
	return n;
}
