/*
 * fs/ext2/ext2_fs.h: ext2's on-disk structures and the interfaces between its files.
 *
 * On-disk structures are little-endian; both ports (and the host suite) are little-endian
 * machines, so they are read in place through these structs (asserted below). Every value
 * read from disk is checked before it is used as an index, a size or a block number, so a
 * corrupted image gives -EIO and a message, never a wild access.
 *
 * The files:
 *   super.c   mount, feature policy, superblock and group descriptors, sync, statfs, unmount
 *   alloc.c   block and inode bitmaps: allocation and freeing, counts, system-zone checks
 *   inode.c   inodes: read, write, create, evict; per-inode state; timestamps
 *   bmap.c    the block map: direct, indirect, double and triple blocks; freeing (truncate)
 *   dir.c     directory blocks: lookup, add, remove, retarget, emptiness, readdir
 *   namei.c   the namespace operations (create, mkdir, link, unlink, rmdir, rename, lookup)
 *   file.c    regular files: read, write, truncate, setattr
 *   symlink.c fast and slow symbolic links
 *
 * Locks (all mutexes; I/O may happen under them):
 *   ext2_inode_info.lock  one inode's block map, size, contents and on-disk copy. Never two
 *                         at once (a new inode is set up without its lock, before anything
 *                         can reach it). readdir calls the VFS's fill callback with the
 *                         directory's lock held.
 *   ext2_fs.lock          the allocator: bitmaps, group descriptors, superblock counts and
 *                         features. Taken inside an inode lock, never the other way round.
 * The VFS's own inode locks (struct inode.lock) are outside all of these.
 */
#ifndef FS_EXT2_EXT2_FS_H
#define FS_EXT2_EXT2_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bcache.h"
#include "core/sync.h"
#include "fs/ext2/ext2.h"
#include "fs/vfs.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ext2 structs are read in place");

/* ---- On-disk format ----------------------------------------------------------------------- */

#define EXT2_SB_OFFSET 1024u
#define EXT2_MIN_BLOCK_LOG 10 /* 1 KiB */
#define EXT2_MAX_BLOCK_LOG 12 /* 4 KiB */
#define EXT2_GOOD_OLD_REV 0
#define EXT2_DYNAMIC_REV 1
#define EXT2_GOOD_OLD_INODE_SIZE 128u
#define EXT2_GOOD_OLD_FIRST_INO 11u
#define EXT2_ROOT_INO 2u
#define EXT2_NDIR_BLOCKS 12
#define EXT2_IND_BLOCK 12
#define EXT2_DIND_BLOCK 13
#define EXT2_TIND_BLOCK 14
#define EXT2_N_BLOCKS 15
#define EXT2_LINK_MAX 32000u
#define EXT2_NAME_LEN 255u
#define EXT2_FAST_SYMLINK_MAX 59u /* targets this long or shorter live in i_block */
#define EXT2_S_ISGID 02000u /* a directory's group passes to new entries */

#define EXT2_VALID_FS 1u
#define EXT2_ERROR_FS 2u

/* Feature bits. */
#define EXT2_COMPAT_DIR_PREALLOC 0x0001u
#define EXT2_COMPAT_IMAGIC_INODES 0x0002u
#define EXT2_COMPAT_HAS_JOURNAL 0x0004u
#define EXT2_COMPAT_EXT_ATTR 0x0008u
#define EXT2_COMPAT_RESIZE_INODE 0x0010u
#define EXT2_COMPAT_DIR_INDEX 0x0020u
#define EXT2_INCOMPAT_FILETYPE 0x0002u
#define EXT2_RO_COMPAT_SPARSE_SUPER 0x0001u
#define EXT2_RO_COMPAT_LARGE_FILE 0x0002u

#define EXT2_INCOMPAT_SUPPORTED EXT2_INCOMPAT_FILETYPE
#define EXT2_RO_COMPAT_SUPPORTED (EXT2_RO_COMPAT_SPARSE_SUPER | EXT2_RO_COMPAT_LARGE_FILE)

/* Inode flags we act on. */
#define EXT2_INDEX_FL 0x00001000u /* hashed directory index (cleared when we modify one) */

