/*
 * fs/inode.c: the in-memory inode cache, one per super block.
 *
 * At most one struct inode exists per (super block, inode number): vfs_iget finds it in the
 * super block's hash chains or reads it from disk. refs counts holders; it and the chains are
 * guarded by sb->icache_lock. That lock is a mutex and stays held while read_inode reads
 * the inode from disk, so a second vfs_iget of the same inode can never see it half loaded;
 * it serialises inode reads of one file system, which is simple and, with the block cache
 * in front of the disk, cheap. When the last reference goes the file system's evict() runs
 * (outside the lock), which frees the file on disk if its link count is 0.
 */
#include "fs/vfs.h"

#include "core/errno.h"
#include "core/kheap.h"
#include "core/string.h"

#define ICACHE_BUCKETS (sizeof(((struct super_block *)0)->icache) / sizeof(struct inode *))

static struct inode **bucket(struct super_block *sb, uint64_t ino)
{
	return &sb->icache[ino % ICACHE_BUCKETS];
}

static struct inode *find(struct super_block *sb, uint64_t ino)
{
	for (struct inode *i = *bucket(sb, ino); i; i = i->hash_next)
		if (i->ino == ino)
			return i;
	return NULL;
}

static void unhash(struct inode *ino)
{
	struct inode **pp = bucket(ino->sb, ino->ino);
	while (*pp && *pp != ino)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = ino->hash_next;
}

static struct inode *alloc_hashed(struct super_block *sb, uint64_t ino)
{
	struct inode *i = kzalloc(sizeof(*i));
	if (!i)
		return NULL;
	i->sb = sb;
	i->ino = ino;
	i->refs = 1;
	mutex_init(&i->lock, "inode");
	i->hash_next = *bucket(sb, ino);
	*bucket(sb, ino) = i;
	return i;
}

int vfs_iget(struct super_block *sb, uint64_t ino, struct inode **out)
{
	int err = 0;
	mutex_lock(&sb->icache_lock);
	struct inode *i = find(sb, ino);
	if (i) {
		i->refs++;
	} else if ((i = alloc_hashed(sb, ino)) == NULL) {
		err = -ENOMEM;
	} else if ((err = sb->ops->read_inode(i)) != 0) {
		unhash(i);
		kfree(i);
	}
	mutex_unlock(&sb->icache_lock);
	if (!err)
		*out = i;
	return err;
}

struct inode *vfs_inew(struct super_block *sb, uint64_t ino)
{
	mutex_lock(&sb->icache_lock);
	struct inode *i = find(sb, ino) ? NULL : alloc_hashed(sb, ino);
	mutex_unlock(&sb->icache_lock);
	return i;
}

void vfs_igrab(struct inode *ino)
{
	mutex_lock(&ino->sb->icache_lock);
	ino->refs++;
	mutex_unlock(&ino->sb->icache_lock);
}

void vfs_iput(struct inode *ino)
{
	if (!ino)
		return;
	struct super_block *sb = ino->sb;
	mutex_lock(&sb->icache_lock);
	bool last = --ino->refs == 0;
	if (last)
		unhash(ino);
	mutex_unlock(&sb->icache_lock);
	if (!last)
		return;
	if (sb->ops->evict)
		sb->ops->evict(ino);
	kfree(ino);
}

void vfs_setattr_copy(struct inode *ino, const struct vattr *va, struct timespec64 now)
{
	if (va->valid & ATTR_MODE)
		ino->mode = (ino->mode & S_IFMT) | (va->mode & 07777);
	if (va->valid & ATTR_UID)
		ino->uid = va->uid;
	if (va->valid & ATTR_GID)
		ino->gid = va->gid;
	if (va->valid & ATTR_ATIME)
		ino->atime = va->atime;
	if (va->valid & ATTR_MTIME)
		ino->mtime = va->mtime;
	ino->ctime = (va->valid & ATTR_CTIME) ? va->ctime : now;
}

int vfs_inode_write(struct inode *ino)
{
	return ino->sb->ops->write_inode ? ino->sb->ops->write_inode(ino) : 0;
}
