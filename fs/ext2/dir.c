/*
 * fs/ext2/dir.c: directory contents.
 *
 * A directory is a file of whole blocks, each a chain of variable-length entries (inode,
 * rec_len, name_len, file_type, name) whose rec_len values add up to the block size exactly.
 * An entry with inode 0 is free space; every entry's rec_len may be larger than its name
 * needs, and the slack is free space too. Names are found by a linear scan (htree
 * directories are read the same way: their index blocks look like empty blocks).
 *
 * Every block is checked whole when read (record lengths aligned, at least 12 bytes, within
 * the block, long enough for the name; inode numbers in range), so the loops below can
 * follow rec_len without further checks. A hole inside a directory is corruption (-EIO).
 *
 * Adding an entry takes the first entry whose slack fits it (splitting that entry), else
 * appends a new block. Removing merges the entry into its predecessor in the block, or
 * marks it free when it is the block's first. Directories never shrink (as in Linux).
 * Every change clears EXT2_INDEX_FL (see super.c: dir_index) and updates mtime and ctime.
 *
 * The directory's ext2_inode_info.lock is taken inside each function here, so readdir never
 * sees a half-changed block; the VFS serialises namespace operations on the directory.
 * readdir positions are byte offsets into the directory; a position that no longer falls on
 * an entry (the directory changed) resumes at the next entry after it.
 */
#include "fs/ext2/ext2_fs.h"

#include "core/errno.h"
#include "core/string.h"

#define NO_PREV UINT32_MAX

struct slot {
	struct buf *b;
	uint32_t off;  /* the entry */
	uint32_t prev; /* the entry before it in the block, or NO_PREV */
};

static struct ext2_dirent *dirent_at(const struct buf *b, uint32_t off)
{
	return (struct ext2_dirent *)(b->data + off);
}

static bool block_ok(const struct ext2_fs *fs, const uint8_t *data)
{
	for (uint32_t off = 0; off < fs->bs;) {
		const struct ext2_dirent *de = (const struct ext2_dirent *)(data + off);
		if (de->rec_len < EXT2_DIRENT_LEN(1) || de->rec_len % 4 ||
		    de->rec_len > fs->bs - off || EXT2_DIRENT_LEN(de->name_len) > de->rec_len ||
		    de->inode > fs->inodes_count)
			return false;
		off += de->rec_len;
	}
	return true;
}

/* Block idx of dir, read and checked. */
static int dir_block(struct inode *dir, uint32_t idx, struct buf **out)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	uint32_t pblk;
	int err = ext2_bmap(dir, idx, false, &pblk, NULL);
	if (err)
		return err == -EFBIG ? -EIO : err;
	if (!pblk) {
		ext2_corrupt(fs, "directory (hole), inode", dir->ino);
		return -EIO;
	}
	struct buf *b = bread(fs->dev, pblk, fs->bs);
	if (!b)
		return -EIO;
	if (!block_ok(fs, b->data)) {
		brelse(b);
		ext2_corrupt(fs, "directory block", pblk);
		return -EIO;
	}
	*out = b;
	return 0;
}

static uint32_t dir_nblocks(const struct inode *dir)
{
	return (uint32_t)(dir->size / EXT2_FS(dir->sb)->bs);
}

static bool name_is(const struct ext2_dirent *de, const char *name, size_t len)
{
	return de->inode && de->name_len == len && memcmp(de->name, name, len) == 0;
}

/* Find name; on success s->b holds a reference. dir lock held. */
static int find_entry(struct inode *dir, const char *name, size_t len, struct slot *s)
{
	uint32_t bs = EXT2_FS(dir->sb)->bs;
	for (uint32_t idx = 0; idx < dir_nblocks(dir); idx++) {
		struct buf *b;
		int err = dir_block(dir, idx, &b);
		if (err)
			return err;
		uint32_t prev = NO_PREV;
		for (uint32_t off = 0; off < bs; prev = off, off += dirent_at(b, off)->rec_len) {
			if (name_is(dirent_at(b, off), name, len)) {
				*s = (struct slot){b, off, prev};
				return 0;
			}
		}
		brelse(b);
	}
	return -ENOENT;
}

