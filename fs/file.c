/*
 * fs/file.c: open files: open(2), read/write and their positioned forms, lseek, getdents,
 * readlink, truncate, and the character device table.
 *
 * A struct file is an inode path plus a position and status flags, shared by every descriptor
 * that dup or fork made from one open (its refs). The position is guarded by pos_lock for
 * regular files and directories, so concurrent reads through one open file never return the
 * same bytes twice (Linux's FMODE_ATOMIC_POS). Devices, FIFOs and sockets do not take it: a
 * terminal read may block for a long time and must not hold up a write through a dup of the
 * same file (fds 0, 1 and 2 are usually one open of /dev/console).
 *
 * Writes to a regular file hold the inode's lock (after pos_lock), which makes each write, and
 * with O_APPEND "seek to the end and write", atomic with respect to other writes and
 * truncation. Reads take no inode lock; a file system that needs one takes its own.
 *
 * O_PATH files have no file operations: only the path is usable (fstat, *at, fchdir).
 */
#include "core/errno.h"
#include "core/kheap.h"
#include "core/string.h"
#include "core/time.h"
#include "fs/vfs_internal.h"

#define MAX_FILE_SIZE ((uint64_t)INT64_MAX)
#define MAX_CHRDEVS 32

struct timespec64 vfs_now(void)
{
	uint64_t ns = time_realtime_ns();
	return (struct timespec64){(int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC)};
}

/* ---- Character devices ------------------------------------------------------------------------ */

static struct mutex chrdev_lock = MUTEX_INIT("chrdev");
static struct {
	uint32_t rdev;
	const struct file_ops *fops;
} chrdevs[MAX_CHRDEVS];

int vfs_register_chrdev(uint32_t rdev, const struct file_ops *fops)
{
	int err = -ENOSPC;
	mutex_lock(&chrdev_lock);
	for (unsigned i = 0; i < MAX_CHRDEVS && err; i++) {
		if (chrdevs[i].fops && chrdevs[i].rdev == rdev)
			err = chrdevs[i].fops == fops ? 0 : -EBUSY;
	}
	for (unsigned i = 0; i < MAX_CHRDEVS && err == -ENOSPC; i++) {
		if (!chrdevs[i].fops) {
			chrdevs[i].rdev = rdev;
			chrdevs[i].fops = fops;
			err = 0;
		}
	}
	mutex_unlock(&chrdev_lock);
	return err;
}

const struct file_ops *vfs_chrdev_fops(uint32_t rdev)
{
	const struct file_ops *f = NULL;
	mutex_lock(&chrdev_lock);
	for (unsigned i = 0; i < MAX_CHRDEVS && !f; i++)
		if (chrdevs[i].fops && chrdevs[i].rdev == rdev)
			f = chrdevs[i].fops;
	mutex_unlock(&chrdev_lock);
	return f;
}

/* ---- open ------------------------------------------------------------------------------------- */

/* Find or create the last component for O_CREAT. *out: a reference; *created set if new. */
static int open_create(struct path *dir, const struct vfs_last *l, unsigned flags,
		       uint32_t mode, struct path *out, bool *created)
{
	if (l->type != LAST_NORM || l->slash)
		return -EISDIR;
	struct inode *d = dir->ino, *ino = NULL;
	mutex_lock(&d->lock);
	int err = vfs_permission(d, MAY_EXEC);
	if (!err)
		err = vfs_dir_lookup(d, l->name, l->len, &ino);
	if (!err && (flags & O_EXCL)) {
		err = -EEXIST;
	} else if (err == -ENOENT) {
		*created = true;
		err = d->nlink == 0 ? -ENOENT : vfs_permission(d, MAY_WRITE | MAY_EXEC);
		if (!err)
			err = d->ops->create ? d->ops->create(d, l->name, l->len,
							      S_IFREG | (mode & 07777), 0, &ino)
					     : -EACCES;
	}
	mutex_unlock(&d->lock);
	if (err) {
		vfs_iput(ino);
		return err;
	}
	out->mnt = dir->mnt;
	out->ino = ino; /* the lookup's or create's reference becomes the path's */
	__atomic_add_fetch(&out->mnt->refs, 1, __ATOMIC_RELAXED);
	vfs_cross_mounts(out);
	return 0;
}

