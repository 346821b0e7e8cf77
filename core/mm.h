/*
 * core/mm.h: user address spaces: which ranges exist (regions, "VMAs"), what backs them, and
 * how a page fault is resolved. Page-table formats stay in the port (arch.h, MMU); this file is
 * the policy both ports share.
 *
 * Layout of a process (core policy, the same on both ports, below USER_TOP):
 *   ELF image at its link address (static PIE at ELF_DYN_BASE), then the heap from brk_start
 *   up to brk; mmap(NULL) regions allocated top-down from mmap_base; the stack's region
 *   [stack_top - MM_STACK_MAX, stack_top) with an unmapped MM_STACK_GAP guard below it, and
 *   mmap_base below that.
 *
 * Pages: anonymous memory (heap, stack, MAP_ANONYMOUS, bss) is allocated zeroed on first touch
 * (demand paging). fork copies the page tables, not the pages: every private writable page is
 * mapped read-only in both processes with its frame's reference count raised (pmm
 * page_ref_*), and a write fault copies it unless the faulting process is the last owner, who
 * writes in place. MAP_SHARED anonymous pages stay writable and shared across fork; they are
 * allocated when mapped (eagerly), because frames are the only thing two processes can share
 * (there is no shared memory object behind them). Private file mappings are read from the file
 * into private pages when mapped (eagerly); the region keeps a reference to the file. Its pages
 * wholly beyond the end of the file stay absent, and touching one is SIGBUS (mm_fault -EIO).
 * MAP_SHARED file mappings read each page on first touch and write their stores back to the
 * file on msync, munmap and when the address space goes (exit, exec); there is no shared
 * page cache behind them, which core/mm_sync.c explains with what that changes.
 * A page of a PROT_NONE region is never faulted in; one that was present before mprotect
 * keeps its frame, mapped with no MMU access bits (neither user- nor kernel-accessible on
 * x86_64; kernel-read-only on aarch64, which user copies with unprivileged loads refuse).
 *
 * Locking: mm->lock (a mutex) guards the region list, brk and the user half of the page
 * tables. It is taken by the fault handler, so no code holding it may touch user memory
 * (copy_to_user and friends) or sleep waiting for something that needs a fault resolved.
 * File systems copy to and from user memory with their inode locks held, so the order is
 * inode lock before mm->lock, and file data is never read with mm->lock held (the pages of a
 * private file mapping are read first and mapped after: core/mm_file.c).
 */
#ifndef CORE_MM_H
#define CORE_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/layout.h"
#include "core/pmm.h"
#include "core/sync.h"

/* mmap(2) values; identical on x86_64 and aarch64. */
#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x0100
#define MAP_DENYWRITE 0x0800
#define MAP_EXECUTABLE 0x1000
#define MAP_LOCKED 0x2000
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_NONBLOCK 0x10000
#define MAP_STACK 0x20000
#define MAP_HUGETLB 0x40000
#define MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define MREMAP_DONTUNMAP 4
#define PROT_GROWSDOWN 0x01000000
#define PROT_GROWSUP 0x02000000

/* madvise(2) advice values (Linux's generic ones, the same on both ports). */
#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_FREE 8
#define MADV_REMOVE 9
#define MADV_DONTFORK 10
#define MADV_DOFORK 11
#define MADV_MERGEABLE 12
#define MADV_UNMERGEABLE 13
#define MADV_HUGEPAGE 14
#define MADV_NOHUGEPAGE 15
#define MADV_DONTDUMP 16
#define MADV_DODUMP 17
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#define MADV_COLD 20
#define MADV_PAGEOUT 21
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#define MADV_DONTNEED_LOCKED 24

#define MM_STACK_TOP (USER_TOP - PAGE_SIZE)       /* highest stack byte is below this */
#define MM_STACK_MAX (8ull << 20)                 /* RLIMIT_STACK's default */
#define MM_STACK_GAP (256ull << 20)               /* never mapped below the stack region */
#define MM_SIGTRAMP (USER_TOP - PAGE_SIZE)       /* arch_sigtramp_code's page, if any */
#define MM_MMAP_BASE (MM_STACK_TOP - MM_STACK_MAX - MM_STACK_GAP)

/* Region flags. */
#define VMA_SHARED 1u   /* MAP_SHARED: pages shared across fork, never copied */
#define VMA_STACK 2u    /* the main thread's stack */
#define VMA_HEAP 4u     /* [brk_start, brk) */
#define VMA_DONTFORK 8u /* MADV_DONTFORK: not copied into a fork child */
#define VMA_WIPEONFORK 16u /* MADV_WIPEONFORK: the child gets the region empty (zeros) */

struct file;
struct arch_aspace;

struct vma {
	uintptr_t start, end;  /* page aligned, start < end */
	unsigned prot;         /* PROT_* the program asked for */
	unsigned flags;        /* VMA_* */
	struct file *file;     /* file mapping: its file (a reference) or NULL */
	uint64_t off;          /* file offset of start (file mappings) */
	uint64_t pages;        /* present pages in it: page walks stop once they saw them all,
	                        * so a huge sparse region costs no more than its pages */
	struct vma *next;      /* the next region up; the list is sorted and never overlaps */
};

struct mm {
	struct mutex lock;      /* guards everything below (see the header) */
	struct arch_aspace *as;
	struct vma *vmas;
	uintptr_t brk_start, brk; /* brk is where the program set it; the heap region ends at
	                           * page_up(brk) */
	uintptr_t mmap_base;    /* mmap(NULL) searches downwards from here */
	uintptr_t stack_top;
	uintptr_t sigtramp;     /* the signal-return trampoline page (exec), or 0 */
	uint64_t arg_start, arg_end, env_start, env_end; /* for /proc [later issues] */
	uint64_t pages;         /* frames mapped (resident) */
	int refs;               /* __atomic: CLONE_VM sharers, vfork parents */
};

