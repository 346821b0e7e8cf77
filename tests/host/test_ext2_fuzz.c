/*
 * tests/host/test_ext2_fuzz.c: ext2 against bad images.
 *
 * features IMG: the feature policy and superblock checks. Each case patches one field of the
 *   superblock of a copy of IMG and mounts it: unknown incompatible features and impossible
 *   geometry refuse the mount (-EINVAL), unknown read-only-compatible features give a
 *   read-only mount that refuses changes and writes nothing, compatible ones are ignored.
 *
 * fuzz IMG N SEED: N copies of IMG, each with 1 to 8 random corruptions in one kind of
 *   metadata (superblock, group descriptors, inode table, directory blocks, bitmaps and
 *   indirect blocks), located by mounting the clean image first. Each copy is mounted
 *   (read-only every third time) and walked: every directory listed and looked up, every
 *   file read (the first 64 KiB and the last 4 KiB), every symlink read; read-write mounts
 *   then create, write, truncate, rename, unlink and remove. Errors are expected; crashes,
 *   ASan/UBSan reports, leaked inodes or buffers and hangs (a 20 s alarm per image) are not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errno.h"
#include "fs/ext2/ext2_fs.h"
#include "tap.h"
#include "test_ext2_common.h"

/* ---- features ----------------------------------------------------------------------------- */

struct feature_case {
	const char *name;
	size_t off;   /* in the superblock */
	unsigned size; /* 2 or 4 */
	uint32_t value;
	bool or_bits; /* OR value in instead of storing it */
	int expect;   /* mount result */
	bool ro;      /* expected read-only */
};

#define SB(field) offsetof(struct ext2_super, field), sizeof(((struct ext2_super *)0)->field)

static const struct feature_case feature_cases[] = {
	{"incompat extents", SB(s_feature_incompat), 0x40, true, -EINVAL, false},
	{"incompat meta_bg", SB(s_feature_incompat), 0x10, true, -EINVAL, false},
	{"incompat needs_recovery", SB(s_feature_incompat), 0x4, true, -EINVAL, false},
	{"incompat 64bit+flex_bg", SB(s_feature_incompat), 0x280, true, -EINVAL, false},
	{"incompat unknown bit", SB(s_feature_incompat), 0x1000000, true, -EINVAL, false},
	{"ro_compat huge_file", SB(s_feature_ro_compat), 0x8, true, 0, true},
	{"ro_compat metadata_csum", SB(s_feature_ro_compat), 0x400, true, 0, true},
	{"ro_compat unknown bit", SB(s_feature_ro_compat), 0x40000000, true, 0, true},
	{"compat has_journal", SB(s_feature_compat), 0x4, true, 0, false},
	{"compat unknown bit", SB(s_feature_compat), 0x800000, true, 0, false},
	{"state: errors", SB(s_state), EXT2_ERROR_FS, true, 0, false},
	{"bad magic", SB(s_magic), 0xEF54, false, -EINVAL, false},
	{"block size 8 KiB", SB(s_log_block_size), 3, false, -EINVAL, false},
	{"block size 2^4G", SB(s_log_block_size), 0xffffffff, false, -EINVAL, false},
	{"revision 2", SB(s_rev_level), 2, false, -EINVAL, false},
	{"blocks past the device", SB(s_blocks_count), 0x10000000, false, -EINVAL, false},
	{"no blocks", SB(s_blocks_count), 0, false, -EINVAL, false},
	{"0 blocks per group", SB(s_blocks_per_group), 0, false, -EINVAL, false},
	{"huge blocks per group", SB(s_blocks_per_group), 0x80000, false, -EINVAL, false},
	{"0 inodes per group", SB(s_inodes_per_group), 0, false, -EINVAL, false},
	{"inode count mismatch", SB(s_inodes_count), 12345, false, -EINVAL, false},
	{"inode size 100", SB(s_inode_size), 100, false, -EINVAL, false},
	{"inode size 0", SB(s_inode_size), 0, false, -EINVAL, false},
	{"inode size 384", SB(s_inode_size), 384, false, -EINVAL, false},
	{"first inode 5", SB(s_first_ino), 5, false, -EINVAL, false},
	{"first data block 0 on 1 KiB", SB(s_first_data_block), 0, false, -EINVAL, false},
	{"huge reserved GDT", SB(s_reserved_gdt_blocks), 0xffff, false, -EINVAL, false},
};

