/*
 * core/sys_file.c: the file syscalls that move bytes or make open files: openat (and x86_64's
 * open, creat), mknodat (and mknod), read, write, pread64, pwrite64, readv, writev, preadv,
 * pwritev, lseek, sendfile, pipe2 (and x86_64's pipe).
 *
 * Open flags: the VFS keeps the generic encoding (fs/vfs.h); four flags have other values on
 * x86_64 than on aarch64 (ABI_O_* in arch/<arch>/abi.h) and are mapped here both ways, on
 * open and for F_GETFL. O_LARGEFILE is always set, as on every 64-bit Linux.
 *
 * Reads and writes follow Linux's order of checks (a bad descriptor, then the access mode,
 * then the buffer's range: EBADF before EFAULT), cap the count at MAX_RW_COUNT, and hand the
 * VFS a user uio, so the bytes move straight between user memory and the file system; a
 * fault part-way gives the count so far (core/uio.c). readv/writev with more than one
 * non-empty segment: writes gather the segments into one kernel buffer of up to 64 KiB and
 * make one VFS write of it, so a writev is as atomic as a write of the same bytes (pipes:
 * PIPE_BUF; O_APPEND); reads of regular files and block devices go segment by segment, and
 * reads of anything else (pipes, terminals) make one VFS read into a kernel buffer and
 * scatter it, so they never wait for more data than a read would.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/mm.h"
#include "core/pmm.h"
#include "core/proc.h"
#include "core/sys_fd.h"
#include "core/syscall.h"
#include "core/uaccess.h"
#include "fs/pipe.h"

SYSCALL_DECLARE(openat);
SYSCALL_DECLARE(open);
SYSCALL_DECLARE(creat);
SYSCALL_DECLARE(mknodat);
SYSCALL_DECLARE(mknod);
SYSCALL_DECLARE(read);
SYSCALL_DECLARE(write);
SYSCALL_DECLARE(pread64);
SYSCALL_DECLARE(pwrite64);
SYSCALL_DECLARE(readv);
SYSCALL_DECLARE(writev);
SYSCALL_DECLARE(preadv);
SYSCALL_DECLARE(pwritev);
SYSCALL_DECLARE(lseek);
SYSCALL_DECLARE(sendfile);
SYSCALL_DECLARE(pipe2);
SYSCALL_DECLARE(pipe);

#define MAX_RW_COUNT ((size_t)(0x7fffffff & ~(PAGE_SIZE - 1))) /* Linux: INT_MAX & PAGE_MASK */
#define UIO_MAXIOV 1024
#define BOUNCE_MAX 65536
#define O_TMPFILE_BIT 020000000 /* __O_TMPFILE, the same on both ports */

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* ---- Open flags ------------------------------------------------------------------------------ */

/* Flags with one value for users of both ports and for the VFS. */
#define OPEN_SAME (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | \
		   O_CLOEXEC | O_PATH | KO_DSYNC | KO_NOATIME | KO_SYNC)

static unsigned open_flags_from_user(unsigned long uf)
{
	unsigned k = (unsigned)(uf & OPEN_SAME) | KO_LARGEFILE;
	if (uf & ABI_O_DIRECTORY)
		k |= O_DIRECTORY;
	if (uf & ABI_O_NOFOLLOW)
		k |= O_NOFOLLOW;
	if (uf & ABI_O_DIRECT)
		k |= KO_DIRECT;
	return k;
}

unsigned long open_flags_to_user(unsigned k)
{
	unsigned long u = k & OPEN_SAME;
	if (k & O_DIRECTORY)
		u |= ABI_O_DIRECTORY;
	if (k & O_NOFOLLOW)
		u |= ABI_O_NOFOLLOW;
	if (k & KO_DIRECT)
		u |= ABI_O_DIRECT;
	if (k & KO_LARGEFILE)
		u |= ABI_O_LARGEFILE;
	return u;
}

/* ---- openat ------------------------------------------------------------------------------------ */

