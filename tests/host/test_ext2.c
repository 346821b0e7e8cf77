/*
 * tests/host/test_ext2.c: ext2 (fs/ext2) and the block cache over a file-backed block
 * device, under ASan/UBSan. The driver tests/host/ext2/run_ext2.py makes the images with
 * mke2fs and checks the results with e2fsck and debugfs; this program is the part that runs
 * our code. Usage: test_ext2 MODE ARGS...
 *
 *   read IMG TREE          mount read-only, compare the whole image with the host tree it was
 *                          made from (mke2fs -d TREE), check that nothing was written
 *   api IMG                the semantics of every operation on a fresh image
 *   largefile IMG          growing past 2 GiB switches large_file on
 *   unlink IMG PATH...     remove files (files with extended attribute blocks)
 *   write IMG MODEL SEED N random workload mirrored on a host directory (test_ext2_write.c)
 *   big IMG MODEL          a file past triple indirection
 *   enospc IMG MODEL       filling the disk
 *   features IMG           feature policy (test_ext2_fuzz.c)
 *   fuzz IMG N SEED        N corrupted copies of IMG
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bcache.h"
#include "core/errno.h"
#include "fs/ext2/ext2_fs.h"
#include "tap.h"
#include "test_ext2_common.h"

/* ---- read --------------------------------------------------------------------------------- */

int run_read(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	const char *img = argv[2], *tree = argv[3];
	uint64_t before = file_hash(img);
	struct tfs t;
	int err = tfs_mount(&t, img, "ro");
	CHECK_EQ(err, 0);
	if (!err) {
		struct bcache_stats st;
		CHECK(t.sb.read_only);
		CHECK_EQ(tfs_compare_tree(&t, "", tree, true), 0);
		bcache_get_stats(&st);
		printf("# bcache: %llu hits, %llu misses, %llu reads\n",
		       (unsigned long long)st.hits, (unsigned long long)st.misses,
		       (unsigned long long)st.reads);
		CHECK_EQ(tfs_umount(&t), 0);
	}
	tap_point("the image reads back exactly as the tree it was made from");
	CHECK_EQ(file_hash(img), before);
	tap_point("a read-only mount writes nothing");
	err = tfs_mount(&t, img, NULL);
	CHECK_EQ(err, 0);
	if (!err) {
		CHECK(!t.sb.read_only);
		CHECK_EQ(tfs_compare_tree(&t, "", tree, true), 0);
		CHECK_EQ(tfs_umount(&t), 0);
	}
	tap_point("a read-write mount reads the same and unmounts cleanly");
	return tap_done();
}

/* ---- api ---------------------------------------------------------------------------------- */

static uint64_t free_blocks(struct tfs *t)
{
	struct kstatfs st;
	t->sb.ops->statfs(&t->sb, &st);
	return st.bfree;
}

static uint64_t free_inodes(struct tfs *t)
{
	struct kstatfs st;
	t->sb.ops->statfs(&t->sb, &st);
	return st.ffree;
}

static uint32_t nlink_of(struct tfs *t, const char *path)
{
	struct inode *ino;
	if (tfs_walk(t, path, &ino))
		return 0;
	uint32_t n = ino->nlink;
	vfs_iput(ino);
	return n;
}

static uint64_t ino_of(struct tfs *t, const char *path)
{
	struct inode *ino;
	if (tfs_walk(t, path, &ino))
		return 0;
	uint64_t n = ino->ino;
	vfs_iput(ino);
	return n;
}

static void api_lookup(struct tfs *t)
{
	struct inode *root = t->sb.root, *ino;
	CHECK_EQ(root->ops->lookup(root, ".", 1, &ino), 0);
	CHECK(ino == root);
	vfs_iput(ino);
	CHECK_EQ(root->ops->lookup(root, "..", 2, &ino), 0);
	CHECK(ino == root);
	vfs_iput(ino);
	CHECK_EQ(root->ops->lookup(root, "nope", 4, &ino), -ENOENT);
	CHECK_EQ(tfs_create(t, "f", S_IFREG | 0644, 0), 0);
	CHECK_EQ(tfs_create(t, "f", S_IFREG | 0644, 0), -EEXIST);
	CHECK_EQ(tfs_mkdir(t, "f", 0755), -EEXIST);
	CHECK_EQ(tfs_symlink(t, "f", "x"), -EEXIST);
	CHECK_EQ(tfs_walk(t, "f/x", &ino), -ENOTDIR);
	tap_point("lookup, \".\", \"..\", EEXIST, ENOENT, ENOTDIR");
}