/* The directory changed: drop the hash index, stamp times, write the inode. */
static int touch_dir(struct inode *dir)
{
	EXT2_I(dir)->flags &= ~EXT2_INDEX_FL;
	dir->mtime = dir->ctime = ext2_now();
	return ext2_write_inode_locked(dir);
}

int ext2_dir_find(struct inode *dir, const char *name, size_t len, uint32_t *ino)
{
	struct ext2_inode_info *ei = EXT2_I(dir);
	struct slot s;
	mutex_lock(&ei->lock);
	int err = find_entry(dir, name, len, &s);
	if (!err) {
		*ino = dirent_at(s.b, s.off)->inode;
		brelse(s.b);
	}
	mutex_unlock(&ei->lock);
	return err;
}

/* ---- Adding ------------------------------------------------------------------------------- */

static uint32_t slack(const struct ext2_dirent *de)
{
	return de->rec_len - (de->inode ? EXT2_DIRENT_LEN(de->name_len) : 0);
}

static void put_entry(struct ext2_fs *fs, struct buf *b, uint32_t off, const char *name,
		      size_t len, uint32_t ino, uint32_t mode)
{
	struct ext2_dirent *de = dirent_at(b, off);
	if (de->inode) {
		uint32_t used = EXT2_DIRENT_LEN(de->name_len);
		struct ext2_dirent *nde = dirent_at(b, off + used);
		nde->rec_len = (uint16_t)(de->rec_len - used);
		de->rec_len = (uint16_t)used;
		de = nde;
	}
	de->inode = ino;
	de->name_len = (uint8_t)len;
	de->file_type = (fs->incompat & EXT2_INCOMPAT_FILETYPE) ?
			(uint8_t)ext2_mode_to_ftype(mode) : 0;
	memcpy(de->name, name, len);
	bdirty(b);
}

/* Scan for name (-EEXIST) and for the first entry with room for it (s->b, or NULL). */
static int scan_for_room(struct inode *dir, const char *name, size_t len, struct slot *s)
{
	uint32_t bs = EXT2_FS(dir->sb)->bs, need = EXT2_DIRENT_LEN(len);
	s->b = NULL;
	for (uint32_t idx = 0; idx < dir_nblocks(dir); idx++) {
		struct buf *b;
		int err = dir_block(dir, idx, &b);
		if (err) {
			brelse(s->b);
			s->b = NULL;
			return err;
		}
		bool keep = false;
		for (uint32_t off = 0; off < bs; off += dirent_at(b, off)->rec_len) {
			const struct ext2_dirent *de = dirent_at(b, off);
			if (name_is(de, name, len))
				err = -EEXIST;
			else if (!s->b && !keep && slack(de) >= need) {
				s->off = off;
				keep = true;
			}
		}
		if (keep && !err)
			s->b = b;
		else
			brelse(b);
		if (err) {
			brelse(s->b);
			s->b = NULL;
			return err;
		}
	}
	return 0;
}

/* Append a block to dir holding only free space; s->b holds it. */
static int append_block(struct inode *dir, struct slot *s)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	uint32_t idx = dir_nblocks(dir), pblk;
	int err = ext2_bmap(dir, idx, true, &pblk, NULL);
	if (err == -EFBIG)
		err = -ENOSPC;
	struct buf *b = err ? NULL : bread(fs->dev, pblk, fs->bs);
	if (!b) {
		ext2_free_blocks_from(dir, idx);
		return err ? err : -EIO;
	}
	struct ext2_dirent *de = dirent_at(b, 0);
	de->inode = 0;
	de->rec_len = (uint16_t)fs->bs;
	de->name_len = 0;
	de->file_type = 0;
	bdirty(b);
	dir->size += fs->bs;
	*s = (struct slot){b, 0, NO_PREV};
	return 0;
}

