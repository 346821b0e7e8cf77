/*
 * fs/ext2/super.c: mounting ext2, the superblock and the group descriptors.
 *
 * Supported: revisions 0 and 1; block sizes 1, 2 and 4 KiB; inodes of 128 bytes or larger
 * (256 is mke2fs's default); the incompatible feature `filetype`, the read-only-compatible
 * features `sparse_super` and `large_file`.
 *
 * Feature policy:
 * - An unknown incompatible feature (extents, 64bit, flex_bg, meta_bg, needs_recovery, ...)
 *   refuses the mount with -EINVAL and a message naming the features.
 * - An unknown read-only-compatible feature (huge_file, dir_nlink, metadata_csum, ...) mounts
 *   read-only with a message: reading is safe, writing would leave the feature's data stale.
 * - Compatible features are by definition safe to ignore, and we do, with these details:
 *   dir_index: directories are read linearly (an htree's index blocks look like empty
 *   directory blocks); a directory we modify gets its EXT2_INDEX_FL cleared, which turns it
 *   back into a plain linear directory that e2fsck and Linux accept. ext_attr: attribute
 *   blocks are never read or written, but a deleted inode's block is released (its reference
 *   count dropped). resize_inode, has_journal: the reserved inodes are never touched.
 *
 * The superblock and every group-descriptor block are held in the block cache for the life
 * of the mount and changed in place (under the allocator lock for counts); sync and unmount
 * write them back with everything else through bsync. A read-write mount clears the
 * superblock's "valid" state and bumps the mount count; unmount sets "valid" again unless
 * corruption was seen, in which case the error state is left for e2fsck. Backup superblocks
 * and descriptors are left alone (as Linux's ext2 does between resizes).
 *
 * Every geometry field is checked before use (block size, group sizes and counts, inode size,
 * descriptor table placement, each group's bitmaps and inode table inside its group), so a
 * corrupted superblock or descriptor refuses the mount instead of misleading later code.
 */
#include "fs/ext2/ext2_fs.h"

#include "core/blkdev.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/kprintf.h"
#include "core/string.h"
#include "core/time.h"

struct feature_name {
	uint32_t bit;
	const char *name;
};

static const struct feature_name incompat_names[] = {
	{0x1, "compression"}, {0x2, "filetype"}, {0x4, "needs_recovery"}, {0x8, "journal_dev"},
	{0x10, "meta_bg"}, {0x40, "extents"}, {0x80, "64bit"}, {0x100, "mmp"},
	{0x200, "flex_bg"}, {0x400, "ea_inode"}, {0x1000, "dirdata"},
	{0x2000, "metadata_csum_seed"}, {0x4000, "large_dir"}, {0x8000, "inline_data"}, {0x10000, "encrypt"},
	{0x20000, "casefold"}, {0, NULL}};

static const struct feature_name ro_compat_names[] = {
	{0x1, "sparse_super"}, {0x2, "large_file"}, {0x4, "btree_dir"}, {0x8, "huge_file"},
	{0x10, "uninit_bg"}, {0x20, "dir_nlink"}, {0x40, "extra_isize"}, {0x80, "snapshot"},
	{0x100, "quota"}, {0x200, "bigalloc"}, {0x400, "metadata_csum"}, {0x800, "replica"},
	{0x1000, "read-only"}, {0x2000, "project"}, {0x8000, "verity"},
	{0x10000, "orphan_present"}, {0, NULL}};

/* ---- Helpers shared with the other files ------------------------------------------------ */

struct timespec64 ext2_now(void)
{
	uint64_t ns = time_realtime_ns();
	return (struct timespec64){(int64_t)(ns / 1000000000u), (int64_t)(ns % 1000000000u)};
}

struct ext2_group_desc *ext2_gd(struct ext2_fs *fs, uint32_t group)
{
	uint32_t per_block = fs->bs / sizeof(struct ext2_group_desc);
	struct buf *b = fs->gd_bufs[group / per_block];
	return (struct ext2_group_desc *)b->data + group % per_block;
}