static void api_io(struct tfs *t)
{
	char buf[20000];
	struct inode *f;
	CHECK_EQ(tfs_walk(t, "f", &f), 0);
	uint64_t bfree = free_blocks(t);
	CHECK_EQ(ino_pwrite(f, "hello", 5, 0), 5);
	CHECK_EQ(f->size, 5);
	CHECK_EQ(ino_pwrite(f, "world", 5, 10000), 5);
	CHECK_EQ(f->size, 10005);
	CHECK_EQ(f->blocks, 2 * (t->sb.block_size / 512));
	CHECK_EQ(free_blocks(t), bfree - 2);
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(ino_pread(f, buf, sizeof(buf), 0), 10005);
	CHECK(memcmp(buf, "hello", 5) == 0 && memcmp(buf + 10000, "world", 5) == 0);
	bool zeros = true;
	for (int i = 5; i < 10000; i++)
		zeros = zeros && buf[i] == 0;
	CHECK(zeros);
	CHECK_EQ(ino_pread(f, buf, 10, 10005), 0);
	CHECK_EQ(ino_pread(f, buf, 10, 99999), 0);
	CHECK_EQ(tfs_truncate(t, "f", 3), 0);
	CHECK_EQ(f->size, 3);
	CHECK_EQ(free_blocks(t), bfree - 1);
	CHECK_EQ(tfs_truncate(t, "f", 5000), 0);
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(ino_pread(f, buf, sizeof(buf), 0), 5000);
	CHECK(memcmp(buf, "hel\0\0\0", 6) == 0 && buf[4999] == 0);
	CHECK_EQ(ino_pwrite(f, "!", 1, 20), 1);
	CHECK_EQ(ino_pread(f, buf, 30, 0), 30);
	CHECK(memcmp(buf, "hel\0\0", 5) == 0 && buf[20] == '!' && buf[21] == 0);
	CHECK_EQ(tfs_truncate(t, "f", 0), 0);
	CHECK_EQ(f->blocks, 0);
	CHECK_EQ(free_blocks(t), bfree);
	vfs_iput(f);
	tap_point("write, read, holes read as zeros, truncate down and up");
}

static void api_dirs(struct tfs *t)
{
	uint32_t root_links = nlink_of(t, "");
	CHECK_EQ(tfs_mkdir(t, "d", 0755), 0);
	CHECK_EQ(nlink_of(t, ""), root_links + 1);
	CHECK_EQ(nlink_of(t, "d"), 2);
	CHECK_EQ(ino_of(t, "d/.."), ino_of(t, ""));
	CHECK_EQ(ino_of(t, "d/."), ino_of(t, "d"));
	CHECK_EQ(tfs_create(t, "d/x", S_IFREG | 0600, 0), 0);
	CHECK_EQ(tfs_rmdir(t, "d"), -ENOTEMPTY);
	CHECK_EQ(tfs_unlink(t, "d"), -EISDIR);
	CHECK_EQ(tfs_rmdir(t, "f"), -ENOTDIR);
	CHECK_EQ(tfs_rmdir(t, "nope"), -ENOENT);
	CHECK_EQ(tfs_unlink(t, "d/x"), 0);
	CHECK_EQ(tfs_unlink(t, "d/x"), -ENOENT);
	uint64_t ifree = free_inodes(t);
	CHECK_EQ(tfs_rmdir(t, "d"), 0);
	CHECK_EQ(nlink_of(t, ""), root_links);
	CHECK_EQ(free_inodes(t), ifree + 1);
	CHECK_EQ(tfs_mkdir(t, "d", 0755), 0);
	CHECK_EQ(tfs_mkdir(t, "d/e", 0700), 0);
	CHECK_EQ(nlink_of(t, "d"), 3);
	tap_point("mkdir, rmdir (ENOTEMPTY, ENOTDIR), unlink (EISDIR), link counts");
}

