/*
 * fs/tmpfs.c: a file system in memory: directories, regular files, symlinks, and FIFO,
 * socket and device nodes.
 *
 * There is no backing store, so the struct inode itself is the file: every inode with a link
 * count above zero is pinned by one reference of tmpfs's own (taken at creation, dropped when
 * the last name goes), and lives in the inode cache until then; read_inode is never needed.
 * When the pin and every open file are gone, evict frees the contents. Unmounting drops the
 * pins of everything left (put_super).
 *
 * Each inode's priv is a struct tmpfs_node:
 * - directories: entries in creation order, each with a cookie that only grows (2, 3, ...;
 *   0 and 1 are "." and ".."), so a readdir position stays valid while entries are added and
 *   removed; entries hold no references (the child's pin keeps it). parent is "..".
 * - regular files: a sorted array of (page index, page) pairs from the frame allocator;
 *   absent pages are holes and read as zeros.
 * - symlinks: the target string.
 *
 * Locking: the VFS holds a directory's lock around every directory operation and readdir, and
 * a regular file's lock around write and setattr; read takes the file's lock itself. Below
 * those, tsb->ns_lock serialises every operation that changes directory entries in this file
 * system: the VFS locks only the parent, so without it rmdir's "is it empty?" could race a
 * create inside the victim (which holds the victim's lock, not the parent's). tsb->lock
 * (innermost) guards link counts, the pinned-node list and inode numbers.
 */
#include "core/errno.h"
#include "core/kheap.h"
#include "core/layout.h"
#include "core/pmm.h"
#include "core/string.h"
#include "fs/vfs_internal.h"

#define TMPFS_MAGIC 0x01021994
#define TMPFS_MAX_SIZE (1ull << 40)
#define TMPFS_LINK_MAX 65000
#define FIRST_COOKIE 2

struct tmpfs_sb {
	struct mutex ns_lock;      /* every change to any directory's entries */
	struct mutex lock;
	uint64_t next_ino;
	struct tmpfs_node *pinned; /* every inode that still has a name */
};

struct tmpfs_dirent {
	uint64_t cookie;
	struct inode *ino;
	size_t len;
	char *name;
};

struct tmpfs_page {
	uint64_t index;
	void *data;
};

struct tmpfs_node {
	struct inode *inode;
	struct tmpfs_node *next, *prev; /* tsb->pinned, while pinned */
	bool pinned;
	struct inode *parent;           /* directories */
	struct tmpfs_dirent *ents;
	size_t nents, ents_cap;
	uint64_t next_cookie;
	struct tmpfs_page *pages;       /* regular files */
	size_t npages, pages_cap;
	char *target;                   /* symlinks */
};

static const struct inode_ops tmpfs_dir_iops, tmpfs_link_iops, tmpfs_file_iops;
static const struct file_ops tmpfs_dir_fops, tmpfs_file_fops;
static const struct super_ops tmpfs_sops;

static struct tmpfs_node *N(struct inode *ino)
{
	return ino->priv;
}

static struct tmpfs_sb *TSB(struct inode *ino)
{
	return ino->sb->priv;
}

static void touch(struct inode *ino, bool content)
{
	ino->ctime = vfs_now();
	if (content)
		ino->mtime = ino->ctime;
}

/* ---- Inodes and their lifetime -------------------------------------------------------------- */

static void set_ops(struct inode *ino)
{
	uint32_t m = ino->mode;
	ino->ops = S_ISDIR(m) ? &tmpfs_dir_iops : S_ISLNK(m) ? &tmpfs_link_iops : &tmpfs_file_iops;
	ino->fops = S_ISDIR(m) ? &tmpfs_dir_fops : S_ISREG(m) ? &tmpfs_file_fops : NULL;
}

