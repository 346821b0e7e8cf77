/*
 * fs/ext2/inode.c: inodes: reading them from the inode tables, writing them back, creating
 * and freeing them.
 *
 * The VFS's struct inode holds the generic fields (mode, size, link count, owner, times,
 * 512-byte block count); struct ext2_inode_info (ino->priv) holds the rest we need: i_block
 * (block pointers, or a fast symlink's target, or a device number), flags, the extended
 * attribute block, the group and an allocation goal.
 *
 * Writing is write-through into the block cache: every operation that changes an inode
 * copies it into its inode-table buffer at once (ext2_write_inode_locked) and marks the buffer
 * dirty; bsync carries it to disk. The copy updates only the fields we manage and leaves the
 * rest of the on-disk inode (OS-dependent fields, in-inode extended attributes) as it was.
 *
 * Large inodes (256 bytes, mke2fs's default) carry nanoseconds and two more epoch bits for
 * each time in their extra fields when i_extra_isize covers them; 128-byte inodes keep 32-bit
 * seconds. A new inode's slot is cleared whole first, and gets i_extra_isize set, like
 * mke2fs and Linux do.
 *
 * Reading checks the inode before the rest of ext2 trusts it: a known file type, a link
 * count, a directory size that is whole blocks within the file system, a symlink size that
 * fits where the target is stored, a regular file size the block map can address.
 *
 * Eviction of an inode whose link count is 0 frees its blocks (not for fast symlinks and
 * device nodes, whose i_block holds other data), drops its extended-attribute block's
 * reference, stamps the deletion time and frees the inode in the bitmap.
 */
#include "fs/ext2/ext2_fs.h"

#include "core/errno.h"
#include "core/kheap.h"
#include "core/string.h"

/* ---- Small helpers ------------------------------------------------------------------------ */

unsigned ext2_mode_to_ftype(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return EXT2_FT_REG_FILE;
	case S_IFDIR: return EXT2_FT_DIR;
	case S_IFCHR: return EXT2_FT_CHRDEV;
	case S_IFBLK: return EXT2_FT_BLKDEV;
	case S_IFIFO: return EXT2_FT_FIFO;
	case S_IFSOCK: return EXT2_FT_SOCK;
	case S_IFLNK: return EXT2_FT_SYMLINK;
	default: return EXT2_FT_UNKNOWN;
	}
}

void ext2_set_ops(struct inode *ino)
{
	switch (ino->mode & S_IFMT) {
	case S_IFREG:
		ino->ops = &ext2_file_iops;
		ino->fops = &ext2_file_fops;
		break;
	case S_IFDIR:
		ino->ops = &ext2_dir_iops;
		ino->fops = &ext2_dir_fops;
		break;
	case S_IFLNK:
		ino->ops = &ext2_symlink_iops;
		ino->fops = NULL;
		break;
	default:
		ino->ops = &ext2_special_iops;
		ino->fops = NULL;
	}
}

void ext2_add_blocks(struct inode *ino, int64_t fs_blocks)
{
	int64_t units = fs_blocks * (int64_t)(EXT2_FS(ino->sb)->bs / 512);
	if (units < 0 && (uint64_t)-units > ino->blocks)
		ino->blocks = 0;
	else
		ino->blocks += (uint64_t)units;
}

static bool is_fast_symlink(const struct ext2_fs *fs, uint32_t mode, uint64_t blocks,
			    uint32_t file_acl)
{
	return S_ISLNK(mode) && blocks == (file_acl ? fs->bs / 512 : 0);
}

static int inode_loc(struct ext2_fs *fs, uint64_t ino, uint32_t *blk, uint32_t *off)
{
	if (ino == 0 || ino > fs->inodes_count) {
		ext2_corrupt(fs, "inode number", ino);
		return -EIO;
	}
	uint32_t idx = (uint32_t)(ino - 1) % fs->ipg, per_block = fs->bs / fs->inode_size;
	*blk = ext2_gd(fs, (uint32_t)(ino - 1) / fs->ipg)->bg_inode_table + idx / per_block;
	*off = idx % per_block * fs->inode_size;
	return 0;
}

/* ---- Times -------------------------------------------------------------------------------- */

