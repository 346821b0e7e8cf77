/*
 * core/mm_sync.c: writing the stores made to MAP_SHARED file mappings back to their files:
 * msync, and before a shared file page leaves an address space (munmap, MAP_FIXED over it,
 * mremap shrinking it, mprotect, and exit or exec through mm_put).
 *
 * The design, and how it differs from Linux: there is no page cache shared by read(), write()
 * and mappings. A shared file region reads each page from its file on the first touch
 * (mm_file.c) into a frame of its own; fork shares those frames (VMA_SHARED), but two
 * processes that map the same file separately have separate frames, and see each other's
 * stores only once they are written back and the page is read again (a page not touched yet,
 * or after msync(MS_INVALIDATE)). read() and write() go to the file, so read() does not see
 * stores that were not written back, and a write() does not show in a page already touched.
 *
 * Dirty tracking uses the page tables, as Linux does for write-back: a clean page of a shared
 * file region is mapped read-only; its first store faults and makes it writable, which marks
 * it dirty (mm_fault.c). Write-back takes write access away again under mm->lock (clean),
 * takes a reference on the frame and the file, drops the lock, and only then writes the frame
 * with vfs_pwrite: file I/O never happens under mm->lock (core/mm.h: the inode lock comes
 * first). A store racing with the write-back faults, makes the page dirty again and is
 * written by the next one. Only the bytes below the file's end are written: a mapping never
 * extends its file (a page that was partly beyond EOF keeps its tail to itself, as Linux).
 *
 * Other differences that follow: a file truncated after a page was touched keeps that page
 * accessible (Linux: SIGBUS), and write-back then skips the bytes past the new end (a racing
 * truncate can still be undone by a write-back that read the old size); MS_SYNC writes the
 * pages with vfs_pwrite but does not also fsync the file to its device.
 *
 * Pages are collected in batches of SYNC_BATCH, so nothing is allocated here and a write-back
 * cannot fail for lack of memory. Callers that remove pages write them back first with the
 * lock dropped; a store another thread makes to the range between that write-back and the
 * removal is lost (on Linux it would reach the file): such a program races with its own
 * munmap, and its store could as well have faulted.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/mm_internal.h"
#include "core/uio.h"
#include "fs/vfs.h"

#define SYNC_BATCH 16

struct wb_page {
	struct file *f;  /* a reference */
	uint64_t pos;    /* file offset of the page */
	uint64_t pa;     /* the frame (a reference) */
};

static bool writes_back(const struct vma *v)
{
	unsigned acc = v->file ? v->file->flags & O_ACCMODE : O_RDONLY;

	return vma_shared_file(v) && (acc == O_WRONLY || acc == O_RDWR);
}

/* Collect the dirty pages of v in [*va, b), up to the batch's room, and make them clean. */
static unsigned collect_region(struct mm *mm, struct vma *v, uintptr_t *va, uintptr_t b,
			       struct wb_page *wb, unsigned n)
{
	for (; *va < b && n < SYNC_BATCH; *va += PAGE_SIZE) {
		uint64_t pa;
		unsigned prot;

		if (arch_mmu_query(mm->as, *va, &pa, &prot) != 0 || !(prot & MMU_WRITE))
			continue;
		prot &= MMU_USER | MMU_READ | MMU_EXEC;
		arch_mmu_protect(mm->as, *va, PAGE_SIZE, prot);
		page_ref_get(pa);
		file_get(v->file);
		wb[n++] = (struct wb_page){v->file, v->off + (*va - v->start), pa};
	}
	return n;
}

/* Under mm->lock: up to SYNC_BATCH dirty pages of [*pos, end); *pos moves past the pages
 * looked at (to end when the range is done). */
static unsigned collect(struct mm *mm, uintptr_t *pos, uintptr_t end, struct wb_page *wb)
{
	unsigned n = 0;

	for (struct vma *v = vma_first_above(mm, *pos); v && v->start < end; v = v->next) {
		uintptr_t va = v->start > *pos ? v->start : *pos;
		uintptr_t b = v->end < end ? v->end : end;

		if (writes_back(v) && v->pages)
			n = collect_region(mm, v, &va, b, wb, n);
		else
			va = b;
		*pos = va;
		if (va < b)
			return n; /* the batch is full */
	}
	*pos = end;
	return n;
}

/* Write one page's bytes below EOF (never extending the file). 0 or -errno. */
static int write_page(const struct wb_page *w)
{
	uint64_t size = __atomic_load_n(&w->f->path.ino->size, __ATOMIC_RELAXED);
	size_t len = size - w->pos < PAGE_SIZE ? (size_t)(size - w->pos) : PAGE_SIZE;
	char *buf = phys_to_virt(w->pa);

	if (w->pos >= size)
		return 0;
	for (size_t done = 0; done < len;) {
		struct uio u = uio_kernel(buf + done, len - done);
		long r = vfs_pwrite(w->f, &u, w->pos + done);

		if (r < 0)
			return (int)r;
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

int mm_sync_range(struct mm *mm, uintptr_t a, uintptr_t b)
{
	int err = 0;

	while (a < b) {
		struct wb_page wb[SYNC_BATCH];

		mutex_lock(&mm->lock);
		unsigned n = collect(mm, &a, b, wb);
		mutex_unlock(&mm->lock);
		for (unsigned i = 0; i < n; i++) {
			int e = write_page(&wb[i]);
			if (e && !err)
				err = e;
			page_ref_put(wb[i].pa);
			file_put(wb[i].f);
		}
	}
	return err;
}

/* MS_INVALIDATE: drop the clean pages of shared file regions in [a, b), so the next touch
 * reads the file again (and sees what other mappings wrote back). Dirty pages stay. */
static void invalidate(struct mm *mm, uintptr_t a, uintptr_t b)
{
	mutex_lock(&mm->lock);
	for (struct vma *v = vma_first_above(mm, a); v && v->start < b; v = v->next) {
		uintptr_t lo = v->start > a ? v->start : a, hi = v->end < b ? v->end : b;

		for (uintptr_t va = lo; vma_shared_file(v) && v->pages && va < hi; va += PAGE_SIZE) {
			uint64_t pa;
			unsigned prot;

			if (arch_mmu_query(mm->as, va, &pa, &prot) == 0 && !(prot & MMU_WRITE))
				mm_zap(mm, v, va, va + PAGE_SIZE);
		}
	}
	mutex_unlock(&mm->lock);
}

int mm_msync(struct mm *mm, uintptr_t addr, size_t len, bool invalidate_pages)
{
	uintptr_t end = addr + len;

	mutex_lock(&mm->lock);
	bool covered = vma_range_covered(mm, addr, end);
	mutex_unlock(&mm->lock);
	int err = mm_sync_range(mm, addr, end);
	if (invalidate_pages)
		invalidate(mm, addr, end);
	if (err)
		return err;
	return covered ? 0 : -ENOMEM;
}