/* Resolve path for open: *out is the file to open (a reference). */
static int open_resolve(const struct path *root, const struct path *at, const char *path,
			unsigned flags, uint32_t mode, struct path *out, bool *created)
{
	unsigned lf = (flags & O_NOFOLLOW ? 0 : LOOKUP_FOLLOW) |
		      (flags & O_DIRECTORY ? LOOKUP_DIRECTORY : 0);
	if (!(flags & O_CREAT) || (flags & O_PATH))
		return vfs_lookup(root, at, path, lf, out);
	/* O_CREAT: an existing symlink in the last component (without O_NOFOLLOW or O_EXCL) is
	 * followed, and what it names is created if missing, as Linux does. */
	struct path link_dir = {NULL, NULL};
	char *body = NULL;
	int err;
	for (unsigned links = 0;; links++) {
		struct path dir;
		struct vfs_last l;
		if ((err = vfs_walk_parent(root, at, path, &dir, &l)) != 0)
			break;
		err = open_create(&dir, &l, flags, mode, out, created);
		if (err || *created || !S_ISLNK(out->ino->mode) || (flags & (O_NOFOLLOW | O_EXCL))) {
			path_put(&dir);
			break;
		}
		char *next = NULL; /* go on with the link's body, from the link's directory */
		err = links < SYMLOOP_MAX ? vfs_link_body(out->ino, &next) : -ELOOP;
		path_put(out);
		path_put(&link_dir);
		link_dir = dir;
		kfree(body);
		body = next;
		if (err)
			break;
		at = &link_dir;
		path = body;
	}
	path_put(&link_dir);
	kfree(body);
	return err;
}

/* Linux's may_open: type and permission checks on an existing file. */
static int may_open(struct inode *ino, unsigned flags)
{
	unsigned acc = flags & O_ACCMODE;
	bool wr = acc == O_WRONLY || acc == O_RDWR;
	if (S_ISLNK(ino->mode))
		return -ELOOP;
	if (S_ISDIR(ino->mode) && (wr || (flags & O_CREAT)))
		return -EISDIR;
	if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode))
		return -ENOTDIR;
	int mask = (acc != O_WRONLY ? MAY_READ : 0) | (wr || (flags & O_TRUNC) ? MAY_WRITE : 0);
	if (acc == 3)
		mask = MAY_READ | MAY_WRITE;
	return vfs_permission(ino, mask);
}

static int open_truncate(struct inode *ino)
{
	mutex_lock(&ino->lock);
	struct vattr va = {.valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = 0};
	va.mtime = va.ctime = vfs_now();
	int err = ino->ops && ino->ops->setattr ? ino->ops->setattr(ino, &va) : -EPERM;
	mutex_unlock(&ino->lock);
	return err;
}

/* Make the struct file, taking over the path reference. */
static int open_file(struct path *p, unsigned flags, struct file **out)
{
	struct file *f = kzalloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	struct inode *ino = p->ino;
	f->path = *p;
	f->refs = 1;
	f->flags = flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
	mutex_init(&f->pos_lock, "file pos");
	if (!(flags & O_PATH)) {
		f->ops = ino->fops;
		if (!f->ops && S_ISCHR(ino->mode) && (f->ops = vfs_chrdev_fops(ino->rdev)) == NULL) {
			kfree(f);
			return -ENXIO;
		}
		int err = f->ops && f->ops->open ? f->ops->open(ino, f) : 0;
		if (err) {
			kfree(f);
			return err;
		}
	}
	p->ino = NULL;
	*out = f;
	return 0;
}

int vfs_open(const struct path *root, const struct path *at, const char *path, unsigned flags,
	     uint32_t mode, struct file **out)
{
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	struct path p;
	bool created = false;
	int err = open_resolve(root, at, path, flags, mode, &p, &created);
	if (err)
		return err;
	if (flags & O_PATH)
		err = (flags & O_DIRECTORY) && !S_ISDIR(p.ino->mode) ? -ENOTDIR : 0;
	else if (!created)
		err = may_open(p.ino, flags);
	if (!err && !created && (flags & O_TRUNC) && !(flags & O_PATH) && S_ISREG(p.ino->mode))
		err = open_truncate(p.ino);
	if (!err)
		err = open_file(&p, flags, out);
	path_put(&p);
	return err;
}