/* The extra time fields exist in this on-disk inode. */
static bool has_extra_times(const struct ext2_fs *fs, const struct ext2_inode *r)
{
	return fs->inode_size >= EXT2_EXTRA_TIMES_END &&
	       r->i_extra_isize >= EXT2_EXTRA_TIMES_END - 128 &&
	       128u + r->i_extra_isize <= fs->inode_size;
}

static struct timespec64 decode_time(uint32_t base, const uint32_t *extra)
{
	struct timespec64 t = {(int32_t)base, 0};
	if (extra) {
		t.sec += (int64_t)(*extra & 3) << 32;
		t.nsec = *extra >> 2;
		if (t.nsec >= 1000000000)
			t.nsec = 0;
	}
	return t;
}

static void encode_time(struct timespec64 t, uint32_t *base, uint32_t *extra)
{
	*base = (uint32_t)t.sec;
	if (extra)
		*extra = (uint32_t)(((t.sec - (int32_t)(uint32_t)t.sec) >> 32) & 3) |
			 (uint32_t)(t.nsec << 2);
}

/* ---- Reading ------------------------------------------------------------------------------ */

static bool type_ok(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR: case S_IFBLK: case S_IFIFO:
	case S_IFSOCK:
		return true;
	default:
		return false;
	}
}

static bool size_ok(const struct ext2_fs *fs, const struct inode *ino, uint32_t file_acl)
{
	if (S_ISDIR(ino->mode))
		return ino->size % fs->bs == 0 && ino->size / fs->bs <= fs->blocks_count;
	if (S_ISLNK(ino->mode)) {
		if (is_fast_symlink(fs, ino->mode, ino->blocks, file_acl))
			return ino->size <= EXT2_FAST_SYMLINK_MAX;
		return ino->size < fs->bs;
	}
	if (S_ISREG(ino->mode))
		return ino->size <= ext2_max_lblocks(fs) * fs->bs;
	return true;
}

static void fill_times(const struct ext2_fs *fs, struct inode *ino, const struct ext2_inode *r)
{
	bool x = has_extra_times(fs, r);
	ino->atime = decode_time(r->i_atime, x ? &r->i_atime_extra : NULL);
	ino->mtime = decode_time(r->i_mtime, x ? &r->i_mtime_extra : NULL);
	ino->ctime = decode_time(r->i_ctime, x ? &r->i_ctime_extra : NULL);
}

static int fill_inode(struct ext2_fs *fs, struct inode *ino, struct ext2_inode_info *ei,
		      const struct ext2_inode *r)
{
	ino->mode = r->i_mode;
	ino->nlink = r->i_links_count;
	ino->uid = r->i_uid | (uint32_t)r->i_uid_high << 16;
	ino->gid = r->i_gid | (uint32_t)r->i_gid_high << 16;
	ino->size = r->i_size;
	if (S_ISREG(ino->mode))
		ino->size |= (uint64_t)r->i_size_high << 32;
	ino->blocks = r->i_blocks;
	fill_times(fs, ino, r);
	memcpy(ei->block, r->i_block, sizeof(ei->block));
	ei->flags = r->i_flags;
	ei->file_acl = r->i_file_acl;
	ei->dtime = r->i_dtime;
	ei->generation = r->i_generation;
	ei->group = (uint32_t)(ino->ino - 1) / fs->ipg;
	if (S_ISCHR(ino->mode) || S_ISBLK(ino->mode))
		ino->rdev = ei->block[0] ? ei->block[0] : ei->block[1];
	if (!type_ok(ino->mode) || ino->nlink == 0 || !size_ok(fs, ino, ei->file_acl)) {
		ext2_corrupt(fs, ino->nlink ? "inode" : "inode (deleted, but referenced)",
			     ino->ino);
		return -EIO;
	}
	return 0;
}

int ext2_read_inode(struct inode *ino)
{
	struct ext2_fs *fs = EXT2_FS(ino->sb);
	uint32_t blk, off;
	if (inode_loc(fs, ino->ino, &blk, &off))
		return -EIO;
	struct ext2_inode_info *ei = kzalloc(sizeof(*ei));
	if (!ei)
		return -ENOMEM;
	struct buf *b = bread(fs->dev, blk, fs->bs);
	int err = b ? fill_inode(fs, ino, ei, (const struct ext2_inode *)(b->data + off)) : -EIO;
	brelse(b);
	if (err) {
		kfree(ei);
		return err;
	}
	mutex_init(&ei->lock, "ext2 inode");
	ino->priv = ei;
	ext2_set_ops(ino);
	return 0;
}