/* A path argument's starting points: references to the process's root and to the directory a
 * relative path starts from (the cwd for AT_FDCWD, else dirfd's directory; dirfd is not
 * looked at for an absolute path, as on Linux). An empty path means the global root. */
static int at_get(int dirfd, const char *path, struct path *root, struct path *at)
{
	struct proc *p = proc_current();
	bool use_fd = path[0] != '/' && dirfd != AT_FDCWD;
	*root = (struct path){NULL, NULL};
	*at = (struct path){NULL, NULL};
	mutex_lock(&p->fs_lock);
	if (p->root.ino) {
		*root = p->root;
		path_get(root);
	}
	if (!use_fd && p->cwd.ino) {
		*at = p->cwd;
		path_get(at);
	}
	mutex_unlock(&p->fs_lock);
	if (!use_fd)
		return 0;
	struct file *f = fget_raw(dirfd);
	int err = !f ? -EBADF : !S_ISDIR(f->path.ino->mode) ? -ENOTDIR : 0;
	if (!err) {
		*at = f->path;
		path_get(at);
	}
	if (f)
		file_put(f);
	if (err)
		path_put(root);
	return err;
}

static const struct path *opt_path(const struct path *p)
{
	return p->ino ? p : NULL;
}

/* Is a descriptor free below the limit? Checked before opening so that EMFILE, as on Linux,
 * comes before any side effect of the open (O_CREAT). */
static bool fd_available(void)
{
	struct fdtable *t = fdt_current();
	mutex_lock(&t->lock);
	unsigned fd = 0;
	while (fd < t->size && fd < t->max && t->files[fd])
		fd++;
	bool ok = fd < t->max;
	mutex_unlock(&t->lock);
	return ok;
}

static uint32_t create_mode(unsigned flags, unsigned long umode)
{
	if (!(flags & O_CREAT))
		return 0;
	struct proc *p = proc_current();
	mutex_lock(&p->fs_lock);
	uint32_t mask = p->umask;
	mutex_unlock(&p->fs_lock);
	return (uint32_t)umode & 07777 & ~mask;
}

/* vfs_open relative to dirfd; FIFOs get their pipe. *out: a new file. */
static int open_at(int dirfd, const char *path, unsigned flags, uint32_t mode,
		   struct file **out)
{
	struct path root, at;
	int err = at_get(dirfd, path, &root, &at);
	if (err)
		return err;
	err = fd_available() ? vfs_open(opt_path(&root), opt_path(&at), path, flags, mode, out)
			     : -EMFILE;
	path_put(&root);
	path_put(&at);
	if (err)
		return err;
	struct file *f = *out;
	if (S_ISFIFO(f->path.ino->mode) && !(f->flags & O_PATH) && !f->ops) {
		err = fifo_open(f);
		if (err)
			file_put(f);
	}
	return err;
}

static long do_openat(int dirfd, uintptr_t upath, unsigned long uflags, unsigned long umode)
{
	unsigned flags = open_flags_from_user(uflags);
	if (uflags & O_TMPFILE_BIT)
		return -EOPNOTSUPP; /* no file system here makes unnamed files */
	if ((flags & (O_CREAT | O_DIRECTORY)) == (O_CREAT | O_DIRECTORY))
		return -EINVAL; /* Linux 6.4 on */
	char *path;
	int err = user_path_get(upath, &path, false);
	if (err)
		return err;
	struct file *f;
	err = open_at(dirfd, path, flags, create_mode(flags, umode), &f);
	kfree(path);
	if (err)
		return err;
	int fd = fd_install_current(f, 0, flags & O_CLOEXEC ? FD_CLOEXEC : 0);
	if (fd < 0)
		file_put(f);
	return fd;
}

long sys_openat(const unsigned long *a)
{
	return do_openat((int)a[0], a[1], a[2], a[3]);
}

long sys_open(const unsigned long *a)
{
	return do_openat(AT_FDCWD, a[0], a[1], a[2]);
}

long sys_creat(const unsigned long *a)
{
	return do_openat(AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, a[1]);
}

