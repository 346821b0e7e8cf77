/*
 * core/mm_advise.c: madvise(2).
 *
 * What each advice does here, and why that is Linux's behaviour for a kernel like this one:
 *  - NORMAL, RANDOM, SEQUENTIAL, WILLNEED, COLD, PAGEOUT: read-ahead and reclaim hints. There
 *    is no read-ahead of mapped files (private file pages are read at mmap) and no swap, so
 *    they change nothing a program can observe: 0.
 *  - DONTDUMP, DODUMP: core-dump filters; Janus writes no core dumps: 0.
 *  - DONTNEED (and DONTNEED_LOCKED): private anonymous pages are dropped and read as zeros
 *    next time; private file pages are replaced by pages read again from the file (after
 *    mm->lock is dropped: mm_file.c explains why); shared
 *    anonymous pages keep their contents (Linux only unmaps them from this process; they
 *    live on in the shared object, which here is the frames themselves).
 *  - FREE: private anonymous only (else -EINVAL); dropped at once, which is one of the two
 *    outcomes Linux allows (the old data or zeros).
 *  - REMOVE: shared anonymous: the range reads as zeros for every sharer (Linux punches a hole
 *    in the shared object); private anonymous -EINVAL, private file -EACCES, shared file
 *    -EOPNOTSUPP (no hole punching; Linux's answer on ext2).
 *  - Shared file pages keep their contents under DONTNEED (they are the file's, with stores
 *    not yet written back) and are not populated by POPULATE_* (read on first touch).
 *  - DONTFORK/DOFORK, WIPEONFORK/KEEPONFORK: region flags that mm_fork honours; WIPEONFORK
 *    only on private anonymous memory (else -EINVAL).
 *  - POPULATE_READ/WRITE: fault every page in now; -EFAULT where the access is not allowed.
 *  - MERGEABLE, HUGEPAGE, COLLAPSE, HWPOISON and the rest: need KSM, transparent huge pages or
 *    memory-failure handling, which Janus lacks: -EINVAL, as a kernel built without them.
 * Ranges with holes: the advice is applied to the mapped parts and the result is -ENOMEM.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/mm_internal.h"
#include "core/string.h"

static bool advice_is_hint(int advice)
{
	switch (advice) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
	case MADV_COLD: case MADV_PAGEOUT: case MADV_DONTDUMP: case MADV_DODUMP:
		return true;
	default:
		return false;
	}
}

/* Advice that sets or clears a region flag: the regions are split to the range first. */
static bool advice_sets_flag(int advice)
{
	return advice == MADV_DONTFORK || advice == MADV_DOFORK || advice == MADV_WIPEONFORK ||
	       advice == MADV_KEEPONFORK;
}

static bool advice_known(int advice)
{
	return advice_is_hint(advice) || advice_sets_flag(advice) || advice == MADV_DONTNEED ||
	       advice == MADV_DONTNEED_LOCKED || advice == MADV_FREE || advice == MADV_REMOVE ||
	       advice == MADV_POPULATE_READ || advice == MADV_POPULATE_WRITE;
}

static bool private_anon(const struct vma *v)
{
	return !v->file && !(v->flags & VMA_SHARED);
}

/* File regions are left to mm_reload_file_pages, which reads without mm->lock. */
static int dontneed(struct mm *mm, struct vma *v, uintptr_t a, uintptr_t b)
{
	if (private_anon(v))
		mm_zap(mm, v, a, b);
	return 0;
}

/* Zero the present pages of a shared region for every sharer. */
static int remove_shared(struct mm *mm, const struct vma *v, uintptr_t a, uintptr_t b)
{
	if (!(v->flags & VMA_SHARED))
		return v->file ? -EACCES : -EINVAL;
	if (v->file)
		return -EOPNOTSUPP; /* hole punching: as a file system without it (ext2) */
	for (uintptr_t va = a; va < b; va += PAGE_SIZE) {
		uint64_t pa;
		unsigned prot;

		if (arch_mmu_query(mm->as, va, &pa, &prot) == 0)
			memset(phys_to_virt(pa), 0, PAGE_SIZE);
	}
	return 0;
}

static int populate(struct mm *mm, uintptr_t a, uintptr_t b, bool write)
{
	for (uintptr_t va = a; va < b; va += PAGE_SIZE) {
		int err = mm_fault_locked(mm, va, write, false);
		if (err == MM_FAULT_READ)
			continue; /* a shared file page: read on first touch, not under this lock */
		if (err)
			return err == -ENOMEM ? -ENOMEM : -EFAULT;
	}
	return 0;
}

static int set_flag(struct vma *v, int advice)
{
	switch (advice) {
	case MADV_DONTFORK: v->flags |= VMA_DONTFORK; break;
	case MADV_DOFORK: v->flags &= ~VMA_DONTFORK; break;
	case MADV_WIPEONFORK:
		if (!private_anon(v))
			return -EINVAL;
		v->flags |= VMA_WIPEONFORK;
		break;
	default: v->flags &= ~VMA_WIPEONFORK; break;
	}
	return 0;
}

/* Apply advice to [a, b), which lies inside region v. */
static int advise_one(struct mm *mm, struct vma *v, uintptr_t a, uintptr_t b, int advice)
{
	switch (advice) {
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
		return dontneed(mm, v, a, b);
	case MADV_FREE:
		if (!private_anon(v))
			return -EINVAL;
		mm_zap(mm, v, a, b);
		return 0;
	case MADV_REMOVE:
		return remove_shared(mm, v, a, b);
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
		return populate(mm, a, b, advice == MADV_POPULATE_WRITE);
	default:
		return advice_sets_flag(advice) ? set_flag(v, advice) : 0;
	}
}

static int advise_locked(struct mm *mm, uintptr_t start, uintptr_t end, int advice)
{
	uintptr_t pos = start;
	bool hole = false;
	int err = advice_sets_flag(advice) ? vma_split_at(mm, start, end) : 0;

	for (struct vma *v = vma_first_above(mm, start); !err && v && v->start < end;
	     v = v->next) {
		if (v->start > pos)
			hole = true;
		err = advise_one(mm, v, v->start > start ? v->start : start,
				 v->end < end ? v->end : end, advice);
		pos = v->end;
	}
	if (advice_sets_flag(advice))
		for (struct vma *v = vma_first_above(mm, start); v && v->start < end; v = v->next)
			v = vma_merge(mm, v);
	if (err)
		return err;
	return hole || pos < end ? -ENOMEM : 0;
}

int mm_advise(struct mm *mm, uintptr_t addr, size_t len, int advice)
{
	size_t plen = (len + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1);
	int err;

	if (!advice_known(advice) || !pg_aligned(addr))
		return -EINVAL;
	if ((len && !plen) || addr + plen < addr)
		return -EINVAL;
	if (plen == 0)
		return 0;
	mutex_lock(&mm->lock);
	err = advise_locked(mm, addr, addr + plen, advice);
	mutex_unlock(&mm->lock);
	if ((advice == MADV_DONTNEED || advice == MADV_DONTNEED_LOCKED) && err != -EINVAL) {
		int rerr = mm_reload_file_pages(mm, addr, addr + plen);
		if (rerr)
			err = rerr;
	}
	return err;
}
