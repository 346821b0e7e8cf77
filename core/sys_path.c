/*
 * core/sys_path.c: the namespace syscalls: getdents64, mkdirat, unlinkat, renameat2, linkat,
 * symlinkat, readlinkat, chdir, fchdir, getcwd, umask, and the x86_64 legacy forms (mkdir,
 * rmdir, unlink, rename, link, symlink, readlink) as thin wrappers. Also the (dirfd, path)
 * resolution every path syscall shares (core/sys_path.h).
 *
 * Each handler copies its path arguments into the kernel first (user_path_get), takes
 * references to the root and the starting directory (at_start_get), and calls the VFS, which
 * does the walk, the permission checks and the locking (fs/vfs.h). No handler holds a lock
 * across a user copy: getdents64 fills a kernel buffer under the directory's lock (inside
 * vfs_readdir) and copies it out afterwards.
 *
 * The working directory is kept as a struct path (proc->cwd), never as a string: getcwd
 * rebuilds the name each time by climbing ".." and looking each directory's inode number up
 * in its parent (path_name). So the answer follows renames of the cwd or of any directory
 * above it, as Linux's does, and a cwd that has been removed gives -ENOENT. The climb takes
 * one directory lock at a time; a rename that runs during the climb can make one answer a mix
 * of the old and new names (Linux retries under its rename seqlock; Janus does not).
 */
#include "core/sys_path.h"

#include "core/errno.h"
#include "core/kheap.h"
#include "core/proc.h"
#include "core/string.h"
#include "core/syscall.h"
#include "core/uaccess.h"

SYSCALL_DECLARE(getdents64);
SYSCALL_DECLARE(mkdirat);
SYSCALL_DECLARE(mkdir);
SYSCALL_DECLARE(unlinkat);
SYSCALL_DECLARE(unlink);
SYSCALL_DECLARE(rmdir);
SYSCALL_DECLARE(renameat2);
SYSCALL_DECLARE(renameat);
SYSCALL_DECLARE(rename);
SYSCALL_DECLARE(linkat);
SYSCALL_DECLARE(link);
SYSCALL_DECLARE(symlinkat);
SYSCALL_DECLARE(symlink);
SYSCALL_DECLARE(readlinkat);
SYSCALL_DECLARE(readlink);
SYSCALL_DECLARE(chdir);
SYSCALL_DECLARE(fchdir);
SYSCALL_DECLARE(getcwd);
SYSCALL_DECLARE(umask);

#define RENAME_EXCHANGE 2u
#define RENAME_WHITEOUT 4u

/* ---- (dirfd, path) ------------------------------------------------------------------------ */

struct file *at_fd_file(int fd, bool allow_path)
{
	struct file *f = fd_get(proc_current()->fdt, fd);
	if (f && !allow_path && (f->flags & O_PATH)) {
		file_put(f);
		f = NULL;
	}
	return f;
}

int at_start_get(int dirfd, const char *path, struct at_start *s)
{
	struct proc *p = proc_current();
	bool from_cwd = path[0] != '/' && dirfd == AT_FDCWD;
	mutex_lock(&p->fs_lock);
	s->root = p->root;
	path_get(&s->root);
	s->at = from_cwd ? p->cwd : p->root;
	path_get(&s->at);
	mutex_unlock(&p->fs_lock);
	if (path[0] == '/' || from_cwd)
		return 0;
	struct file *f = fd_get(p->fdt, dirfd);
	int err = f ? 0 : -EBADF;
	if (f && path[0] != '\0' && !S_ISDIR(f->path.ino->mode))
		err = -ENOTDIR;
	if (!err) {
		path_put(&s->at);
		s->at = f->path;
		path_get(&s->at);
	}
	if (f)
		file_put(f);
	if (err)
		at_start_put(s);
	return err;
}

void at_start_put(struct at_start *s)
{
	path_put(&s->at);
	path_put(&s->root);
}

