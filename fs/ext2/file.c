/*
 * fs/ext2/file.c: regular files: read, write, truncate; setattr for every inode type.
 *
 * Data goes through the block cache one block at a time: read maps each block (a hole gives
 * zeros through uio_zero) and copies out; write maps with allocation (new blocks arrive
 * zeroed), copies in and marks the buffer dirty. The inode's lock is held for the whole
 * call, so reads see whole writes and truncates, and size changes are atomic.
 *
 * Bytes past end of file inside the last block are kept zero: shrinking zeroes them, and
 * before a write or an extension past EOF the old tail is zeroed, so a later extension can
 * never expose stale bytes (mke2fs images already have zero tails).
 *
 * Times: a write sets mtime and ctime; a read sets atime the relatime way (below).
 *
 * Limits: sizes up to what the block map addresses (16 GiB with 1 KiB blocks), capped at
 * 1 TiB; over 2 GiB - 1 needs large_file, which is switched on in the superblock the first
 * time a file grows that far (revision 1), as Linux does; revision 0 stops there (EFBIG).
 *
 * A write that runs out of space returns the bytes written so far (or -ENOSPC if none), and
 * any block allocated past the new end of file is freed again, so a full disk leaves every
 * file as it was plus whatever was fully written.
 */
#include "fs/ext2/ext2_fs.h"

#include "core/errno.h"
#include "core/string.h"

#define SMALL_FILE_MAX 0x7fffffffull

uint64_t ext2_max_size(const struct ext2_fs *fs)
{
	uint64_t map = ext2_max_lblocks(fs) * fs->bs;
	if (!(fs->ro_compat & EXT2_RO_COMPAT_LARGE_FILE) && fs->rev == EXT2_GOOD_OLD_REV)
		return SMALL_FILE_MAX;
	return map;
}

static void need_large_file(struct ext2_fs *fs, uint64_t size)
{
	if (size <= SMALL_FILE_MAX || (fs->ro_compat & EXT2_RO_COMPAT_LARGE_FILE))
		return;
	mutex_lock(&fs->lock);
	fs->ro_compat |= EXT2_RO_COMPAT_LARGE_FILE;
	fs->es->s_feature_ro_compat |= EXT2_RO_COMPAT_LARGE_FILE;
	ext2_sb_dirty(fs);
	mutex_unlock(&fs->lock);
}

static size_t min3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a < b ? a : b;
	return (size_t)(m < c ? m : c);
}

/* Zero the bytes from `from` to the end of its block, if that block is mapped. */
static int zero_tail(struct inode *ino, uint64_t from)
{
	struct ext2_fs *fs = EXT2_FS(ino->sb);
	uint32_t off = (uint32_t)(from & (fs->bs - 1)), pblk;
	if (off == 0)
		return 0;
	int err = ext2_bmap(ino, from >> fs->log_bs, false, &pblk, NULL);
	if (err || !pblk)
		return err;
	struct buf *b = bread(fs->dev, pblk, fs->bs);
	if (!b)
		return -EIO;
	memset(b->data + off, 0, fs->bs - off);
	bdirty(b);
	brelse(b);
	return 0;
}

/* ---- read --------------------------------------------------------------------------------- */

static bool not_after(struct timespec64 a, struct timespec64 b)
{
	return a.sec < b.sec || (a.sec == b.sec && a.nsec <= b.nsec);
}

/* relatime, as Linux mounts by default: the access time moves when it is not newer than the
 * last change or is a day old, so reading costs an inode write at most once a day. */
static void touch_atime(struct inode *ino)
{
	struct timespec64 now = ext2_now();
	if (ino->sb->read_only)
		return;
	if (not_after(ino->atime, ino->mtime) || not_after(ino->atime, ino->ctime) ||
	    now.sec - ino->atime.sec >= 24 * 3600) {
		ino->atime = now;
		ext2_write_inode_locked(ino);
	}
}

/* Copy one block's worth (n bytes at pos) out; bytes moved or -errno. */
static long read_chunk(struct inode *ino, struct uio *u, uint64_t pos, size_t n)
{
	struct ext2_fs *fs = EXT2_FS(ino->sb);
	uint32_t pblk;
	int err = ext2_bmap(ino, pos >> fs->log_bs, false, &pblk, NULL);
	if (err)
		return err == -EFBIG ? -EIO : err;
	if (!pblk)
		return uio_zero(u, n);
	struct buf *b = bread(fs->dev, pblk, fs->bs);
	if (!b)
		return -EIO;
	long got = uio_copy_out(u, b->data + (pos & (fs->bs - 1)), n);
	brelse(b);
	return got;
}

static long ext2_file_read(struct file *f, struct uio *u, uint64_t pos)
{
	struct inode *ino = f->path.ino;
	struct ext2_fs *fs = EXT2_FS(ino->sb);
	struct ext2_inode_info *ei = EXT2_I(ino);
	long done = 0, got = 0;
	mutex_lock(&ei->lock);
	while (u->resid > 0 && pos < ino->size) {
		size_t n = min3(fs->bs - (pos & (fs->bs - 1)), u->resid, ino->size - pos);
		got = read_chunk(ino, u, pos, n);
		if (got <= 0)
			break;
		done += got;
		pos += (uint64_t)got;
		if ((size_t)got < n)
			break;
	}
	if (done > 0)
		touch_atime(ino);
	mutex_unlock(&ei->lock);
	return done > 0 ? done : got < 0 ? got : 0;
}

