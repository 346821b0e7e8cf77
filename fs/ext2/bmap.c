/*
 * fs/ext2/bmap.c: the block map: logical block of a file -> physical block.
 *
 * i_block[0..11] point at data blocks directly, i_block[12] at an indirect block (a block of
 * addresses), i_block[13] at a double-indirect block (addresses of indirect blocks) and
 * i_block[14] at a triple-indirect one. A zero address anywhere is a hole: it reads as
 * zeros and costs no block.
 *
 * ext2_bmap walks the path for one logical block; with `create` it allocates what is
 * missing on the way (indirect blocks and the data block), each zeroed in the cache before
 * its address is stored, so a crash or an error can leave an empty block but never stale
 * data inside a file. New blocks are sought right after the file's previous one.
 *
 * ext2_free_blocks_from frees everything at or past a logical block: whole subtrees past it,
 * and within the subtree holding it, the entries past it, then every indirect block that was
 * left empty. An indirect block is read (and held) before it is freed, so its addresses are
 * never lost to the cache dropping it; a block that is already free or not a data block is
 * reported and not descended into, which bounds the work on a corrupted map with loops or
 * shared blocks. The whole free runs under fs->lock.
 *
 * Every address read from disk is checked before use: one outside the data area or naming
 * file system metadata (a superblock or descriptor copy, a bitmap, the inode table) gives
 * -EIO, so a corrupted map can neither read garbage as a file's block nor make a write land
 * on the metadata.
 */
#include "fs/ext2/ext2_fs.h"

#include "core/errno.h"

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/* Linux's ext2_max_size, in blocks: what the block tree addresses, or less where a dense
 * file's data and indirect blocks together would overflow i_blocks (32 bits of 512-byte
 * units): 536,346,110 blocks (about 2 TiB) with 4 KiB blocks. */
uint64_t ext2_max_lblocks(const struct ext2_fs *fs)
{
	uint64_t a = fs->apb, tree = EXT2_NDIR_BLOCKS + a + a * a + a * a * a;
	uint64_t upper = 0xffffffffull >> (fs->log_bs - 9);
	if (tree + 1 + (1 + a) + (1 + a + a * a) <= upper)
		return tree;
	uint64_t left = upper - EXT2_NDIR_BLOCKS - a, meta = 1; /* beyond the single indirect */
	if (left < a * a)
		return upper - (meta + 1 + div_up(left, a));
	meta += 1 + a;
	left -= a * a;
	return upper - (meta + 1 + div_up(left, a) + div_up(left, a * a));
}

/* The indexes on the way to lblk: offs[0] into i_block, then into each indirect level.
 * Returns the depth (0 = direct) or -EFBIG. */
static int block_path(const struct ext2_fs *fs, uint64_t lblk, uint32_t offs[4])
{
	uint64_t a = fs->apb;
	if (lblk < EXT2_NDIR_BLOCKS) {
		offs[0] = (uint32_t)lblk;
		return 0;
	}
	lblk -= EXT2_NDIR_BLOCKS;
	if (lblk < a) {
		offs[0] = EXT2_IND_BLOCK;
		offs[1] = (uint32_t)lblk;
		return 1;
	}
	lblk -= a;
	if (lblk < a * a) {
		offs[0] = EXT2_DIND_BLOCK;
		offs[1] = (uint32_t)(lblk / a);
		offs[2] = (uint32_t)(lblk % a);
		return 2;
	}
	lblk -= a * a;
	if (lblk < a * a * a) {
		offs[0] = EXT2_TIND_BLOCK;
		offs[1] = (uint32_t)(lblk / (a * a));
		offs[2] = (uint32_t)(lblk / a % a);
		offs[3] = (uint32_t)(lblk % a);
		return 3;
	}
	return -EFBIG;
}

/* Allocate one block for ino near its last one, zeroed in the cache. */
static int alloc_zeroed(struct inode *ino, uint32_t *out)
{
	struct ext2_fs *fs = EXT2_FS(ino->sb);
	struct ext2_inode_info *ei = EXT2_I(ino);
	uint32_t goal = ei->goal ? ei->goal : fs->first_data_block + ei->group * fs->bpg;
	int err = ext2_alloc_block(fs, goal, out);
	if (err)
		return err;
	struct buf *b = bzero_get(fs->dev, *out, fs->bs);
	if (!b) {
		ext2_free_block(fs, *out);
		return -ENOMEM;
	}
	brelse(b);
	ei->goal = *out + 1;
	ext2_add_blocks(ino, 1);
	return 0;
}