static void api_symlinks(struct tfs *t)
{
	char buf[8192], target[8192];
	CHECK_EQ(tfs_symlink(t, "s", "some/target"), 0);
	CHECK_EQ(tfs_readlink(t, "s", buf, sizeof(buf)), 11);
	CHECK(memcmp(buf, "some/target", 11) == 0);
	CHECK_EQ(tfs_readlink(t, "s", buf, 4), 4);
	memset(target, 'a', sizeof(target));
	target[59] = 0;
	CHECK_EQ(tfs_symlink(t, "s59", target), 0);
	target[59] = 'a';
	target[60] = 0;
	CHECK_EQ(tfs_symlink(t, "s60", target), 0);
	target[60] = 'a';
	uint32_t bs = t->sb.block_size;
	target[bs - 1] = 0;
	CHECK_EQ(tfs_symlink(t, "sbig", target), 0);
	CHECK_EQ(tfs_readlink(t, "sbig", buf, sizeof(buf)), bs - 1);
	CHECK(memcmp(buf, target, bs - 1) == 0);
	CHECK_EQ(tfs_readlink(t, "s59", buf, sizeof(buf)), 59);
	CHECK_EQ(tfs_readlink(t, "s60", buf, sizeof(buf)), 60);
	target[bs - 1] = 'a';
	target[bs] = 0;
	CHECK_EQ(tfs_symlink(t, "toolong", target), -ENAMETOOLONG);
	CHECK_EQ(tfs_symlink(t, "empty", ""), -ENOENT);
	struct inode *s;
	CHECK_EQ(tfs_walk(t, "s59", &s), 0);
	CHECK_EQ(s->blocks, 0);
	vfs_iput(s);
	CHECK_EQ(tfs_walk(t, "s60", &s), 0);
	CHECK_EQ(s->blocks, bs / 512);
	CHECK_EQ(s->size, 60);
	vfs_iput(s);
	CHECK_EQ(tfs_readlink(t, "f", buf, sizeof(buf)), -EINVAL);
	tap_point("fast and slow symlinks, ENAMETOOLONG");
}

static void api_links(struct tfs *t)
{
	CHECK_EQ(tfs_create(t, "h1", S_IFREG | 0644, 0), 0);
	CHECK_EQ(tfs_pwrite(t, "h1", "data", 4, 0), 4);
	CHECK_EQ(tfs_link(t, "h1", "d/h2"), 0);
	CHECK_EQ(nlink_of(t, "h1"), 2);
	CHECK_EQ(ino_of(t, "h1"), ino_of(t, "d/h2"));
	CHECK_EQ(tfs_link(t, "d", "dlink"), -EPERM);
	CHECK_EQ(tfs_link(t, "h1", "d/h2"), -EEXIST);
	CHECK_EQ(tfs_unlink(t, "h1"), 0);
	CHECK_EQ(nlink_of(t, "d/h2"), 1);
	char buf[8];
	CHECK_EQ(tfs_pread(t, "d/h2", buf, 8, 0), 4);
	tap_point("hard links");
}

