/*
 * core/mm.c: the life of an address space: create, fork (copy-on-write), reference counting,
 * teardown, activation, and the exec-time setup of the stack and the break.
 *
 * The user-memory code is split by job: this file; mm_vma.c (the region list and page-range
 * helpers every other file uses); mm_fault.c (faults, copy-on-write breaking, mm_write);
 * mm_map.c (mmap, munmap, mprotect, brk, mremap); mm_advise.c (madvise). The policy (layout,
 * demand paging, copy-on-write, locking) is described in core/mm.h; the invariants of the
 * region list and page tables in core/mm_internal.h and mm_vma.c.
 *
 * fork is all-or-nothing: the child is built completely before anything is returned, and on
 * ENOMEM it is torn down with mm_put, which drops exactly the references it took. The parent
 * is changed only by having private writable pages made read-only, which is harmless: a
 * later write fault finds the frame sole-owned again and makes it writable in place.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/mm_internal.h"
#include "fs/vfs.h"

struct mm *mm_create(void)
{
	struct mm *mm = kzalloc(sizeof *mm);

	if (!mm)
		return NULL;
	mm->as = arch_aspace_create();
	if (!mm->as) {
		kfree(mm);
		return NULL;
	}
	mutex_init(&mm->lock, "mm");
	mm->mmap_base = MM_MMAP_BASE;
	mm->refs = 1;
	return mm;
}

void mm_get(struct mm *mm)
{
	__atomic_add_fetch(&mm->refs, 1, __ATOMIC_RELAXED);
}

void mm_put(struct mm *mm)
{
	if (!mm || __atomic_sub_fetch(&mm->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* Stores to shared file mappings reach their files before the pages go (exit, exec).
	 * A write error cannot be reported to anyone here, as on Linux at exit. */
	mm_sync_range(mm, 0, USER_TOP);
	mutex_lock(&mm->lock);
	while (mm->vmas) {
		struct vma *v = mm->vmas;

		mm_zap(mm, v, v->start, v->end);
		mm->vmas = v->next;
		vma_free(v);
	}
	mutex_unlock(&mm->lock);
	arch_aspace_destroy(mm->as);
	kfree(mm);
}

void mm_activate(struct mm *mm)
{
	arch_aspace_activate(mm ? mm->as : arch_kernel_aspace());
}

/* Give the child every present page of v: the same frame, one more reference; then a private
 * writable region loses write access in the parent too (page_mmu_prot sees the shared count). */
static int fork_pages(struct mm *src, struct mm *dst, const struct vma *v, struct vma *c)
{
	uint64_t pa;
	unsigned prot;

	/* arch_mmu_next skips the holes (a stack's pages sit at the top of its region). */
	for (uintptr_t va = v->start; c->pages < v->pages &&
	     arch_mmu_next(src->as, &va, v->end, &pa, &prot) == 0; va += PAGE_SIZE) {
		page_ref_get(pa);
		int err = arch_mmu_map(dst->as, va, pa, PAGE_SIZE, page_mmu_prot_now(v, pa, prot));
		if (err) {
			page_ref_put(pa);
			return err;
		}
		dst->pages++;
		c->pages++;
	}
	if ((v->prot & PROT_WRITE) && !(v->flags & VMA_SHARED))
		mm_reprotect(src, v, v->start, v->end);
	return 0;
}

static int fork_regions(struct mm *src, struct mm *dst)
{
	struct vma **tail = &dst->vmas;

	for (const struct vma *v = src->vmas; v; v = v->next) {
		if (v->flags & VMA_DONTFORK)
			continue;
		struct vma *c = vma_new(v->start, v->end, v->prot, v->flags);
		if (!c)
			return -ENOMEM;
		if (v->file) {
			c->file = v->file;
			file_get(c->file);
			c->off = v->off;
		}
		*tail = c; /* linked before its pages, so mm_put of dst finds them on failure */
		tail = &c->next;
		if (v->flags & VMA_WIPEONFORK)
			continue; /* the child starts with the region empty: zeros on touch */
		int err = fork_pages(src, dst, v, c);
		if (err)
			return err;
	}
	return 0;
}

struct mm *mm_fork(struct mm *src)
{
	struct mm *dst = mm_create();
	int err;

	if (!dst)
		return NULL;
	mutex_lock(&src->lock);
	dst->brk_start = src->brk_start;
	dst->brk = src->brk;
	dst->mmap_base = src->mmap_base;
	dst->stack_top = src->stack_top;
	dst->sigtramp = src->sigtramp;
	dst->arg_start = src->arg_start;
	dst->arg_end = src->arg_end;
	dst->env_start = src->env_start;
	dst->env_end = src->env_end;
	err = fork_regions(src, dst);
	mutex_unlock(&src->lock);
	if (err) {
		mm_put(dst);
		return NULL;
	}
	return dst;
}

int mm_setup_stack(struct mm *mm, uintptr_t stack_top, bool exec_stack)
{
	uintptr_t top = pg_down(stack_top), lo = top - MM_STACK_MAX;
	unsigned prot = PROT_READ | PROT_WRITE | (exec_stack ? PROT_EXEC : 0);
	int err = 0;

	if (top > USER_TOP || top < MM_STACK_MAX + MM_STACK_GAP + ELF_MIN_VADDR)
		return -EINVAL;
	mutex_lock(&mm->lock);
	struct vma *v = vma_range_free(mm, lo, top) ? vma_new(lo, top, prot, VMA_STACK) : NULL;
	if (v) {
		vma_insert(mm, v);
		mm->stack_top = top;
		mm->mmap_base = lo - MM_STACK_GAP;
	} else {
		err = -ENOMEM;
	}
	mutex_unlock(&mm->lock);
	return err;
}

void mm_set_brk_start(struct mm *mm, uintptr_t start)
{
	mutex_lock(&mm->lock);
	mm->brk_start = mm->brk = (start + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
	mutex_unlock(&mm->lock);
}