/* A new, empty address space (kernel half shared). NULL when out of memory. */
struct mm *mm_create(void);
/* fork: a copy-on-write duplicate of src (src->lock taken inside). NULL when out of memory
 * (nothing leaks). */
struct mm *mm_fork(struct mm *src);
void mm_get(struct mm *mm);
/* Drop a reference; the last one frees every region, frame reference and page table. The mm
 * must not be active on any CPU. */
void mm_put(struct mm *mm);
/* Make mm this CPU's user address space (NULL: none, kernel threads). Interrupts masked or
 * preemption impossible (called from the scheduler hook and exec). */
void mm_activate(struct mm *mm);

/* Resolve a fault at addr in mm: demand-zero a page, read a shared file mapping's page (with
 * mm->lock dropped for the read), or break copy-on-write. 0 when the access can be retried;
 * -EFAULT if no region covers addr (SEGV_MAPERR), or if the shared file page is needed while
 * this thread holds that file's inode lock (a file system's copy: see mm_prefault); -EACCES if
 * the region forbids the access (SEGV_ACCERR); -EIO if addr is in a file mapping's page
 * wholly beyond the end of the file, or the file could not be read (SIGBUS, BUS_ADRERR);
 * -ENOMEM (a user-mode fault: SIGKILL, as Linux's OOM kill; a user copy: -EFAULT). Thread
 * context; takes mm->lock. */
int mm_fault(struct mm *mm, uintptr_t addr, bool write, bool exec);

/* mmap's core (arguments already checked for types the caller supports): a new region of len
 * bytes (rounded up to pages) at addr (a hint, or exact with MAP_FIXED, replacing what was
 * there, or MAP_FIXED_NOREPLACE, -EEXIST if anything was), anonymous when f is NULL, else
 * f's bytes from off: a private copy (MAP_PRIVATE), or pages whose stores are written back
 * to f (MAP_SHARED; the caller checked f's access mode). The region holds a reference to f.
 * The address or -errno: -ENOMEM when no room (or more than the machine's memory, Linux's
 * overcommit heuristic, unless MAP_NORESERVE), -EINVAL for bad lengths/alignment, -EPERM for
 * MAP_FIXED below ELF_MIN_VADDR, or the file's read error. */
long mm_map(struct mm *mm, uintptr_t addr, size_t len, unsigned prot, unsigned flags,
	    struct file *f, uint64_t off);
/* msync's core on [addr, addr + len) (page aligned, not wrapping): the dirty pages of shared
 * file mappings are written to their files (core/mm_sync.c); with invalidate the clean ones
 * are then dropped, to be read again on the next touch. 0, the first write error, or -ENOMEM
 * if part of the range is not mapped (the mapped parts are still synced). No lock held. */
int mm_msync(struct mm *mm, uintptr_t addr, size_t len, bool invalidate);
/* Fault in the absent pages of shared file mappings in [addr, addr + len) (for writing if
 * write), as a user copy would. Called before a file system copies to or from a user buffer
 * with its locks held: such a page is read from its file on first touch, and reading it from
 * inside that copy could need the very lock the copy holds. Stops quietly at the first page
 * that cannot be had (the copy then fails as it would have). No lock held. */
void mm_prefault(struct mm *mm, uintptr_t addr, size_t len, bool write);
/* munmap, mprotect: partial ranges split regions. 0 or -errno as Linux gives them. */
int mm_unmap(struct mm *mm, uintptr_t addr, size_t len);
int mm_protect(struct mm *mm, uintptr_t addr, size_t len, unsigned prot);
/* brk(2): move the break (0 asks for the current one); returns the break after the call
 * (unchanged on failure, as Linux). */
uintptr_t mm_brk(struct mm *mm, uintptr_t brk);

/* mremap(2) (flags MREMAP_MAYMOVE, MREMAP_FIXED; MREMAP_DONTUNMAP is -EINVAL): shrink,
 * grow in place, or move the page mappings (the frames, not copies). The new address or
 * -errno. */
long mm_remap(struct mm *mm, uintptr_t old_addr, size_t old_len, size_t new_len,
	      unsigned flags, uintptr_t new_addr);
/* madvise(2): MADV_* advice on [addr, addr+len) with Linux's errors (-EINVAL for unknown
 * advice and for advice that needs kernel features Janus lacks: KSM, THP, hwpoison). */
int mm_advise(struct mm *mm, uintptr_t addr, size_t len, int advice);

/* Write n bytes (zeros if src is NULL) into mm's memory at va, allocating pages as needed,
 * regardless of the region's protection, through the direct map: exec uses it to load an image
 * into an mm that is not active yet. 0, -EFAULT (no region), -ENOMEM. */
int mm_write(struct mm *mm, uintptr_t va, const void *src, size_t n);

/* Set up the stack region [stack_top - MM_STACK_MAX, stack_top) and the mmap base of a
 * fresh mm (exec). 0, -ENOMEM, or -EINVAL if stack_top leaves no room below it. */
int mm_setup_stack(struct mm *mm, uintptr_t stack_top, bool exec_stack);
/* Set brk_start = brk = start (exec, after the image: page aligned). */
void mm_set_brk_start(struct mm *mm, uintptr_t start);

/* Counters for /proc/janus and the benchmarks (every CPU, since boot): calls of mm_fault, and
 * copy-on-write copies made. */
uint64_t mm_fault_count(void);
uint64_t mm_cow_count(void);

#endif
