/*
 * core/sys_mem.c: the memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise, msync.
 *
 * These only decode and check arguments the way Linux does, in Linux's order where two errors
 * could both apply, and call the mm functions (core/mm.h), which hold mm->lock while they
 * work. Nothing here touches user memory.
 *
 * mmap on both ports takes a byte offset (x86_64 mmap and aarch64 mmap, not mmap2), which
 * must be page aligned. Unknown prot bits are ignored by mmap, as Linux does; mprotect
 * refuses them. MAP_SHARED file mappings write their stores back to the file on msync (MS_SYNC
 * and MS_ASYNC alike, since nothing else would), munmap, exit and exec; core/mm_sync.c says
 * how that differs from Linux's shared page cache. MS_SYNC does not also fsync the file.
 */
#include "core/errno.h"
#include "core/mm.h"
#include "core/proc.h"
#include "core/syscall.h"
#include "fs/vfs.h"

#define MAP_32BIT_ 0x40            /* x86_64 only; in Linux's legacy mask there */
#define MAP_UNINITIALIZED_ 0x4000000
#define MAP_HUGE_MASK_ (0x3fu << 26)
/* The flags MAP_SHARED_VALIDATE accepts (Linux's LEGACY_MAP_MASK; no file here has MAP_SYNC). */
#define MAP_LEGACY_MASK                                                                   \
	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE |           \
	 MAP_EXECUTABLE | MAP_UNINITIALIZED_ | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | \
	 MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_32BIT_ | MAP_HUGE_MASK_)
#define PROT_SEM 0x8

SYSCALL_DECLARE(brk);
SYSCALL_DECLARE(mmap);
SYSCALL_DECLARE(munmap);
SYSCALL_DECLARE(mprotect);
SYSCALL_DECLARE(mremap);
SYSCALL_DECLARE(madvise);
SYSCALL_DECLARE(msync);

#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4

static struct mm *cur_mm(void)
{
	return proc_current()->mm;
}

long sys_brk(const unsigned long *a)
{
	return (long)mm_brk(cur_mm(), a[0]);
}

/* do_mmap's checks of a file mapping's type and the file's access mode. */
static int check_file_map(struct file *f, unsigned long flags, unsigned prot)
{
	unsigned acc = f->flags & O_ACCMODE;

	switch (flags & MAP_TYPE) {
	case MAP_SHARED:
		flags &= MAP_LEGACY_MASK;
		/* fall through */
	case MAP_SHARED_VALIDATE:
		if (flags & ~(unsigned long)MAP_LEGACY_MASK)
			return -EOPNOTSUPP;
		if ((prot & PROT_WRITE) && acc == O_RDONLY)
			return -EACCES;
		/* fall through */
	case MAP_PRIVATE:
		if (acc == O_WRONLY)
			return -EACCES;
		if (!S_ISREG(f->path.ino->mode))
			return -ENODEV; /* pipes, directories, devices: no mmap */
		if (flags & MAP_GROWSDOWN)
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

static int check_anon_map(unsigned long flags)
{
	switch (flags & MAP_TYPE) {
	case MAP_SHARED:
		return flags & MAP_GROWSDOWN ? -EINVAL : 0;
	case MAP_PRIVATE:
		return 0;
	default:
		return -EINVAL; /* MAP_SHARED_VALIDATE is for files only */
	}
}

/* Linux populates MAP_POPULATE (without MAP_NONBLOCK) and MAP_LOCKED mappings at once; a
 * failure there is not mmap's (the pages then come on first touch, or the fault fails). */
static void map_populate(struct mm *mm, long addr, size_t len, unsigned long flags,
			 unsigned prot)
{
	if (!(flags & MAP_LOCKED) && (flags & (MAP_POPULATE | MAP_NONBLOCK)) != MAP_POPULATE)
		return;
	if (prot & PROT_WRITE)
		mm_advise(mm, (uintptr_t)addr, len, MADV_POPULATE_WRITE);
	else if (prot & (PROT_READ | PROT_EXEC))
		mm_advise(mm, (uintptr_t)addr, len, MADV_POPULATE_READ);
	if (prot & (PROT_READ | PROT_WRITE | PROT_EXEC))
		mm_prefault(mm, (uintptr_t)addr, len, false); /* shared file pages, read clean */
}

static long do_mmap(uintptr_t addr, size_t len, unsigned prot, unsigned long flags,
		    struct file *f, uint64_t off)
{
	int err;

	if (len == 0)
		return -EINVAL;
	if (len > USER_TOP)
		return -ENOMEM;
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && (addr & (PAGE_SIZE - 1)))
		return -EINVAL;
	err = f ? check_file_map(f, flags, prot) : check_anon_map(flags);
	if (err)
		return err;
	long r = mm_map(cur_mm(), addr, len, prot, (unsigned)flags, f, off);
	if (r >= 0)
		map_populate(cur_mm(), r, len, flags, prot);
	return r;
}

long sys_mmap(const unsigned long *a)
{
	uintptr_t addr = a[0];
	size_t len = a[1];
	unsigned prot = (unsigned)a[2] & (PROT_READ | PROT_WRITE | PROT_EXEC);
	unsigned long flags = a[3];
	uint64_t off = a[5];
	struct file *f = NULL;
	long r;

	if (off & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS)) {
		f = fd_get(proc_current()->fdt, (int)a[4]);
		if (!f || (f->flags & O_PATH)) {
			if (f)
				file_put(f);
			return -EBADF;
		}
		if (flags & MAP_HUGETLB) {
			file_put(f);
			return -EINVAL; /* not a hugetlbfs file */
		}
	} else if (flags & MAP_HUGETLB) {
		return -ENOMEM; /* no huge pages are reserved (nr_hugepages 0) */
	}
	r = do_mmap(addr, len, prot, flags, f, f ? off : 0);
	if (f)
		file_put(f);
	return r;
}

long sys_munmap(const unsigned long *a)
{
	return mm_unmap(cur_mm(), a[0], a[1]);
}

long sys_mprotect(const unsigned long *a)
{
	uintptr_t addr = a[0];
	size_t len = a[1];
	unsigned long prot = a[2], grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);

	if (grows == (PROT_GROWSDOWN | PROT_GROWSUP) || (addr & (PAGE_SIZE - 1)))
		return -EINVAL;
	if (len == 0)
		return 0;
	if (prot & ~(unsigned long)(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | grows))
		return -EINVAL;
	if (grows)
		return -EINVAL; /* no region grows (the stack is a fixed region) */
	return mm_protect(cur_mm(), addr, len, (unsigned)prot & ~(unsigned)PROT_SEM);
}

long sys_mremap(const unsigned long *a)
{
	if (a[3] > ~0u)
		return -EINVAL; /* flags is an unsigned long: no bit above 31 is known */
	return mm_remap(cur_mm(), a[0], a[1], a[2], (unsigned)a[3], a[4]);
}

long sys_madvise(const unsigned long *a)
{
	return mm_advise(cur_mm(), a[0], a[1], (int)a[2]);
}

long sys_msync(const unsigned long *a)
{
	uintptr_t start = a[0];
	size_t len = a[1];
	int flags = (int)a[2];

	if ((flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) || (start & (PAGE_SIZE - 1)))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	len = (len + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1); /* wraps to 0, as Linux */
	if (start + len < start)
		return -ENOMEM;
	if (len == 0)
		return 0;
	return mm_msync(cur_mm(), start, len, flags & MS_INVALIDATE);
}
