/*
 * core/mm_map.c: changing what an address space holds: mmap, munmap, mprotect, brk, mremap.
 *
 * Address choice (mm_find_free): a hint is used as given when the whole range is free, at or
 * above ELF_MIN_VADDR (Linux's mmap_min_addr) and outside the stack's guard gap; otherwise the
 * highest free gap below mm->mmap_base that lies above the break (top-down first fit, as
 * Linux's default layout), so the heap keeps room to grow.
 *
 * Every change is made to the region list first (splitting at the range's ends, which is the
 * only step that can fail with -ENOMEM, before any page is touched), then to the pages. Errors
 * follow Linux: munmap of nothing is 0; mprotect over a hole is -ENOMEM (checked before any
 * change, so a failed mprotect changes nothing, where Linux may have changed the part below
 * the hole); brk returns the old break when it cannot move.
 *
 * A new mapping is not merged with its neighbours (Linux merges alike neighbours; that shows
 * only in /proc/pid/maps and in mremap of a range spanning two mappings): page walks stop once
 * they have seen a region's present pages, which keeps a huge sparse mapping cheap unless a
 * dense neighbour is merged onto its far end. Regions split by mprotect, madvise or brk are
 * merged back when they become alike again.
 *
 * Overcommit: like Linux's default heuristic, a single request for more memory than the
 * machine has (private writable or shared, without MAP_NORESERVE) fails with -ENOMEM at once;
 * smaller ones succeed and pages come on first touch.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "fs/vfs.h"
#include "core/mm_internal.h"

bool mm_too_big(size_t len)
{
	return len / PAGE_SIZE > pmm_total_frames();
}

static uintptr_t max_uptr(uintptr_t a, uintptr_t b)
{
	return a > b ? a : b;
}

static uintptr_t min_uptr(uintptr_t a, uintptr_t b)
{
	return a < b ? a : b;
}

/* The guard gap below the stack region, where nothing is placed unless asked for exactly. */
static bool in_stack_gap(const struct mm *mm, uintptr_t a, uintptr_t b)
{
	if (!mm->stack_top)
		return false;
	uintptr_t gap_lo = mm->stack_top - MM_STACK_MAX - MM_STACK_GAP;
	return a < mm->stack_top - MM_STACK_MAX && b > gap_lo;
}