/* A user path argument into a new kernel buffer; NULL counts as "" when empty is allowed. */
static int get_path(uintptr_t upath, bool allow_empty, char **out)
{
	if (upath == 0 && allow_empty) {
		*out = kzalloc(1);
		return *out ? 0 : -ENOMEM;
	}
	return user_path_get(upath, out, allow_empty);
}

int at_lookup(int dirfd, uintptr_t upath, unsigned lookup_flags, bool allow_empty,
	      struct path *out)
{
	char *path;
	int err = get_path(upath, allow_empty, &path);
	if (err)
		return err;
	struct at_start s;
	err = at_start_get(dirfd, path, &s);
	if (err) {
		kfree(path);
		return err;
	}
	if (path[0] != '\0') {
		err = vfs_lookup(&s.root, &s.at, path, lookup_flags, out);
	} else if ((lookup_flags & LOOKUP_DIRECTORY) && !S_ISDIR(s.at.ino->mode)) {
		err = -ENOTDIR;
	} else {
		*out = s.at;
		path_get(out);
	}
	at_start_put(&s);
	kfree(path);
	return err;
}

/* A path argument and where it starts, for the calls that create or remove a name. */
struct one_path {
	char *path;
	struct at_start s;
};

static int one_path_get(int dirfd, uintptr_t upath, struct one_path *o)
{
	int err = user_path_get(upath, &o->path, false);
	if (err)
		return err;
	err = at_start_get(dirfd, o->path, &o->s);
	if (err)
		kfree(o->path);
	return err;
}

static void one_path_put(struct one_path *o)
{
	at_start_put(&o->s);
	kfree(o->path);
}

static uint32_t current_umask(void)
{
	struct proc *p = proc_current();
	mutex_lock(&p->fs_lock);
	uint32_t m = p->umask;
	mutex_unlock(&p->fs_lock);
	return m;
}

static bool is_root(void)
{
	const struct vfs_cred *c = vfs_current_cred ? vfs_current_cred() : NULL;
	return !c || c->uid == 0;
}

/* ---- getdents64 ------------------------------------------------------------------------------ */

/* The record getdents64 writes (include/linux/dirent.h), 8-byte aligned. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;      /* the position after this entry */
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};
_Static_assert(offsetof(struct linux_dirent64, d_name) == 19, "getdents64 record layout");

/* One call returns at most this much; a bigger user buffer simply gets fewer entries than it
 * could hold, which getdents64 allows. Bigger than the largest record (280 bytes), so "the
 * first entry does not fit" depends on the user's count alone. */
#define GETDENTS_CHUNK 32768u

struct dirent_buf {
	char *buf;
	size_t size, used;
	int err;
};

static int fill_dirent64(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
			 uint64_t next_pos)
{
	struct dirent_buf *d = ctx;
	size_t reclen = (offsetof(struct linux_dirent64, d_name) + len + 1 + 7) & ~(size_t)7;
	if (reclen > d->size - d->used) {
		if (d->used == 0)
			d->err = -EINVAL; /* not even one entry fits */
		return 1;
	}
	struct linux_dirent64 *r = (struct linux_dirent64 *)(d->buf + d->used);
	r->d_ino = ino;
	r->d_off = (int64_t)next_pos;
	r->d_reclen = (uint16_t)reclen;
	r->d_type = (uint8_t)type;
	memcpy(r->d_name, name, len);
	memset(r->d_name + len, 0, reclen - offsetof(struct linux_dirent64, d_name) - len);
	d->used += reclen;
	return 0;
}

long sys_getdents64(const unsigned long *a)
{
	uintptr_t udirp = a[1];
	unsigned count = (unsigned)a[2];
	struct file *f = at_fd_file((int)a[0], true); /* O_PATH: vfs_readdir says -EBADF */
	if (!f)
		return -EBADF;
	struct dirent_buf d = {.size = count < GETDENTS_CHUNK ? count : GETDENTS_CHUNK};
	long ret = user_range_ok(udirp, d.size) ? 0 : -EFAULT;
	if (!ret && (d.buf = kmalloc(d.size + 1)) == NULL)
		ret = -ENOMEM;
	if (!ret) {
		int err = vfs_readdir(f, fill_dirent64, &d);
		ret = d.used ? (long)d.used : d.err ? d.err : err;
		if (d.used && copy_to_user(udirp, d.buf, d.used))
			ret = -EFAULT;
	}
	kfree(d.buf);
	file_put(f);
	return ret;
}