/* Directory entry file types (filetype feature). */
enum { EXT2_FT_UNKNOWN, EXT2_FT_REG_FILE, EXT2_FT_DIR, EXT2_FT_CHRDEV, EXT2_FT_BLKDEV,
       EXT2_FT_FIFO, EXT2_FT_SOCK, EXT2_FT_SYMLINK, EXT2_FT_MAX };

#define EXT2_XATTR_MAGIC 0xEA020000u

struct ext2_super {
	uint32_t s_inodes_count;
	uint32_t s_blocks_count;
	uint32_t s_r_blocks_count;
	uint32_t s_free_blocks_count;
	uint32_t s_free_inodes_count;
	uint32_t s_first_data_block;
	uint32_t s_log_block_size;
	uint32_t s_log_frag_size;
	uint32_t s_blocks_per_group;
	uint32_t s_frags_per_group;
	uint32_t s_inodes_per_group;
	uint32_t s_mtime;
	uint32_t s_wtime;
	uint16_t s_mnt_count;
	int16_t s_max_mnt_count;
	uint16_t s_magic;
	uint16_t s_state;
	uint16_t s_errors;
	uint16_t s_minor_rev_level;
	uint32_t s_lastcheck;
	uint32_t s_checkinterval;
	uint32_t s_creator_os;
	uint32_t s_rev_level;
	uint16_t s_def_resuid;
	uint16_t s_def_resgid;
	/* EXT2_DYNAMIC_REV only. */
	uint32_t s_first_ino;
	uint16_t s_inode_size;
	uint16_t s_block_group_nr;
	uint32_t s_feature_compat;
	uint32_t s_feature_incompat;
	uint32_t s_feature_ro_compat;
	uint8_t s_uuid[16];
	char s_volume_name[16];
	char s_last_mounted[64];
	uint32_t s_algorithm_usage_bitmap;
	uint8_t s_prealloc_blocks;
	uint8_t s_prealloc_dir_blocks;
	uint16_t s_reserved_gdt_blocks;
	uint8_t s_journal_uuid[16];
	uint32_t s_journal_inum;
	uint32_t s_journal_dev;
	uint32_t s_last_orphan;
	uint32_t s_hash_seed[4];
	uint8_t s_def_hash_version;
	uint8_t s_jnl_backup_type;
	uint16_t s_desc_size;
	uint32_t s_default_mount_opts;
	uint32_t s_first_meta_bg;
	uint32_t s_mkfs_time;
	uint32_t s_jnl_blocks[17];
	uint32_t s_blocks_count_hi;
	uint32_t s_r_blocks_count_hi;
	uint32_t s_free_blocks_hi;
	uint16_t s_min_extra_isize;
	uint16_t s_want_extra_isize;
	/* ... up to 1024 bytes, untouched. */
};
_Static_assert(offsetof(struct ext2_super, s_feature_compat) == 92, "superblock layout");
_Static_assert(offsetof(struct ext2_super, s_reserved_gdt_blocks) == 206, "superblock layout");
_Static_assert(offsetof(struct ext2_super, s_want_extra_isize) == 0x15E, "superblock layout");

struct ext2_group_desc {
	uint32_t bg_block_bitmap;
	uint32_t bg_inode_bitmap;
	uint32_t bg_inode_table;
	uint16_t bg_free_blocks_count;
	uint16_t bg_free_inodes_count;
	uint16_t bg_used_dirs_count;
	uint16_t bg_pad;
	uint32_t bg_reserved[3];
};
_Static_assert(sizeof(struct ext2_group_desc) == 32, "group descriptor layout");

/* The first 128 bytes are every revision's inode; the rest exists when s_inode_size is
 * larger and i_extra_isize covers it. Never touch past what the inode size allows. */
