/*
 * fs/ext2/alloc.c: block and inode allocation over the groups' bitmaps.
 *
 * Every change to a bitmap, a group descriptor's counts or the superblock's free counts
 * happens here under fs->lock, with the three kept in step: a bit set means one fewer free
 * in both the group and the superblock, and the other way round, so e2fsck's pass 5 finds
 * them consistent.
 *
 * Policy (simple, like early Linux ext2): a block is taken at or after a goal (the block
 * after the file's last one, so files stay contiguous), in the goal's group first, then the
 * following groups, wrapping around. A directory's inode goes to a group with at least the
 * average number of free inodes and the most free blocks (spreading directories); any other
 * inode goes to its parent directory's group if possible, then the next groups.
 *
 * Reserved blocks: once only s_r_blocks_count blocks are free, only root (or the reserved
 * uid or gid) gets more, as on Linux.
 *
 * Corruption: groups whose descriptor says "no free blocks" are skipped; a bitmap that
 * claims a superblock copy, a descriptor block, a bitmap or an inode-table block is free is
 * corrected (the bit set, the block not handed out) and reported; freeing a block that is
 * outside the data area, part of the metadata or already free is reported and ignored, so a
 * damaged block map cannot make a counter wrap or metadata be reused.
 */
#include "fs/ext2/ext2_fs.h"

#include "core/errno.h"
#include "core/string.h"

bool ext2_data_block_ok(const struct ext2_fs *fs, uint32_t blk)
{
	return blk >= fs->first_data_block && blk < fs->blocks_count;
}

static uint32_t group_first_block(const struct ext2_fs *fs, uint32_t g)
{
	return fs->first_data_block + g * fs->bpg;
}

static uint32_t group_nblocks(const struct ext2_fs *fs, uint32_t g)
{
	uint32_t left = fs->blocks_count - group_first_block(fs, g);
	return left < fs->bpg ? left : fs->bpg;
}

/* A superblock or descriptor copy, a bitmap or an inode-table block. */
bool ext2_is_metadata(struct ext2_fs *fs, uint32_t blk)
{
	if (!ext2_data_block_ok(fs, blk))
		return true;
	uint32_t g = (blk - fs->first_data_block) / fs->bpg;
	uint32_t start = group_first_block(fs, g);
	if (ext2_group_has_super(fs, g) && blk < start + 1 + fs->gdt_blocks + fs->reserved_gdt)
		return true;
	const struct ext2_group_desc *d = ext2_gd(fs, g);
	if (blk == d->bg_block_bitmap || blk == d->bg_inode_bitmap)
		return true;
	return blk >= d->bg_inode_table && blk - d->bg_inode_table < fs->itb_per_group;
}

static uint32_t find_zero_bit(const uint8_t *map, uint32_t start, uint32_t n)
{
	uint32_t i = start;
	while (i < n) {
		if ((i & 7) == 0 && map[i >> 3] == 0xff) {
			i += 8;
			continue;
		}
		if (!(map[i >> 3] & (1u << (i & 7))))
			return i;
		i++;
	}
	return n;
}

