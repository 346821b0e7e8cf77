/*
 * core/mm_fault.c: resolving page faults (demand-zero pages, copy-on-write) and mm_write, the
 * kernel's way to fill an address space that is not active (exec).
 *
 * A fault is judged against the region first (none: -EFAULT; access the region forbids:
 * -EACCES), then against the page tables:
 *  - page absent: a zeroed frame, mapped with the region's full protection (a private page
 *    read first is mapped writable at once: it is ours alone, no second fault needed); in a
 *    MAP_SHARED file region, the file's page, read with mm->lock dropped (mm_file.c);
 *  - a clean page of a shared file region is mapped read-only: a write fault makes it
 *    writable, which is what marks it dirty for write-back (mm_sync.c);
 *  - page present but not writable, write allowed by the region: copy-on-write. If the frame's
 *    reference count is 1 the faulting mm is its last owner and simply gets write access back;
 *    otherwise the bytes go to a new frame, which replaces the mapping, and the old frame
 *    loses one reference;
 *  - page present and already as permissive as it should be: another thread resolved the
 *    fault first (or a stale TLB entry); nothing to do.
 * The count test is safe without a global lock: a frame's count only rises by a fork of an mm
 * that maps it, under that mm's lock; another owner dropping its reference concurrently can
 * only turn our copy into one that was not strictly needed.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/mm_internal.h"
#include "core/string.h"
#include "fs/vfs.h"

static uint64_t fault_count, cow_count;

uint64_t mm_fault_count(void)
{
	return __atomic_load_n(&fault_count, __ATOMIC_RELAXED);
}

uint64_t mm_cow_count(void)
{
	return __atomic_load_n(&cow_count, __ATOMIC_RELAXED);
}

static bool access_allowed(const struct vma *v, bool write, bool exec)
{
	if (!(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return false;
	if (write && !(v->prot & PROT_WRITE))
		return false;
	return !exec || (v->prot & PROT_EXEC);
}

/* A page of a file mapping wholly beyond the end of its file: SIGBUS, as Linux. (Absent file
 * pages below EOF exist only if the file grew after mmap; they are demand-zeroed, since a
 * file cannot be read under mm->lock: see mm_file.c.) */
static bool beyond_eof(const struct vma *v, uintptr_t va)
{
	if (!v->file)
		return false;
	uint64_t size = __atomic_load_n(&v->file->path.ino->size, __ATOMIC_RELAXED);
	return v->off + (va - v->start) >= (size + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
}

/* Give va (mapping the shared frame old) a private copy; *out is the new frame. */
static int cow_copy(struct mm *mm, struct vma *v, uintptr_t va, uint64_t old,
		    uint64_t *out)
{
	uint64_t f = alloc_page();

	if (!f)
		return -ENOMEM;
	memcpy(phys_to_virt(f), phys_to_virt(old), PAGE_SIZE);
	/* One step, no table page needed (unmap + map could lose the page: unmap frees the
	 * tables it empties, and map may then find no memory for them). */
	int err = arch_mmu_replace(mm->as, va, f, vma_mmu_prot(v));
	if (err) {
		page_ref_put(f);
		return err;
	}
	page_ref_put(old);
	__atomic_add_fetch(&cow_count, 1, __ATOMIC_RELAXED);
	*out = f;
	return 0;
}

int mm_fault_locked(struct mm *mm, uintptr_t addr, bool write, bool exec)
{
	struct vma *v = vma_find(mm, addr);
	uintptr_t va = pg_down(addr);
	uint64_t pa;
	unsigned prot, want;

	if (!v)
		return -EFAULT;
	if (!access_allowed(v, write, exec))
		return -EACCES;
	if (arch_mmu_query(mm->as, va, &pa, &prot) != 0) {
		if (beyond_eof(v, va))
			return -EIO;
		return vma_shared_file(v) ? MM_FAULT_READ : mm_new_page(mm, v, va, &pa);
	}
	/* A write makes a clean shared file page dirty; other faults leave it clean. */
	want = write ? page_mmu_prot(v, pa) : page_mmu_prot_now(v, pa, prot);
	if (write && !(want & MMU_WRITE))
		return cow_copy(mm, v, va, pa, &pa);
	if ((prot & (MMU_USER | MMU_READ | MMU_WRITE | MMU_EXEC)) != want)
		return arch_mmu_protect(mm->as, va, PAGE_SIZE, want);
	return 0;
}

int mm_fault(struct mm *mm, uintptr_t addr, bool write, bool exec)
{
	int err;

	__atomic_add_fetch(&fault_count, 1, __ATOMIC_RELAXED);
	if (!mm || addr >= USER_TOP)
		return -EFAULT;
	mutex_lock(&mm->lock);
	err = mm_fault_locked(mm, addr, write, exec);
	mutex_unlock(&mm->lock);
	if (err == MM_FAULT_READ)
		err = mm_fault_file_page(mm, pg_down(addr), write);
	return err;
}

/* The frame behind va for the kernel to write into: present, and not shared copy-on-write. */
static int frame_for_write(struct mm *mm, struct vma *v, uintptr_t va, uint64_t *pa)
{
	unsigned prot;

	if (arch_mmu_query(mm->as, va, pa, &prot) != 0)
		return mm_new_page(mm, v, va, pa);
	if (vma_shared_file(v))
		arch_mmu_protect(mm->as, va, PAGE_SIZE, page_mmu_prot(v, *pa)); /* dirty now */
	if (!(v->flags & VMA_SHARED) && page_ref_count(*pa) > 1)
		return cow_copy(mm, v, va, *pa, pa);
	return 0;
}

int mm_write(struct mm *mm, uintptr_t va, const void *src, size_t n)
{
	const char *s = src;
	int err = 0;

	if (va >= USER_TOP || n > USER_TOP - va)
		return -EFAULT;
	mutex_lock(&mm->lock);
	while (n && !err) {
		struct vma *v = vma_find(mm, va);
		uintptr_t off = va & (PAGE_SIZE - 1);
		size_t chunk = PAGE_SIZE - off < n ? PAGE_SIZE - off : n;
		uint64_t pa;

		err = v ? frame_for_write(mm, v, va - off, &pa) : -EFAULT;
		if (err)
			break;
		if (s) {
			memcpy((char *)phys_to_virt(pa) + off, s, chunk);
			s += chunk;
		} else {
			memset((char *)phys_to_virt(pa) + off, 0, chunk);
		}
		va += chunk;
		n -= chunk;
	}
	mutex_unlock(&mm->lock);
	return err;
}
