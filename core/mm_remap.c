/*
 * core/mm_remap.c: mremap(2): shrink a mapping, grow it in place, or move it.
 *
 * Moving never copies bytes: each present page's frame is mapped at the new address with one
 * more reference, and then the old range is removed, which drops the old references. Doing
 * the new mappings first makes the move all-or-nothing: if a page-table page cannot be had,
 * the new range is removed again (dropping what it took) and the old one is untouched. The
 * old range's region boundaries are made before anything else, so removing it afterwards
 * cannot fail.
 *
 * A shrink without MREMAP_FIXED is munmap of the tail, as on Linux 6.1: only old_addr must be
 * mapped; a hole further on is fine, and the range is checked as munmap checks it.
 *
 * old_len 0 with MREMAP_MAYMOVE duplicates a shared mapping (Linux's special case): the same
 * frames at a second address, the old one kept. MREMAP_DONTUNMAP is not supported (-EINVAL,
 * as a kernel before 5.7 gives).
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/mm_internal.h"
#include "fs/vfs.h"

/* Map every present page of [old, old + n) (in region ov) at new + the same offset (region
 * nv), with one more reference. */
static int mirror_pages(struct mm *mm, const struct vma *ov, uintptr_t old, struct vma *nv,
			uintptr_t new, size_t n)
{
	uint64_t seen = 0;

	for (size_t off = 0; off < n && seen < ov->pages; off += PAGE_SIZE) {
		uint64_t pa;
		unsigned prot;

		if (arch_mmu_query(mm->as, old + off, &pa, &prot) != 0)
			continue;
		seen++;
		prot &= MMU_USER | MMU_READ | MMU_WRITE | MMU_EXEC;
		int err = arch_mmu_map(mm->as, new + off, pa, PAGE_SIZE, prot);
		if (err)
			return err;
		page_ref_get(pa);
		mm->pages++;
		nv->pages++;
	}
	return 0;
}

/* A new tail [a, b) of v: file pages from ff (read beforehand), shared pages allocated;
 * private anonymous ones come on first touch. */
static int fill_tail(struct mm *mm, struct vma *v, uintptr_t a, uintptr_t b,
		     struct file_frames *ff)
{
	if (v->file)
		return ff_map(mm, v, a, ff);
	if (v->flags & VMA_SHARED)
		return mm_populate(mm, v, a, b);
	return 0;
}

/* Move (or, keep_old, duplicate) [old, old + old_len) of region v to [new, new + new_len). */
static long move_range(struct mm *mm, struct vma *v, uintptr_t old, size_t old_len,
		       uintptr_t new, size_t new_len, bool keep_old, struct file_frames *ff)
{
	size_t have = keep_old ? v->end - old : old_len; /* a duplicate shows what v has */
	size_t n = have < new_len ? have : new_len;
	struct vma *nv = vma_new(new, new + new_len, v->prot,
				 v->flags & ~(unsigned)(VMA_STACK | VMA_HEAP));
	int err;

	if (!nv)
		return -ENOMEM;
	if (v->file) {
		nv->file = v->file;
		file_get(nv->file);
		nv->off = v->off + (old - v->start);
	}
	err = keep_old ? 0 : vma_split_at(mm, old, old + old_len);
	if (err) {
		vma_free(nv);
		return err;
	}
	vma_insert(mm, nv);
	err = mirror_pages(mm, vma_find(mm, old), old, nv, new, n);
	if (!err)
		err = fill_tail(mm, nv, new + n, new + new_len, ff);
	if (err) {
		mm_remove_range(mm, new, new + new_len);
		return err;
	}
	if (!keep_old)
		mm_remove_range(mm, old, old + old_len);
	return (long)new;
}

/* Grow v's tail [old_end, old_end + more) in place if nothing is there: 1 if done, 0 if
 * there is no room, or -ENOMEM (nothing changed). */
static int grow_in_place(struct mm *mm, struct vma *v, uintptr_t old_end, size_t more,
			 struct file_frames *ff)
{
	if (old_end != v->end || more > USER_TOP - old_end ||
	    !vma_range_free(mm, old_end, old_end + more))
		return 0;
	v->end = old_end + more;
	int err = fill_tail(mm, v, old_end, old_end + more, ff);
	if (err) {
		mm_zap(mm, v, old_end, old_end + more);
		v->end = old_end;
		return err;
	}
	return 1;
}

/* Growing a file mapping needs the file's pages for the new tail, read without mm->lock: if
 * ff does not hold exactly those, *want gets the request (with a file reference) and the
 * caller reads it unlocked and tries again. */
