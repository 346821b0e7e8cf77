/*
 * tests/host/test_ext2_common.h: helpers shared by the ext2 host tests: mounting an image
 * file through ext2_fs_type, a tiny path walk over inode_ops (no symlink following, no
 * mounts), file I/O through file_ops with kernel uios, and a tree comparison between a
 * mounted image and a directory of the host.
 */
#ifndef TESTS_HOST_TEST_EXT2_COMMON_H
#define TESTS_HOST_TEST_EXT2_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/ext2/ext2.h"
#include "fs/vfs.h"
#include "test_ext2_host.h"

struct tfs {
	struct blkdev *dev;
	struct super_block sb;
	bool mounted;
};

/* Mount img (options as for ext2: NULL, "ro", "rw"); 0 or the mount's error. */
int tfs_mount(struct tfs *t, const char *img, const char *opts);
/* Release the root, put_super, close the device; checks that nothing leaked in the block
 * cache (returns the number of buffers of the device still referenced). */
size_t tfs_umount(struct tfs *t);

/* Walk path (relative to the root; "" is the root). *out a reference. */
int tfs_walk(struct tfs *t, const char *path, struct inode **out);
/* The parent directory of path (a reference) and its last component. */
int tfs_parent(struct tfs *t, const char *path, struct inode **dir, const char **name);

int tfs_create(struct tfs *t, const char *path, uint32_t mode, uint32_t rdev);
int tfs_mkdir(struct tfs *t, const char *path, uint32_t mode);
int tfs_symlink(struct tfs *t, const char *path, const char *target);
int tfs_link(struct tfs *t, const char *oldpath, const char *newpath);
int tfs_unlink(struct tfs *t, const char *path);
int tfs_rmdir(struct tfs *t, const char *path);
int tfs_rename(struct tfs *t, const char *oldpath, const char *newpath, unsigned flags);
int tfs_truncate(struct tfs *t, const char *path, uint64_t size);
int tfs_setattr(struct tfs *t, const char *path, const struct vattr *va);
long tfs_readlink(struct tfs *t, const char *path, char *buf, size_t n);

long ino_pread(struct inode *ino, void *buf, size_t n, uint64_t pos);
long ino_pwrite(struct inode *ino, const void *buf, size_t n, uint64_t pos);
long tfs_pwrite(struct tfs *t, const char *path, const void *buf, size_t n, uint64_t pos);
long tfs_pread(struct tfs *t, const char *path, void *buf, size_t n, uint64_t pos);

/* Every entry of a directory, in on-disk order. */
struct tdirent {
	char name[256];
	uint64_t ino;
	unsigned type;
};
/* *out is malloc'd (free it); the count or -errno. */
long ino_readdir_all(struct inode *dir, struct tdirent **out);

/* Compare the tree at image path `ipath` with the host directory `hpath`: names, types,
 * permission bits, owners, sizes, link counts, contents, symlink targets, device numbers;
 * "." and ".." of every directory; lost+found at the image root is skipped when the host has
 * none. With check_mtime, modification times (seconds) too. Returns the number of
 * differences, each printed as a TAP comment. */
long tfs_compare_tree(struct tfs *t, const char *ipath, const char *hpath, bool check_mtime);

/* Random numbers for the workloads (xorshift; deterministic per seed). */
uint64_t trand(void);
void trand_seed(uint64_t seed);


/* The test modes (each in its own file, each printing its own TAP stream). */
int run_read(int argc, char **argv);
int run_api(int argc, char **argv);
int run_largefile(int argc, char **argv);
int run_write(int argc, char **argv);
int run_big(int argc, char **argv);
int run_enospc(int argc, char **argv);
int run_features(int argc, char **argv);
int run_fuzz(int argc, char **argv);

#endif