/* A new pinned inode (the returned pointer carries the pin, not a caller reference). */
static struct inode *new_inode(struct super_block *sb, struct inode *dir, uint32_t mode,
			       uint32_t rdev)
{
	struct tmpfs_sb *tsb = sb->priv;
	struct tmpfs_node *n = kzalloc(sizeof(*n));
	if (!n)
		return NULL;
	mutex_lock(&tsb->lock);
	struct inode *ino = vfs_inew(sb, tsb->next_ino++);
	if (ino) {
		n->inode = ino;
		n->pinned = true;
		n->next = tsb->pinned;
		if (tsb->pinned)
			tsb->pinned->prev = n;
		tsb->pinned = n;
	}
	mutex_unlock(&tsb->lock);
	if (!ino) {
		kfree(n);
		return NULL;
	}
	const struct vfs_cred *c = vfs_current_cred ? vfs_current_cred() : NULL;
	ino->priv = n;
	ino->mode = mode;
	ino->rdev = rdev;
	ino->uid = c ? c->uid : 0;
	ino->gid = dir && (dir->mode & S_ISGID) ? dir->gid : c ? c->gid : 0;
	ino->nlink = S_ISDIR(mode) ? 2 : 1;
	ino->atime = ino->mtime = ino->ctime = vfs_now();
	n->parent = dir ? dir : ino;
	n->next_cookie = FIRST_COOKIE;
	set_ops(ino);
	return ino;
}

static void unpin(struct inode *ino)
{
	struct tmpfs_sb *tsb = TSB(ino);
	struct tmpfs_node *n = N(ino);
	mutex_lock(&tsb->lock);
	if (n->prev)
		n->prev->next = n->next;
	else
		tsb->pinned = n->next;
	if (n->next)
		n->next->prev = n->prev;
	n->pinned = false;
	mutex_unlock(&tsb->lock);
	vfs_iput(ino);
}

/* Take one link away (all of a directory's); unpin at zero. */
static void drop_link(struct inode *ino)
{
	struct tmpfs_sb *tsb = TSB(ino);
	mutex_lock(&tsb->lock);
	ino->nlink = S_ISDIR(ino->mode) ? 0 : ino->nlink - 1;
	bool gone = ino->nlink == 0;
	mutex_unlock(&tsb->lock);
	touch(ino, false);
	if (gone)
		unpin(ino);
}

static void add_nlink(struct inode *ino, int delta)
{
	struct tmpfs_sb *tsb = TSB(ino);
	mutex_lock(&tsb->lock);
	ino->nlink = (uint32_t)((int)ino->nlink + delta);
	mutex_unlock(&tsb->lock);
}

static void free_pages_from(struct tmpfs_node *n, size_t first)
{
	for (size_t i = first; i < n->npages; i++)
		free_page(virt_to_phys(n->pages[i].data));
	n->npages = first;
}

static void tmpfs_evict(struct inode *ino)
{
	struct tmpfs_node *n = N(ino);
	if (!n)
		return;
	for (size_t i = 0; i < n->nents; i++)
		kfree(n->ents[i].name);
	kfree(n->ents);
	free_pages_from(n, 0);
	kfree(n->pages);
	kfree(n->target);
	kfree(n);
	ino->priv = NULL;
}

static int tmpfs_read_inode(struct inode *ino)
{
	return -ENOENT; /* every live tmpfs inode is cached: a miss is a stale number */
}

static void tmpfs_put_super(struct super_block *sb)
{
	struct tmpfs_sb *tsb = sb->priv;
	while (tsb->pinned)
		unpin(tsb->pinned->inode);
	kfree(tsb);
	sb->priv = NULL;
}

static int tmpfs_statfs(struct super_block *sb, struct kstatfs *st)
{
	*st = (struct kstatfs){.type = TMPFS_MAGIC, .bsize = PAGE_SIZE, .namelen = NAME_MAX};
	return 0;
}

static int tmpfs_sync(struct super_block *sb)
{
	return 0;
}

/* "mode=1777" sets the root directory's permissions (octal); other options are ignored. */
static uint32_t root_mode(const char *opts)
{
	uint32_t mode = 01777;
	for (const char *p = opts; p && *p; p++) {
		if ((p == opts || p[-1] == ',') && strncmp(p, "mode=", 5) == 0) {
			mode = 0;
			for (p += 5; *p >= '0' && *p <= '7'; p++)
				mode = mode * 8 + (uint32_t)(*p - '0');
			mode &= 07777;
			p--;
		}
	}
	return mode;
}