struct ext2_inode {
	uint16_t i_mode;
	uint16_t i_uid;
	uint32_t i_size;
	uint32_t i_atime;
	uint32_t i_ctime;
	uint32_t i_mtime;
	uint32_t i_dtime;
	uint16_t i_gid;
	uint16_t i_links_count;
	uint32_t i_blocks;
	uint32_t i_flags;
	uint32_t i_osd1;
	uint32_t i_block[EXT2_N_BLOCKS];
	uint32_t i_generation;
	uint32_t i_file_acl;
	uint32_t i_size_high;
	uint32_t i_faddr;
	uint16_t i_blocks_hi;
	uint16_t i_file_acl_high;
	uint16_t i_uid_high;
	uint16_t i_gid_high;
	uint16_t i_checksum_lo;
	uint16_t i_reserved;
	/* Large inodes. */
	uint16_t i_extra_isize;
	uint16_t i_checksum_hi;
	uint32_t i_ctime_extra;
	uint32_t i_mtime_extra;
	uint32_t i_atime_extra;
	uint32_t i_crtime;
	uint32_t i_crtime_extra;
};
_Static_assert(offsetof(struct ext2_inode, i_block) == 40, "inode layout");
_Static_assert(offsetof(struct ext2_inode, i_extra_isize) == 128, "inode layout");
#define EXT2_EXTRA_TIMES_END 144u /* i_atime_extra ends here */
#define EXT2_EXTRA_CRTIME_END 152u

struct ext2_dirent {
	uint32_t inode;
	uint16_t rec_len;
	uint8_t name_len;
	uint8_t file_type; /* high byte of name_len without the filetype feature: must be 0 */
	char name[];
};
#define EXT2_DIRENT_HDR 8u
/* Bytes an entry with an n-byte name needs. */
#define EXT2_DIRENT_LEN(n) ((EXT2_DIRENT_HDR + (uint32_t)(n) + 3u) & ~3u)

/* ---- In memory ---------------------------------------------------------------------------- */

struct ext2_fs {
	struct super_block *vsb;
	struct blkdev *dev;
	struct mutex lock;            /* the allocator (see the header comment) */
	uint32_t bs, log_bs, apb;     /* block size, its log2, block addresses per block */
	uint32_t blocks_count, first_data_block, bpg;
	uint32_t inodes_count, ipg, first_ino, inode_size;
	uint32_t ngroups, gdt_blocks, reserved_gdt, itb_per_group;
	uint32_t rev, compat, incompat, ro_compat;
	uint16_t extra_isize;         /* i_extra_isize for new large inodes */
	struct buf *sb_buf;           /* held while mounted */
	struct ext2_super *es;        /* inside sb_buf */
	struct buf **gd_bufs;         /* gdt_blocks buffers, held while mounted */
	uint32_t next_generation;
	uint32_t dir_rotor;           /* next group tried for a new directory */
	unsigned errors_logged;
};

struct ext2_inode_info {
	struct mutex lock;
	uint32_t block[EXT2_N_BLOCKS];
	uint32_t flags;
	uint32_t file_acl;
	uint32_t dtime;
	uint32_t generation;
	uint32_t group;               /* block group of the inode */
	uint32_t goal;                /* physical block after the last one allocated, or 0 */
};

static inline struct ext2_fs *EXT2_FS(const struct super_block *sb)
{
	return sb->priv;
}

static inline struct ext2_inode_info *EXT2_I(const struct inode *ino)
{
	return ino->priv;
}

/* ---- super.c ------------------------------------------------------------------------------ */

struct ext2_group_desc *ext2_gd(struct ext2_fs *fs, uint32_t group);
void ext2_gd_dirty(struct ext2_fs *fs, uint32_t group);
void ext2_sb_dirty(struct ext2_fs *fs);
bool ext2_group_has_super(const struct ext2_fs *fs, uint32_t group);
/* Report corruption (rate-limited) and mark the file system as having errors. */
void ext2_corrupt(struct ext2_fs *fs, const char *what, uint64_t n);
struct timespec64 ext2_now(void);

/* ---- alloc.c (each takes fs->lock unless named _locked) -------------------------------- */

bool ext2_data_block_ok(const struct ext2_fs *fs, uint32_t blk);
/* Outside the data area, or a superblock or descriptor copy, a bitmap or an inode-table
 * block: never a file's block. */