int ext2_dir_add(struct inode *dir, const char *name, size_t len, uint32_t ino, uint32_t mode)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	struct ext2_inode_info *ei = EXT2_I(dir);
	struct slot s;
	if (len == 0 || len > EXT2_NAME_LEN)
		return -EINVAL;
	mutex_lock(&ei->lock);
	int err = scan_for_room(dir, name, len, &s);
	if (!err && !s.b)
		err = append_block(dir, &s);
	if (!err) {
		put_entry(fs, s.b, s.off, name, len, ino, mode);
		brelse(s.b);
		err = touch_dir(dir);
	}
	mutex_unlock(&ei->lock);
	return err;
}

/* ---- Removing and changing ---------------------------------------------------------------- */

int ext2_dir_remove(struct inode *dir, const char *name, size_t len)
{
	struct ext2_inode_info *ei = EXT2_I(dir);
	struct slot s;
	mutex_lock(&ei->lock);
	int err = find_entry(dir, name, len, &s);
	if (!err) {
		struct ext2_dirent *de = dirent_at(s.b, s.off);
		if (s.prev != NO_PREV)
			dirent_at(s.b, s.prev)->rec_len += de->rec_len;
		else
			de->inode = 0;
		bdirty(s.b);
		brelse(s.b);
		err = touch_dir(dir);
	}
	mutex_unlock(&ei->lock);
	return err;
}

int ext2_dir_retarget(struct inode *dir, const char *name, size_t len, uint32_t ino,
		      uint32_t mode)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	struct ext2_inode_info *ei = EXT2_I(dir);
	struct slot s;
	mutex_lock(&ei->lock);
	int err = find_entry(dir, name, len, &s);
	if (!err) {
		struct ext2_dirent *de = dirent_at(s.b, s.off);
		de->inode = ino;
		if (fs->incompat & EXT2_INCOMPAT_FILETYPE)
			de->file_type = (uint8_t)ext2_mode_to_ftype(mode);
		bdirty(s.b);
		brelse(s.b);
		err = touch_dir(dir);
	}
	mutex_unlock(&ei->lock);
	return err;
}

static bool is_dot_or_dotdot(const struct ext2_dirent *de)
{
	return (de->name_len == 1 && de->name[0] == '.') ||
	       (de->name_len == 2 && de->name[0] == '.' && de->name[1] == '.');
}

int ext2_dir_is_empty(struct inode *dir)
{
	struct ext2_inode_info *ei = EXT2_I(dir);
	uint32_t bs = EXT2_FS(dir->sb)->bs;
	int result = 1;
	mutex_lock(&ei->lock);
	for (uint32_t idx = 0; idx < dir_nblocks(dir) && result == 1; idx++) {
		struct buf *b;
		int err = dir_block(dir, idx, &b);
		if (err) {
			result = err;
			break;
		}
		for (uint32_t off = 0; off < bs; off += dirent_at(b, off)->rec_len) {
			const struct ext2_dirent *de = dirent_at(b, off);
			if (de->inode && !is_dot_or_dotdot(de))
				result = 0;
		}
		brelse(b);
	}
	mutex_unlock(&ei->lock);
	return result;
}

/* ---- "." and ".." ------------------------------------------------------------------------- */

static void set_entry(struct ext2_fs *fs, struct ext2_dirent *de, uint32_t ino, uint32_t rec_len,
		      const char *name)
{
	de->inode = ino;
	de->rec_len = (uint16_t)rec_len;
	de->name_len = (uint8_t)strlen(name);
	de->file_type = (fs->incompat & EXT2_INCOMPAT_FILETYPE) ? EXT2_FT_DIR : 0;
	memcpy(de->name, name, de->name_len);
}