void ext2_gd_dirty(struct ext2_fs *fs, uint32_t group)
{
	bdirty(fs->gd_bufs[group / (fs->bs / sizeof(struct ext2_group_desc))]);
}

void ext2_sb_dirty(struct ext2_fs *fs)
{
	bdirty(fs->sb_buf);
}

static bool is_power_of(uint32_t n, uint32_t base)
{
	while (n > 1 && n % base == 0)
		n /= base;
	return n == 1;
}

bool ext2_group_has_super(const struct ext2_fs *fs, uint32_t group)
{
	if (!(fs->ro_compat & EXT2_RO_COMPAT_SPARSE_SUPER) || group <= 1)
		return true;
	return is_power_of(group, 3) || is_power_of(group, 5) || is_power_of(group, 7);
}

void ext2_corrupt(struct ext2_fs *fs, const char *what, uint64_t n)
{
	if (fs->errors_logged < 20)
		kprintf("ext2 (%s): corrupted %s %llu\n", fs->dev->name, what,
			(unsigned long long)n);
	if (fs->errors_logged++ == 20)
		kprintf("ext2 (%s): more corruption; no more messages\n", fs->dev->name);
	if (!fs->vsb->read_only && !(fs->es->s_state & EXT2_ERROR_FS)) {
		fs->es->s_state |= EXT2_ERROR_FS;
		ext2_sb_dirty(fs);
	}
}

/* ---- Checking the superblock ---------------------------------------------------------------- */

static void print_features(const char *dev, const char *what, uint32_t bits,
			   const struct feature_name *names)
{
	char list[192];
	size_t len = 0;
	list[0] = 0;
	for (const struct feature_name *f = names; f->name; f++) {
		if (bits & f->bit) {
			len += ksnprintf(list + len, sizeof(list) - len, " %s", f->name);
			bits &= ~f->bit;
		}
		if (len >= sizeof(list))
			len = sizeof(list) - 1;
	}
	if (bits)
		ksnprintf(list + len, sizeof(list) - len, " 0x%x", bits);
	kprintf("ext2 (%s): %s:%s\n", dev, what, list);
}

static int bad(const struct blkdev *dev, const char *why)
{
	kprintf("ext2 (%s): cannot mount: %s\n", dev->name, why);
	return -EINVAL;
}

/* Revision-dependent fields, and the features we must refuse. */
static int check_revision(struct ext2_fs *fs, const struct ext2_super *es, bool *ro)
{
	if (es->s_rev_level > EXT2_DYNAMIC_REV)
		return bad(fs->dev, "unsupported revision");
	fs->rev = es->s_rev_level;
	fs->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
	fs->first_ino = EXT2_GOOD_OLD_FIRST_INO;
	if (fs->rev == EXT2_GOOD_OLD_REV)
		return 0;
	fs->inode_size = es->s_inode_size;
	fs->first_ino = es->s_first_ino;
	fs->compat = es->s_feature_compat;
	fs->incompat = es->s_feature_incompat;
	fs->ro_compat = es->s_feature_ro_compat;
	if (fs->incompat & ~EXT2_INCOMPAT_SUPPORTED) {
		print_features(fs->dev->name, "cannot mount: unsupported incompatible features",
			       fs->incompat & ~EXT2_INCOMPAT_SUPPORTED, incompat_names);
		return -EINVAL;
	}
	if ((fs->ro_compat & ~EXT2_RO_COMPAT_SUPPORTED) && !*ro) {
		print_features(fs->dev->name, "mounting read-only: unsupported features",
			       fs->ro_compat & ~EXT2_RO_COMPAT_SUPPORTED, ro_compat_names);
		*ro = true;
	}
	return 0;
}