static int tmpfs_mount(struct super_block *sb, struct blkdev *dev, const char *opts)
{
	struct tmpfs_sb *tsb = kzalloc(sizeof(*tsb));
	if (!tsb)
		return -ENOMEM;
	mutex_init(&tsb->ns_lock, "tmpfs names");
	mutex_init(&tsb->lock, "tmpfs");
	tsb->next_ino = 1;
	sb->priv = tsb;
	sb->ops = &tmpfs_sops;
	sb->magic = TMPFS_MAGIC;
	sb->block_size = PAGE_SIZE;
	struct inode *root = new_inode(sb, NULL, S_IFDIR | root_mode(opts), 0);
	if (!root) {
		kfree(tsb);
		return -ENOMEM;
	}
	vfs_igrab(root);
	sb->root = root;
	return 0;
}

/* ---- Directories ------------------------------------------------------------------------------ */

static struct tmpfs_dirent *find(struct inode *dir, const char *name, size_t len)
{
	struct tmpfs_node *n = N(dir);
	for (size_t i = 0; i < n->nents; i++)
		if (n->ents[i].len == len && memcmp(n->ents[i].name, name, len) == 0)
			return &n->ents[i];
	return NULL;
}

static int add_entry(struct inode *dir, const char *name, size_t len, struct inode *ino)
{
	struct tmpfs_node *n = N(dir);
	if (n->nents == n->ents_cap) {
		size_t cap = n->ents_cap ? n->ents_cap * 2 : 8;
		struct tmpfs_dirent *e = kmalloc(cap * sizeof(*e));
		if (!e)
			return -ENOSPC;
		if (n->nents)
			memcpy(e, n->ents, n->nents * sizeof(*e));
		kfree(n->ents);
		n->ents = e;
		n->ents_cap = cap;
	}
	char *copy = kmalloc(len + 1);
	if (!copy)
		return -ENOSPC;
	memcpy(copy, name, len);
	copy[len] = '\0';
	n->ents[n->nents++] = (struct tmpfs_dirent){n->next_cookie++, ino, len, copy};
	dir->size = n->nents * 32; /* something plausible for st_size */
	touch(dir, true);
	return 0;
}

static void remove_entry(struct inode *dir, struct tmpfs_dirent *e)
{
	struct tmpfs_node *n = N(dir);
	size_t i = (size_t)(e - n->ents);
	kfree(e->name);
	memmove(&n->ents[i], &n->ents[i + 1], (n->nents - i - 1) * sizeof(*e));
	n->nents--;
	dir->size = n->nents * 32;
	touch(dir, true);
}

static int tmpfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct inode *ino = NULL;
	if (len == 1 && name[0] == '.') {
		ino = dir;
	} else if (len == 2 && name[0] == '.' && name[1] == '.') {
		ino = N(dir)->parent;
	} else {
		struct tmpfs_dirent *e = find(dir, name, len);
		ino = e ? e->ino : NULL;
	}
	if (!ino)
		return -ENOENT;
	vfs_igrab(ino);
	*out = ino;
	return 0;
}

/* Make a pinned inode and its entry; *out gets a reference. */
static int make(struct inode *dir, const char *name, size_t len, uint32_t mode, uint32_t rdev,
		struct inode **out)
{
	if (dir->nlink == 0)
		return -ENOENT;
	if (find(dir, name, len))
		return -EEXIST;
	struct inode *ino = new_inode(dir->sb, dir, mode, rdev);
	if (!ino)
		return -ENOSPC;
	int err = add_entry(dir, name, len, ino);
	if (err) {
		ino->nlink = 0;
		unpin(ino);
		return err;
	}
	vfs_igrab(ino);
	*out = ino;
	return 0;
}

static int create_locked(struct inode *dir, const char *name, size_t len, uint32_t mode,
			uint32_t rdev, struct inode **out)
{
	uint32_t t = mode & S_IFMT;
	if (t != S_IFREG && t != S_IFIFO && t != S_IFSOCK && t != S_IFCHR && t != S_IFBLK)
		return -EINVAL;
	return make(dir, name, len, mode, rdev, out);
}

static int mkdir_locked(struct inode *dir, const char *name, size_t len, uint32_t mode,
		       struct inode **out)
{
	if (dir->nlink >= TMPFS_LINK_MAX)
		return -EMLINK;
	int err = make(dir, name, len, S_IFDIR | (mode & 07777), 0, out);
	if (!err)
		add_nlink(dir, 1);
	return err;
}