static void api_rename_files(struct tfs *t)
{
	char buf[8];
	CHECK_EQ(tfs_create(t, "r1", S_IFREG | 0644, 0), 0);
	CHECK_EQ(tfs_pwrite(t, "r1", "one", 3, 0), 3);
	CHECK_EQ(tfs_create(t, "r2", S_IFREG | 0644, 0), 0);
	CHECK_EQ(tfs_pwrite(t, "r2", "two", 3, 0), 3);
	uint64_t ifree = free_inodes(t), r1 = ino_of(t, "r1");
	CHECK_EQ(tfs_rename(t, "r1", "r2", RENAME_NOREPLACE), -EEXIST);
	CHECK_EQ(tfs_rename(t, "r1", "r2", 0), 0);
	CHECK_EQ(ino_of(t, "r2"), r1);
	CHECK_EQ(ino_of(t, "r1"), 0);
	CHECK_EQ(free_inodes(t), ifree + 1);
	CHECK_EQ(tfs_pread(t, "r2", buf, 8, 0), 3);
	CHECK(memcmp(buf, "one", 3) == 0);
	CHECK_EQ(tfs_rename(t, "r2", "d/e/r3", 0), 0);
	CHECK_EQ(ino_of(t, "d/e/r3"), r1);
	CHECK_EQ(tfs_link(t, "d/e/r3", "r4"), 0);
	CHECK_EQ(tfs_rename(t, "r4", "d/e/r3", 0), 0); /* same inode: nothing happens */
	CHECK_EQ(ino_of(t, "r4"), r1);
	CHECK_EQ(nlink_of(t, "r4"), 2);
	CHECK_EQ(tfs_rename(t, "r4", "d", 0), -EISDIR);
	CHECK_EQ(tfs_rename(t, "nope", "x", 0), -ENOENT);
	CHECK_EQ(tfs_rename(t, "r4", "r4", 0), 0);
	tap_point("rename files: over a target, across directories, NOREPLACE, same inode");
}

static void api_rename_dirs(struct tfs *t)
{
	CHECK_EQ(tfs_mkdir(t, "m1", 0755), 0);
	CHECK_EQ(tfs_mkdir(t, "m1/sub", 0755), 0);
	CHECK_EQ(tfs_create(t, "m1/sub/file", S_IFREG | 0644, 0), 0);
	CHECK_EQ(tfs_mkdir(t, "m2", 0755), 0);
	uint32_t root = nlink_of(t, ""), m1 = nlink_of(t, "m1"), m2 = nlink_of(t, "m2");
	uint64_t sub = ino_of(t, "m1/sub");
	CHECK_EQ(tfs_rename(t, "m1/sub", "m2/sub", 0), 0);
	CHECK_EQ(ino_of(t, "m2/sub/.."), ino_of(t, "m2"));
	CHECK_EQ(nlink_of(t, "m1"), m1 - 1);
	CHECK_EQ(nlink_of(t, "m2"), m2 + 1);
	CHECK_EQ(ino_of(t, "m2/sub/file") != 0, 1);
	CHECK_EQ(tfs_rename(t, "m2/sub", "f", 0), -ENOTDIR);
	CHECK_EQ(tfs_mkdir(t, "m1/full", 0755), 0);
	CHECK_EQ(tfs_create(t, "m1/full/x", S_IFREG | 0644, 0), 0);
	CHECK_EQ(tfs_rename(t, "m2/sub", "m1/full", 0), -ENOTEMPTY);
	CHECK_EQ(tfs_mkdir(t, "m1/empty", 0755), 0);
	uint64_t ifree = free_inodes(t);
	m1 = nlink_of(t, "m1");
	CHECK_EQ(tfs_rename(t, "m2/sub", "m1/empty", 0), 0);
	CHECK_EQ(ino_of(t, "m1/empty"), sub);
	CHECK_EQ(ino_of(t, "m1/empty/.."), ino_of(t, "m1"));
	CHECK_EQ(nlink_of(t, "m1"), m1);
	CHECK_EQ(nlink_of(t, "m2"), m2);
	CHECK_EQ(free_inodes(t), ifree + 1);
	CHECK_EQ(tfs_rename(t, "m1", "m3", 0), 0);
	CHECK_EQ(ino_of(t, "m3/empty/file") != 0, 1);
	CHECK_EQ(nlink_of(t, ""), root);
	tap_point("rename directories: \"..\" fixed, link counts, over an empty directory");
}

static int stop_after;
static int count_some(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
		      uint64_t next)
{
	int *n = ctx;
	if (*n == stop_after)
		return 1;
	(*n)++;
	return 0;
}