bool ext2_is_metadata(struct ext2_fs *fs, uint32_t blk);
int ext2_alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out);
/* Free a block; false (and a corruption report) if it was not a data block in use. */
bool ext2_free_block_locked(struct ext2_fs *fs, uint32_t blk);
void ext2_free_block(struct ext2_fs *fs, uint32_t blk);
int ext2_alloc_inode(struct ext2_fs *fs, uint32_t parent_group, bool dir, uint32_t *out);
void ext2_free_inode(struct ext2_fs *fs, uint32_t ino, bool dir);

/* ---- inode.c ------------------------------------------------------------------------------ */

extern const struct super_ops ext2_super_ops;
int ext2_read_inode(struct inode *ino);
/* Copy the in-memory inode to its inode table block (the caller holds EXT2_I(ino)->lock or
 * otherwise owns the inode). */
int ext2_write_inode_locked(struct inode *ino);
int ext2_write_inode(struct inode *ino);
void ext2_evict(struct inode *ino);
/* Allocate and initialise a new inode of the given mode near dir; a reference. */
int ext2_new_inode(struct inode *dir, uint32_t mode, struct inode **out);
/* Drop a new inode that could not be linked: frees it on disk. */
void ext2_discard_new_inode(struct inode *ino);
void ext2_set_ops(struct inode *ino);
unsigned ext2_mode_to_ftype(uint32_t mode);
/* Block count bookkeeping (512-byte units). */
void ext2_add_blocks(struct inode *ino, int64_t fs_blocks);

/* ---- bmap.c ------------------------------------------------------------------------------- */

/* Logical blocks an inode can map. */
uint64_t ext2_max_lblocks(const struct ext2_fs *fs);
/* The largest file size (Linux's s_maxbytes for this file system). */
uint64_t ext2_max_size(const struct ext2_fs *fs);
/* The physical block holding logical block lblk: 0 for a hole (create == false). With create,
 * missing blocks are allocated (indirect ones zeroed) and *fresh says the data block is new
 * (its buffer not yet zeroed). The caller holds EXT2_I(ino)->lock. */
int ext2_bmap(struct inode *ino, uint64_t lblk, bool create, uint32_t *pblk, bool *fresh);
/* Free every block mapped at logical index >= first (and indirect blocks left empty). */
int ext2_free_blocks_from(struct inode *ino, uint64_t first);

/* ---- dir.c -------------------------------------------------------------------------------- */

extern const struct file_ops ext2_dir_fops;
/* The inode number name maps to in dir, or -ENOENT / -EIO. Dir lock held by caller. */
int ext2_dir_find(struct inode *dir, const char *name, size_t len, uint32_t *ino);
/* Add (name -> ino); -EEXIST if present, -ENOSPC, -EIO. */
int ext2_dir_add(struct inode *dir, const char *name, size_t len, uint32_t ino, uint32_t mode);
int ext2_dir_remove(struct inode *dir, const char *name, size_t len);
/* Point an existing entry at another inode. */
int ext2_dir_retarget(struct inode *dir, const char *name, size_t len, uint32_t ino,
		      uint32_t mode);
/* 1 if only "." and ".." are left, 0 if not, or -EIO. */
int ext2_dir_is_empty(struct inode *dir);
/* First block of a new directory: "." and "..". */
int ext2_dir_init(struct inode *dir, uint32_t parent);
/* Set ".." (a directory moved to another parent). */
int ext2_dir_set_parent(struct inode *dir, uint32_t parent);

/* ---- namei.c, file.c, symlink.c ---------------------------------------------------------- */

extern const struct inode_ops ext2_dir_iops;
extern const struct inode_ops ext2_file_iops;
extern const struct inode_ops ext2_special_iops;
extern const struct inode_ops ext2_symlink_iops;
extern const struct file_ops ext2_file_fops;
int ext2_setattr(struct inode *ino, const struct vattr *va);
/* Cut or extend to size (the caller holds EXT2_I(ino)->lock). */
int ext2_truncate_locked(struct inode *ino, uint64_t size);
/* Store a new symlink's target (fast or slow). The caller owns the new inode. */
int ext2_symlink_store(struct inode *ino, const char *target, size_t len);

#endif