static void set_bit(uint8_t *map, uint32_t i)
{
	map[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static void clear_bit(uint8_t *map, uint32_t i)
{
	map[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}

static bool test_bit(const uint8_t *map, uint32_t i)
{
	return map[i >> 3] & (1u << (i & 7));
}

/* ---- Counters (fs->lock held) ------------------------------------------------------------- */

static void count_blocks(struct ext2_fs *fs, uint32_t g, int delta)
{
	struct ext2_group_desc *d = ext2_gd(fs, g);
	if (delta < 0 ? d->bg_free_blocks_count > 0 : d->bg_free_blocks_count < fs->bpg)
		d->bg_free_blocks_count = (uint16_t)(d->bg_free_blocks_count + delta);
	if (delta < 0 ? fs->es->s_free_blocks_count > 0
		      : fs->es->s_free_blocks_count < fs->blocks_count)
		fs->es->s_free_blocks_count += (uint32_t)delta;
	ext2_gd_dirty(fs, g);
	ext2_sb_dirty(fs);
}

static void count_inodes(struct ext2_fs *fs, uint32_t g, int delta, bool dir)
{
	struct ext2_group_desc *d = ext2_gd(fs, g);
	if (delta < 0 ? d->bg_free_inodes_count > 0 : d->bg_free_inodes_count < fs->ipg)
		d->bg_free_inodes_count = (uint16_t)(d->bg_free_inodes_count + delta);
	if (dir && (delta > 0 ? d->bg_used_dirs_count > 0 : d->bg_used_dirs_count < fs->ipg))
		d->bg_used_dirs_count = (uint16_t)(d->bg_used_dirs_count - delta);
	if (delta < 0 ? fs->es->s_free_inodes_count > 0
		      : fs->es->s_free_inodes_count < fs->inodes_count)
		fs->es->s_free_inodes_count += (uint32_t)delta;
	ext2_gd_dirty(fs, g);
	ext2_sb_dirty(fs);
}

/* ---- Blocks ------------------------------------------------------------------------------- */

static int alloc_in_group(struct ext2_fs *fs, uint32_t g, uint32_t start, uint32_t *out)
{
	struct buf *b = bread(fs->dev, ext2_gd(fs, g)->bg_block_bitmap, fs->bs);
	if (!b)
		return -EIO;
	uint32_t n = group_nblocks(fs, g);
	for (uint32_t bit = find_zero_bit(b->data, start, n); bit < n;
	     bit = find_zero_bit(b->data, bit + 1, n)) {
		uint32_t blk = group_first_block(fs, g) + bit;
		set_bit(b->data, bit);
		bdirty(b);
		if (ext2_is_metadata(fs, blk)) {
			ext2_corrupt(fs, "block bitmap: metadata marked free, block", blk);
			continue;
		}
		brelse(b);
		count_blocks(fs, g, -1);
		*out = blk;
		return 0;
	}
	brelse(b);
	return -ENOSPC;
}

/* The last s_r_blocks_count free blocks are root's (and the reserved uid's and gid's). */
static bool may_take(const struct ext2_fs *fs)
{
	const struct ext2_super *es = fs->es;
	if (es->s_free_blocks_count > es->s_r_blocks_count)
		return true;
	const struct vfs_cred *c = vfs_current_cred ? vfs_current_cred() : NULL;
	return !c || c->uid == 0 || c->uid == es->s_def_resuid || c->gid == es->s_def_resgid;
}

int ext2_alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out)
{
	if (!ext2_data_block_ok(fs, goal))
		goal = fs->first_data_block;
	uint32_t g0 = (goal - fs->first_data_block) / fs->bpg;
	uint32_t bit0 = (goal - fs->first_data_block) % fs->bpg;
	int err = -ENOSPC;
	mutex_lock(&fs->lock);
	for (uint32_t i = 0; i <= fs->ngroups && err == -ENOSPC && may_take(fs); i++) {
		uint32_t g = (g0 + i) % fs->ngroups;
		if (i == fs->ngroups && bit0 == 0)
			break; /* the goal's group was searched whole the first time */
		if (ext2_gd(fs, g)->bg_free_blocks_count == 0)
			continue;
		err = alloc_in_group(fs, g, i == 0 ? bit0 : 0, out);
	}
	mutex_unlock(&fs->lock);
	return err;
}

bool ext2_free_block_locked(struct ext2_fs *fs, uint32_t blk)
{
	if (ext2_is_metadata(fs, blk)) {
		ext2_corrupt(fs, "block map: bad block number", blk);
		return false;
	}
	uint32_t g = (blk - fs->first_data_block) / fs->bpg;
	uint32_t bit = (blk - fs->first_data_block) % fs->bpg;
	struct buf *b = bread(fs->dev, ext2_gd(fs, g)->bg_block_bitmap, fs->bs);
	if (!b)
		return false;
	bool was_used = test_bit(b->data, bit);
	if (was_used) {
		clear_bit(b->data, bit);
		bdirty(b);
		count_blocks(fs, g, +1);
	} else {
		ext2_corrupt(fs, "block bitmap: freeing a free block", blk);
	}
	brelse(b);
	if (was_used)
		bforget(fs->dev, blk, fs->bs);
	return was_used;
}

void ext2_free_block(struct ext2_fs *fs, uint32_t blk)
{
	mutex_lock(&fs->lock);
	ext2_free_block_locked(fs, blk);
	mutex_unlock(&fs->lock);
}

/* ---- Inodes ------------------------------------------------------------------------------- */

static int alloc_inode_in_group(struct ext2_fs *fs, uint32_t g, bool dir, uint32_t *out)
{
	struct buf *b = bread(fs->dev, ext2_gd(fs, g)->bg_inode_bitmap, fs->bs);
	if (!b)
		return -EIO;
	for (uint32_t bit = find_zero_bit(b->data, 0, fs->ipg); bit < fs->ipg;
	     bit = find_zero_bit(b->data, bit + 1, fs->ipg)) {
		uint32_t ino = g * fs->ipg + bit + 1;
		if (ino < fs->first_ino)
			continue; /* reserved: never handed out, whatever the bitmap says */
		set_bit(b->data, bit);
		bdirty(b);
		brelse(b);
		count_inodes(fs, g, -1, dir);
		*out = ino;
		return 0;
	}
	brelse(b);
	return -ENOSPC;
}

/* Directories: a group with at least average free inodes and the most free blocks. */
static uint32_t dir_group(struct ext2_fs *fs, uint32_t parent_group)
{
	uint32_t avg = fs->es->s_free_inodes_count / fs->ngroups, best = parent_group;
	int best_blocks = -1;
	for (uint32_t i = 0; i < fs->ngroups; i++) {
		uint32_t g = (parent_group + i) % fs->ngroups;
		const struct ext2_group_desc *d = ext2_gd(fs, g);
		if (d->bg_free_inodes_count && d->bg_free_inodes_count >= avg &&
		    (int)d->bg_free_blocks_count > best_blocks) {
			best = g;
			best_blocks = d->bg_free_blocks_count;
		}
	}
	return best;
}

int ext2_alloc_inode(struct ext2_fs *fs, uint32_t parent_group, bool dir, uint32_t *out)
{
	int err = -ENOSPC;
	mutex_lock(&fs->lock);
	if (parent_group >= fs->ngroups)
		parent_group = 0;
	uint32_t start = dir ? dir_group(fs, parent_group) : parent_group;
	for (uint32_t i = 0; i < fs->ngroups && err == -ENOSPC; i++) {
		uint32_t g = (start + i) % fs->ngroups;
		if (ext2_gd(fs, g)->bg_free_inodes_count > 0)
			err = alloc_inode_in_group(fs, g, dir, out);
	}
	mutex_unlock(&fs->lock);
	return err;
}

void ext2_free_inode(struct ext2_fs *fs, uint32_t ino, bool dir)
{
	if (ino < fs->first_ino || ino > fs->inodes_count) {
		ext2_corrupt(fs, "inode number freed", ino);
		return;
	}
	uint32_t g = (ino - 1) / fs->ipg, bit = (ino - 1) % fs->ipg;
	mutex_lock(&fs->lock);
	struct buf *b = bread(fs->dev, ext2_gd(fs, g)->bg_inode_bitmap, fs->bs);
	if (b && test_bit(b->data, bit)) {
		clear_bit(b->data, bit);
		bdirty(b);
		count_inodes(fs, g, +1, dir);
	} else if (b) {
		ext2_corrupt(fs, "inode bitmap: freeing a free inode", ino);
	}
	brelse(b);
	mutex_unlock(&fs->lock);
}