/* ---- Writing ------------------------------------------------------------------------------ */

static void store_inode(struct ext2_fs *fs, const struct inode *ino,
			const struct ext2_inode_info *ei, struct ext2_inode *r)
{
	r->i_mode = (uint16_t)ino->mode;
	r->i_uid = (uint16_t)ino->uid;
	r->i_uid_high = (uint16_t)(ino->uid >> 16);
	r->i_gid = (uint16_t)ino->gid;
	r->i_gid_high = (uint16_t)(ino->gid >> 16);
	r->i_size = (uint32_t)ino->size;
	r->i_size_high = S_ISREG(ino->mode) ? (uint32_t)(ino->size >> 32) : 0;
	r->i_links_count = (uint16_t)(ino->nlink > 0xffff ? 0xffff : ino->nlink);
	r->i_blocks = (uint32_t)(ino->blocks > UINT32_MAX ? UINT32_MAX : ino->blocks);
	r->i_flags = ei->flags;
	memcpy(r->i_block, ei->block, sizeof(r->i_block));
	r->i_generation = ei->generation;
	r->i_file_acl = ei->file_acl;
	r->i_dtime = ei->dtime;
	bool x = has_extra_times(fs, r);
	encode_time(ino->atime, &r->i_atime, x ? &r->i_atime_extra : NULL);
	encode_time(ino->mtime, &r->i_mtime, x ? &r->i_mtime_extra : NULL);
	encode_time(ino->ctime, &r->i_ctime, x ? &r->i_ctime_extra : NULL);
}

int ext2_write_inode_locked(struct inode *ino)
{
	struct ext2_fs *fs = EXT2_FS(ino->sb);
	uint32_t blk, off;
	if (ino->sb->read_only)
		return 0;
	if (inode_loc(fs, ino->ino, &blk, &off))
		return -EIO;
	struct buf *b = bread(fs->dev, blk, fs->bs);
	if (!b)
		return -EIO;
	store_inode(fs, ino, EXT2_I(ino), (struct ext2_inode *)(b->data + off));
	bdirty(b);
	brelse(b);
	return 0;
}

int ext2_write_inode(struct inode *ino)
{
	struct ext2_inode_info *ei = EXT2_I(ino);
	mutex_lock(&ei->lock);
	int err = ext2_write_inode_locked(ino);
	mutex_unlock(&ei->lock);
	return err;
}

/* ---- Creating ----------------------------------------------------------------------------- */

/* Zero a fresh inode's on-disk slot; -EIO if it still looks in use (a corrupted bitmap). */
static int clear_slot(struct ext2_fs *fs, uint32_t ino, struct timespec64 now)
{
	uint32_t blk, off;
	if (inode_loc(fs, ino, &blk, &off))
		return -EIO;
	struct buf *b = bread(fs->dev, blk, fs->bs);
	if (!b)
		return -EIO;
	struct ext2_inode *r = (struct ext2_inode *)(b->data + off);
	if (r->i_links_count && !r->i_dtime && r->i_mode) {
		brelse(b);
		ext2_corrupt(fs, "inode bitmap: inode in use marked free", ino);
		return -EIO;
	}
	memset(r, 0, fs->inode_size);
	if (fs->extra_isize) {
		r->i_extra_isize = fs->extra_isize;
		if (128u + fs->extra_isize >= EXT2_EXTRA_CRTIME_END)
			encode_time(now, &r->i_crtime, &r->i_crtime_extra);
	}
	bdirty(b);
	brelse(b);
	return 0;
}