/* ---- mkdir, unlink, rmdir ---------------------------------------------------------------------- */

static long do_mkdirat(int dirfd, uintptr_t upath, uint32_t mode)
{
	struct one_path o;
	int err = one_path_get(dirfd, upath, &o);
	if (err)
		return err;
	err = vfs_mkdir(&o.s.root, &o.s.at, o.path, mode & 07777 & ~current_umask());
	one_path_put(&o);
	return err;
}

long sys_mkdirat(const unsigned long *a)
{
	return do_mkdirat((int)a[0], a[1], (uint32_t)a[2]);
}

long sys_mkdir(const unsigned long *a)
{
	return do_mkdirat(AT_FDCWD, a[0], (uint32_t)a[1]);
}

static long do_unlinkat(int dirfd, uintptr_t upath, unsigned flags)
{
	if (flags & ~(unsigned)AT_REMOVEDIR)
		return -EINVAL;
	struct one_path o;
	int err = one_path_get(dirfd, upath, &o);
	if (err)
		return err;
	if (flags & AT_REMOVEDIR)
		err = vfs_rmdir(&o.s.root, &o.s.at, o.path);
	else
		err = vfs_unlink(&o.s.root, &o.s.at, o.path);
	one_path_put(&o);
	return err;
}

long sys_unlinkat(const unsigned long *a)
{
	return do_unlinkat((int)a[0], a[1], (unsigned)a[2]);
}

long sys_unlink(const unsigned long *a)
{
	return do_unlinkat(AT_FDCWD, a[0], 0);
}

long sys_rmdir(const unsigned long *a)
{
	return do_unlinkat(AT_FDCWD, a[0], AT_REMOVEDIR);
}

/* ---- rename and link --------------------------------------------------------------------------- */

static long do_renameat2(int olddfd, uintptr_t uold, int newdfd, uintptr_t unew, unsigned flags)
{
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)))
		return -EINVAL;
	if ((flags & RENAME_WHITEOUT) && !is_root())
		return -EPERM;
	struct one_path o, n;
	int err = one_path_get(olddfd, uold, &o);
	if (err)
		return err;
	err = one_path_get(newdfd, unew, &n);
	if (!err) {
		/* No file system here swaps or leaves whiteouts: vfs_rename refuses those flags
		 * with -EINVAL, as Linux's ext2 and tmpfs-without-whiteouts do. */
		err = vfs_rename(&o.s.root, &o.s.at, o.path, &n.s.at, n.path, flags);
		one_path_put(&n);
	}
	one_path_put(&o);
	return err;
}

long sys_renameat2(const unsigned long *a)
{
	return do_renameat2((int)a[0], a[1], (int)a[2], a[3], (unsigned)a[4]);
}

long sys_renameat(const unsigned long *a)
{
	return do_renameat2((int)a[0], a[1], (int)a[2], a[3], 0);
}