void file_get(struct file *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

void (*file_epoll_release)(struct file *f);

void file_put(struct file *f)
{
	if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* Linux's eventpoll_release: the open file description is gone, so are its epoll
	 * registrations (their hooks sit on queues the release below may free). */
	if (__atomic_load_n(&f->epoll_links, __ATOMIC_ACQUIRE))
		file_epoll_release(f);
	if (!(f->flags & O_PATH) && f->ops && f->ops->release)
		f->ops->release(f);
	path_put(&f->path);
	kfree(f);
}

/* ---- read and write --------------------------------------------------------------------------- */

static bool atomic_pos(const struct file *f)
{
	uint32_t m = f->path.ino->mode;
	return S_ISREG(m) || S_ISDIR(m);
}

static bool seekable(const struct file *f)
{
	uint32_t m = f->path.ino->mode;
	return !S_ISFIFO(m) && (m & S_IFMT) != S_IFSOCK;
}

static long check_read(const struct file *f)
{
	if ((f->flags & O_PATH) || (f->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (S_ISDIR(f->path.ino->mode))
		return -EISDIR;
	if (!f->ops || !f->ops->read)
		return -EINVAL;
	return 0;
}

static long check_write(const struct file *f)
{
	unsigned acc = f->flags & O_ACCMODE;
	if ((f->flags & O_PATH) || (acc != O_WRONLY && acc != O_RDWR))
		return -EBADF;
	if (!f->ops || !f->ops->write)
		return -EINVAL;
	return 0;
}

long vfs_pread(struct file *f, struct uio *u, uint64_t pos)
{
	long err = check_read(f);
	if (err)
		return err;
	if (!seekable(f))
		return -ESPIPE;
	if (pos > MAX_FILE_SIZE)
		return -EINVAL;
	return f->ops->read(f, u, pos);
}

long vfs_read(struct file *f, struct uio *u)
{
	long n = check_read(f);
	if (n)
		return n;
	bool lock = atomic_pos(f);
	if (lock)
		mutex_lock(&f->pos_lock);
	n = f->ops->read(f, u, f->pos);
	if (n > 0)
		f->pos += (uint64_t)n;
	if (lock)
		mutex_unlock(&f->pos_lock);
	return n;
}

/* Write at pos (or at the end with O_APPEND); *end gets where the write stopped. Regular files
 * are written under the inode lock. */
static long do_write(struct file *f, struct uio *u, uint64_t pos, uint64_t *end)
{
	struct inode *ino = f->path.ino;
	if (!S_ISREG(ino->mode)) {
		long n = f->ops->write(f, u, pos);
		*end = pos + (n > 0 ? (uint64_t)n : 0);
		return n;
	}
	if (u->resid == 0)
		return 0;
	mutex_lock(&ino->lock);
	if (f->flags & O_APPEND)
		pos = ino->size;
	long n = -EFBIG;
	if (pos < MAX_FILE_SIZE) {
		if (u->resid > MAX_FILE_SIZE - pos)
			u->resid = MAX_FILE_SIZE - pos;
		n = f->ops->write(f, u, pos);
	}
	mutex_unlock(&ino->lock);
	*end = pos + (n > 0 ? (uint64_t)n : 0);
	return n;
}

long vfs_pwrite(struct file *f, struct uio *u, uint64_t pos)
{
	long err = check_write(f);
	if (err)
		return err;
	if (!seekable(f))
		return -ESPIPE;
	if (pos > MAX_FILE_SIZE)
		return -EINVAL;
	uint64_t end;
	return do_write(f, u, pos, &end); /* O_APPEND appends here too, as on Linux */
}

long vfs_write(struct file *f, struct uio *u)
{
	long n = check_write(f);
	if (n)
		return n;
	bool lock = atomic_pos(f);
	if (lock)
		mutex_lock(&f->pos_lock);
	uint64_t end;
	n = do_write(f, u, f->pos, &end);
	if (n > 0)
		f->pos = end;
	if (lock)
		mutex_unlock(&f->pos_lock);
	return n;
}

/* ---- lseek ------------------------------------------------------------------------------------ */

/* The generic lseek, pos_lock held where it applies. Holes are not tracked: the whole file is
 * data and the only hole is the one at EOF, as Linux reports for such file systems. */
static int64_t generic_lseek(struct file *f, int64_t off, int whence)
{
	struct inode *ino = f->path.ino;
	int64_t base, size = (int64_t)ino->size;
	bool dir = S_ISDIR(ino->mode);
	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)f->pos; break;
	case SEEK_END: base = size; break;
	case SEEK_DATA:
	case SEEK_HOLE:
		if (dir || off < 0 || off >= size)
			return dir ? -EINVAL : -ENXIO;
		return whence == SEEK_DATA ? off : size;
	default: return -EINVAL;
	}
	if (dir && whence == SEEK_END)
		return -EINVAL;
	int64_t pos;
	if (__builtin_add_overflow(base, off, &pos) || pos < 0)
		return -EINVAL;
	return pos;
}

int64_t vfs_lseek(struct file *f, int64_t off, int whence)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if (!seekable(f))
		return -ESPIPE;
	if (whence < SEEK_SET || whence > SEEK_HOLE)
		return -EINVAL;
	if (f->ops && f->ops->llseek)
		return f->ops->llseek(f, off, whence);
	mutex_lock(&f->pos_lock);
	int64_t pos = generic_lseek(f, off, whence);
	if (pos >= 0)
		f->pos = (uint64_t)pos;
	mutex_unlock(&f->pos_lock);
	return pos;
}

/* ---- Directories, links, truncate ------------------------------------------------------------- */