static int symlink_locked(struct inode *dir, const char *name, size_t len, const char *target,
			 struct inode **out)
{
	size_t n = strlen(target);
	char *copy = kmalloc(n + 1);
	if (!copy)
		return -ENOSPC;
	memcpy(copy, target, n + 1);
	int err = make(dir, name, len, S_IFLNK | 0777, 0, out);
	if (err) {
		kfree(copy);
		return err;
	}
	N(*out)->target = copy;
	(*out)->size = n;
	return 0;
}

static int link_locked(struct inode *dir, const char *name, size_t len, struct inode *target)
{
	if (dir->nlink == 0 || target->nlink == 0)
		return -ENOENT;
	if (target->nlink >= TMPFS_LINK_MAX)
		return -EMLINK;
	if (find(dir, name, len))
		return -EEXIST;
	int err = add_entry(dir, name, len, target);
	if (!err) {
		add_nlink(target, 1);
		touch(target, false);
	}
	return err;
}

static int unlink_locked(struct inode *dir, const char *name, size_t len)
{
	struct tmpfs_dirent *e = find(dir, name, len);
	if (!e)
		return -ENOENT;
	struct inode *ino = e->ino;
	if (S_ISDIR(ino->mode))
		return -EISDIR;
	remove_entry(dir, e);
	drop_link(ino);
	return 0;
}

static int rmdir_locked(struct inode *dir, const char *name, size_t len)
{
	struct tmpfs_dirent *e = find(dir, name, len);
	if (!e)
		return -ENOENT;
	struct inode *ino = e->ino;
	if (!S_ISDIR(ino->mode))
		return -ENOTDIR;
	if (N(ino)->nents)
		return -ENOTEMPTY;
	remove_entry(dir, e);
	add_nlink(dir, -1);
	drop_link(ino);
	return 0;
}

/* May src replace dst? */
static int replace_ok(struct inode *src, struct inode *dst, unsigned flags)
{
	if (flags & RENAME_NOREPLACE)
		return -EEXIST;
	if (S_ISDIR(src->mode) && !S_ISDIR(dst->mode))
		return -ENOTDIR;
	if (!S_ISDIR(src->mode) && S_ISDIR(dst->mode))
		return -EISDIR;
	if (S_ISDIR(dst->mode) && N(dst)->nents)
		return -ENOTEMPTY;
	return 0;
}

static int rename_locked(struct inode *olddir, const char *oldname, size_t oldlen,
			struct inode *newdir, const char *newname, size_t newlen, unsigned flags)
{
	struct tmpfs_dirent *se = find(olddir, oldname, oldlen);
	if (!se)
		return -ENOENT;
	struct inode *src = se->ino, *dst = NULL;
	struct tmpfs_dirent *de = find(newdir, newname, newlen);
	int err = de && de->ino != src ? replace_ok(src, dst = de->ino, flags) : 0;
	if (err || (de && de->ino == src))
		return err;
	bool is_dir = S_ISDIR(src->mode);
	if (dst) { /* the old target goes; its entry takes src */
		de->ino = src;
		touch(newdir, true);
		if (is_dir)
			add_nlink(newdir, -1);
		drop_link(dst);
	} else if ((err = add_entry(newdir, newname, newlen, src)) != 0) {
		return err;
	}
	remove_entry(olddir, find(olddir, oldname, oldlen)); /* add_entry may have moved it */
	if (is_dir && olddir != newdir) {
		add_nlink(olddir, -1);
		add_nlink(newdir, 1);
		N(src)->parent = newdir;
	}
	touch(src, false);
	return 0;
}

/* ---- Entry points: each directory change runs under tsb->ns_lock ---------------------------- */

static struct mutex *ns(struct inode *dir)
{
	return &TSB(dir)->ns_lock;
}

static int tmpfs_create(struct inode *dir, const char *name, size_t len, uint32_t mode,
			uint32_t rdev, struct inode **out)
{
	mutex_lock(ns(dir));
	int err = create_locked(dir, name, len, mode, rdev, out);
	mutex_unlock(ns(dir));
	return err;
}

static int tmpfs_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode,
		       struct inode **out)
{
	mutex_lock(ns(dir));
	int err = mkdir_locked(dir, name, len, mode, out);
	mutex_unlock(ns(dir));
	return err;
}