int ext2_dir_init(struct inode *dir, uint32_t parent)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	uint32_t pblk;
	int err = ext2_bmap(dir, 0, true, &pblk, NULL);
	if (err)
		return err == -EFBIG ? -ENOSPC : err;
	struct buf *b = bread(fs->dev, pblk, fs->bs);
	if (!b)
		return -EIO;
	set_entry(fs, dirent_at(b, 0), (uint32_t)dir->ino, EXT2_DIRENT_LEN(1), ".");
	set_entry(fs, dirent_at(b, EXT2_DIRENT_LEN(1)), parent, fs->bs - EXT2_DIRENT_LEN(1), "..");
	bdirty(b);
	brelse(b);
	dir->size = fs->bs;
	return ext2_write_inode_locked(dir);
}

int ext2_dir_set_parent(struct inode *dir, uint32_t parent)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	struct ext2_inode_info *ei = EXT2_I(dir);
	struct buf *b = NULL;
	mutex_lock(&ei->lock);
	int err = dir_nblocks(dir) ? dir_block(dir, 0, &b) : -EIO;
	if (!err) {
		uint32_t off = dirent_at(b, 0)->rec_len;
		struct ext2_dirent *de = off < fs->bs ? dirent_at(b, off) : NULL;
		if (de && de->name_len == 2 && de->name[0] == '.' && de->name[1] == '.') {
			de->inode = parent;
			bdirty(b);
			err = touch_dir(dir);
		} else {
			ext2_corrupt(fs, "directory without \"..\", inode", dir->ino);
			err = -EIO;
		}
		brelse(b);
	}
	mutex_unlock(&ei->lock);
	return err;
}

/* ---- readdir ------------------------------------------------------------------------------ */

static unsigned dt_of(const struct ext2_fs *fs, const struct ext2_dirent *de)
{
	static const unsigned char dt[EXT2_FT_MAX] = {DT_UNKNOWN, DT_REG, DT_DIR, DT_CHR, DT_BLK,
						      DT_FIFO, DT_SOCK, DT_LNK};
	if (!(fs->incompat & EXT2_INCOMPAT_FILETYPE) || de->file_type >= EXT2_FT_MAX)
		return DT_UNKNOWN;
	return dt[de->file_type];
}

/* Deliver the entries of one block from *pos on; 1 if fill asked to stop. */
static int readdir_block(struct ext2_fs *fs, struct buf *b, uint64_t base, uint64_t *pos,
			 filldir_t fill, void *ctx)
{
	for (uint32_t off = 0; off < fs->bs; off += dirent_at(b, off)->rec_len) {
		const struct ext2_dirent *de = dirent_at(b, off);
		if (base + off < *pos)
			continue;
		uint64_t next = base + off + de->rec_len;
		if (de->inode && fill(ctx, de->name, de->name_len, de->inode, dt_of(fs, de), next))
			return 1;
		*pos = next;
	}
	return 0;
}

static int ext2_readdir(struct file *f, uint64_t *pos, filldir_t fill, void *ctx)
{
	struct inode *dir = f->path.ino;
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	struct ext2_inode_info *ei = EXT2_I(dir);
	int err = 0;
	mutex_lock(&ei->lock);
	while (!err && *pos < dir->size) {
		uint32_t idx = (uint32_t)(*pos / fs->bs);
		struct buf *b;
		err = dir_block(dir, idx, &b);
		if (err)
			break;
		int stop = readdir_block(fs, b, (uint64_t)idx * fs->bs, pos, fill, ctx);
		brelse(b);
		if (stop)
			break;
		*pos = (uint64_t)(idx + 1) * fs->bs;
	}
	mutex_unlock(&ei->lock);
	return err;
}

static int ext2_dir_fsync(struct file *f, bool data_only)
{
	return bsync(f->path.ino->sb->dev);
}

const struct file_ops ext2_dir_fops = {
	.readdir = ext2_readdir,
	.fsync = ext2_dir_fsync,
};
