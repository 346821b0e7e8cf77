/*
 * core/mm_file.c: the pages of private file mappings, read from the file without mm->lock.
 *
 * Why not under the lock: a file system holds its inode lock while it copies to or from user
 * memory (read, write), and such a copy may fault, which takes mm->lock. So the lock order is
 * "inode lock, then mm->lock", and code holding mm->lock must never call into a file system.
 * Every file read here happens first, into fresh frames held by a struct file_frames; the
 * caller then takes mm->lock, checks that the region is still the one it read for, and maps
 * the frames (ff_map, ff_swap_in). Frames nobody took are freed by ff_release.
 *
 * Only the pages below the end of the file (at read time) are read; pages wholly beyond it
 * stay absent, and a fault on one is -EIO (SIGBUS, as Linux). A private page that is absent
 * below EOF (the file grew after mmap) is demand-zeroed.
 *
 * MAP_SHARED file regions read nothing at mmap: each page is read on its first touch
 * (mm_fault_file_page: mm->lock dropped for the read, the region checked again after), so a
 * mapping shows what was written to the file up to that touch. File reads run without the
 * inode lock (fs/vfs.h), so a fault inside a file system's copy (write(fd, map_of_fd, n)) can
 * read the page without deadlock. Stores go back to the file in core/mm_sync.c.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/mm_internal.h"
#include "core/string.h"
#include "core/uio.h"
#include "fs/vfs.h"

void ff_request(struct file_frames *ff, struct file *f, uint64_t off, size_t n)
{
	ff_release(ff);
	file_get(f);
	ff->f = f;
	ff->off = off;
	ff->n = n;
}

bool ff_matches(const struct file_frames *ff, const struct file *f, uint64_t off, size_t n)
{
	return ff->f == f && ff->off == off && ff->n == n && ff->done;
}

/* One page of f at offset pos into the frame pa; zeros after EOF. */
static int fill_page(struct file *f, uint64_t pos, uint64_t pa)
{
	char *buf = phys_to_virt(pa);
	size_t got = 0;

	while (got < PAGE_SIZE) {
		struct uio u = uio_kernel(buf + got, PAGE_SIZE - got);
		long n = vfs_pread(f, &u, pos + got);

		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	memset(buf + got, 0, PAGE_SIZE - got);
	return 0;
}

int ff_read(struct file_frames *ff)
{
	uint64_t size = __atomic_load_n(&ff->f->path.ino->size, __ATOMIC_RELAXED);
	uint64_t in_file = ff->off < size ? (size - ff->off + PAGE_SIZE - 1) / PAGE_SIZE : 0;

	ff->nread = in_file < ff->n ? (size_t)in_file : ff->n;
	if (ff->nread > pmm_total_frames())
		return -ENOMEM;
	if (ff->nread) {
		ff->frames = kzalloc(ff->nread * sizeof *ff->frames);
		if (!ff->frames)
			return -ENOMEM;
	}
	for (size_t i = 0; i < ff->nread; i++) {
		ff->frames[i] = alloc_page();
		if (!ff->frames[i])
			return -ENOMEM;
		int err = fill_page(ff->f, ff->off + i * PAGE_SIZE, ff->frames[i]);
		if (err)
			return err;
	}
	ff->done = true;
	return 0;
}

int ff_map(struct mm *mm, struct vma *v, uintptr_t a, struct file_frames *ff)
{
	for (size_t i = 0; i < ff->nread; i++) {
		int err = arch_mmu_map(mm->as, a + i * PAGE_SIZE, ff->frames[i], PAGE_SIZE,
				       vma_mmu_prot(v));
		if (err)
			return err;
		ff->frames[i] = 0; /* the mapping owns it now */
		mm->pages++;
		v->pages++;
	}
	return 0;
}

/* Replace the pages of [a, b) in v by the frames read (absent beyond EOF). */
static void ff_swap_in(struct mm *mm, struct vma *v, uintptr_t a, uintptr_t b,
		       struct file_frames *ff)
{
	for (uintptr_t va = a; va < b; va += PAGE_SIZE) {
		size_t i = (va - a) / PAGE_SIZE;

		mm_zap(mm, v, va, va + PAGE_SIZE);
		if (i < ff->nread && arch_mmu_map(mm->as, va, ff->frames[i], PAGE_SIZE,
						  vma_mmu_prot(v)) == 0) {
			ff->frames[i] = 0;
			mm->pages++;
			v->pages++;
		}
	}
}

void ff_release(struct file_frames *ff)
{
	for (size_t i = 0; ff->frames && i < ff->nread; i++)
		if (ff->frames[i])
			page_ref_put(ff->frames[i]);
	kfree(ff->frames);
	if (ff->f)
		file_put(ff->f);
	*ff = (struct file_frames){0};
}

/* Map ff's one frame at va if the region there still maps the page it was read for. */
static int ff_map_one(struct mm *mm, uintptr_t va, struct file_frames *ff, bool write)
{
	struct vma *v = vma_find(mm, va);
	uint64_t pa;
	unsigned prot;

	if (!v || v->file != ff->f || v->off + (va - v->start) != ff->off || !ff->nread ||
	    arch_mmu_query(mm->as, va, &pa, &prot) == 0)
		return 0; /* changed meanwhile (or EOF moved): the access faults again */
	prot = vma_mmu_prot(v);
	if (!write)
		prot &= ~(unsigned)MMU_WRITE; /* clean until the first store */
	int err = arch_mmu_map(mm->as, va, ff->frames[0], PAGE_SIZE, prot);
	if (err)
		return err;
	ff->frames[0] = 0;
	mm->pages++;
	v->pages++;
	return 0;
}

int mm_fault_file_page(struct mm *mm, uintptr_t va, bool write)
{
	struct file_frames ff = {0};

	mutex_lock(&mm->lock);
	struct vma *v = vma_find(mm, va);
	if (v && vma_shared_file(v))
		ff_request(&ff, v->file, v->off + (va - v->start), 1);
	mutex_unlock(&mm->lock);
	if (!ff.f)
		return 0; /* the region went away: the access faults again */
	if (mutex_held(&ff.f->path.ino->lock)) {
		/* A file system's copy under this file's lock (mm_prefault ran before it, so the
		 * page was dropped since): reading would deadlock. The copy fails instead. */
		ff_release(&ff);
		return -EFAULT;
	}
	int err = ff_read(&ff);
	if (!err) {
		mutex_lock(&mm->lock);
		err = ff_map_one(mm, va, &ff, write);
		mutex_unlock(&mm->lock);
	} else if (err != -ENOMEM) {
		err = -EIO; /* a read error is SIGBUS, as Linux's VM_FAULT_SIGBUS */
	}
	ff_release(&ff);
	return err;
}

/* The first absent page of a shared file region in [*va, end) (*va moves to it), under
 * mm->lock; false if there is none. */
static bool next_absent_shared(struct mm *mm, uintptr_t *va, uintptr_t end)
{
	for (struct vma *v = vma_first_above(mm, *va); v && v->start < end; v = v->next) {
		uintptr_t a = v->start > *va ? v->start : *va, b = v->end < end ? v->end : end;

		for (; vma_shared_file(v) && a < b; a += PAGE_SIZE) {
			uint64_t pa;
			unsigned prot;

			if (arch_mmu_query(mm->as, a, &pa, &prot) != 0) {
				*va = a;
				return true;
			}
		}
	}
	return false;
}

void mm_prefault(struct mm *mm, uintptr_t addr, size_t len, bool write)
{
	uintptr_t va = pg_down(addr), end = addr + len;

	if (!mm || !len || addr >= USER_TOP)
		return;
	if (end < addr || end > USER_TOP)
		end = USER_TOP;
	for (;;) {
		mutex_lock(&mm->lock);
		bool found = next_absent_shared(mm, &va, end);
		mutex_unlock(&mm->lock);
		if (!found || mm_fault(mm, va, write, false) != 0)
			return;
		va += PAGE_SIZE;
	}
}

/* The first private file region meeting [pos, end): its part of the range goes into ff. */
static bool next_file_piece(struct mm *mm, uintptr_t pos, uintptr_t end, uintptr_t *a,
			    uintptr_t *b, struct file_frames *ff)
{
	struct vma *v = vma_first_above(mm, pos);

	/* Shared file pages are not reloaded: they hold stores not yet written back, and keep
	 * them, as the shared page cache keeps them on Linux. */
	while (v && v->start < end && (!v->file || (v->flags & VMA_SHARED)))
		v = v->next;
	if (!v || v->start >= end)
		return false;
	*a = v->start > pos ? v->start : pos;
	*b = v->end < end ? v->end : end;
	ff_request(ff, v->file, v->off + (*a - v->start), (*b - *a) / PAGE_SIZE);
	return true;
}

int mm_reload_file_pages(struct mm *mm, uintptr_t pos, uintptr_t end)
{
	while (pos < end) {
		struct file_frames ff = {0};
		uintptr_t a = 0, b = 0;

		mutex_lock(&mm->lock);
		bool found = next_file_piece(mm, pos, end, &a, &b, &ff);
		mutex_unlock(&mm->lock);
		if (!found)
			return 0;
		int err = ff_read(&ff);
		if (!err) {
			mutex_lock(&mm->lock);
			struct vma *v = vma_find(mm, a);
			/* Swapped in only if the region is still the one the pages were read for. */
			if (v && v->file == ff.f && v->off + (a - v->start) == ff.off && b <= v->end)
				ff_swap_in(mm, v, a, b, &ff);
			mutex_unlock(&mm->lock);
		}
		ff_release(&ff);
		if (err)
			return err;
		pos = b;
	}
	return 0;
}