static int check_inode_geometry(struct ext2_fs *fs, const struct ext2_super *es)
{
	uint32_t isz = fs->inode_size;
	if (isz < EXT2_GOOD_OLD_INODE_SIZE || isz > fs->bs || (isz & (isz - 1)))
		return bad(fs->dev, "bad inode size");
	fs->ipg = es->s_inodes_per_group;
	fs->inodes_count = es->s_inodes_count;
	if (fs->ipg == 0 || fs->ipg > 8 * fs->bs || fs->ipg % (fs->bs / isz) != 0)
		return bad(fs->dev, "bad inodes per group");
	if ((uint64_t)fs->ipg * fs->ngroups != fs->inodes_count)
		return bad(fs->dev, "inode count does not match the groups");
	if (fs->first_ino < EXT2_GOOD_OLD_FIRST_INO || fs->first_ino >= fs->inodes_count)
		return bad(fs->dev, "bad first inode");
	fs->itb_per_group = fs->ipg / (fs->bs / isz);
	fs->extra_isize = 0;
	if (isz > EXT2_GOOD_OLD_INODE_SIZE) {
		uint32_t want = fs->rev ? es->s_want_extra_isize : 0;
		if (want < EXT2_EXTRA_CRTIME_END - 128 || want > isz - 128 || want % 4)
			want = 32 <= isz - 128 ? 32 : isz - 128;
		fs->extra_isize = (uint16_t)want;
	}
	return 0;
}

static int check_geometry(struct ext2_fs *fs, const struct ext2_super *es)
{
	if (es->s_log_block_size > EXT2_MAX_BLOCK_LOG - EXT2_MIN_BLOCK_LOG)
		return bad(fs->dev, "unsupported block size (1, 2 and 4 KiB are)");
	fs->log_bs = EXT2_MIN_BLOCK_LOG + es->s_log_block_size;
	fs->bs = 1u << fs->log_bs;
	fs->apb = fs->bs / 4;
	fs->blocks_count = es->s_blocks_count;
	fs->first_data_block = es->s_first_data_block;
	fs->bpg = es->s_blocks_per_group;
	if (fs->first_data_block != (fs->bs == 1024 ? 1u : 0u))
		return bad(fs->dev, "bad first data block");
	if (fs->blocks_count <= fs->first_data_block + 1)
		return bad(fs->dev, "bad block count");
	if ((uint64_t)fs->blocks_count * (fs->bs / SECTOR_SIZE) > fs->dev->nsectors)
		return bad(fs->dev, "file system larger than the device");
	if (fs->bpg < 8 || fs->bpg > 8 * fs->bs || fs->bpg % 8)
		return bad(fs->dev, "bad blocks per group");
	fs->ngroups = (fs->blocks_count - fs->first_data_block + fs->bpg - 1) / fs->bpg;
	uint32_t per_block = fs->bs / sizeof(struct ext2_group_desc);
	fs->gdt_blocks = (fs->ngroups + per_block - 1) / per_block;
	fs->reserved_gdt = fs->rev && (fs->compat & EXT2_COMPAT_RESIZE_INODE) ?
			   es->s_reserved_gdt_blocks : 0;
	if (1 + (uint64_t)fs->gdt_blocks + fs->reserved_gdt >= fs->bpg)
		return bad(fs->dev, "descriptor table larger than a group");
	return check_inode_geometry(fs, es);
}

static bool in_group(const struct ext2_fs *fs, uint32_t g, uint32_t blk, uint32_t n)
{
	uint32_t first = fs->first_data_block + g * fs->bpg;
	uint64_t end = (uint64_t)first + fs->bpg;
	if (end > fs->blocks_count)
		end = fs->blocks_count;
	return blk >= first && (uint64_t)blk + n <= end;
}