static void api_big_dir(struct tfs *t)
{
	char name[64];
	struct inode *d;
	CHECK_EQ(tfs_mkdir(t, "big", 0755), 0);
	for (int i = 0; i < 600; i++) {
		snprintf(name, sizeof(name), "big/entry-with-a-longish-name-%04d", i);
		CHECK_EQ(tfs_create(t, name, S_IFREG | 0644, 0), 0);
	}
	CHECK_EQ(tfs_walk(t, "big", &d), 0);
	uint64_t size = d->size;
	CHECK(size > 4 * t->sb.block_size);
	for (int i = 0; i < 600; i += 2) {
		snprintf(name, sizeof(name), "big/entry-with-a-longish-name-%04d", i);
		CHECK_EQ(tfs_unlink(t, name), 0);
	}
	for (int i = 0; i < 600; i += 2) {
		snprintf(name, sizeof(name), "big/entry-with-a-longish-name-%04d", i);
		CHECK_EQ(tfs_create(t, name, S_IFREG | 0644, 0), 0);
	}
	CHECK_EQ(d->size, size); /* the freed space was reused */
	struct file f = {.path = {NULL, d}};
	uint64_t pos = 0;
	int total = 0;
	for (int rounds = 0; rounds < 1000; rounds++) {
		int n = 0;
		stop_after = 7;
		CHECK_EQ(d->fops->readdir(&f, &pos, count_some, &n), 0);
		total += n;
		if (n < 7)
			break;
	}
	CHECK_EQ(total, 602);
	vfs_iput(d);
	tap_point("a 600-entry directory: space reuse, readdir stopping and resuming");
}

static void api_special(struct tfs *t)
{
	struct inode *ino;
	uint32_t small = MKDEV(4, 64), large = MKDEV(259, 300000);
	CHECK_EQ(tfs_create(t, "chr", S_IFCHR | 0620, small), 0);
	CHECK_EQ(tfs_create(t, "blk", S_IFBLK | 0660, large), 0);
	CHECK_EQ(tfs_create(t, "fifo", S_IFIFO | 0644, 0), 0);
	CHECK_EQ(tfs_create(t, "sock", S_IFSOCK | 0755, 0), 0);
	CHECK_EQ(tfs_walk(t, "blk", &ino), 0);
	CHECK_EQ(ino->rdev, large);
	CHECK(ino->fops == NULL);
	vfs_iput(ino);
	struct vattr va = {.valid = ATTR_MODE | ATTR_UID | ATTR_GID, .mode = 04711, .uid = 70000,
			   .gid = 1234};
	CHECK_EQ(tfs_setattr(t, "fifo", &va), 0);
	va = (struct vattr){.valid = ATTR_SIZE, .size = 10};
	CHECK_EQ(tfs_setattr(t, "fifo", &va), -EINVAL);
	CHECK_EQ(tfs_setattr(t, "d", &va), -EISDIR);
	tap_point("device nodes, FIFOs, sockets, setattr");
}

static void api_times(struct tfs *t)
{
	struct inode *f, *root = t->sb.root;
	struct timespec64 dir_before = root->mtime;
	CHECK_EQ(tfs_create(t, "timed", S_IFREG | 0644, 0), 0);
	CHECK(root->mtime.sec > dir_before.sec ||
	      (root->mtime.sec == dir_before.sec && root->mtime.nsec > dir_before.nsec));
	CHECK_EQ(tfs_walk(t, "timed", &f), 0);
	struct timespec64 m = f->mtime;
	CHECK_EQ(ino_pwrite(f, "x", 1, 0), 1);
	CHECK(f->mtime.sec > m.sec || (f->mtime.sec == m.sec && f->mtime.nsec > m.nsec));
	struct vattr va = {.valid = ATTR_MTIME | ATTR_ATIME, .mtime = {1000000000, 5},
			   .atime = {-5, 7}};
	CHECK_EQ(f->ops->setattr(f, &va), 0);
	vfs_iput(f);
	tap_point("timestamps change with writes and directory changes");
}

static void api_open_unlinked(struct tfs *t)
{
	struct inode *f;
	char buf[4];
	uint64_t ifree = free_inodes(t), bfree = free_blocks(t);
	CHECK_EQ(tfs_create(t, "tmp", S_IFREG | 0644, 0), 0);
	CHECK_EQ(tfs_walk(t, "tmp", &f), 0);
	CHECK_EQ(ino_pwrite(f, "abcd", 4, 0), 4);
	CHECK_EQ(tfs_unlink(t, "tmp"), 0);
	CHECK_EQ(f->nlink, 0);
	CHECK_EQ(ino_pread(f, buf, 4, 0), 4);
	CHECK_EQ(free_inodes(t), ifree - 1);
	vfs_iput(f);
	CHECK_EQ(free_inodes(t), ifree);
	CHECK_EQ(free_blocks(t), bfree);
	tap_point("an unlinked file lives until its last reference goes");
}