static struct inode *new_vfs_inode(struct ext2_fs *fs, uint32_t nr, bool dir)
{
	struct ext2_inode_info *ei = kzalloc(sizeof(*ei));
	struct inode *ino = ei ? vfs_inew(fs->vsb, nr) : NULL;
	if (!ino) {
		kfree(ei);
		if (ei) /* already in the inode cache: the bitmap lied; leave the bit set */
			ext2_corrupt(fs, "inode bitmap: cached inode marked free", nr);
		else
			ext2_free_inode(fs, nr, dir);
		return NULL;
	}
	mutex_init(&ei->lock, "ext2 inode");
	ei->group = (nr - 1) / fs->ipg;
	ei->generation = __atomic_fetch_add(&fs->next_generation, 1, __ATOMIC_RELAXED);
	ino->priv = ei;
	return ino;
}

int ext2_new_inode(struct inode *dir, uint32_t mode, struct inode **out)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	uint32_t nr;
	int err = ext2_alloc_inode(fs, EXT2_I(dir)->group, S_ISDIR(mode), &nr);
	if (err)
		return err;
	struct inode *ino = new_vfs_inode(fs, nr, S_ISDIR(mode));
	if (!ino)
		return -EIO;
	struct timespec64 now = ext2_now();
	ino->mode = mode;
	ino->nlink = 1;
	const struct vfs_cred *c = vfs_current_cred ? vfs_current_cred() : NULL;
	ino->uid = c ? c->uid : 0;
	ino->gid = (dir->mode & EXT2_S_ISGID) ? dir->gid : c ? c->gid : 0;
	ino->atime = ino->mtime = ino->ctime = now;
	ext2_set_ops(ino);
	err = clear_slot(fs, nr, now);
	if (!err)
		err = ext2_write_inode_locked(ino);
	if (err) {
		if (err == -EIO) {
			/* the slot was not ours to clear: forget the inode without freeing it */
			kfree(ino->priv);
			ino->priv = NULL;
		} else {
			ino->nlink = 0;
		}
		vfs_iput(ino);
		return err;
	}
	*out = ino;
	return 0;
}

void ext2_discard_new_inode(struct inode *ino)
{
	ino->nlink = 0;
	vfs_iput(ino);
}

/* ---- Freeing ------------------------------------------------------------------------------ */

static void release_xattr_block(struct ext2_fs *fs, struct inode *ino)
{
	struct ext2_inode_info *ei = EXT2_I(ino);
	uint32_t blk = ei->file_acl;
	ei->file_acl = 0;
	if (ext2_is_metadata(fs, blk)) {
		ext2_corrupt(fs, "extended attribute block", blk);
		return;
	}
	mutex_lock(&fs->lock);
	struct buf *b = bread(fs->dev, blk, fs->bs);
	uint32_t *hdr = b ? (uint32_t *)b->data : NULL;
	if (hdr && hdr[0] == EXT2_XATTR_MAGIC && hdr[1] > 1) {
		hdr[1]--;
		bdirty(b);
	} else if (hdr && hdr[0] == EXT2_XATTR_MAGIC) {
		ext2_free_block_locked(fs, blk);
	} else if (hdr) {
		ext2_corrupt(fs, "extended attribute block", blk);
	}
	brelse(b);
	mutex_unlock(&fs->lock);
	ext2_add_blocks(ino, -1);
}

static void free_on_disk(struct ext2_fs *fs, struct inode *ino)
{
	struct ext2_inode_info *ei = EXT2_I(ino);
	mutex_lock(&ei->lock);
	bool has_blocks = S_ISREG(ino->mode) || S_ISDIR(ino->mode) ||
			  (S_ISLNK(ino->mode) &&
			   !is_fast_symlink(fs, ino->mode, ino->blocks, ei->file_acl));
	if (has_blocks)
		ext2_free_blocks_from(ino, 0);
	if (ei->file_acl)
		release_xattr_block(fs, ino);
	ino->size = 0;
	ei->dtime = (uint32_t)ext2_now().sec;
	ext2_write_inode_locked(ino);
	mutex_unlock(&ei->lock);
	ext2_free_inode(fs, (uint32_t)ino->ino, S_ISDIR(ino->mode));
}

void ext2_evict(struct inode *ino)
{
	struct ext2_inode_info *ei = EXT2_I(ino);
	if (!ei)
		return;
	if (ino->nlink == 0 && !ino->sb->read_only)
		free_on_disk(EXT2_FS(ino->sb), ino);
	kfree(ei);
	ino->priv = NULL;
}