uintptr_t mm_find_free(struct mm *mm, uintptr_t hint, size_t len)
{
	uintptr_t floor = max_uptr(ELF_MIN_VADDR, (mm->brk + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	uintptr_t ceil = mm->mmap_base, prev_end = 0, best = 0;

	hint = (hint + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
	if (hint >= ELF_MIN_VADDR && hint <= USER_TOP - len && !in_stack_gap(mm, hint, hint + len) &&
	    vma_range_free(mm, hint, hint + len))
		return hint;
	/* Gaps come in ascending order: the last one that fits is the highest. */
	for (struct vma *v = mm->vmas;; v = v->next) {
		uintptr_t lo = max_uptr(prev_end, floor);
		uintptr_t hi = min_uptr(v ? v->start : USER_TOP, ceil);

		if (hi > lo && hi - lo >= len)
			best = hi - len;
		if (!v || v->end >= ceil)
			break;
		prev_end = v->end;
	}
	return best;
}

/* The part of mm_map under the lock; v is the new region, not linked yet (freed on error). */
static long map_locked(struct mm *mm, struct vma *v, uintptr_t addr, size_t len,
		       unsigned flags, struct file_frames *ff)
{
	int err = 0;

	if (flags & MAP_FIXED_NOREPLACE)
		err = vma_range_free(mm, addr, addr + len) ? 0 : -EEXIST;
	else if (flags & MAP_FIXED)
		err = mm_remove_range(mm, addr, addr + len);
	else if (!(addr = mm_find_free(mm, addr, len)))
		err = -ENOMEM;
	if (err) {
		vma_free(v);
		return err;
	}
	v->start = addr;
	v->end = addr + len;
	if (ff->f) {
		file_get(ff->f);
		v->file = ff->f;
		v->off = ff->off;
	}
	vma_insert(mm, v);
	if (ff->f)
		err = ff_map(mm, v, v->start, ff); /* nothing for a shared file region */
	else if (v->flags & VMA_SHARED)
		err = mm_populate(mm, v, v->start, v->end);
	if (err) {
		mm_remove_range(mm, addr, addr + len); /* boundaries exist: cannot fail */
		return err;
	}
	return (long)addr;
}

long mm_map(struct mm *mm, uintptr_t addr, size_t len, unsigned prot, unsigned flags,
	    struct file *f, uint64_t off)
{
	size_t plen = pg_len(len);
	bool shared = (flags & MAP_TYPE) != MAP_PRIVATE;
	long r;

	if (len == 0 || off % PAGE_SIZE)
		return -EINVAL;
	if (!plen)
		return -ENOMEM;
	if (f && off + plen < off)
		return -EOVERFLOW;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (!pg_aligned(addr))
			return -EINVAL;
		if (addr > USER_TOP - plen)
			return -ENOMEM;
		if (addr < ELF_MIN_VADDR)
			return -EPERM;
	}
	if ((shared || (prot & PROT_WRITE)) && !(flags & MAP_NORESERVE) && mm_too_big(plen))
		return -ENOMEM;
	struct file_frames ff = {0};
	if (f)
		ff_request(&ff, f, off, plen / PAGE_SIZE);
	if (f && !shared) {
		/* The file is read before mm->lock is taken: see mm_file.c. A shared file region
		 * reads nothing now (ff stays empty but for the file): its pages come on first
		 * touch, so it shows the file as it is then. */
		r = ff_read(&ff);
		if (r) {
			ff_release(&ff);
			return r;
		}
	}
	struct vma *v = vma_new(0, 0, prot & (PROT_READ | PROT_WRITE | PROT_EXEC),
				shared ? VMA_SHARED : 0);
	if (!v) {
		ff_release(&ff);
		return -ENOMEM;
	}
	if (flags & MAP_FIXED)
		mm_sync_range(mm, addr, addr + plen); /* shared file pages it replaces */
	mutex_lock(&mm->lock);
	r = map_locked(mm, v, addr, plen, flags, &ff);
	mutex_unlock(&mm->lock);
	ff_release(&ff);
	return r;
}

int mm_unmap(struct mm *mm, uintptr_t addr, size_t len)
{
	size_t plen = pg_len(len);
	int err;

	if (!pg_aligned(addr) || !plen || addr > USER_TOP - plen)
		return -EINVAL;
	mm_sync_range(mm, addr, addr + plen); /* an error is lost, as on Linux */
	mutex_lock(&mm->lock);
	err = mm_remove_range(mm, addr, addr + plen);
	mutex_unlock(&mm->lock);
	return err;
}

static int protect_locked(struct mm *mm, uintptr_t a, uintptr_t b, unsigned prot)
{
	struct vma *v;
	int err;

	if (!vma_range_covered(mm, a, b))
		return -ENOMEM;
	for (v = vma_find(mm, a); v && v->start < b; v = v->next) {
		unsigned acc = v->file ? v->file->flags & O_ACCMODE : O_RDWR;
		if ((prot & PROT_WRITE) && vma_shared_file(v) && acc == O_RDONLY)
			return -EACCES; /* a shared mapping of a file not open for writing */
	}
	err = vma_split_at(mm, a, b);
	if (err)
		return err;
	for (v = vma_find(mm, a); v && v->start < b; v = v->next) {
		v->prot = prot;
		mm_reprotect(mm, v, v->start, v->end);
	}
	for (v = vma_find(mm, a); v && v->start < b; v = v->next)
		v = vma_merge(mm, v);
	return 0;
}

int mm_protect(struct mm *mm, uintptr_t addr, size_t len, unsigned prot)
{
	size_t plen;
	int err;

	if (!pg_aligned(addr) || (prot & ~(unsigned)(PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EINVAL;
	if (len == 0)
		return 0;
	plen = pg_len(len);
	if (!plen || addr >= USER_TOP || plen > USER_TOP - addr)
		return -ENOMEM;
	/* Taking write access away would make dirty shared file pages look clean. */
	mm_sync_range(mm, addr, addr + plen);
	mutex_lock(&mm->lock);
	err = protect_locked(mm, addr, addr + plen, prot);
	mutex_unlock(&mm->lock);
	return err;
}

/* Grow the heap from oldpg to newpg (page aligned): 0, or -ENOMEM if that would touch another
 * region (or the page above it, as Linux keeps a gap), enter the stack gap, or overcommit. */
static int brk_grow(struct mm *mm, uintptr_t oldpg, uintptr_t newpg)
{
	uintptr_t limit = mm->stack_top ? mm->mmap_base : USER_TOP;

	if (newpg > limit || newpg - oldpg > limit || mm_too_big(newpg - oldpg))
		return -ENOMEM;
	if (!vma_range_free(mm, oldpg, newpg + PAGE_SIZE))
		return -ENOMEM;
	struct vma *v = vma_new(oldpg, newpg, PROT_READ | PROT_WRITE, VMA_HEAP);
	if (!v)
		return -ENOMEM;
	vma_insert(mm, v);
	vma_merge(mm, v);
	return 0;
}

uintptr_t mm_brk(struct mm *mm, uintptr_t brk)
{
	uintptr_t r;

	mutex_lock(&mm->lock);
	if (brk >= mm->brk_start && brk <= USER_TOP) {
		uintptr_t newpg = (brk + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
		uintptr_t oldpg = (mm->brk + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
		int err = 0;

		if (newpg < oldpg)
			err = mm_remove_range(mm, newpg, oldpg);
		else if (newpg > oldpg)
			err = brk_grow(mm, oldpg, newpg);
		if (!err)
			mm->brk = brk;
	}
	r = mm->brk;
	mutex_unlock(&mm->lock);
	return r;
}
