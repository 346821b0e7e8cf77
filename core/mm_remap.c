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

/* Eager regions (shared, file) get their new tail populated at once, as mm_map does. */
static int fill_tail(struct mm *mm, struct vma *v, uintptr_t a, uintptr_t b)
{
	int err = 0;

	if (v->file || (v->flags & VMA_SHARED)) {
		err = mm_populate(mm, v, a, b);
		if (!err && v->file)
			err = mm_fill_from_file(mm, v, a, b);
	}
	return err;
}

/* Move (or, keep_old, duplicate) [old, old + old_len) of region v to [new, new + new_len). */
static long move_range(struct mm *mm, struct vma *v, uintptr_t old, size_t old_len,
		       uintptr_t new, size_t new_len, bool keep_old)
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
		err = fill_tail(mm, nv, new + n, new + new_len);
	if (err) {
		mm_remove_range(mm, new, new + new_len);
		return err;
	}
	if (!keep_old)
		mm_remove_range(mm, old, old + old_len);
	return (long)new;
}

/* Grow v's tail [old_end, old_end + more) in place if nothing is there. */
static bool grow_in_place(struct mm *mm, struct vma *v, uintptr_t old_end, size_t more)
{
	if (old_end != v->end || more > USER_TOP - old_end ||
	    !vma_range_free(mm, old_end, old_end + more))
		return false;
	v->end = old_end + more;
	if (fill_tail(mm, v, old_end, old_end + more) != 0) {
		mm_zap(mm, v, old_end, old_end + more);
		v->end = old_end;
		return false;
	}
	return true;
}

static long remap_locked(struct mm *mm, uintptr_t old, size_t old_len, size_t new_len,
			 unsigned flags, uintptr_t new)
{
	struct vma *v = vma_find(mm, old);

	if (!v || old_len > v->end - old)
		return -EFAULT;
	if (old_len == 0 && !(v->flags & VMA_SHARED))
		return -EINVAL;
	if (new_len > old_len && (v->prot & PROT_WRITE) && mm_too_big(new_len - old_len))
		return -ENOMEM;
	if (flags & MREMAP_FIXED) {
		int err = mm_remove_range(mm, new, new + new_len);
		if (err)
			return err;
		v = vma_find(mm, old); /* the removal may have split v's region */
		return move_range(mm, v, old, old_len, new, new_len, old_len == 0);
	}
	if (old_len && new_len <= old_len) {
		int err = mm_remove_range(mm, old + new_len, old + old_len);
		return err ? err : (long)old;
	}
	if (old_len && grow_in_place(mm, v, old + old_len, new_len - old_len))
		return (long)old;
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	new = mm_find_free(mm, 0, new_len);
	if (!new)
		return -ENOMEM;
	return move_range(mm, v, old, old_len, new, new_len, old_len == 0);
}

long mm_remap(struct mm *mm, uintptr_t old_addr, size_t old_len, size_t new_len,
	      unsigned flags, uintptr_t new_addr)
{
	long r;

	if (flags & ~(unsigned)(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & MREMAP_DONTUNMAP) || !pg_aligned(old_addr))
		return -EINVAL;
	new_len = pg_len(new_len);
	if (!new_len)
		return -EINVAL;
	if (old_len > USER_TOP)
		return -EFAULT;
	old_len = (old_len + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1);
	if (flags & MREMAP_FIXED) {
		if (!pg_aligned(new_addr) || new_addr > USER_TOP - new_len ||
		    new_addr < ELF_MIN_VADDR)
			return -EINVAL;
		if (new_addr < old_addr + old_len && old_addr < new_addr + new_len)
			return -EINVAL; /* the ranges overlap */
	}
	mutex_lock(&mm->lock);
	r = remap_locked(mm, old_addr, old_len, new_len, flags, new_addr);
	mutex_unlock(&mm->lock);
	return r;
}