static int tmpfs_symlink(struct inode *dir, const char *name, size_t len, const char *target,
			 struct inode **out)
{
	mutex_lock(ns(dir));
	int err = symlink_locked(dir, name, len, target, out);
	mutex_unlock(ns(dir));
	return err;
}

static int tmpfs_link(struct inode *dir, const char *name, size_t len, struct inode *target)
{
	mutex_lock(ns(dir));
	int err = link_locked(dir, name, len, target);
	mutex_unlock(ns(dir));
	return err;
}

static int tmpfs_unlink(struct inode *dir, const char *name, size_t len)
{
	mutex_lock(ns(dir));
	int err = unlink_locked(dir, name, len);
	mutex_unlock(ns(dir));
	return err;
}

static int tmpfs_rmdir(struct inode *dir, const char *name, size_t len)
{
	mutex_lock(ns(dir));
	int err = rmdir_locked(dir, name, len);
	mutex_unlock(ns(dir));
	return err;
}

static int tmpfs_rename(struct inode *olddir, const char *oldname, size_t oldlen,
			struct inode *newdir, const char *newname, size_t newlen, unsigned flags)
{
	mutex_lock(ns(olddir));
	int err = rename_locked(olddir, oldname, oldlen, newdir, newname, newlen, flags);
	mutex_unlock(ns(olddir));
	return err;
}

static long tmpfs_readlink(struct inode *ino, char *buf, size_t n)
{
	size_t len = ino->size < n ? ino->size : n;
	memcpy(buf, N(ino)->target, len);
	return (long)len;
}

static unsigned dtype(uint32_t mode)
{
	return (mode >> 12) & 15; /* DT_* are the S_IFMT bits shifted down */
}

