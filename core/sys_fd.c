/*
 * core/sys_fd.c: descriptor syscalls: close, close_range, dup, dup2, dup3, fcntl, ioctl; and
 * the descriptor helpers of core/sys_fd.h.
 *
 * Descriptors live in the process's struct fdtable (fs/fdtable.c), whose `max` is kept equal
 * to RLIMIT_NOFILE's soft limit (capped at NR_OPEN) by fdt_current before every use, so a
 * setrlimit takes effect at the next allocation: fd_install then gives -EMFILE, and dup2 /
 * dup3 to a number >= the limit -EBADF, as on Linux. Descriptors already above a lowered
 * limit stay open, as on Linux.
 *
 * ioctl: FIOCLEX, FIONCLEX, FIONBIO and FIONREAD (regular files) are answered here for every
 * file, as Linux's do_vfs_ioctl does; everything else goes to the file's own ioctl (the
 * terminal's are core/tty.c's), or is -ENOTTY.
 */
#include "core/sys_fd.h"

#include "core/errno.h"
#include "core/proc.h"
#include "core/spinlock.h"
#include "core/syscall.h"
#include "core/uaccess.h"

SYSCALL_DECLARE(close);
SYSCALL_DECLARE(close_range);
SYSCALL_DECLARE(dup);
SYSCALL_DECLARE(dup2);
SYSCALL_DECLARE(dup3);
SYSCALL_DECLARE(fcntl);
SYSCALL_DECLARE(ioctl);

/* fcntl commands (the same numbers on both ports). */
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030

/* close_range flags. */
#define CLOSE_RANGE_UNSHARE 2u
#define CLOSE_RANGE_CLOEXEC 4u

/* ioctl requests (Linux's generic numbers, used by both ports). */
#define FIONREAD 0x541B
#define FIONBIO 0x5421
#define FIONCLEX 0x5450
#define FIOCLEX 0x5451

/* ---- Helpers (core/sys_fd.h) ------------------------------------------------------------- */

struct fdtable *fdt_current(void)
{
	struct proc *p = proc_current();
	struct fdtable *t = p->fdt;
	uint64_t lim = p->rlim[RLIMIT_NOFILE].cur;
	unsigned max = lim > NR_OPEN ? NR_OPEN : (unsigned)lim;
	if (__atomic_load_n(&t->max, __ATOMIC_RELAXED) != max) {
		mutex_lock(&t->lock);
		t->max = max;
		mutex_unlock(&t->lock);
	}
	return t;
}

struct file *fget_raw(int fd)
{
	return fd_get(proc_current()->fdt, fd);
}

struct file *fget(int fd)
{
	struct file *f = fget_raw(fd);
	if (f && (f->flags & O_PATH)) {
		file_put(f);
		f = NULL;
	}
	return f;
}

int fd_install_current(struct file *f, unsigned min, unsigned fdflags)
{
	return fd_install(fdt_current(), f, min, fdflags);
}

bool file_is_console(const struct file *f)
{
	const struct inode *ino = f->path.ino;
	return S_ISCHR(ino->mode) && (ino->rdev == MKDEV(5, 0) || ino->rdev == MKDEV(5, 1));
}

/* ---- close, dup ---------------------------------------------------------------------------- */

long sys_close(const unsigned long *a)
{
	return fd_close(proc_current()->fdt, (int)a[0]);
}

long sys_close_range(const unsigned long *a)
{
	unsigned first = (unsigned)a[0], last = (unsigned)a[1];
	unsigned long flags = a[2];
	if ((flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) || first > last)
		return -EINVAL;
	struct fdtable *t = proc_current()->fdt;
	/* UNSHARE first gives the caller a private table; one nobody shares already is. A
	 * table shared with another process (CLONE_FILES without CLONE_THREAD) cannot yet be
	 * split from here. */
	if ((flags & CLOSE_RANGE_UNSHARE) && __atomic_load_n(&t->refs, __ATOMIC_RELAXED) > 1)
		return -EINVAL;
	mutex_lock(&t->lock);
	unsigned end = t->size;
	mutex_unlock(&t->lock);
	if (last >= end)
		last = end ? end - 1 : 0;
	for (unsigned fd = first; fd <= last && fd < end; fd++) {
		if (flags & CLOSE_RANGE_CLOEXEC) {
			int fl = fd_get_flags(t, (int)fd);
			if (fl >= 0)
				fd_set_flags(t, (int)fd, (unsigned)fl | FD_CLOEXEC);
		} else {
			fd_close(t, (int)fd); /* -EBADF for a free number: skipped */
		}
	}
	return 0;
}

long sys_dup(const unsigned long *a)
{
	struct file *f = fget_raw((int)a[0]);
	if (!f)
		return -EBADF;
	int fd = fd_install_current(f, 0, 0);
	if (fd < 0)
		file_put(f);
	return fd;
}

