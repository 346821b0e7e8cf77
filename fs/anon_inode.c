/*
 * fs/anon_inode.c: the anonymous inodes (fs/anon_inode.h).
 *
 * The mount and each class's inode (numbers from 2; the root directory is 1) are made on
 * first use under anon_lock and never go away (this file keeps one reference on each).
 * Each file holds a reference of its own on both, so path_put at its last close is the same
 * as for any file. The class table is looked at under anon_lock too (a few entries).
 */
#include "fs/anon_inode.h"

#include "core/errno.h"
#include "core/kheap.h"
#include "core/kprintf.h"
#include "core/pmm.h"
#include "core/string.h"
#include "fs/vfs_internal.h"

#define ANON_CLASSES 8

static struct mutex anon_lock = MUTEX_INIT("anon inode");
static struct mount *anon_mnt; /* guarded by anon_lock until set, then constant */
/* One inode per class name, numbered from 2 in order of first use; guarded by anon_lock. */
static struct {
	const char *name;
	struct inode *ino;
} classes[ANON_CLASSES];

static int anonfs_read_inode(struct inode *ino)
{
	(void)ino;
	return -ENOENT; /* nothing is ever looked up: the inodes are made by class_inode */
}

static int anonfs_sync(struct super_block *sb)
{
	(void)sb;
	return 0;
}

static int anonfs_statfs(struct super_block *sb, struct kstatfs *st)
{
	(void)sb;
	*st = (struct kstatfs){.type = ANON_INODE_FS_MAGIC, .bsize = PAGE_SIZE,
			       .namelen = NAME_MAX};
	return 0;
}

static const struct super_ops anonfs_sops = {
	.read_inode = anonfs_read_inode,
	.sync = anonfs_sync,
	.statfs = anonfs_statfs,
};

/* An inode of sb with mode, owned by root, times now: one reference. */
static struct inode *anonfs_inode(struct super_block *sb, uint64_t ino, uint32_t mode)
{
	struct inode *i = vfs_inew(sb, ino);
	if (!i)
		return NULL;
	i->mode = mode;
	i->nlink = 1;
	i->atime = i->mtime = i->ctime = vfs_now();
	return i;
}

static int anonfs_mount(struct super_block *sb, struct blkdev *dev, const char *opts)
{
	(void)dev, (void)opts;
	sb->ops = &anonfs_sops;
	sb->magic = ANON_INODE_FS_MAGIC;
	sb->block_size = PAGE_SIZE;
	sb->root = anonfs_inode(sb, 1, S_IFDIR | 0700); /* the VFS wants a root directory */
	return sb->root ? 0 : -ENOMEM;
}

static const struct file_system_type anonfs_type = {"anon_inodefs", anonfs_mount};

static struct mount *anonfs(void)
{
	struct mount *m = __atomic_load_n(&anon_mnt, __ATOMIC_ACQUIRE);
	if (m)
		return m;
	mutex_lock(&anon_lock);
	if (!anon_mnt) {
		int err = vfs_register_fs(&anonfs_type);
		if (!err || err == -EEXIST)
			err = vfs_kern_mount("anon_inodefs", NULL, "", &m);
		if (!err)
			__atomic_store_n(&anon_mnt, m, __ATOMIC_RELEASE);
	}
	m = anon_mnt;
	mutex_unlock(&anon_lock);
	return m;
}

/* The inode of class name (made on first use), or NULL. */
static struct inode *class_inode(struct mount *mnt, const char *name)
{
	struct inode *ino = NULL;
	mutex_lock(&anon_lock);
	for (unsigned i = 0; i < ANON_CLASSES && !ino; i++) {
		if (!classes[i].name) {
			/* No type bits, as Linux's anon inode (fstat shows mode 0600). */
			classes[i].ino = anonfs_inode(mnt->sb, 2 + i, 0600);
			classes[i].name = classes[i].ino ? name : NULL;
			ino = classes[i].ino;
			break;
		}
		if (strcmp(classes[i].name, name) == 0)
			ino = classes[i].ino;
	}
	mutex_unlock(&anon_lock);
	return ino;
}

long anon_inode_name(const struct inode *ino, char *buf, size_t n)
{
	const char *name = NULL;
	mutex_lock(&anon_lock);
	for (unsigned i = 0; i < ANON_CLASSES && !name; i++)
		if (classes[i].name && classes[i].ino == ino)
			name = classes[i].name;
	mutex_unlock(&anon_lock);
	return name ? ksnprintf(buf, n, "anon_inode:%s", name) : -ENOENT;
}

int anon_inode_file(const char *name, const struct file_ops *fops, void *priv, unsigned flags,
		    struct file **out)
{
	struct mount *mnt = anonfs();
	struct inode *ino = mnt ? class_inode(mnt, name) : NULL;
	struct file *f = ino ? kzalloc(sizeof(*f)) : NULL;
	if (!f)
		return -ENOMEM;
	f->path.mnt = mnt;
	f->path.ino = ino;
	path_get(&f->path);
	f->ops = fops;
	f->flags = flags;
	f->refs = 1;
	mutex_init(&f->pos_lock, "file pos");
	f->priv = priv;
	*out = f;
	return 0;
}