long sys_rename(const unsigned long *a)
{
	return do_renameat2(AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
}

static long do_linkat(int olddfd, uintptr_t uold, int newdfd, uintptr_t unew, unsigned flags)
{
	if (flags & ~(unsigned)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	/* Linking an open file by its descriptor needs CAP_DAC_READ_SEARCH on Linux. */
	if ((flags & AT_EMPTY_PATH) && !is_root())
		return -ENOENT;
	struct one_path n;
	int err = one_path_get(newdfd, unew, &n);
	if (err)
		return err;
	if (!(flags & (AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))) {
		struct one_path o;
		if ((err = one_path_get(olddfd, uold, &o)) == 0) {
			err = vfs_link(&o.s.root, &o.s.at, o.path, &n.s.at, n.path);
			one_path_put(&o);
		}
	} else {
		struct path old;
		unsigned lf = flags & AT_SYMLINK_FOLLOW ? LOOKUP_FOLLOW : 0;
		if ((err = at_lookup(olddfd, uold, lf, flags & AT_EMPTY_PATH, &old)) == 0) {
			err = vfs_link_path(&n.s.root, &old, &n.s.at, n.path);
			path_put(&old);
		}
	}
	one_path_put(&n);
	return err;
}

long sys_linkat(const unsigned long *a)
{
	return do_linkat((int)a[0], a[1], (int)a[2], a[3], (unsigned)a[4]);
}

long sys_link(const unsigned long *a)
{
	return do_linkat(AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
}

/* ---- symlink and readlink ---------------------------------------------------------------------- */

static long do_symlinkat(uintptr_t utarget, int newdfd, uintptr_t upath)
{
	char *target;
	int err = user_path_get(utarget, &target, false);
	if (err)
		return err;
	struct one_path n;
	if ((err = one_path_get(newdfd, upath, &n)) == 0) {
		err = vfs_symlink(&n.s.root, target, &n.s.at, n.path);
		one_path_put(&n);
	}
	kfree(target);
	return err;
}

long sys_symlinkat(const unsigned long *a)
{
	return do_symlinkat(a[0], (int)a[1], a[2]);
}

long sys_symlink(const unsigned long *a)
{
	return do_symlinkat(a[0], AT_FDCWD, a[1]);
}

/* The link's target into buf[n] (no NUL): an empty path reads the link open on dirfd (an
 * O_PATH | O_NOFOLLOW descriptor), and -ENOENT if that is not a link, as Linux does. */
static long readlink_at(int dirfd, const char *path, char *buf, size_t n)
{
	struct at_start s;
	long r = at_start_get(dirfd, path, &s);
	if (r)
		return r;
	if (path[0] != '\0') {
		r = vfs_readlink(&s.root, &s.at, path, buf, n);
	} else {
		struct inode *ino = s.at.ino;
		r = S_ISLNK(ino->mode) && ino->ops && ino->ops->readlink
			    ? ino->ops->readlink(ino, buf, n) : -ENOENT;
	}
	at_start_put(&s);
	return r;
}

static long do_readlinkat(int dirfd, uintptr_t upath, uintptr_t ubuf, int bufsiz)
{
	if (bufsiz <= 0)
		return -EINVAL;
	char *path;
	int err = user_path_get(upath, &path, true);
	if (err)
		return err;
	size_t n = (size_t)bufsiz < PATH_MAX ? (size_t)bufsiz : PATH_MAX;
	char *buf = kmalloc(n);
	long r = buf ? readlink_at(dirfd, path, buf, n) : -ENOMEM;
	if (r > 0 && copy_to_user(ubuf, buf, (size_t)r))
		r = -EFAULT;
	kfree(buf);
	kfree(path);
	return r;
}

long sys_readlinkat(const unsigned long *a)
{
	return do_readlinkat((int)a[0], a[1], a[2], (int)a[3]);
}

long sys_readlink(const unsigned long *a)
{
	return do_readlinkat(AT_FDCWD, a[0], a[1], (int)a[2]);
}

/* ---- The working directory --------------------------------------------------------------------- */

/* Make np (a reference, taken over) the cwd, once it passed chdir's checks. */
static long set_cwd(struct path *np)
{
	int err = vfs_permission(np->ino, MAY_EXEC);
	if (err) {
		path_put(np);
		return err;
	}
	struct proc *p = proc_current();
	mutex_lock(&p->fs_lock);
	struct path old = p->cwd;
	p->cwd = *np;
	mutex_unlock(&p->fs_lock);
	path_put(&old); /* may be the last reference: not under fs_lock */
	return 0;
}

long sys_chdir(const unsigned long *a)
{
	struct path np;
	int err = at_lookup(AT_FDCWD, a[0], LOOKUP_FOLLOW | LOOKUP_DIRECTORY, false, &np);
	return err ? err : set_cwd(&np);
}

long sys_fchdir(const unsigned long *a)
{
	struct file *f = at_fd_file((int)a[0], true);
	if (!f)
		return -EBADF;
	struct path np = f->path;
	path_get(&np);
	file_put(f);
	if (!S_ISDIR(np.ino->mode)) {
		path_put(&np);
		return -ENOTDIR;
	}
	return set_cwd(&np);
}

struct name_search {
	uint64_t ino;
	char name[NAME_MAX + 1];
	size_t len;
	bool found;
};

static int match_ino(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
		     uint64_t next_pos)
{
	struct name_search *ns = ctx;
	(void)type;
	(void)next_pos;
	bool dots = (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
	if (ino != ns->ino || dots || len > NAME_MAX)
		return 0;
	memcpy(ns->name, name, len);
	ns->len = len;
	ns->found = true;
	return 1;
}

/* cur (a directory that is not its mount's root) becomes its parent; ns gets its name there. */
static int climb(const struct path *root, struct path *cur, struct name_search *ns)
{
	struct path up;
	int err = vfs_lookup(root, cur, "..", 0, &up);
	if (err)
		return err;
	*ns = (struct name_search){.ino = cur->ino->ino};
	uint64_t pos = 0;
	err = up.mnt == cur->mnt ? vfs_dir_iterate(&up, &pos, match_ino, ns) : -ENOENT;
	if (!err && !ns->found)
		err = -ENOENT; /* removed or renamed away while we climbed */
	path_put(cur);
	*cur = up;
	return err;
}

long path_name(const struct path *root, const struct path *p, char *buf, size_t size)
{
	if (size == 0)
		return -ENAMETOOLONG;
	char *start = buf + size - 1; /* built backwards from the end */
	*start = '\0';
	struct path cur = *p;
	path_get(&cur);
	struct name_search *ns = kmalloc(sizeof(*ns));
	int err = ns ? 0 : -ENOMEM;
	while (!err && !(cur.mnt == root->mnt && cur.ino == root->ino)) {
		if (cur.ino == cur.mnt->sb->root) { /* a mount's root: go to its mountpoint */
			if (!cur.mnt->parent) {
				err = -ENOENT; /* a detached tree, not below root */
				break;
			}
			struct path mp = {cur.mnt->parent, cur.mnt->mountpoint};
			path_get(&mp);
			path_put(&cur);
			cur = mp;
			continue;
		}
		if ((err = climb(root, &cur, ns)) != 0)
			break;
		if ((size_t)(start - buf) < ns->len + 1) {
			err = -ENAMETOOLONG;
			break;
		}
		start -= ns->len;
		memcpy(start, ns->name, ns->len);
		*--start = '/';
	}
	if (!err && *start == '\0') { /* root itself */
		if (start == buf)
			err = -ENAMETOOLONG;
		else
			*--start = '/';
	}
	path_put(&cur);
	kfree(ns);
	if (err)
		return err;
	size_t len = (size_t)(buf + size - 1 - start);
	memmove(buf, start, len + 1);
	return (long)len;
}

long sys_getcwd(const unsigned long *a)
{
	uintptr_t ubuf = a[0];
	size_t size = a[1];
	struct proc *p = proc_current();
	struct path root, cwd;
	mutex_lock(&p->fs_lock);
	root = p->root;
	cwd = p->cwd;
	path_get(&root);
	path_get(&cwd);
	mutex_unlock(&p->fs_lock);
	char *buf = kmalloc(PATH_MAX);
	long len = !buf ? -ENOMEM : cwd.ino->nlink == 0 ? -ENOENT : path_name(&root, &cwd, buf, PATH_MAX);
	if (len >= 0 && (size_t)len + 1 > size)
		len = -ERANGE;
	if (len >= 0 && copy_to_user(ubuf, buf, (size_t)len + 1))
		len = -EFAULT;
	kfree(buf);
	path_put(&cwd);
	path_put(&root);
	return len < 0 ? len : len + 1; /* the length with its NUL, as the raw call reports */
}

long sys_umask(const unsigned long *a)
{
	struct proc *p = proc_current();
	mutex_lock(&p->fs_lock);
	uint32_t old = p->umask;
	p->umask = (uint32_t)a[0] & 0777;
	mutex_unlock(&p->fs_lock);
	return old;
}