static void patch(uint8_t *img, const struct feature_case *c)
{
	uint8_t *p = img + EXT2_SB_OFFSET + c->off;
	uint32_t v = c->value;
	if (c->size == 2) {
		uint16_t old;
		memcpy(&old, p, 2);
		uint16_t nv = (uint16_t)(c->or_bits ? old | v : v);
		memcpy(p, &nv, 2);
	} else {
		uint32_t old;
		memcpy(&old, p, 4);
		uint32_t nv = c->or_bits ? old | v : v;
		memcpy(p, &nv, 4);
	}
}

static void check_readable(struct tfs *t)
{
	char buf[16] = {0};
	CHECK_EQ(tfs_pread(t, "hello", buf, sizeof(buf), 0), 6);
	CHECK(memcmp(buf, "hello\n", 6) == 0);
}

static void feature_case(const char *work, const uint8_t *orig, size_t len,
			 const struct feature_case *c)
{
	uint8_t *img = malloc(len);
	memcpy(img, orig, len);
	patch(img, c);
	host_spill(work, img, len);
	free(img);
	uint64_t before = file_hash(work);
	struct tfs t;
	int err = tfs_mount(&t, work, NULL);
	CHECK_EQ(err, c->expect);
	if (!err) {
		CHECK_EQ(t.sb.read_only, c->ro);
		check_readable(&t);
		int cerr = tfs_create(&t, "new", S_IFREG | 0644, 0);
		CHECK_EQ(cerr, c->ro ? -EROFS : 0);
		CHECK_EQ(tfs_umount(&t), 0);
		if (c->ro)
			CHECK(file_hash(work) == before);
	}
	tap_point(c->name);
}

int run_features(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	char work[4200];
	size_t len;
	snprintf(work, sizeof(work), "%s.work", argv[2]);
	uint8_t *orig = host_slurp(argv[2], &len);
	if (!orig)
		return 2;
	for (size_t i = 0; i < sizeof(feature_cases) / sizeof(feature_cases[0]); i++)
		feature_case(work, orig, len, &feature_cases[i]);
	struct tfs t;
	host_spill(work, orig, len);
	CHECK_EQ(tfs_mount(&t, work, "ro"), 0);
	CHECK(t.sb.read_only);
	check_readable(&t);
	CHECK_EQ(tfs_umount(&t), 0);
	tap_point("mount option ro");
	host_spill(work, orig, 4096);
	CHECK_EQ(tfs_mount(&t, work, NULL), -EINVAL); /* a device smaller than the file system */
	host_spill(work, orig, 1024);
	CHECK_EQ(tfs_mount(&t, work, NULL), -EINVAL);
	tap_point("truncated devices");
	host_unlink(work);
	free(orig);
	return tap_done();
}

/* ---- fuzz --------------------------------------------------------------------------------- */

enum { R_SUPER, R_GDT, R_INODES, R_DIR, R_OTHER, R_KINDS };
static const char *const kind_names[R_KINDS] = {"superblock", "group descriptors", "inodes",
						 "directory blocks", "bitmaps/indirect blocks"};

struct region {
	uint64_t off, len;
	int kind;
};

static struct region regions[4096];
static size_t nregions;

static void add_region(int kind, uint64_t off, uint64_t len)
{
	if (nregions < sizeof(regions) / sizeof(regions[0]))
		regions[nregions++] = (struct region){off, len, kind};
}

/* Directory blocks and indirect blocks, found by walking the clean image. */
static void collect_tree(struct tfs *t, struct inode *dir, int depth)
{
	struct ext2_fs *fs = EXT2_FS(&t->sb);
	for (uint64_t b = 0; b < dir->size / fs->bs; b++) {
		uint32_t p;
		if (ext2_bmap(dir, b, false, &p, NULL) == 0 && p)
			add_region(R_DIR, (uint64_t)p * fs->bs, fs->bs);
	}
	struct tdirent *v;
	long n = ino_readdir_all(dir, &v);
	for (long i = 0; i < n; i++) {
		struct inode *ino;
		if (!strcmp(v[i].name, ".") || !strcmp(v[i].name, "..") ||
		    dir->ops->lookup(dir, v[i].name, strlen(v[i].name), &ino))
			continue;
		for (int k = EXT2_IND_BLOCK; k < EXT2_N_BLOCKS && S_ISREG(ino->mode); k++) {
			uint64_t blk = EXT2_I(ino)->block[k];
			if (blk)
				add_region(R_OTHER, blk * fs->bs, fs->bs);
		}
		if (S_ISDIR(ino->mode) && depth < 8)
			collect_tree(t, ino, depth + 1);
		vfs_iput(ino);
	}
	if (n > 0)
		free(v);
}