int ext2_bmap(struct inode *ino, uint64_t lblk, bool create, uint32_t *pblk, bool *fresh)
{
	struct ext2_fs *fs = EXT2_FS(ino->sb);
	uint32_t offs[4];
	int depth = block_path(fs, lblk, offs);
	if (depth < 0 || lblk >= ext2_max_lblocks(fs))
		return -EFBIG;
	if (fresh)
		*fresh = false;
	uint32_t *slot = &EXT2_I(ino)->block[offs[0]];
	struct buf *parent = NULL; /* holds *slot, or NULL for the inode */
	for (int level = 0;; level++) {
		uint32_t blk = *slot;
		if (blk && ext2_is_metadata(fs, blk)) {
			ext2_corrupt(fs, "block pointer in inode", ino->ino);
			brelse(parent);
			return -EIO;
		}
		if (!blk && create) {
			int err = alloc_zeroed(ino, &blk);
			if (err) {
				brelse(parent);
				return err;
			}
			*slot = blk;
			if (parent)
				bdirty(parent);
			if (fresh && level == depth)
				*fresh = true;
		}
		if (!blk || level == depth) {
			brelse(parent);
			*pblk = blk;
			return 0;
		}
		struct buf *b = bread(fs->dev, blk, fs->bs);
		brelse(parent);
		if (!b)
			return -EIO;
		parent = b;
		slot = (uint32_t *)b->data + offs[level + 1];
	}
}

/* ---- Freeing (fs->lock held) -------------------------------------------------------------- */

/* Free the block blk and, for depth > 0, everything it points to. Returns blocks freed. */
static uint64_t free_tree(struct ext2_fs *fs, uint32_t blk, int depth)
{
	if (!ext2_data_block_ok(fs, blk)) {
		ext2_corrupt(fs, "block pointer", blk);
		return 0;
	}
	if (depth == 0)
		return ext2_free_block_locked(fs, blk) ? 1 : 0;
	struct buf *b = bread(fs->dev, blk, fs->bs);
	if (!b)
		return 0;
	uint64_t n = 0;
	if (ext2_free_block_locked(fs, blk)) {
		n = 1;
		const uint32_t *p = (const uint32_t *)b->data;
		for (uint32_t i = 0; i < fs->apb; i++)
			if (p[i])
				n += free_tree(fs, p[i], depth - 1);
	}
	brelse(b);
	bforget(fs->dev, blk, fs->bs);
	return n;
}

static uint64_t span_of(const struct ext2_fs *fs, int depth)
{
	uint64_t s = 1;
	while (depth-- > 0)
		s *= fs->apb;
	return s;
}

/* In the indirect block blk (depth >= 1), free what maps logical offsets >= from (relative
 * to the block's first). Returns true if the block is left empty. */
static bool free_partial(struct ext2_fs *fs, uint32_t blk, int depth, uint64_t from,
			 uint64_t *freed)
{
	if (!ext2_data_block_ok(fs, blk)) {
		ext2_corrupt(fs, "block pointer", blk);
		return false;
	}
	struct buf *b = bread(fs->dev, blk, fs->bs);
	if (!b)
		return false;
	uint32_t *p = (uint32_t *)b->data;
	uint64_t span = span_of(fs, depth - 1);
	bool empty = true;
	for (uint32_t i = 0; i < fs->apb; i++) {
		if (p[i] && i * span >= from) {
			*freed += free_tree(fs, p[i], depth - 1);
			p[i] = 0;
			bdirty(b);
		} else if (p[i] && depth > 1 && (i + 1) * span > from &&
			   free_partial(fs, p[i], depth - 1, from - i * span, freed)) {
			*freed += ext2_free_block_locked(fs, p[i]) ? 1 : 0;
			p[i] = 0;
			bdirty(b);
		}
		empty = empty && !p[i];
	}
	brelse(b);
	return empty;
}

int ext2_free_blocks_from(struct inode *ino, uint64_t first)
{
	struct ext2_fs *fs = EXT2_FS(ino->sb);
	struct ext2_inode_info *ei = EXT2_I(ino);
	uint64_t freed = 0, start = EXT2_NDIR_BLOCKS;
	mutex_lock(&fs->lock);
	for (uint64_t i = first; i < EXT2_NDIR_BLOCKS; i++) {
		if (ei->block[i])
			freed += free_tree(fs, ei->block[i], 0);
		ei->block[i] = 0;
	}
	for (int level = 1; level <= 3; level++) {
		uint32_t *root = &ei->block[EXT2_IND_BLOCK + level - 1];
		uint64_t span = span_of(fs, level);
		if (*root && first <= start) {
			freed += free_tree(fs, *root, level);
			*root = 0;
		} else if (*root && first < start + span &&
			   free_partial(fs, *root, level, first - start, &freed)) {
			freed += ext2_free_block_locked(fs, *root) ? 1 : 0;
			*root = 0;
		}
		start += span;
	}
	mutex_unlock(&fs->lock);
	ext2_add_blocks(ino, -(int64_t)freed);
	if (ei->goal > 0 && first == 0)
		ei->goal = 0;
	return 0;
}