static bool need_file_pages(struct vma *v, uintptr_t old, size_t old_len, size_t new_len,
			    const struct file_frames *ff, struct file_frames *want)
{
	if (!v->file || (v->flags & VMA_SHARED) || new_len <= old_len)
		return false; /* a shared file region's new pages come on first touch */
	uint64_t toff = v->off + (old - v->start) + old_len;
	size_t n = (new_len - old_len) / PAGE_SIZE;
	if (ff_matches(ff, v->file, toff, n))
		return false;
	file_get(v->file);
	*want = (struct file_frames){.f = v->file, .off = toff, .n = n};
	return true;
}

#define REMAP_AGAIN 1 /* remap_locked: read *want first (never an address: those are >= 64 KiB) */

static long remap_locked(struct mm *mm, uintptr_t old, size_t old_len, size_t new_len,
			 unsigned flags, uintptr_t new, struct file_frames *ff,
			 struct file_frames *want)
{
	struct vma *v = vma_find(mm, old);
	int err;

	if (!v || old_len > v->end - old)
		return -EFAULT;
	if (old_len == 0 && !(v->flags & VMA_SHARED))
		return -EINVAL;
	if (new_len > old_len && (v->prot & PROT_WRITE) && mm_too_big(new_len - old_len))
		return -ENOMEM;
	if (need_file_pages(v, old, old_len, new_len, ff, want))
		return REMAP_AGAIN;
	if (flags & MREMAP_FIXED) {
		err = mm_remove_range(mm, new, new + new_len);
		if (err)
			return err;
		v = vma_find(mm, old); /* the removal may have split v's region */
		return move_range(mm, v, old, old_len, new, new_len, old_len == 0, ff);
	}
	err = old_len ? grow_in_place(mm, v, old + old_len, new_len - old_len, ff) : 0;
	if (err)
		return err < 0 ? err : (long)old;
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	new = mm_find_free(mm, 0, new_len);
	if (!new)
		return -ENOMEM;
	return move_range(mm, v, old, old_len, new, new_len, old_len == 0, ff);
}

/* Try under the lock; when file pages are needed, read them unlocked and try again (the
 * mapping may have changed meanwhile: then the pages are read once more). */
static long remap_retry(struct mm *mm, uintptr_t old, size_t old_len, size_t new_len,
			unsigned flags, uintptr_t new)
{
	struct file_frames ff = {0}, want = {0};
	long r = -ENOMEM;

	for (int tries = 0; tries < 8; tries++) { /* bounded: the mapping keeps changing */
		mutex_lock(&mm->lock);
		r = remap_locked(mm, old, old_len, new_len, flags, new, &ff, &want);
		mutex_unlock(&mm->lock);
		if (r != REMAP_AGAIN)
			break;
		ff_release(&ff);
		ff = want;
		r = ff_read(&ff);
		if (r)
			break;
		r = -ENOMEM;
	}
	ff_release(&ff);
	return r;
}

static bool mapped_at(struct mm *mm, uintptr_t addr)
{
	mutex_lock(&mm->lock);
	bool mapped = vma_find(mm, addr) != NULL;
	mutex_unlock(&mm->lock);
	return mapped;
}

long mm_remap(struct mm *mm, uintptr_t old_addr, size_t old_len, size_t new_len,
	      unsigned flags, uintptr_t new_addr)
{
	if (flags & ~(unsigned)(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & MREMAP_DONTUNMAP) || !pg_aligned(old_addr))
		return -EINVAL;
	new_len = pg_len(new_len);
	if (!new_len)
		return -EINVAL;
	old_len = (old_len + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1);
	if (!mapped_at(mm, old_addr))
		return -EFAULT; /* Linux 6.1 looks up the region at old_addr first */
	if (!(flags & MREMAP_FIXED) && old_len >= new_len) {
		/* Linux: a shrink is munmap of the tail, whatever is mapped there (a hole too);
		 * the same size is a no-op. Either way the old address is the result. */
		if (old_len == new_len)
			return (long)old_addr;
		if (new_len > UINTPTR_MAX - old_addr)
			return -EINVAL;
		int err = mm_unmap(mm, old_addr + new_len, old_len - new_len);
		return err ? err : (long)old_addr;
	}
	if (old_len > USER_TOP)
		return -EFAULT;
	if (flags & MREMAP_FIXED) {
		if (!pg_aligned(new_addr) || new_addr > USER_TOP - new_len ||
		    new_addr < ELF_MIN_VADDR)
			return -EINVAL;
		if (new_addr < old_addr + old_len && old_addr < new_addr + new_len)
			return -EINVAL; /* the ranges overlap */
	}
	/* Shared file pages that leave: a shrunk tail, or what MREMAP_FIXED replaces. */
	if (new_len < old_len)
		mm_sync_range(mm, old_addr + new_len, old_addr + old_len);
	if (flags & MREMAP_FIXED)
		mm_sync_range(mm, new_addr, new_addr + new_len);
	return remap_retry(mm, old_addr, old_len, new_len, flags, new_addr);
}