static void api_after_remount(struct tfs *t)
{
	struct inode *ino;
	char buf[16];
	CHECK_EQ(tfs_walk(t, "fifo", &ino), 0);
	CHECK_EQ(ino->mode, S_IFIFO | 04711);
	CHECK_EQ(ino->uid, 70000);
	CHECK_EQ(ino->gid, 1234);
	vfs_iput(ino);
	CHECK_EQ(tfs_walk(t, "chr", &ino), 0);
	CHECK_EQ(ino->rdev, MKDEV(4, 64));
	vfs_iput(ino);
	CHECK_EQ(tfs_walk(t, "blk", &ino), 0);
	CHECK_EQ(ino->rdev, MKDEV(259, 300000));
	vfs_iput(ino);
	CHECK_EQ(tfs_walk(t, "timed", &ino), 0);
	CHECK_EQ(ino->mtime.sec, 1000000000);
	if (EXT2_FS(&t->sb)->inode_size > 128) {
		CHECK_EQ(ino->mtime.nsec, 5);
		CHECK_EQ(ino->atime.sec, -5);
		CHECK_EQ(ino->atime.nsec, 7);
	}
	vfs_iput(ino);
	CHECK_EQ(tfs_pread(t, "d/h2", buf, 16, 0), 4);
	CHECK(memcmp(buf, "data", 4) == 0);
	CHECK_EQ(tfs_readlink(t, "s", buf, 16), 11);
	CHECK_EQ(ino_of(t, "m3/empty/.."), ino_of(t, "m3"));
	tap_point("everything is still there after a remount");
}

static void api_readonly(const char *img)
{
	struct tfs t;
	struct inode *f;
	uint64_t before = file_hash(img);
	CHECK_EQ(tfs_mount(&t, img, "ro"), 0);
	CHECK_EQ(tfs_create(&t, "new", S_IFREG | 0644, 0), -EROFS);
	CHECK_EQ(tfs_mkdir(&t, "newd", 0755), -EROFS);
	CHECK_EQ(tfs_unlink(&t, "r4"), -EROFS);
	CHECK_EQ(tfs_rename(&t, "r4", "r5", 0), -EROFS);
	CHECK_EQ(tfs_truncate(&t, "r4", 0), -EROFS);
	CHECK_EQ(tfs_walk(&t, "r4", &f), 0);
	CHECK_EQ(ino_pwrite(f, "x", 1, 0), -EROFS);
	vfs_iput(f);
	CHECK_EQ(tfs_umount(&t), 0);
	CHECK_EQ(file_hash(img), before);
	CHECK_EQ(tfs_mount(&t, img, "bogus"), -EINVAL);
	tap_point("a read-only mount refuses every change and writes nothing");
}

static void api_limits(struct tfs *t)
{
	struct ext2_fs *fs = EXT2_FS(&t->sb);
	uint64_t max = ext2_max_lblocks(fs) * fs->bs;
	if (fs->rev == EXT2_GOOD_OLD_REV && !(fs->ro_compat & EXT2_RO_COMPAT_LARGE_FILE))
		max = 0x7fffffffu; /* the largest size without large_file */
	CHECK_EQ(tfs_create(t, "sparse", S_IFREG | 0644, 0), 0);
	CHECK_EQ(tfs_pwrite(t, "sparse", "z", 1, max), -EFBIG);
	CHECK_EQ(tfs_pwrite(t, "sparse", "zz", 2, max - 1), 1);
	CHECK_EQ(tfs_truncate(t, "sparse", max + 1), -EFBIG);
	char c = 0;
	CHECK_EQ(tfs_pread(t, "sparse", &c, 1, max - 1), 1);
	CHECK_EQ(c, 'z');
	CHECK_EQ(tfs_pread(t, "sparse", &c, 1, max / 2), 1);
	CHECK_EQ(c, 0);
	CHECK_EQ(tfs_unlink(t, "sparse"), 0);
	tap_point("the largest offset, EFBIG past it");
}