/* mknodat: FIFOs, sockets, regular files, and (root) device nodes; dev is Linux's 32-bit
 * encoding, the one inodes keep. The type is checked before the path, as Linux's may_mknod. */
static long do_mknodat(int dirfd, uintptr_t upath, unsigned long umode, unsigned long dev)
{
	uint32_t mode = (uint16_t)umode, type = mode & S_IFMT;
	if (type == S_IFDIR)
		return -EPERM;
	if (type != 0 && type != S_IFREG && type != S_IFIFO && type != S_IFSOCK &&
	    type != S_IFCHR && type != S_IFBLK)
		return -EINVAL;
	char *path;
	int err = user_path_get(upath, &path, false);
	if (err)
		return err;
	struct path root, at;
	err = at_get(dirfd, path, &root, &at);
	if (!err) {
		mode = type | create_mode(O_CREAT, mode);
		err = vfs_mknod(opt_path(&root), opt_path(&at), path, mode, (uint32_t)dev);
		path_put(&root);
		path_put(&at);
	}
	kfree(path);
	return err;
}

long sys_mknodat(const unsigned long *a)
{
	return do_mknodat((int)a[0], a[1], a[2], a[3]);
}

long sys_mknod(const unsigned long *a)
{
	return do_mknodat(AT_FDCWD, a[0], a[1], a[2]);
}

/* ---- read and write ---------------------------------------------------------------------------- */

static bool can_read(const struct file *f)
{
	unsigned acc = f->flags & O_ACCMODE;
	return acc == O_RDONLY || acc == O_RDWR;
}

static bool can_write(const struct file *f)
{
	unsigned acc = f->flags & O_ACCMODE;
	return acc == O_WRONLY || acc == O_RDWR;
}

/* Positioned I/O (pread, pwrite, preadv, sendfile with an offset) needs a seekable file. */
static bool can_pio(const struct file *f)
{
	uint32_t m = f->path.ino->mode;
	return !S_ISFIFO(m) && (m & S_IFMT) != S_IFSOCK && !file_is_console(f);
}

/* The front every read and write shares, in Linux's order: the descriptor (O_PATH: EBADF),
 * ESPIPE for positioned I/O on a pipe, the access mode. *out: a reference. */
static long rw_begin(int fd, bool write, bool positional, struct file **out)
{
	struct file *f = fget(fd);
	if (!f)
		return -EBADF;
	long err = 0;
	if (positional && !can_pio(f))
		err = -ESPIPE;
	else if (write ? !can_write(f) : !can_read(f))
		err = -EBADF;
	if (err) {
		file_put(f);
		return err;
	}
	*out = f;
	return 0;
}

static long file_read(struct file *f, struct uio *u, bool positional, uint64_t pos)
{
	/* Pages of shared file mappings in the buffer are read in before the file system takes
	 * its locks (core/mm.h, mm_prefault). */
	if (u->user)
		mm_prefault(proc_current()->mm, u->addr, u->resid, true);
	return positional ? vfs_pread(f, u, pos) : vfs_read(f, u);
}

/* A write, then O_SYNC / O_DSYNC's flush of what it wrote (Linux's generic_write_sync). */
static long file_write(struct file *f, struct uio *u, bool positional, uint64_t pos)
{
	if (u->user)
		mm_prefault(proc_current()->mm, u->addr, u->resid, false); /* as file_read */
	long n = positional ? vfs_pwrite(f, u, pos) : vfs_write(f, u);
	unsigned flags = __atomic_load_n(&f->flags, __ATOMIC_RELAXED);
	if (n > 0 && (flags & KO_DSYNC) && f->ops->fsync) {
		int err = f->ops->fsync(f, !(flags & KO_SYNC));
		if (err)
			return err;
	}
	return n;
}

