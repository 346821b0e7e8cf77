/*
 * fs/anon_inode.c: the shared anonymous inode (fs/anon_inode.h).
 *
 * The mount and the shared inode (number 2; the root directory is 1) are made on first use
 * under anon_lock and never go away (this file keeps one reference on the inode); each file holds a reference of its own on both, so
 * path_put at the file's last close is the same as for any file.
 */
#include "fs/anon_inode.h"

#include "core/errno.h"
#include "core/kheap.h"
#include "core/pmm.h"
#include "fs/vfs_internal.h"

#define ANON_INODE_FS_MAGIC 0x09041934 /* Linux's */

static struct mutex anon_lock = MUTEX_INIT("anon inode");
static struct mount *anon_mnt; /* guarded by anon_lock until set, then constant */
static struct inode *anon_ino; /* the shared inode (Linux's anon_inode_inode); set with it */

static int anonfs_read_inode(struct inode *ino)
{
	(void)ino;
	return -ENOENT; /* nothing is ever looked up: the one inode is made at mount */
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
		/* No type bits, as Linux's anon inode (fstat shows mode 0600). */
		if (!err && (anon_ino = anonfs_inode(m->sb, 2, 0600)) != NULL)
			__atomic_store_n(&anon_mnt, m, __ATOMIC_RELEASE);
	}
	m = anon_mnt;
	mutex_unlock(&anon_lock);
	return m;
}

int anon_inode_file(const struct file_ops *fops, void *priv, unsigned flags,
		    struct file **out)
{
	struct mount *mnt = anonfs();
	struct file *f = mnt ? kzalloc(sizeof(*f)) : NULL;
	if (!f)
		return -ENOMEM;
	f->path.mnt = mnt;
	f->path.ino = anon_ino;
	path_get(&f->path);
	f->ops = fops;
	f->flags = flags;
	f->refs = 1;
	mutex_init(&f->pos_lock, "file pos");
	f->priv = priv;
	*out = f;
	return 0;
}