/* ---- write -------------------------------------------------------------------------------- */

static long write_chunk(struct inode *ino, struct uio *u, uint64_t pos, size_t n)
{
	struct ext2_fs *fs = EXT2_FS(ino->sb);
	uint32_t pblk;
	int err = ext2_bmap(ino, pos >> fs->log_bs, true, &pblk, NULL);
	if (err)
		return err;
	struct buf *b = bread(fs->dev, pblk, fs->bs);
	if (!b)
		return -EIO;
	long got = uio_copy_in(u, b->data + (pos & (fs->bs - 1)), n);
	if (got > 0)
		bdirty(b);
	brelse(b);
	return got;
}

static long write_locked(struct inode *ino, struct uio *u, uint64_t pos)
{
	struct ext2_fs *fs = EXT2_FS(ino->sb);
	uint64_t limit = ext2_max_size(fs);
	long done = 0, got = 0;
	if (pos >= limit)
		return u->resid ? -EFBIG : 0;
	if (pos > ino->size && (got = zero_tail(ino, ino->size)) < 0)
		return got;
	while (u->resid > 0 && pos < limit) {
		size_t n = min3(fs->bs - (pos & (fs->bs - 1)), u->resid, limit - pos);
		got = write_chunk(ino, u, pos, n);
		if (got <= 0)
			break;
		done += got;
		pos += (uint64_t)got;
		if (pos > ino->size)
			ino->size = pos;
		if ((size_t)got < n)
			break;
	}
	if (done > 0) {
		need_large_file(fs, ino->size);
		ino->mtime = ino->ctime = ext2_now();
	}
	if (got < 0) /* blocks may have been allocated past EOF before the failure */
		ext2_free_blocks_from(ino, (ino->size + fs->bs - 1) >> fs->log_bs);
	int err = ext2_write_inode_locked(ino);
	if (done > 0)
		return done;
	if (got < 0)
		return got;
	return u->resid ? (err ? err : -EFBIG) : 0;
}

static long ext2_file_write(struct file *f, struct uio *u, uint64_t pos)
{
	struct inode *ino = f->path.ino;
	struct ext2_inode_info *ei = EXT2_I(ino);
	if (ino->sb->read_only)
		return -EROFS;
	mutex_lock(&ei->lock);
	long r = write_locked(ino, u, pos);
	mutex_unlock(&ei->lock);
	return r;
}

static int ext2_file_fsync(struct file *f, bool data_only)
{
	return bsync(f->path.ino->sb->dev);
}

/* ---- truncate and setattr ----------------------------------------------------------------- */

int ext2_truncate_locked(struct inode *ino, uint64_t size)
{
	struct ext2_fs *fs = EXT2_FS(ino->sb);
	if (size > ext2_max_size(fs))
		return -EFBIG;
	int err = 0;
	if (size < ino->size) {
		ino->size = size;
		err = ext2_free_blocks_from(ino, (size + fs->bs - 1) >> fs->log_bs);
		if (!err)
			err = zero_tail(ino, size);
	} else if (size > ino->size) {
		err = zero_tail(ino, ino->size);
		if (!err)
			ino->size = size;
		need_large_file(fs, size);
	}
	int werr = ext2_write_inode_locked(ino);
	return err ? err : werr;
}

static int check_setattr(struct inode *ino, const struct vattr *va)
{
	if (ino->sb->read_only)
		return -EROFS;
	if ((va->valid & ATTR_SIZE) && S_ISDIR(ino->mode))
		return -EISDIR;
	if ((va->valid & ATTR_SIZE) && !S_ISREG(ino->mode))
		return -EINVAL;
	return 0;
}

int ext2_setattr(struct inode *ino, const struct vattr *va)
{
	struct ext2_inode_info *ei = EXT2_I(ino);
	int err = check_setattr(ino, va);
	if (err)
		return err;
	struct timespec64 now = ext2_now();
	mutex_lock(&ei->lock);
	if ((va->valid & ATTR_SIZE) && va->size != ino->size) {
		err = ext2_truncate_locked(ino, va->size);
		if (!(va->valid & ATTR_MTIME))
			ino->mtime = now;
	}
	if (!err) {
		vfs_setattr_copy(ino, va, now);
		err = ext2_write_inode_locked(ino);
	}
	mutex_unlock(&ei->lock);
	return err;
}

const struct file_ops ext2_file_fops = {
	.read = ext2_file_read,
	.write = ext2_file_write,
	.fsync = ext2_file_fsync,
};

const struct inode_ops ext2_file_iops = {
	.setattr = ext2_setattr,
};

const struct inode_ops ext2_special_iops = {
	.setattr = ext2_setattr,
};
