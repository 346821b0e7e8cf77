/*
 * core/sys_stat.c: the metadata syscalls: fstat, newfstatat (and x86_64's stat, lstat),
 * statx, statfs, fstatfs, faccessat, faccessat2 (and access), fchmod, fchmodat (chmod),
 * fchown, fchownat (chown, lchown), utimensat, truncate, ftruncate, fallocate, fsync,
 * fdatasync, sync, syncfs and fadvise64.
 *
 * The attributes come straight from the in-memory inode (no lock: each field is one aligned
 * word, as Linux's generic_fillattr reads them); changes go through vfs_setattr and
 * vfs_truncate, which apply Linux's ownership rules and take the inode's lock. The port's
 * struct stat is data in arch/<arch>/abi_stat.h; struct statx and struct statfs have one
 * 64-bit layout on both ports and are defined here.
 *
 * Descriptors: calls Linux makes through fdget refuse an O_PATH descriptor with -EBADF
 * (fchmod, fchown, ftruncate, fallocate, fsync, syncfs, futimens); those made through
 * fdget_raw accept it (fstat, fstatfs, and the empty-path forms of the *at calls).
 */
#include "core/sys_path.h"

#include "core/bcache.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/proc.h"
#include "core/string.h"
#include "core/syscall.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "core/uio.h"

SYSCALL_DECLARE(fstat);
SYSCALL_DECLARE(newfstatat);
SYSCALL_DECLARE(stat);
SYSCALL_DECLARE(lstat);
SYSCALL_DECLARE(statx);
SYSCALL_DECLARE(statfs);
SYSCALL_DECLARE(fstatfs);
SYSCALL_DECLARE(faccessat);
SYSCALL_DECLARE(faccessat2);
SYSCALL_DECLARE(access);
SYSCALL_DECLARE(fchmod);
SYSCALL_DECLARE(fchmodat);
SYSCALL_DECLARE(chmod);
SYSCALL_DECLARE(fchown);
SYSCALL_DECLARE(fchownat);
SYSCALL_DECLARE(chown);
SYSCALL_DECLARE(lchown);
SYSCALL_DECLARE(utimensat);
SYSCALL_DECLARE(truncate);
SYSCALL_DECLARE(ftruncate);
SYSCALL_DECLARE(fallocate);
SYSCALL_DECLARE(fadvise64);
SYSCALL_DECLARE(fsync);
SYSCALL_DECLARE(fdatasync);
SYSCALL_DECLARE(sync);
SYSCALL_DECLARE(syncfs);

/* ---- stat ---------------------------------------------------------------------------------- */

static uint32_t blksize_of(const struct inode *ino)
{
	return ino->sb->block_size ? ino->sb->block_size : 4096;
}

void stat_fill(const struct path *p, struct stat *st)
{
	const struct inode *ino = p->ino;
	memset(st, 0, sizeof(*st));
	st->st_dev = ino->sb->devno;
	st->st_ino = ino->ino;
	st->st_nlink = ino->nlink;
	st->st_mode = ino->mode;
	st->st_uid = ino->uid;
	st->st_gid = ino->gid;
	st->st_rdev = ino->rdev;
	st->st_size = (int64_t)ino->size;
	st->st_blksize = blksize_of(ino);
	st->st_blocks = (int64_t)ino->blocks;
	st->st_atime = ino->atime.sec;
	st->st_atime_nsec = (uint64_t)ino->atime.nsec;
	st->st_mtime = ino->mtime.sec;
	st->st_mtime_nsec = (uint64_t)ino->mtime.nsec;
	st->st_ctime = ino->ctime.sec;
	st->st_ctime_nsec = (uint64_t)ino->ctime.nsec;
}

static long put_stat(const struct path *p, uintptr_t ubuf)
{
	struct stat st;
	stat_fill(p, &st);
	return copy_to_user(ubuf, &st, sizeof(st));
}

long sys_fstat(const unsigned long *a)
{
	struct file *f = at_fd_file((int)a[0], true);
	if (!f)
		return -EBADF;
	long err = put_stat(&f->path, a[1]);
	file_put(f);
	return err;
}