static long do_rw(int fd, uintptr_t buf, size_t count, bool write, bool positional,
		  int64_t pos)
{
	if (positional && pos < 0)
		return -EINVAL;
	struct file *f;
	long r = rw_begin(fd, write, positional, &f);
	if (r)
		return r;
	if (!user_range_ok(buf, count)) {
		r = -EFAULT;
	} else {
		struct uio u = {buf, min_size(count, MAX_RW_COUNT), true};
		r = write ? file_write(f, &u, positional, (uint64_t)pos)
			  : file_read(f, &u, positional, (uint64_t)pos);
	}
	file_put(f);
	return r;
}

long sys_read(const unsigned long *a)
{
	return do_rw((int)a[0], a[1], a[2], false, false, 0);
}

long sys_write(const unsigned long *a)
{
	return do_rw((int)a[0], a[1], a[2], true, false, 0);
}

long sys_pread64(const unsigned long *a)
{
	return do_rw((int)a[0], a[1], a[2], false, true, (int64_t)a[3]);
}

long sys_pwrite64(const unsigned long *a)
{
	return do_rw((int)a[0], a[1], a[2], true, true, (int64_t)a[3]);
}

/* ---- readv and writev -------------------------------------------------------------------------- */

struct kiovec {
	uintptr_t base;
	size_t len;
};

/* Linux's import_iovec: at most UIO_MAXIOV segments (EINVAL), the array readable (EFAULT),
 * no length negative as a ssize_t (EINVAL), each segment wholly in user space (EFAULT), and
 * the total capped at MAX_RW_COUNT by shortening the segments that pass it. *v: kfree it. */