int run_api(int argc, char **argv)
{
	struct tfs t;
	if (argc < 3)
		return 2;
	int err = tfs_mount(&t, argv[2], NULL);
	CHECK_EQ(err, 0);
	tap_point("mount");
	if (err)
		return tap_done();
	api_lookup(&t);
	api_io(&t);
	api_dirs(&t);
	api_symlinks(&t);
	api_links(&t);
	api_rename_files(&t);
	api_rename_dirs(&t);
	api_big_dir(&t);
	api_special(&t);
	api_times(&t);
	api_open_unlinked(&t);
	api_limits(&t);
	CHECK_EQ(t.sb.ops->sync(&t.sb), 0);
	CHECK_EQ(tfs_umount(&t), 0);
	tap_point("sync and unmount");
	CHECK_EQ(tfs_mount(&t, argv[2], NULL), 0);
	api_after_remount(&t);
	CHECK_EQ(tfs_umount(&t), 0);
	api_readonly(argv[2]);
	return tap_done();
}

/* ---- largefile ---------------------------------------------------------------------------- */

int run_largefile(int argc, char **argv)
{
	struct tfs t;
	if (argc < 3)
		return 2;
	CHECK_EQ(tfs_mount(&t, argv[2], NULL), 0);
	struct ext2_fs *fs = EXT2_FS(&t.sb);
	CHECK(!(fs->ro_compat & EXT2_RO_COMPAT_LARGE_FILE));
	CHECK_EQ(tfs_create(&t, "small", S_IFREG | 0644, 0), 0);
	CHECK_EQ(tfs_pwrite(&t, "small", "a", 1, 0x7ffffffe), 1);
	CHECK(!(fs->ro_compat & EXT2_RO_COMPAT_LARGE_FILE));
	CHECK_EQ(tfs_create(&t, "large", S_IFREG | 0644, 0), 0);
	CHECK_EQ(tfs_pwrite(&t, "large", "b", 1, 3ull << 30), 1);
	CHECK(fs->ro_compat & EXT2_RO_COMPAT_LARGE_FILE);
	CHECK_EQ(tfs_umount(&t), 0);
	CHECK_EQ(tfs_mount(&t, argv[2], NULL), 0);
	struct inode *ino;
	CHECK_EQ(tfs_walk(&t, "large", &ino), 0);
	CHECK_EQ(ino->size, (3ull << 30) + 1);
	vfs_iput(ino);
	CHECK_EQ(tfs_umount(&t), 0);
	tap_point("a file past 2 GiB turns large_file on");
	return tap_done();
}

/* ---- unlink ------------------------------------------------------------------------------- */

/* unlink IMG PATH...: remove files (run_ext2.py checks the image with e2fsck afterwards). */
static int run_unlink(int argc, char **argv)
{
	struct tfs t;
	if (argc < 3)
		return 2;
	CHECK_EQ(tfs_mount(&t, argv[2], NULL), 0);
	for (int i = 3; i < argc; i++) {
		CHECK_EQ(tfs_unlink(&t, argv[i]), 0);
		CHECK_EQ(tfs_unlink(&t, argv[i]), -ENOENT);
	}
	CHECK_EQ(tfs_umount(&t), 0);
	tap_point("unlink");
	return tap_done();
}

/* ---- main --------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} modes[] = {{"read", run_read},     {"api", run_api},       {"largefile", run_largefile},
		     {"write", run_write},   {"big", run_big},       {"enospc", run_enospc},
		     {"features", run_features}, {"fuzz", run_fuzz}, {"unlink", run_unlink}};
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(argv[1], modes[i].name) == 0)
			return modes[i].run(argc, argv);
	fprintf(stderr, "usage: test_ext2 read|api|largefile|write|big|enospc|features|fuzz|"
			"unlink ...\n");
	return 2;
}