/* First entry with a cookie >= pos (binary search: cookies ascend). */
static size_t first_from(const struct tmpfs_node *n, uint64_t pos)
{
	size_t lo = 0, hi = n->nents;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (n->ents[mid].cookie < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int tmpfs_readdir(struct file *f, uint64_t *pos, filldir_t fill, void *ctx)
{
	struct inode *dir = f->path.ino;
	struct tmpfs_node *n = N(dir);
	if (*pos == 0) {
		if (fill(ctx, ".", 1, dir->ino, DT_DIR, 1))
			return 0;
		*pos = 1;
	}
	if (*pos == 1) {
		if (fill(ctx, "..", 2, n->parent->ino, DT_DIR, FIRST_COOKIE))
			return 0;
		*pos = FIRST_COOKIE;
	}
	for (size_t i = first_from(n, *pos); i < n->nents; i++) {
		struct tmpfs_dirent *e = &n->ents[i];
		if (fill(ctx, e->name, e->len, e->ino->ino, dtype(e->ino->mode), e->cookie + 1))
			return 0;
		*pos = e->cookie + 1;
	}
	return 0;
}

/* ---- Regular files ------------------------------------------------------------------------------ */

/* Position of page index idx in the sorted page array (where it is or would go). */
static size_t page_slot(const struct tmpfs_node *n, uint64_t idx)
{
	size_t lo = 0, hi = n->npages;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (n->pages[mid].index < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void *find_page(const struct tmpfs_node *n, uint64_t idx)
{
	size_t i = page_slot(n, idx);
	return i < n->npages && n->pages[i].index == idx ? n->pages[i].data : NULL;
}

/* The page at idx, allocated (zeroed) if absent; NULL when memory runs out. */
static void *get_page(struct inode *ino, uint64_t idx)
{
	struct tmpfs_node *n = N(ino);
	size_t i = page_slot(n, idx);
	if (i < n->npages && n->pages[i].index == idx)
		return n->pages[i].data;
	if (n->npages == n->pages_cap) {
		size_t cap = n->pages_cap ? n->pages_cap * 2 : 4;
		struct tmpfs_page *p = kmalloc(cap * sizeof(*p));
		if (!p)
			return NULL;
		if (n->npages)
			memcpy(p, n->pages, n->npages * sizeof(*p));
		kfree(n->pages);
		n->pages = p;
		n->pages_cap = cap;
	}
	uint64_t pa = alloc_page();
	if (!pa)
		return NULL;
	void *data = phys_to_virt(pa);
	memset(data, 0, PAGE_SIZE);
	memmove(&n->pages[i + 1], &n->pages[i], (n->npages - i) * sizeof(*n->pages));
	n->pages[i] = (struct tmpfs_page){idx, data};
	n->npages++;
	ino->blocks = n->npages * (PAGE_SIZE / 512);
	return data;
}

static long tmpfs_read(struct file *f, struct uio *u, uint64_t pos)
{
	struct inode *ino = f->path.ino;
	long done = 0;
	mutex_lock(&ino->lock);
	while (u->resid > 0 && pos < ino->size) {
		size_t off = pos % PAGE_SIZE, n = PAGE_SIZE - off;
		if (n > ino->size - pos)
			n = (size_t)(ino->size - pos);
		void *page = find_page(N(ino), pos / PAGE_SIZE);
		long r = page ? uio_copy_out(u, (char *)page + off, n) : uio_zero(u, n);
		if (r < 0) {
			done = done ? done : r;
			break;
		}
		done += r;
		pos += (uint64_t)r;
		if ((size_t)r < n)
			break;
	}
	mutex_unlock(&ino->lock);
	return done;
}

/* Called with the inode's lock held (fs/vfs.h). */
static long tmpfs_write(struct file *f, struct uio *u, uint64_t pos)
{
	struct inode *ino = f->path.ino;
	if (pos >= TMPFS_MAX_SIZE)
		return -EFBIG;
	long done = 0;
	while (u->resid > 0 && pos < TMPFS_MAX_SIZE) {
		size_t off = pos % PAGE_SIZE, n = PAGE_SIZE - off;
		void *page = get_page(ino, pos / PAGE_SIZE);
		long r = page ? uio_copy_in(u, (char *)page + off, n) : -ENOSPC;
		if (r <= 0) {
			done = done ? done : r;
			break;
		}
		done += r;
		pos += (uint64_t)r;
		if (pos > ino->size)
			ino->size = pos;
	}
	if (done > 0)
		touch(ino, true);
	return done;
}

/* Cut the file to size: pages past it go, and the tail of the last one reads as zeros. */
static void truncate_pages(struct inode *ino, uint64_t size)
{
	struct tmpfs_node *n = N(ino);
	uint64_t keep = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	free_pages_from(n, page_slot(n, keep));
	void *last = size % PAGE_SIZE ? find_page(n, size / PAGE_SIZE) : NULL;
	if (last)
		memset((char *)last + size % PAGE_SIZE, 0, PAGE_SIZE - size % PAGE_SIZE);
	ino->blocks = n->npages * (PAGE_SIZE / 512);
}

static int tmpfs_setattr(struct inode *ino, const struct vattr *va)
{
	if (va->valid & ATTR_SIZE) {
		if (!S_ISREG(ino->mode))
			return -EINVAL;
		if (va->size > TMPFS_MAX_SIZE)
			return -EFBIG;
		if (va->size < ino->size)
			truncate_pages(ino, va->size);
		ino->size = va->size;
	}
	vfs_setattr_copy(ino, va, vfs_now());
	return 0;
}

/* ---- Tables ------------------------------------------------------------------------------------- */

static const struct inode_ops tmpfs_dir_iops = {
	.lookup = tmpfs_lookup,
	.create = tmpfs_create,
	.mkdir = tmpfs_mkdir,
	.symlink = tmpfs_symlink,
	.link = tmpfs_link,
	.unlink = tmpfs_unlink,
	.rmdir = tmpfs_rmdir,
	.rename = tmpfs_rename,
	.setattr = tmpfs_setattr,
};

static const struct inode_ops tmpfs_link_iops = {
	.readlink = tmpfs_readlink,
	.setattr = tmpfs_setattr,
};

static const struct inode_ops tmpfs_file_iops = {
	.setattr = tmpfs_setattr,
};

static const struct file_ops tmpfs_dir_fops = {
	.readdir = tmpfs_readdir,
};

static const struct file_ops tmpfs_file_fops = {
	.read = tmpfs_read,
	.write = tmpfs_write,
};

static const struct super_ops tmpfs_sops = {
	.read_inode = tmpfs_read_inode,
	.evict = tmpfs_evict,
	.sync = tmpfs_sync,
	.statfs = tmpfs_statfs,
	.put_super = tmpfs_put_super,
};

const struct file_system_type tmpfs_fs_type = {
	.name = "tmpfs",
	.mount = tmpfs_mount,
};