static long iov_import(uintptr_t uiov, unsigned long cnt, struct kiovec **v, size_t *total)
{
	*v = NULL;
	*total = 0;
	if (cnt > UIO_MAXIOV)
		return -EINVAL;
	if (cnt == 0)
		return 0;
	struct kiovec *iov = kmalloc(cnt * sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	long err = copy_from_user(iov, uiov, cnt * sizeof(*iov));
	size_t sum = 0;
	for (unsigned long i = 0; !err && i < cnt; i++) {
		if ((int64_t)iov[i].len < 0)
			err = -EINVAL;
		else if (!user_range_ok(iov[i].base, iov[i].len))
			err = -EFAULT;
		iov[i].len = min_size(iov[i].len, MAX_RW_COUNT - sum);
		sum += iov[i].len;
	}
	if (err) {
		kfree(iov);
		return err;
	}
	*v = iov;
	*total = sum;
	return 0;
}

/* A position in a user iovec, for gathering and scattering through a kernel buffer. */
struct iov_cursor {
	const struct kiovec *v;
	unsigned long cnt, seg;
	size_t off;
};

/* Move up to n bytes between buf and the segments from the cursor on, advancing it: the
 * count moved, short only where user memory faulted. */
static size_t iov_move(struct iov_cursor *c, char *buf, size_t n, bool to_user)
{
	size_t done = 0;
	while (done < n && c->seg < c->cnt) {
		const struct kiovec *s = &c->v[c->seg];
		size_t k = min_size(s->len - c->off, n - done);
		struct uio u = {s->base + c->off, k, true};
		long r = to_user ? uio_copy_out(&u, buf + done, k) : uio_copy_in(&u, buf + done, k);
		if (r > 0) {
			done += (size_t)r;
			c->off += (size_t)r;
		}
		if (r < (long)k)
			break;
		if (c->off == s->len) {
			c->seg++;
			c->off = 0;
		}
	}
	return done;
}

/* The only non-empty segment, or NULL if there are several. */
static const struct kiovec *single_segment(const struct kiovec *v, unsigned long cnt)
{
	const struct kiovec *one = NULL;
	for (unsigned long i = 0; i < cnt; i++) {
		if (v[i].len == 0)
			continue;
		if (one)
			return NULL;
		one = &v[i];
	}
	return one;
}

static long writev_gather(struct file *f, const struct kiovec *v, unsigned long cnt,
			  size_t total, bool positional, uint64_t pos)
{
	size_t cap = min_size(total, BOUNCE_MAX);
	char *buf = kmalloc(cap);
	if (!buf)
		return -ENOMEM;
	struct iov_cursor c = {v, cnt, 0, 0};
	size_t done = 0;
	long r = 0;
	while (done < total) {
		size_t want = min_size(total - done, cap);
		size_t got = iov_move(&c, buf, want, false);
		if (got == 0) {
			r = -EFAULT;
			break;
		}
		struct uio u = uio_kernel(buf, got);
		r = file_write(f, &u, positional, pos + done);
		if (r <= 0)
			break;
		done += (size_t)r;
		if ((size_t)r < got || got < want)
			break; /* a short write, or a fault in the segments */
	}
	kfree(buf);
	return done ? (long)done : r;
}

/* Regular files and block devices: one VFS read per segment, until one comes up short. */
static long readv_direct(struct file *f, const struct kiovec *v, unsigned long cnt,
			 bool positional, uint64_t pos)
{
	size_t done = 0;
	long r = 0;
	for (unsigned long i = 0; i < cnt; i++) {
		if (v[i].len == 0)
			continue;
		struct uio u = {v[i].base, v[i].len, true};
		r = file_read(f, &u, positional, pos + done);
		if (r <= 0)
			break;
		done += (size_t)r;
		if ((size_t)r < v[i].len)
			break;
	}
	return done ? (long)done : r;
}

/* Pipes and devices: one VFS read into a kernel buffer, scattered. [Bytes a fault keeps from
 * being delivered are lost; Linux leaves them in the pipe.] */
static long readv_scatter(struct file *f, const struct kiovec *v, unsigned long cnt,
			  size_t total, bool positional, uint64_t pos)
{
	size_t cap = min_size(total, BOUNCE_MAX);
	char *buf = kmalloc(cap);
	if (!buf)
		return -ENOMEM;
	struct uio u = uio_kernel(buf, cap);
	long r = file_read(f, &u, positional, pos);
	if (r > 0) {
		struct iov_cursor c = {v, cnt, 0, 0};
		size_t moved = iov_move(&c, buf, (size_t)r, true);
		r = moved ? (long)moved : -EFAULT;
	}
	kfree(buf);
	return r;
}

static long do_rwv(int fd, uintptr_t uiov, unsigned long cnt, bool write, bool positional,
		   int64_t pos)
{
	if (positional && pos < 0)
		return -EINVAL;
	struct file *f;
	long r = rw_begin(fd, write, positional, &f);
	if (r)
		return r;
	struct kiovec *v;
	size_t total;
	r = iov_import(uiov, cnt, &v, &total);
	const struct kiovec *one = v ? single_segment(v, cnt) : NULL;
	uint32_t m = f->path.ino->mode;
	if (r || total == 0) {
		/* nothing to move */
	} else if (one) {
		struct uio u = {one->base, one->len, true};
		r = write ? file_write(f, &u, positional, (uint64_t)pos)
			  : file_read(f, &u, positional, (uint64_t)pos);
	} else if (write) {
		r = writev_gather(f, v, cnt, total, positional, (uint64_t)pos);
	} else if (S_ISREG(m) || S_ISBLK(m)) {
		r = readv_direct(f, v, cnt, positional, (uint64_t)pos);
	} else {
		r = readv_scatter(f, v, cnt, total, positional, (uint64_t)pos);
	}
	kfree(v);
	file_put(f);
	return r;
}

long sys_readv(const unsigned long *a)
{
	return do_rwv((int)a[0], a[1], a[2], false, false, 0);
}

long sys_writev(const unsigned long *a)
{
	return do_rwv((int)a[0], a[1], a[2], true, false, 0);
}

/* preadv(fd, iov, cnt, pos_l, pos_h): on 64-bit ports the whole offset is in pos_l. */
long sys_preadv(const unsigned long *a)
{
	return do_rwv((int)a[0], a[1], a[2], false, true, (int64_t)a[3]);
}

long sys_pwritev(const unsigned long *a)
{
	return do_rwv((int)a[0], a[1], a[2], true, true, (int64_t)a[3]);
}

/* ---- lseek, sendfile ----------------------------------------------------------------------------- */

long sys_lseek(const unsigned long *a)
{
	struct file *f = fget((int)a[0]);
	if (!f)
		return -EBADF;
	int64_t r = vfs_lseek(f, (int64_t)a[1], (int)(unsigned)a[2]);
	file_put(f);
	return r;
}

/* Copy up to count bytes from in (at *pos if pos, else at its offset) to out's offset. */
static long sendfile_copy(struct file *out, struct file *in, int64_t *pos, size_t count)
{
	char *buf = kmalloc(min_size(count, BOUNCE_MAX));
	if (!buf)
		return -ENOMEM;
	bool seekable = can_pio(in);
	uint64_t at = pos ? (uint64_t)*pos : in->pos;
	size_t done = 0;
	long r = 0;
	while (done < count) {
		struct uio u = uio_kernel(buf, min_size(count - done, BOUNCE_MAX));
		r = seekable ? vfs_pread(in, &u, at + done) : vfs_read(in, &u);
		if (r <= 0)
			break;
		struct uio w = uio_kernel(buf, (size_t)r);
		long wr = file_write(out, &w, false, 0);
		if (wr <= 0) {
			r = wr;
			break;
		}
		done += (size_t)wr;
		if (wr < r)
			break;
	}
	kfree(buf);
	if (pos)
		*pos += (int64_t)done;
	else if (seekable) { /* the input's offset moves by what was sent, not what was read */
		mutex_lock(&in->pos_lock);
		in->pos = at + done;
		mutex_unlock(&in->pos_lock);
	}
	return done ? (long)done : r;
}

static long sendfile_files(struct file *out, struct file *in, uintptr_t upos, size_t count)
{
	if (!can_read(in))
		return -EBADF;
	if (upos && !can_pio(in))
		return -ESPIPE;
	if (!can_write(out))
		return -EBADF;
	if (out->flags & O_APPEND)
		return -EINVAL;
	int64_t pos = 0;
	if (upos && get_user(&pos, upos))
		return -EFAULT;
	if (pos < 0)
		return -EINVAL;
	if (count == 0)
		return 0;
	long r = sendfile_copy(out, in, upos ? &pos : NULL, min_size(count, MAX_RW_COUNT));
	if (upos && put_user(upos, &pos))
		return -EFAULT;
	return r;
}

long sys_sendfile(const unsigned long *a)
{
	struct file *in = fget((int)a[1]);
	if (!in)
		return -EBADF;
	struct file *out = fget((int)a[0]);
	long r = out ? sendfile_files(out, in, a[2], a[3]) : -EBADF;
	if (out)
		file_put(out);
	file_put(in);
	return r;
}

/* ---- pipe2 ------------------------------------------------------------------------------------- */

long sys_pipe2(const unsigned long *a)
{
	uintptr_t ufds = a[0];
	unsigned long flags = a[1];
	/* O_DIRECT (packet mode) and O_NOTIFICATION_PIPE are not supported: EINVAL, as any flag
	 * Linux does not know. */
	if (flags & ~(unsigned long)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	struct file *rd, *wr;
	int err = pipe_create((unsigned)flags & O_NONBLOCK, &rd, &wr);
	if (err)
		return err;
	unsigned fdflags = flags & O_CLOEXEC ? FD_CLOEXEC : 0;
	int fds[2];
	fds[0] = fd_install_current(rd, 0, fdflags);
	if (fds[0] < 0) {
		file_put(rd);
		file_put(wr);
		return fds[0];
	}
	fds[1] = fd_install_current(wr, 0, fdflags);
	if (fds[1] < 0) {
		file_put(wr);
		fd_close(proc_current()->fdt, fds[0]);
		return fds[1];
	}
	if (copy_to_user(ufds, fds, sizeof(fds))) {
		fd_close(proc_current()->fdt, fds[0]);
		fd_close(proc_current()->fdt, fds[1]);
		return -EFAULT;
	}
	return 0;
}

long sys_pipe(const unsigned long *a)
{
	unsigned long b[2] = {a[0], 0};
	return sys_pipe2(b);
}