static long do_fstatat(int dirfd, uintptr_t upath, uintptr_t ubuf, unsigned flags)
{
	if (flags & ~(unsigned)(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
		return -EINVAL;
	struct path p;
	unsigned lf = flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW;
	long err = at_lookup(dirfd, upath, lf, flags & AT_EMPTY_PATH, &p);
	if (err)
		return err;
	err = put_stat(&p, ubuf);
	path_put(&p);
	return err;
}

long sys_newfstatat(const unsigned long *a)
{
	return do_fstatat((int)a[0], a[1], a[2], (unsigned)a[3]);
}

long sys_stat(const unsigned long *a)
{
	return do_fstatat(AT_FDCWD, a[0], a[1], 0);
}

long sys_lstat(const unsigned long *a)
{
	return do_fstatat(AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW);
}

/* ---- statx --------------------------------------------------------------------------------- */

struct statx_timestamp {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t __reserved;
};

/* include/uapi/linux/stat.h: 256 bytes, the same on every 64-bit port. */
struct statx {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink;
	uint32_t stx_uid;
	uint32_t stx_gid;
	uint16_t stx_mode;
	uint16_t __spare0;
	uint64_t stx_ino;
	uint64_t stx_size;
	uint64_t stx_blocks;
	uint64_t stx_attributes_mask;
	struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor;
	uint32_t stx_dev_major, stx_dev_minor;
	uint64_t stx_mnt_id;
	uint32_t stx_dio_mem_align, stx_dio_offset_align;
	uint64_t __spare3[12];
};
_Static_assert(sizeof(struct statx) == 256, "struct statx is 256 bytes");
_Static_assert(offsetof(struct statx, stx_atime) == 0x40, "stx_atime");
_Static_assert(offsetof(struct statx, stx_rdev_major) == 0x80, "stx_rdev_major");

#define STATX_BASIC_STATS 0x7ffu
#define STATX__RESERVED 0x80000000u
#define STATX_ATTR_MOUNT_ROOT 0x2000u

static struct statx_timestamp stx_time(struct timespec64 t)
{
	return (struct statx_timestamp){t.sec, (uint32_t)t.nsec, 0};
}

/* The basic fields; no file system here records a birth time, so STATX_BTIME stays clear,
 * and there are no mount ids to report (STATX_MNT_ID clear too). */
static void statx_fill(const struct path *p, struct statx *sx)
{
	const struct inode *ino = p->ino;
	memset(sx, 0, sizeof(*sx));
	sx->stx_mask = STATX_BASIC_STATS;
	sx->stx_blksize = blksize_of(ino);
	sx->stx_attributes_mask = STATX_ATTR_MOUNT_ROOT;
	if (ino == p->mnt->sb->root)
		sx->stx_attributes = STATX_ATTR_MOUNT_ROOT;
	sx->stx_nlink = ino->nlink;
	sx->stx_uid = ino->uid;
	sx->stx_gid = ino->gid;
	sx->stx_mode = (uint16_t)ino->mode;
	sx->stx_ino = ino->ino;
	sx->stx_size = ino->size;
	sx->stx_blocks = ino->blocks;
	sx->stx_atime = stx_time(ino->atime);
	sx->stx_ctime = stx_time(ino->ctime);
	sx->stx_mtime = stx_time(ino->mtime);
	sx->stx_rdev_major = MAJOR(ino->rdev);
	sx->stx_rdev_minor = MINOR(ino->rdev);
	sx->stx_dev_major = MAJOR(ino->sb->devno);
	sx->stx_dev_minor = MINOR(ino->sb->devno);
}

long sys_statx(const unsigned long *a)
{
	int dirfd = (int)a[0];
	unsigned flags = (unsigned)a[2], mask = (unsigned)a[3];
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || (mask & STATX__RESERVED))
		return -EINVAL;
	if (flags & ~(unsigned)(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH |
				AT_STATX_SYNC_TYPE))
		return -EINVAL;
	struct path p;
	unsigned lf = flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW;
	long err = at_lookup(dirfd, a[1], lf, flags & AT_EMPTY_PATH, &p);
	if (err)
		return err;
	struct statx *sx = kmalloc(sizeof(*sx));
	if (sx) {
		statx_fill(&p, sx);
		err = copy_to_user(a[4], sx, sizeof(*sx));
	} else {
		err = -ENOMEM;
	}
	kfree(sx);
	path_put(&p);
	return err;
}

/* ---- statfs -------------------------------------------------------------------------------- */

/* Linux's generic uapi statfs.h with a 64-bit word: 120 bytes on both ports. */
struct linux_statfs {
	int64_t f_type, f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};
_Static_assert(sizeof(struct linux_statfs) == 120, "struct statfs is 120 bytes");

#define ST_RDONLY 1
#define ST_VALID 0x20 /* f_flags is filled in */

static long put_statfs(const struct path *p, uintptr_t ubuf)
{
	struct super_block *sb = p->ino->sb;
	if (!sb->ops->statfs)
		return -ENOSYS; /* as Linux's statfs_by_dentry for a file system without one */
	struct kstatfs k;
	memset(&k, 0, sizeof(k));
	int err = sb->ops->statfs(sb, &k);
	if (err)
		return err;
	struct linux_statfs s = {
		.f_type = (int64_t)k.type, .f_bsize = (int64_t)k.bsize, .f_blocks = k.blocks,
		.f_bfree = k.bfree, .f_bavail = k.bavail, .f_files = k.files, .f_ffree = k.ffree,
		.f_fsid = {(int32_t)sb->devno, 0}, .f_namelen = (int64_t)k.namelen,
		.f_frsize = (int64_t)k.bsize, .f_flags = ST_VALID | (sb->read_only ? ST_RDONLY : 0),
	};
	return copy_to_user(ubuf, &s, sizeof(s));
}

long sys_statfs(const unsigned long *a)
{
	struct path p;
	long err = at_lookup(AT_FDCWD, a[0], LOOKUP_FOLLOW, false, &p);
	if (err)
		return err;
	err = put_statfs(&p, a[1]);
	path_put(&p);
	return err;
}

long sys_fstatfs(const unsigned long *a)
{
	struct file *f = at_fd_file((int)a[0], true);
	if (!f)
		return -EBADF;
	long err = put_statfs(&f->path, a[1]);
	file_put(f);
	return err;
}

/* ---- access ------------------------------------------------------------------------------- */

/* The walk runs with the file system ids like every other call; the final check uses the real
 * ids unless AT_EACCESS asks for the effective ones. (Linux also walks with the real ids; that
 * needs a per-thread credential override the process layer does not offer yet, and differs
 * only for set-user-ID programs.) F_OK is 0, R_OK/W_OK/X_OK are MAY_READ/WRITE/EXEC. */
static long do_faccessat(int dirfd, uintptr_t upath, unsigned mode, unsigned flags)
{
	if (mode & ~7u)
		return -EINVAL;
	if (flags & ~(unsigned)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct path p;
	unsigned lf = flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW;
	long err = at_lookup(dirfd, upath, lf, flags & AT_EMPTY_PATH, &p);
	if (err)
		return err;
	if (mode && (flags & AT_EACCESS)) {
		err = vfs_permission(p.ino, (int)mode);
	} else if (mode) {
		const struct cred *c = &proc_current()->cred;
		struct vfs_cred real = {c->uid, c->gid, c->ngroups, c->groups};
		err = vfs_permission_cred(p.ino, (int)mode, &real);
	}
	path_put(&p);
	return err;
}

long sys_faccessat(const unsigned long *a)
{
	return do_faccessat((int)a[0], a[1], (unsigned)a[2], 0);
}

long sys_faccessat2(const unsigned long *a)
{
	return do_faccessat((int)a[0], a[1], (unsigned)a[2], (unsigned)a[3]);
}

long sys_access(const unsigned long *a)
{
	return do_faccessat(AT_FDCWD, a[0], (unsigned)a[1], 0);
}

/* ---- chmod, chown ------------------------------------------------------------------------- */

static long chmod_inode(struct inode *ino, uint32_t mode)
{
	struct vattr va = {.valid = ATTR_MODE, .mode = mode & 07777};
	return vfs_setattr(ino, &va);
}

/* uid or gid (uint32_t)-1 leaves that one alone; with neither, only ctime changes. */
static long chown_inode(struct inode *ino, uint32_t uid, uint32_t gid)
{
	struct vattr va = {.valid = 0, .uid = uid, .gid = gid};
	if (uid != (uint32_t)-1)
		va.valid |= ATTR_UID;
	if (gid != (uint32_t)-1)
		va.valid |= ATTR_GID;
	return vfs_setattr(ino, &va);
}

long sys_fchmod(const unsigned long *a)
{
	struct file *f = at_fd_file((int)a[0], false);
	if (!f)
		return -EBADF;
	long err = chmod_inode(f->path.ino, (uint32_t)a[1]);
	file_put(f);
	return err;
}

static long do_fchmodat(int dirfd, uintptr_t upath, uint32_t mode)
{
	struct path p;
	long err = at_lookup(dirfd, upath, LOOKUP_FOLLOW, false, &p);
	if (err)
		return err;
	err = chmod_inode(p.ino, mode);
	path_put(&p);
	return err;
}

long sys_fchmodat(const unsigned long *a)
{
	return do_fchmodat((int)a[0], a[1], (uint32_t)a[2]);
}

long sys_chmod(const unsigned long *a)
{
	return do_fchmodat(AT_FDCWD, a[0], (uint32_t)a[1]);
}

long sys_fchown(const unsigned long *a)
{
	struct file *f = at_fd_file((int)a[0], false);
	if (!f)
		return -EBADF;
	long err = chown_inode(f->path.ino, (uint32_t)a[1], (uint32_t)a[2]);
	file_put(f);
	return err;
}

static long do_fchownat(int dirfd, uintptr_t upath, uint32_t uid, uint32_t gid, unsigned flags)
{
	if (flags & ~(unsigned)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct path p;
	unsigned lf = flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW;
	long err = at_lookup(dirfd, upath, lf, flags & AT_EMPTY_PATH, &p);
	if (err)
		return err;
	err = chown_inode(p.ino, uid, gid);
	path_put(&p);
	return err;
}

long sys_fchownat(const unsigned long *a)
{
	return do_fchownat((int)a[0], a[1], (uint32_t)a[2], (uint32_t)a[3], (unsigned)a[4]);
}

long sys_chown(const unsigned long *a)
{
	return do_fchownat(AT_FDCWD, a[0], (uint32_t)a[1], (uint32_t)a[2], 0);
}

long sys_lchown(const unsigned long *a)
{
	return do_fchownat(AT_FDCWD, a[0], (uint32_t)a[1], (uint32_t)a[2], AT_SYMLINK_NOFOLLOW);
}

/* ---- utimensat ---------------------------------------------------------------------------- */

struct timespec_user {
	int64_t tv_sec;
	int64_t tv_nsec;
};

#define UTIME_NOW ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

static bool utime_nsec_ok(int64_t ns)
{
	return ns == UTIME_NOW || ns == UTIME_OMIT || (ns >= 0 && ns < (int64_t)NSEC_PER_SEC);
}

static struct timespec64 realtime_now(void)
{
	uint64_t ns = time_realtime_ns();
	return (struct timespec64){(int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC)};
}

/* Linux's vfs_utimes: t NULL (or both UTIME_NOW) "touches", which the owner, root or anyone
 * who may write the file may do; explicit times need the owner or root (vfs_setattr). */
static long utimes_inode(struct inode *ino, const struct timespec_user *t)
{
	struct timespec64 now = realtime_now();
	struct vattr va = {.valid = ATTR_ATIME | ATTR_MTIME, .atime = now, .mtime = now};
	if (t && t[0].tv_nsec == UTIME_NOW && t[1].tv_nsec == UTIME_NOW)
		t = NULL;
	if (!t) {
		if (ino->sb->read_only)
			return -EROFS;
		const struct vfs_cred *c = vfs_current_cred ? vfs_current_cred() : NULL;
		if (c && c->uid != 0 && c->uid != ino->uid) {
			long err = vfs_permission(ino, MAY_WRITE);
			if (err)
				return err;
		}
		va.valid |= ATTR_TOUCH;
		return vfs_setattr(ino, &va);
	}
	struct timespec64 *dst[2] = {&va.atime, &va.mtime};
	for (int i = 0; i < 2; i++) {
		if (t[i].tv_nsec == UTIME_OMIT)
			va.valid &= ~(unsigned)(i == 0 ? ATTR_ATIME : ATTR_MTIME);
		else if (t[i].tv_nsec != UTIME_NOW)
			*dst[i] = (struct timespec64){t[i].tv_sec, t[i].tv_nsec};
	}
	return vfs_setattr(ino, &va);
}

long sys_utimensat(const unsigned long *a)
{
	int dirfd = (int)a[0];
	uintptr_t upath = a[1];
	unsigned flags = (unsigned)a[3];
	struct timespec_user t[2], *tp = NULL;
	if (a[2]) {
		if (copy_from_user(t, a[2], sizeof(t)))
			return -EFAULT;
		if (t[0].tv_nsec == UTIME_OMIT && t[1].tv_nsec == UTIME_OMIT)
			return 0; /* nothing to do: Linux does not even look at the path */
		if (!utime_nsec_ok(t[0].tv_nsec) || !utime_nsec_ok(t[1].tv_nsec))
			return -EINVAL;
		tp = t;
	}
	if (flags & ~(unsigned)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	long err;
	if (upath == 0) { /* futimens(fd): the descriptor itself */
		if (dirfd == AT_FDCWD)
			return -EFAULT;
		if (flags & AT_SYMLINK_NOFOLLOW)
			return -EINVAL;
		struct file *f = at_fd_file(dirfd, false);
		if (!f)
			return -EBADF;
		err = utimes_inode(f->path.ino, tp);
		file_put(f);
		return err;
	}
	struct path p;
	unsigned lf = flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW;
	if ((err = at_lookup(dirfd, upath, lf, flags & AT_EMPTY_PATH, &p)) != 0)
		return err;
	err = utimes_inode(p.ino, tp);
	path_put(&p);
	return err;
}

/* ---- truncate, fallocate ------------------------------------------------------------------ */

long sys_truncate(const unsigned long *a)
{
	int64_t len = (int64_t)a[1];
	if (len < 0)
		return -EINVAL;
	struct path p;
	long err = at_lookup(AT_FDCWD, a[0], LOOKUP_FOLLOW, false, &p);
	if (err)
		return err;
	struct inode *ino = p.ino;
	if (S_ISDIR(ino->mode))
		err = -EISDIR;
	else if (!S_ISREG(ino->mode))
		err = -EINVAL;
	else if ((err = vfs_permission(ino, MAY_WRITE)) == 0)
		err = vfs_truncate(ino, (uint64_t)len);
	path_put(&p);
	return err;
}

static bool open_for_write(const struct file *f)
{
	unsigned acc = f->flags & O_ACCMODE;
	return acc == O_WRONLY || acc == O_RDWR;
}

long sys_ftruncate(const unsigned long *a)
{
	int64_t len = (int64_t)a[1];
	if (len < 0)
		return -EINVAL;
	struct file *f = at_fd_file((int)a[0], false);
	if (!f)
		return -EBADF;
	long err = -EINVAL; /* not a regular file, or not open for writing */
	if (S_ISREG(f->path.ino->mode) && open_for_write(f))
		err = vfs_truncate(f->path.ino, (uint64_t)len);
	file_put(f);
	return err;
}

#define FALLOC_FL_KEEP_SIZE 0x01
#define FALLOC_FL_PUNCH_HOLE 0x02
#define FALLOC_FL_COLLAPSE_RANGE 0x08
#define FALLOC_FL_ZERO_RANGE 0x10
#define FALLOC_FL_INSERT_RANGE 0x20
#define FALLOC_FL_UNSHARE_RANGE 0x40
#define FALLOC_FL_KNOWN 0x7f

/* vfs_fallocate's checks of the mode bits alone, in Linux's order. */
static long falloc_mode_check(unsigned mode)
{
	if (mode & ~(unsigned)FALLOC_FL_KNOWN)
		return -EOPNOTSUPP;
	unsigned ph_zr = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
	if ((mode & ph_zr) == ph_zr)
		return -EOPNOTSUPP;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	if ((mode & FALLOC_FL_COLLAPSE_RANGE) && (mode & ~(unsigned)FALLOC_FL_COLLAPSE_RANGE))
		return -EINVAL;
	if ((mode & FALLOC_FL_INSERT_RANGE) && (mode & ~(unsigned)FALLOC_FL_INSERT_RANGE))
		return -EINVAL;
	if ((mode & FALLOC_FL_UNSHARE_RANGE) &&
	    (mode & ~(unsigned)(FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_KEEP_SIZE)))
		return -EINVAL;
	return 0;
}

/* Mode 0 through the file system's ordinary write path: the part of [off, end) beyond EOF is
 * written with zeros, which allocates its blocks (or fails with -ENOSPC, as fallocate must) and
 * sets the size to end. The file systems here keep no record of holes inside a file, so a
 * hole already below EOF stays a hole (a later write there may still need a block). */
static long falloc_extend(struct file *f, uint64_t off, uint64_t end)
{
	static const char zeros[4096];
	struct inode *ino = f->path.ino;
	for (;;) {
		uint64_t size = __atomic_load_n(&ino->size, __ATOMIC_RELAXED);
		uint64_t pos = size > off ? size : off;
		if (pos >= end)
			return 0;
		size_t n = end - pos < sizeof(zeros) ? (size_t)(end - pos) : sizeof(zeros);
		struct uio u = uio_kernel((void *)zeros, n);
		long w = vfs_pwrite(f, &u, pos);
		if (w <= 0)
			return w < 0 ? w : -ENOSPC;
	}
}

static long fallocate_file(struct file *f, unsigned mode, int64_t off, int64_t len)
{
	if (off < 0 || len <= 0)
		return -EINVAL;
	long err = falloc_mode_check(mode);
	if (err)
		return err;
	if (!open_for_write(f))
		return -EBADF;
	uint32_t m = f->path.ino->mode;
	if (S_ISFIFO(m))
		return -ESPIPE;
	if (S_ISDIR(m))
		return -EISDIR;
	if (!S_ISREG(m) && !S_ISBLK(m))
		return -ENODEV;
	int64_t end;
	if (__builtin_add_overflow(off, len, &end))
		return -EFBIG;
	if (mode != 0 || !S_ISREG(m))
		return -EOPNOTSUPP; /* only plain allocation of regular files */
	return falloc_extend(f, (uint64_t)off, (uint64_t)end);
}

long sys_fallocate(const unsigned long *a)
{
	struct file *f = at_fd_file((int)a[0], false);
	if (!f)
		return -EBADF;
	long err = fallocate_file(f, (unsigned)a[1], (int64_t)a[2], (int64_t)a[3]);
	file_put(f);
	return err;
}

/* ---- sync --------------------------------------------------------------------------------- */

/* A file without an fsync operation: regular files and directories of the in-memory file
 * systems have nothing to write (Linux's noop_fsync); devices, FIFOs and sockets cannot be
 * synced (-EINVAL, as Linux says for those). ext2 has its own. */
static long do_fsync(int fd, bool data_only)
{
	struct file *f = at_fd_file(fd, false);
	if (!f)
		return -EBADF;
	uint32_t m = f->path.ino->mode;
	long err;
	if (f->ops && f->ops->fsync)
		err = f->ops->fsync(f, data_only);
	else
		err = S_ISREG(m) || S_ISDIR(m) ? 0 : -EINVAL;
	file_put(f);
	return err;
}

enum { FADV_NORMAL, FADV_RANDOM, FADV_SEQUENTIAL, FADV_WILLNEED, FADV_DONTNEED, FADV_NOREUSE };

/* fadvise64(fd, offset, len, advice), Linux's generic_fadvise: -ESPIPE for a pipe or FIFO,
 * -EINVAL for a negative length or an unknown advice. The access-pattern hints change
 * nothing Janus does (no readahead to tune), which Linux also allows. POSIX_FADV_DONTNEED
 * drops cached blocks that are clean and unused, so the next read goes to the disk: Janus
 * has no per-file cache, so it drops those of the file's whole device (docs/syscall-notes.md). */
long sys_fadvise64(const unsigned long *a)
{
	int advice = (int)a[3];
	struct file *f = at_fd_file((int)a[0], false);
	if (!f)
		return -EBADF;
	struct inode *ino = f->path.ino;
	long err = 0;
	if (S_ISFIFO(ino->mode))
		err = -ESPIPE;
	else if ((int64_t)a[2] < 0 || advice < FADV_NORMAL || advice > FADV_NOREUSE)
		err = -EINVAL;
	else if (advice == FADV_DONTNEED && S_ISREG(ino->mode) && ino->sb->dev)
		bcache_drop_clean_dev(ino->sb->dev);
	file_put(f);
	return err;
}

long sys_fsync(const unsigned long *a)
{
	return do_fsync((int)a[0], false);
}

long sys_fdatasync(const unsigned long *a)
{
	return do_fsync((int)a[0], true);
}

long sys_sync(const unsigned long *a)
{
	(void)a;
	vfs_sync_all(); /* sync(2) reports nothing, as on Linux */
	return 0;
}

long sys_syncfs(const unsigned long *a)
{
	struct file *f = at_fd_file((int)a[0], false);
	if (!f)
		return -EBADF;
	struct super_block *sb = f->path.ino->sb;
	long err = sb->ops->sync ? sb->ops->sync(sb) : 0;
	file_put(f);
	return err;
}