long sys_dup3(const unsigned long *a)
{
	int oldfd = (int)a[0], newfd = (int)a[1];
	unsigned long flags = a[2];
	if (flags & ~(unsigned long)O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	return fd_dup_to(fdt_current(), oldfd, newfd, flags & O_CLOEXEC ? FD_CLOEXEC : 0);
}

long sys_dup2(const unsigned long *a)
{
	int oldfd = (int)a[0], newfd = (int)a[1];
	if (oldfd == newfd) /* Linux: newfd if oldfd is open, flags untouched */
		return fd_get_flags(proc_current()->fdt, oldfd) < 0 ? -EBADF : newfd;
	unsigned long b[3] = {a[0], a[1], 0};
	return sys_dup3(b);
}

/* ---- fcntl ------------------------------------------------------------------------------------ */

/* F_DUPFD and F_DUPFD_CLOEXEC: the lowest free descriptor >= from. */
static long fcntl_dupfd(struct file *f, unsigned from, unsigned fdflags)
{
	struct proc *p = proc_current();
	if (from >= p->rlim[RLIMIT_NOFILE].cur || from >= NR_OPEN)
		return -EINVAL;
	file_get(f);
	int fd = fd_install_current(f, (unsigned)from, fdflags);
	if (fd < 0)
		file_put(f);
	return fd;
}

/* F_SETFL: O_APPEND and O_NONBLOCK change; the access mode and creation flags cannot, and
 * Linux's other settable flags (O_ASYNC, O_DIRECT, O_NOATIME) are left as they are. */
static long fcntl_setfl(struct file *f, unsigned long uflags)
{
	const unsigned settable = O_APPEND | O_NONBLOCK;
	unsigned want = (unsigned)uflags & settable;
	unsigned old = __atomic_load_n(&f->flags, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&f->flags, &old, (old & ~settable) | want, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return 0;
}

long sys_fcntl(const unsigned long *a)
{
	int fd = (int)a[0];
	unsigned cmd = (unsigned)a[1];
	unsigned long arg = a[2];
	struct file *f = fget_raw(fd);
	if (!f)
		return -EBADF;
	long r;
	switch (cmd) {
	case F_DUPFD: r = fcntl_dupfd(f, (unsigned)(int)arg, 0); break;
	case F_DUPFD_CLOEXEC: r = fcntl_dupfd(f, (unsigned)(int)arg, FD_CLOEXEC); break;
	case F_GETFD: r = fd_get_flags(proc_current()->fdt, fd); break;
	case F_SETFD: r = fd_set_flags(proc_current()->fdt, fd, arg & FD_CLOEXEC); break;
	case F_GETFL: r = (long)open_flags_to_user(__atomic_load_n(&f->flags, __ATOMIC_RELAXED));
		break;
	case F_SETFL: r = (f->flags & O_PATH) ? -EBADF : fcntl_setfl(f, arg); break;
	default: r = (f->flags & O_PATH) ? -EBADF : -EINVAL; break;
	}
	file_put(f);
	return r;
}

/* ---- ioctl ------------------------------------------------------------------------------------ */

/* FIONBIO: *arg nonzero sets O_NONBLOCK, zero clears it. */
static long ioctl_fionbio(struct file *f, uintptr_t arg)
{
	int on;
	if (get_user(&on, arg))
		return -EFAULT;
	if (on)
		__atomic_fetch_or(&f->flags, (unsigned)O_NONBLOCK, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&f->flags, ~(unsigned)O_NONBLOCK, __ATOMIC_RELAXED);
	return 0;
}

/* FIONREAD on a regular file: the bytes from the offset to the end (Linux's generic one). */
static long ioctl_fionread_reg(struct file *f, uintptr_t arg)
{
	mutex_lock(&f->pos_lock);
	uint64_t size = f->path.ino->size, pos = f->pos;
	mutex_unlock(&f->pos_lock);
	int n = (int)(size > pos ? size - pos : 0);
	return put_user(arg, &n);
}

long sys_ioctl(const unsigned long *a)
{
	int fd = (int)a[0];
	unsigned cmd = (unsigned)a[1];
	uintptr_t arg = a[2];
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	long r;
	if (cmd == FIOCLEX || cmd == FIONCLEX)
		r = fd_set_flags(proc_current()->fdt, fd, cmd == FIOCLEX ? FD_CLOEXEC : 0);
	else if (cmd == FIONBIO)
		r = ioctl_fionbio(f, arg);
	else if (cmd == FIONREAD && S_ISREG(f->path.ino->mode))
		r = ioctl_fionread_reg(f, arg);
	else if (f->ops && f->ops->ioctl)
		r = f->ops->ioctl(f, cmd, arg);
	else
		r = -ENOTTY;
	file_put(f);
	return r;
}