int vfs_readdir(struct file *f, filldir_t fill, void *ctx)
{
	struct inode *ino = f->path.ino;
	if (f->flags & O_PATH)
		return -EBADF;
	if (!S_ISDIR(ino->mode) || !f->ops || !f->ops->readdir)
		return -ENOTDIR;
	mutex_lock(&f->pos_lock);
	mutex_lock(&ino->lock);
	int err = ino->nlink == 0 ? -ENOENT : f->ops->readdir(f, &f->pos, fill, ctx);
	mutex_unlock(&ino->lock);
	mutex_unlock(&f->pos_lock);
	return err;
}

int vfs_dir_iterate(const struct path *dir, uint64_t *pos, filldir_t fill, void *ctx)
{
	struct inode *ino = dir->ino;
	if (!S_ISDIR(ino->mode) || !ino->fops || !ino->fops->readdir)
		return -ENOTDIR;
	/* A file that exists only for this call: readdir ops use its path and nothing else. */
	struct file f = {.path = *dir, .ops = ino->fops, .pos = *pos, .flags = O_DIRECTORY};
	mutex_lock(&ino->lock);
	int err = ino->nlink == 0 ? -ENOENT : ino->fops->readdir(&f, pos, fill, ctx);
	mutex_unlock(&ino->lock);
	return err;
}

long vfs_readlink(const struct path *root, const struct path *at, const char *path, char *buf,
		  size_t n)
{
	struct path p;
	int err = vfs_lookup(root, at, path, 0, &p);
	if (err)
		return err;
	struct inode *ino = p.ino;
	long r = -EINVAL;
	if (n > 0 && S_ISLNK(ino->mode) && ino->ops && ino->ops->readlink)
		r = ino->ops->readlink(ino, buf, n);
	path_put(&p);
	return r;
}

int vfs_truncate(struct inode *ino, uint64_t size)
{
	if (S_ISDIR(ino->mode))
		return -EISDIR;
	if (!S_ISREG(ino->mode))
		return -EINVAL;
	if (size > MAX_FILE_SIZE)
		return -EFBIG;
	if (ino->sb->read_only)
		return -EROFS;
	if (!ino->ops || !ino->ops->setattr)
		return -EPERM;
	struct vattr va = {.valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = size};
	va.mtime = va.ctime = vfs_now();
	mutex_lock(&ino->lock);
	int err = ino->ops->setattr(ino, &va);
	mutex_unlock(&ino->lock);
	return err;
}

static bool cred_in_group(const struct vfs_cred *c, uint32_t gid)
{
	if (c->gid == gid)
		return true;
	for (unsigned i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

/* Linux's setattr_prepare for a caller that is not root. */
static int setattr_allowed(const struct vfs_cred *c, struct inode *ino, const struct vattr *va)
{
	bool owner = c->uid == ino->uid;
	if ((va->valid & ATTR_UID) && va->uid != ino->uid)
		return -EPERM;
	if ((va->valid & ATTR_GID) && va->gid != ino->gid && (!owner || !cred_in_group(c, va->gid)))
		return -EPERM;
	if ((va->valid & ATTR_MODE) && !owner)
		return -EPERM;
	if ((va->valid & (ATTR_ATIME | ATTR_MTIME)) && !(va->valid & ATTR_TOUCH) && !owner)
		return -EPERM;
	return 0;
}

int vfs_setattr(struct inode *ino, const struct vattr *va)
{
	if (va->valid & ATTR_SIZE)
		return vfs_truncate(ino, va->size);
	if (ino->sb->read_only)
		return -EROFS;
	const struct vfs_cred *c = vfs_current_cred ? vfs_current_cred() : NULL;
	struct vattr v = *va;
	if (c && c->uid != 0) {
		int err = setattr_allowed(c, ino, va);
		if (err)
			return err;
		uint32_t gid = v.valid & ATTR_GID ? v.gid : ino->gid;
		if ((v.valid & ATTR_MODE) && !cred_in_group(c, gid))
			v.mode &= ~(uint32_t)S_ISGID; /* as Linux: not your group, no setgid */
	}
	uint32_t kill = ino->mode & S_ISUID; /* chown clears set-user-ID and set-group-ID */
	if ((ino->mode & S_ISGID) && (ino->mode & 0010))
		kill |= S_ISGID;
	if ((v.valid & (ATTR_UID | ATTR_GID)) && !S_ISDIR(ino->mode) && kill &&
	    !(v.valid & ATTR_MODE)) {
		v.valid |= ATTR_MODE;
		v.mode = ino->mode & 07777 & ~kill;
	}
	if (!ino->ops || !ino->ops->setattr)
		return -EPERM;
	mutex_lock(&ino->lock);
	int err = ino->ops->setattr(ino, &v);
	mutex_unlock(&ino->lock);
	return err;
}