static int collect_regions(const char *img)
{
	struct tfs t;
	int err = tfs_mount(&t, img, "ro");
	if (err)
		return err;
	struct ext2_fs *fs = EXT2_FS(&t.sb);
	add_region(R_SUPER, EXT2_SB_OFFSET, 264); /* the fields that matter most */
	add_region(R_SUPER, EXT2_SB_OFFSET, 1024);
	add_region(R_GDT, (uint64_t)(fs->first_data_block + 1) * fs->bs, fs->ngroups * 32u);
	for (uint32_t g = 0; g < fs->ngroups; g++) {
		const struct ext2_group_desc *d = ext2_gd(fs, g);
		uint32_t used = fs->ipg - d->bg_free_inodes_count;
		uint64_t bytes = ((uint64_t)used + 2) * fs->inode_size;
		uint64_t table = (uint64_t)fs->itb_per_group * fs->bs;
		add_region(R_INODES, (uint64_t)d->bg_inode_table * fs->bs,
			   bytes < table ? bytes : table);
		add_region(R_OTHER, (uint64_t)d->bg_block_bitmap * fs->bs, fs->bs);
		add_region(R_OTHER, (uint64_t)d->bg_inode_bitmap * fs->bs, fs->bs);
	}
	collect_tree(&t, t.sb.root, 0);
	tfs_umount(&t);
	return 0;
}

static const struct region *pick_region(int kind)
{
	size_t count = 0;
	for (size_t i = 0; i < nregions; i++)
		count += regions[i].kind == kind;
	if (count == 0)
		return &regions[0];
	size_t k = trand() % count;
	for (size_t i = 0; i < nregions; i++)
		if (regions[i].kind == kind && k-- == 0)
			return &regions[i];
	return &regions[0];
}

static void corrupt(uint8_t *img, size_t len, const struct region *r)
{
	static const uint32_t special[] = {0, 1, 2, 11, 0xffffffff, 0x7fffffff, 0x80000000,
					   0xffff, 1024, 4096, 0x10000};
	uint64_t pos = r->off + trand() % r->len;
	switch (trand() % 5) {
	case 0:
		img[pos] = (uint8_t)trand();
		break;
	case 1:
		img[pos] ^= (uint8_t)(1u << (trand() % 8));
		break;
	case 2:
		img[pos] = (trand() & 1) ? 0 : 0xff;
		break;
	default: {
		uint32_t v = special[trand() % (sizeof(special) / sizeof(special[0]))];
		if (trand() % 3 == 0)
			v = (uint32_t)(trand() % 5000);
		pos &= ~(uint64_t)3;
		if (pos + 4 <= len)
			memcpy(img + pos, &v, 4);
	}
	}
}

struct fuzz_stats {
	unsigned mount_failed, mounted_ro, mounted_rw, op_errors, leaks;
	char files[3][512];
	unsigned nfiles;
	char dir[512];
	unsigned visited;
};

static void fuzz_read_file(struct inode *ino, struct fuzz_stats *st)
{
	static char buf[65536];
	if (ino_pread(ino, buf, sizeof(buf), 0) < 0)
		st->op_errors++;
	if (ino->size > 4096 && ino_pread(ino, buf, 4096, ino->size - 4096) < 0)
		st->op_errors++;
}

static void fuzz_walk(struct inode *dir, const char *path, int depth, struct fuzz_stats *st)
{
	struct tdirent *v;
	long n = ino_readdir_all(dir, &v);
	if (n < 0) {
		st->op_errors++;
		return;
	}
	for (long i = 0; i < n && st->visited < 400; i++) {
		struct inode *ino;
		char child[512], buf[4096];
		if (!strcmp(v[i].name, ".") || !strcmp(v[i].name, ".."))
			continue;
		st->visited++;
		if (dir->ops->lookup(dir, v[i].name, strlen(v[i].name), &ino)) {
			st->op_errors++;
			continue;
		}
		snprintf(child, sizeof(child), "%s%s%s", path, *path ? "/" : "", v[i].name);
		if (S_ISREG(ino->mode)) {
			fuzz_read_file(ino, st);
			if (st->nfiles < 3 && strlen(child) < 500)
				strcpy(st->files[st->nfiles++], child);
		} else if (S_ISLNK(ino->mode) && ino->ops->readlink(ino, buf, sizeof(buf)) < 0) {
			st->op_errors++;
		} else if (S_ISDIR(ino->mode) && depth < 6) {
			if (!st->dir[0] && strlen(child) < 500)
				strcpy(st->dir, child);
			fuzz_walk(ino, child, depth + 1, st);
		}
		vfs_iput(ino);
	}
	free(v);
}

