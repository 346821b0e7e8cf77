/*
 * fs/ext2/symlink.c: symbolic links.
 *
 * A target of up to 59 bytes is a fast symlink: stored in the inode's i_block array itself
 * (60 bytes, no NUL needed), with no data block, so i_blocks is 0 (or just the extended
 * attribute block, which is how Linux and e2fsck tell fast from slow). A longer target, up
 * to block size - 1 bytes, is a slow symlink: one data block holds it. i_size is the length
 * of the target in both cases. Both kinds are checked against these limits when the inode is
 * read (inode.c), so readlink can copy without further checks.
 */
#include "fs/ext2/ext2_fs.h"

#include "core/errno.h"
#include "core/string.h"

static bool is_fast(const struct inode *ino)
{
	const struct ext2_fs *fs = EXT2_FS(ino->sb);
	return ino->blocks == (EXT2_I(ino)->file_acl ? fs->bs / 512 : 0);
}

int ext2_symlink_store(struct inode *ino, const char *target, size_t len)
{
	struct ext2_fs *fs = EXT2_FS(ino->sb);
	struct ext2_inode_info *ei = EXT2_I(ino);
	if (len <= EXT2_FAST_SYMLINK_MAX) {
		memset(ei->block, 0, sizeof(ei->block));
		memcpy(ei->block, target, len);
	} else {
		uint32_t pblk;
		int err = ext2_bmap(ino, 0, true, &pblk, NULL);
		if (err)
			return err == -EFBIG ? -ENOSPC : err;
		struct buf *b = bread(fs->dev, pblk, fs->bs);
		if (!b)
			return -EIO;
		memcpy(b->data, target, len);
		bdirty(b);
		brelse(b);
	}
	ino->size = len;
	return ext2_write_inode_locked(ino);
}

static long ext2_readlink(struct inode *ino, char *buf, size_t n)
{
	struct ext2_fs *fs = EXT2_FS(ino->sb);
	struct ext2_inode_info *ei = EXT2_I(ino);
	size_t len = ino->size < n ? (size_t)ino->size : n;
	long r = (long)len;
	mutex_lock(&ei->lock);
	if (is_fast(ino)) {
		memcpy(buf, ei->block, len);
	} else {
		uint32_t pblk = 0;
		int err = ext2_bmap(ino, 0, false, &pblk, NULL);
		struct buf *b = !err && pblk ? bread(fs->dev, pblk, fs->bs) : NULL;
		if (b)
			memcpy(buf, b->data, len);
		else
			r = err ? err : -EIO;
		brelse(b);
	}
	mutex_unlock(&ei->lock);
	return r;
}

const struct inode_ops ext2_symlink_iops = {
	.readlink = ext2_readlink,
	.setattr = ext2_setattr,
};