static int check_descriptors(struct ext2_fs *fs)
{
	for (uint32_t g = 0; g < fs->ngroups; g++) {
		const struct ext2_group_desc *d = ext2_gd(fs, g);
		if (!in_group(fs, g, d->bg_block_bitmap, 1) ||
		    !in_group(fs, g, d->bg_inode_bitmap, 1) ||
		    !in_group(fs, g, d->bg_inode_table, fs->itb_per_group) ||
		    d->bg_free_blocks_count > fs->bpg || d->bg_free_inodes_count > fs->ipg) {
			kprintf("ext2 (%s): cannot mount: group %u descriptor corrupted\n",
				fs->dev->name, g);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- Mount and unmount ---------------------------------------------------------------------- */

static void release(struct ext2_fs *fs)
{
	if (fs->gd_bufs)
		for (uint32_t i = 0; i < fs->gdt_blocks; i++)
			brelse(fs->gd_bufs[i]);
	kfree(fs->gd_bufs);
	brelse(fs->sb_buf);
	bcache_invalidate(fs->dev);
	kfree(fs);
}

/* Read and check the superblock from the device into a fresh ext2_fs. */
static int read_super(struct blkdev *dev, bool *ro, struct ext2_fs **out)
{
	struct ext2_super *raw = kmalloc(1024);
	struct ext2_fs *fs = kzalloc(sizeof(*fs));
	int err = raw && fs ? 0 : -ENOMEM;
	if (!err && dev->nsectors < 4)
		err = bad(dev, "device too small");
	if (!err)
		err = blkdev_rw(dev, EXT2_SB_OFFSET / SECTOR_SIZE, raw, 2, false);
	if (!err && raw->s_magic != EXT2_SUPER_MAGIC)
		err = bad(dev, "no ext2 superblock");
	if (fs)
		fs->dev = dev;
	if (!err)
		err = check_revision(fs, raw, ro);
	if (!err)
		err = check_geometry(fs, raw);
	kfree(raw);
	if (err) {
		kfree(fs);
		return err;
	}
	mutex_init(&fs->lock, "ext2");
	*out = fs;
	return 0;
}

static int load_metadata(struct ext2_fs *fs)
{
	fs->sb_buf = bread(fs->dev, EXT2_SB_OFFSET / fs->bs, fs->bs);
	if (!fs->sb_buf)
		return -EIO;
	fs->es = (struct ext2_super *)(fs->sb_buf->data + EXT2_SB_OFFSET % fs->bs);
	if (fs->es->s_magic != EXT2_SUPER_MAGIC || fs->es->s_blocks_count != fs->blocks_count)
		return -EIO; /* changed between the two reads: someone else owns the device */
	fs->gd_bufs = kzalloc(fs->gdt_blocks * sizeof(struct buf *));
	if (!fs->gd_bufs)
		return -ENOMEM;
	for (uint32_t i = 0; i < fs->gdt_blocks; i++) {
		fs->gd_bufs[i] = bread(fs->dev, fs->first_data_block + 1 + i, fs->bs);
		if (!fs->gd_bufs[i])
			return -EIO;
	}
	return check_descriptors(fs);
}

static int parse_options(const char *options, bool *ro)
{
	if (!options || !*options || strcmp(options, "rw") == 0)
		return 0;
	if (strcmp(options, "ro") == 0) {
		*ro = true;
		return 0;
	}
	kprintf("ext2: unknown mount options \"%s\"\n", options);
	return -EINVAL;
}

static void mark_mounted(struct ext2_fs *fs)
{
	struct ext2_super *es = fs->es;
	if (!(es->s_state & EXT2_VALID_FS) || (es->s_state & EXT2_ERROR_FS))
		kprintf("ext2 (%s): warning: mounting an unchecked file system; run e2fsck\n",
			fs->dev->name);
	es->s_state &= (uint16_t)~EXT2_VALID_FS;
	es->s_mnt_count++;
	es->s_mtime = (uint32_t)ext2_now().sec;
	ext2_sb_dirty(fs);
	bwrite(fs->sb_buf);
}

static int ext2_mount(struct super_block *sb, struct blkdev *dev, const char *options)
{
	bool ro = false;
	struct ext2_fs *fs = NULL;
	if (!dev)
		return -ENODEV;
	int err = parse_options(options, &ro);
	ro = ro || dev->read_only;
	if (!err)
		err = read_super(dev, &ro, &fs);
	if (err)
		return err;
	fs->vsb = sb;
	fs->next_generation = (uint32_t)time_realtime_ns();
	sb->type = &ext2_fs_type;
	sb->ops = &ext2_super_ops;
	sb->dev = dev;
	sb->read_only = ro;
	sb->block_size = fs->bs;
	sb->magic = EXT2_SUPER_MAGIC;
	sb->priv = fs;
	struct inode *root = NULL;
	err = load_metadata(fs);
	if (!err) {
		sb->max_bytes = ext2_max_size(fs);
		err = vfs_iget(sb, EXT2_ROOT_INO, &root);
	}
	if (!err && !S_ISDIR(root->mode)) {
		kprintf("ext2 (%s): cannot mount: the root is not a directory\n", dev->name);
		vfs_iput(root);
		err = -EIO;
	}
	if (err) {
		sb->priv = NULL;
		sb->ops = NULL;
		release(fs);
		return err;
	}
	if (!ro)
		mark_mounted(fs);
	sb->root = root;
	return 0;
}

static int ext2_sync(struct super_block *sb)
{
	struct ext2_fs *fs = EXT2_FS(sb);
	if (!sb->read_only) {
		mutex_lock(&fs->lock);
		fs->es->s_wtime = (uint32_t)ext2_now().sec;
		ext2_sb_dirty(fs);
		mutex_unlock(&fs->lock);
	}
	return bsync(fs->dev);
}

static int ext2_statfs(struct super_block *sb, struct kstatfs *st)
{
	struct ext2_fs *fs = EXT2_FS(sb);
	mutex_lock(&fs->lock);
	const struct ext2_super *es = fs->es;
	uint64_t overhead = fs->first_data_block;
	for (uint32_t g = 0; g < fs->ngroups; g++) {
		overhead += 2 + fs->itb_per_group; /* bitmaps, inode table */
		if (ext2_group_has_super(fs, g))
			overhead += 1 + fs->gdt_blocks + fs->reserved_gdt;
	}
	*st = (struct kstatfs){.type = EXT2_SUPER_MAGIC, .bsize = fs->bs,
			       .blocks = fs->blocks_count - overhead,
			       .bfree = es->s_free_blocks_count, .files = fs->inodes_count,
			       .ffree = es->s_free_inodes_count, .namelen = EXT2_NAME_LEN};
	st->bavail = st->bfree > es->s_r_blocks_count ? st->bfree - es->s_r_blocks_count : 0;
	mutex_unlock(&fs->lock);
	return 0;
}

static void ext2_put_super(struct super_block *sb)
{
	struct ext2_fs *fs = EXT2_FS(sb);
	if (!sb->read_only) {
		if (!(fs->es->s_state & EXT2_ERROR_FS))
			fs->es->s_state |= EXT2_VALID_FS;
		fs->es->s_wtime = (uint32_t)ext2_now().sec;
		ext2_sb_dirty(fs);
	}
	int err = bsync(fs->dev);
	if (err)
		kprintf("ext2 (%s): unmount: write-back failed (%d)\n", fs->dev->name, err);
	sb->priv = NULL;
	release(fs);
}

const struct super_ops ext2_super_ops = {
	.read_inode = ext2_read_inode,
	.write_inode = ext2_write_inode,
	.evict = ext2_evict,
	.sync = ext2_sync,
	.statfs = ext2_statfs,
	.put_super = ext2_put_super,
};

const struct file_system_type ext2_fs_type = {
	.name = "ext2",
	.mount = ext2_mount,
};