/* Changes on a damaged file system: any error is fine, but not a crash or a leak. */
static void fuzz_write(struct tfs *t, struct fuzz_stats *st)
{
	static char data[40000];
	char target[300];
	memset(data, 'w', sizeof(data));
	memset(target, 't', sizeof(target) - 1);
	target[sizeof(target) - 1] = 0;
	int errs = 0;
	errs += tfs_create(t, "fz_new", S_IFREG | 0644, 0) != 0;
	errs += tfs_pwrite(t, "fz_new", data, sizeof(data), 0) < 0;
	errs += tfs_pwrite(t, "fz_new", data, 100, 300000) < 0;
	errs += tfs_truncate(t, "fz_new", 1000) != 0;
	errs += tfs_mkdir(t, "fz_dir", 0755) != 0;
	errs += tfs_create(t, "fz_dir/a", S_IFREG | 0644, 0) != 0;
	errs += tfs_rename(t, "fz_new", "fz_dir/b", 0) != 0;
	errs += tfs_symlink(t, "fz_dir/slow", target) != 0;
	for (unsigned i = 0; i < st->nfiles; i++) {
		if (i == 0)
			errs += tfs_truncate(t, st->files[i], 10) != 0;
		else
			errs += tfs_unlink(t, st->files[i]) != 0;
	}
	if (st->dir[0]) {
		errs += tfs_rename(t, st->dir, "fz_dir/moved", 0) != 0;
		errs += tfs_rmdir(t, "fz_dir/moved") != 0;
	}
	errs += tfs_unlink(t, "fz_dir/a") != 0;
	errs += t->sb.ops->sync(&t->sb) != 0;
	st->op_errors += (unsigned)errs;
}

static void fuzz_one(const char *path, unsigned i, struct fuzz_stats *st)
{
	struct tfs t;
	bool ro = i % 3 == 2;
	if (tfs_mount(&t, path, ro ? "ro" : NULL)) {
		st->mount_failed++;
		return;
	}
	if (t.sb.read_only)
		st->mounted_ro++;
	else
		st->mounted_rw++;
	st->nfiles = 0;
	st->dir[0] = 0;
	st->visited = 0;
	struct inode *ino;
	if (tfs_walk(&t, "nonexistent", &ino) == 0)
		vfs_iput(ino);
	fuzz_walk(t.sb.root, "", 0, st);
	if (!t.sb.read_only)
		fuzz_write(&t, st);
	size_t leaks = tfs_umount(&t);
	if (leaks)
		printf("# image %u: %zu references leaked\n", i, leaks);
	st->leaks += (unsigned)leaks;
}

int run_fuzz(int argc, char **argv)
{
	if (argc < 5)
		return 2;
	const char *img = argv[2];
	unsigned n = (unsigned)strtoul(argv[3], NULL, 0);
	uint64_t seed = strtoull(argv[4], NULL, 0);
	char work[4200];
	size_t len;
	snprintf(work, sizeof(work), "%s.work", img);
	uint8_t *orig = host_slurp(img, &len), *copy = malloc(len);
	CHECK(orig != NULL);
	CHECK_EQ(collect_regions(img), 0);
	printf("# %zu regions to corrupt\n", nregions);
	tap_point("the clean image mounts and its metadata is located");
	if (!orig || nregions == 0)
		return tap_done();
	struct fuzz_stats st = {0};
	for (unsigned i = 0; i < n; i++) {
		trand_seed(seed * 1000003u + i);
		int kind = (int)(i % R_KINDS);
		memcpy(copy, orig, len);
		unsigned k = 1 + (unsigned)(trand() % 8);
		const struct region *r = pick_region(kind);
		for (unsigned j = 0; j < k; j++)
			corrupt(copy, len, r);
		host_spill(work, copy, len);
		printf("# image %u: %u corruptions in %s\n", i, k, kind_names[kind]);
		host_alarm(20);
		fuzz_one(work, i, &st);
	}
	host_alarm(0);
	printf("# %u images: %u refused, %u mounted read-only, %u read-write; %u operations "
	       "failed\n", n, st.mount_failed, st.mounted_ro, st.mounted_rw, st.op_errors);
	CHECK_EQ(st.leaks, 0);
	tap_point("corrupted images give errors, never a crash, a hang or a leak");
	host_unlink(work);
	free(orig);
	free(copy);
	return tap_done();
}
