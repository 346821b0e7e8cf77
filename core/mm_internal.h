/*
 * core/mm_internal.h: what the files of the user-memory code (mm.c, mm_vma.c, mm_fault.c,
 * mm_map.c, mm_remap.c, mm_advise.c) share and nothing else may use.
 *
 * Every function here expects mm->lock held. The page tables are the only record of which
 * pages are present: a page of a region is present iff arch_mmu_query finds it, and each
 * present page holds exactly one reference on its frame (page_ref_*). mm->pages counts them,
 * and each region's pages its own (exactly: walks stop early on it).
 */
#ifndef CORE_MM_INTERNAL_H
#define CORE_MM_INTERNAL_H

#include "core/elf.h"
#include "core/mm.h"

static inline uintptr_t pg_down(uintptr_t a)
{
	return a & ~(uintptr_t)(PAGE_SIZE - 1);
}

static inline bool pg_aligned(uintptr_t a)
{
	return (a & (PAGE_SIZE - 1)) == 0;
}

/* len rounded up to pages, or 0 if that exceeds the user half (or len is 0). */
static inline size_t pg_len(size_t len)
{
	if (len == 0 || len > USER_TOP)
		return 0;
	return (len + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1);
}

/* ---- Regions (mm_vma.c) ---- */

struct vma *vma_new(uintptr_t start, uintptr_t end, unsigned prot, unsigned flags);
/* Free one region struct (drops its file reference); its pages must be gone. */
void vma_free(struct vma *v);
/* The region containing addr, or NULL. */
struct vma *vma_find(struct mm *mm, uintptr_t addr);
/* The first region ending above addr (it may start above addr too), or NULL. */
struct vma *vma_first_above(struct mm *mm, uintptr_t addr);
/* true if no region intersects [a, b). */
bool vma_range_free(struct mm *mm, uintptr_t a, uintptr_t b);
/* true if regions cover every page of [a, b) with no hole. */
bool vma_range_covered(struct mm *mm, uintptr_t a, uintptr_t b);
/* Link v into the sorted list (the caller made sure it overlaps nothing). */
void vma_insert(struct mm *mm, struct vma *v);
/* Make region boundaries at a and at b (splitting the regions that straddle them). 0 or
 * -ENOMEM (a boundary made before the failure stays: harmless, it only splits a region). */
int vma_split_at(struct mm *mm, uintptr_t a, uintptr_t b);
/* Join v with its neighbours where they touch and are alike (prot, flags, file and offset);
 * returns the region that now holds v's range (v itself may have been freed). */
struct vma *vma_merge(struct mm *mm, struct vma *v);
/* munmap's core: pages dropped and regions removed in [a, b) (page aligned). 0 or -ENOMEM. */
int mm_remove_range(struct mm *mm, uintptr_t a, uintptr_t b);

/* ---- Pages (mm_vma.c) ---- */

/* The MMU bits for a page of v whose frame may be written in place; 0 for PROT_NONE. */
unsigned vma_mmu_prot(const struct vma *v);
/* The MMU bits for v's present page at frame pa: write access dropped for a private frame
 * another owner still shares (copy-on-write). */
unsigned page_mmu_prot(const struct vma *v, uint64_t pa);
/* A MAP_SHARED file region: its pages are written back to the file (core/mm_sync.c). */
static inline bool vma_shared_file(const struct vma *v)
{
	return v->file && (v->flags & VMA_SHARED);
}
/* page_mmu_prot for a present page whose MMU bits are now cur: a clean page of a shared file
 * region (one not written since it was read or last written back) stays read-only, so that
 * its first store faults and marks it dirty (writable). */
unsigned page_mmu_prot_now(const struct vma *v, uint64_t pa, unsigned cur);
/* Unmap every present page of [a, b) (inside v) and drop its frame reference. */
void mm_zap(struct mm *mm, struct vma *v, uintptr_t a, uintptr_t b);
/* Rewrite the protection of every present page of [a, b) (inside v) from v's prot. */
void mm_reprotect(struct mm *mm, const struct vma *v, uintptr_t a, uintptr_t b);
/* Allocate a zeroed frame and map it at va (page aligned, not present) for v. 0 or -ENOMEM. */
int mm_new_page(struct mm *mm, struct vma *v, uintptr_t va, uint64_t *pa);
/* Make every page of [a, b) inside v present (shared anonymous regions). 0 or -ENOMEM
 * (pages made before the failure stay). */
int mm_populate(struct mm *mm, struct vma *v, uintptr_t a, uintptr_t b);

/* ---- File pages (mm_file.c): read WITHOUT mm->lock (see there), mapped with it ---- */

struct file_frames {
	struct file *f;     /* a reference, or NULL: nothing requested */
	uint64_t off;       /* file offset of the first page */
	size_t n;           /* pages requested */
	size_t nread;       /* pages read: those below EOF */
	uint64_t *frames;   /* nread frames; 0 once mapped */
	bool done;          /* ff_read succeeded */
};

/* Ask for n pages of f from off (a reference on f is taken; what ff held is released). */
void ff_request(struct file_frames *ff, struct file *f, uint64_t off, size_t n);
/* ff holds the pages of exactly that request, read. */
bool ff_matches(const struct file_frames *ff, const struct file *f, uint64_t off, size_t n);
/* Read the request into fresh frames. No mm->lock held. 0 or -errno. */
int ff_read(struct file_frames *ff);
/* Map the frames read at a, a + PAGE_SIZE, ... in v (those pages absent). 0 or -ENOMEM. */
int ff_map(struct mm *mm, struct vma *v, uintptr_t a, struct file_frames *ff);
/* Free what was not mapped and drop the file reference; ff is empty afterwards. */
void ff_release(struct file_frames *ff);
/* MADV_DONTNEED's second half: the private file pages of [pos, end) are read again from their
 * files and replace the old ones. Takes mm->lock itself (not held by the caller). */
int mm_reload_file_pages(struct mm *mm, uintptr_t pos, uintptr_t end);

/* A shared file region's absent page below EOF (mm_fault_locked's MM_FAULT_READ): read it
 * with mm->lock dropped and map it (writable if write). Takes mm->lock itself. */
int mm_fault_file_page(struct mm *mm, uintptr_t va, bool write);

/* ---- Write-back of shared file pages (mm_sync.c) ---- */

/* Write the dirty pages of shared file regions in [a, b) to their files and mark them clean.
 * Takes mm->lock itself (NOT held by the caller; the writes run without it). 0 or the first
 * write error. Callers that remove or reprotect pages call it first. */
int mm_sync_range(struct mm *mm, uintptr_t a, uintptr_t b);

/* ---- Faults (mm_fault.c) ---- */

/* mm_fault_locked's answer for a page that must first be read from its file (shared file
 * regions read their pages on first touch): not an error, and never returned by mm_fault. */
#define MM_FAULT_READ 1

/* mm_fault without the lock and the counter. */
int mm_fault_locked(struct mm *mm, uintptr_t addr, bool write, bool exec);

/* ---- Address choice (mm_map.c) ---- */

/* A free range of len bytes: hint if it is free (and allowed), else the highest free gap below
 * mm->mmap_base. The address, or 0 when there is no room. */
uintptr_t mm_find_free(struct mm *mm, uintptr_t hint, size_t len);

/* Linux's overcommit heuristic: one request for more pages than the machine has fails. */
bool mm_too_big(size_t len);

#endif
