/*
 * tests/host/test_ext2_write.c: ext2 write workloads, each mirrored on a host directory
 * (the model) so the result can be compared: by this program through our ext2 after a
 * remount, and by run_ext2.py through debugfs.
 *
 * write IMG MODEL SEED N [CACHE_BYTES]: N random operations (create, append, write past EOF
 *   leaving holes, truncate, rename of files and directories within and across directories and over
 *   existing targets, unlink, link, symlink, mkdir, rmdir, chmod, mknod), each done on the
 *   image and on the model, with the two results (0 or -errno) required to agree; a remount
 *   every 700 operations; the trees compared at the end. An optional CACHE_BYTES argument
 *   shrinks the block cache so buffers are evicted and written back all the time.
 * big IMG MODEL: a 66 MiB file on 1 KiB blocks (past double indirection into triple), read
 *   back; sparse files reaching the end of the triple-indirect range; truncation inside the
 *   triple range; freed blocks all come back.
 * enospc IMG MODEL: fill the blocks, then the inodes; every refusal is ENOSPC, partial writes
 *   are reported as such, nothing written before is damaged, and space freed is usable again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bcache.h"
#include "core/errno.h"
#include "fs/ext2/ext2_fs.h"
#include "tap.h"
#include "test_ext2_common.h"

static const char *model_root;
static char hbuf[2][4200];

/* The model path of image path p (two slots for two-path operations). */
static const char *H(const char *p, int slot)
{
	snprintf(hbuf[slot], sizeof(hbuf[slot]), "%s%s%s", model_root, *p ? "/" : "", p);
	return hbuf[slot];
}

static long mismatches;

static void agree(const char *what, const char *path, long img, long host)
{
	if (img != host) {
		printf("# %s %s: image %ld, host %ld\n", what, path, img, host);
		mismatches++;
	}
}

/* ---- The names the workload knows about ------------------------------------------------- */

enum { N_FILE, N_DIR, N_OTHER };

struct name {
	char path[400];
	int type;
};

static struct name *names;
static size_t nnames, names_cap;

static void add_name(const char *path, int type)
{
	if (nnames == names_cap) {
		names_cap = names_cap ? 2 * names_cap : 256;
		names = realloc(names, names_cap * sizeof(*names));
	}
	snprintf(names[nnames].path, sizeof(names[nnames].path), "%s", path);
	names[nnames++].type = type;
}

static void drop_name(const char *path)
{
	for (size_t i = 0; i < nnames; i++)
		if (strcmp(names[i].path, path) == 0) {
			names[i] = names[--nnames];
			return;
		}
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == 0);
}

/* A directory moved: every name under it moves too. */
static void move_names(const char *from, const char *to)
{
	for (size_t i = 0; i < nnames; i++)
		if (under(names[i].path, from)) {
			char tmp[400];
			snprintf(tmp, sizeof(tmp), "%s%s", to, names[i].path + strlen(from));
			strcpy(names[i].path, tmp);
		}
}

static void drop_under(const char *dir)
{
	for (size_t i = 0; i < nnames;)
		if (under(names[i].path, dir))
			names[i] = names[--nnames];
		else
			i++;
}

static void scan_model(const char *rel)
{
	char **v;
	long n = host_list(H(rel, 0), &v);
	for (long i = 0; i < n; i++) {
		char path[400];
		struct hstat st;
		snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "", v[i]);
		if (host_lstat(H(path, 0), &st) != 0)
			continue;
		int type = S_ISREG(st.mode) ? N_FILE : S_ISDIR(st.mode) ? N_DIR : N_OTHER;
		add_name(path, type);
		if (type == N_DIR)
			scan_model(path);
	}
	if (n >= 0)
		host_free_list(v, n);
}

static const struct name *pick(int type)
{
	size_t count = 0;
	for (size_t i = 0; i < nnames; i++)
		count += names[i].type == type;
	if (count == 0)
		return NULL;
	size_t k = trand() % count;
	for (size_t i = 0; i < nnames; i++)
		if (names[i].type == type && k-- == 0)
			return &names[i];
	return NULL;
}

static unsigned name_counter;

/* A new path in a random directory (the root when there is none). */
static void new_path(char *out, size_t n)
{
	const struct name *d = trand() % 4 ? pick(N_DIR) : NULL;
	char leaf[220];
	unsigned len = trand() % 16 == 0 ? 100 + (unsigned)(trand() % 100) : 0;
	int k = snprintf(leaf, sizeof(leaf), "n%u", name_counter++);
	while (k < (int)len && k < (int)sizeof(leaf) - 1)
		leaf[k++] = (char)('a' + trand() % 26);
	leaf[k] = 0;
	snprintf(out, n, "%s%s%s", d ? d->path : "", d ? "/" : "", leaf);
	if (strlen(out) > 350)
		snprintf(out, n, "%s", leaf);
}

/* ---- Operations --------------------------------------------------------------------------- */

static char data[1 << 20];

static void op_create(struct tfs *t)
{
	char p[400];
	new_path(p, sizeof(p));
	uint32_t mode = S_IFREG | (0600 + (uint32_t)(trand() % 0100));
	int a = tfs_create(t, p, mode, 0), b = host_create(H(p, 0), mode, 0);
	agree("create", p, a, b);
	if (a == 0)
		add_name(p, N_FILE);
}

static void op_write(struct tfs *t, bool append)
{
	const struct name *f = pick(N_FILE);
	struct hstat st;
	if (!f || host_lstat(H(f->path, 0), &st) != 0)
		return;
	size_t len = trand() % 16 == 0 ? (size_t)(trand() % (256 << 10)) : (size_t)(trand() % 9000);
	uint64_t pos = append ? st.size : trand() % (st.size + 100000);
	for (size_t i = 0; i < len; i += 8) {
		uint64_t r = trand();
		memcpy(data + i, &r, len - i < 8 ? len - i : 8);
	}
	long a = tfs_pwrite(t, f->path, data, len, pos);
	long b = host_pwrite(H(f->path, 0), data, len, pos);
	agree(append ? "append" : "write", f->path, a, b);
}

static void op_truncate(struct tfs *t)
{
	const struct name *f = pick(N_FILE);
	struct hstat st;
	if (!f || host_lstat(H(f->path, 0), &st) != 0)
		return;
	uint64_t size = trand() % 3 ? trand() % (st.size + 1) : trand() % (st.size + 200000);
	agree("truncate", f->path, tfs_truncate(t, f->path, size),
	      host_truncate(H(f->path, 0), size));
}

static void op_unlink(struct tfs *t)
{
	const struct name *f = pick(trand() % 4 ? N_FILE : N_OTHER);
	if (!f)
		return;
	char p[400];
	strcpy(p, f->path);
	int a = tfs_unlink(t, p), b = host_unlink(H(p, 0));
	agree("unlink", p, a, b);
	if (a == 0)
		drop_name(p);
}

static void op_link(struct tfs *t)
{
	const struct name *f = pick(N_FILE);
	char p[400];
	if (!f)
		return;
	new_path(p, sizeof(p));
	int a = tfs_link(t, f->path, p), b = host_link(H(f->path, 0), H(p, 1));
	agree("link", p, a, b);
	if (a == 0)
		add_name(p, N_FILE);
}

static void op_symlink(struct tfs *t)
{
	char p[400], target[900];
	new_path(p, sizeof(p));
	size_t len = 1 + (size_t)(trand() % (trand() % 2 ? 59 : 800));
	for (size_t i = 0; i < len; i++)
		target[i] = (char)('A' + trand() % 26);
	target[len] = 0;
	int a = tfs_symlink(t, p, target), b = host_symlink(target, H(p, 0));
	agree("symlink", p, a, b);
	if (a == 0)
		add_name(p, N_OTHER);
}

static void op_mknod(struct tfs *t)
{
	char p[400];
	new_path(p, sizeof(p));
	uint32_t mode = S_IFIFO | 0640;
	int a = tfs_create(t, p, mode, 0), b = host_create(H(p, 0), mode, 0);
	agree("mkfifo", p, a, b);
	if (a == 0)
		add_name(p, N_OTHER);
}

static void op_mkdir(struct tfs *t)
{
	char p[400];
	new_path(p, sizeof(p));
	uint32_t mode = 0700 + (uint32_t)(trand() % 0100);
	int a = tfs_mkdir(t, p, mode), b = host_mkdir(H(p, 0), mode);
	agree("mkdir", p, a, b);
	if (a == 0)
		add_name(p, N_DIR);
}

static void op_rmdir(struct tfs *t)
{
	const struct name *d = pick(N_DIR);
	if (!d)
		return;
	char p[400];
	strcpy(p, d->path);
	int a = tfs_rmdir(t, p), b = host_rmdir(H(p, 0));
	agree("rmdir", p, a, b);
	if (a == 0)
		drop_under(p);
}

static void op_chmod(struct tfs *t)
{
	const struct name *f = pick(trand() % 2 ? N_FILE : N_DIR);
	if (!f)
		return;
	uint32_t mode = (f->type == N_DIR ? 0700 : 0) | (uint32_t)(trand() % 010000);
	struct vattr va = {.valid = ATTR_MODE, .mode = mode};
	agree("chmod", f->path, tfs_setattr(t, f->path, &va), host_chmod(H(f->path, 0), mode));
}

/* Rename: a new name or an existing one (file, other or directory). */
static void op_rename(struct tfs *t)
{
	int type = (int)(trand() % 5);
	const struct name *src = pick(type == 0 ? N_DIR : type == 1 ? N_OTHER : N_FILE);
	const struct name *dst = trand() % 3 ? NULL : pick((int)(trand() % 3));
	char from[400], to[400];
	if (!src)
		return;
	strcpy(from, src->path);
	if (dst)
		strcpy(to, dst->path);
	else
		new_path(to, sizeof(to));
	if (under(to, from) || under(from, to))
		return; /* the VFS refuses moving a directory into itself; not ext2's job */
	int dst_type = dst ? dst->type : -1, src_type = src->type;
	int a = tfs_rename(t, from, to, 0), b = host_rename(H(from, 0), H(to, 1));
	agree("rename", from, a, b);
	if (a != 0)
		return;
	if (dst_type >= 0 && strcmp(from, to) != 0)
		drop_under(to);
	if (src_type == N_DIR)
		move_names(from, to);
	else if (strcmp(from, to) != 0) {
		drop_name(from);
		add_name(to, src_type);
	}
}

static void remount(struct tfs *t, const char *img)
{
	CHECK_EQ(tfs_umount(t), 0);
	CHECK_EQ(tfs_mount(t, img, NULL), 0);
}

/* Below a third of the space free, only shrink: the host has room the image lacks. */
static bool space_low(struct tfs *t)
{
	struct kstatfs st;
	t->sb.ops->statfs(&t->sb, &st);
	return st.bfree < st.blocks / 3;
}

static void one_op(struct tfs *t)
{
	unsigned r = (unsigned)(trand() % 100);
	if (space_low(t)) {
		if (r % 2)
			op_unlink(t);
		else
			op_truncate(t);
		return;
	}
	if (r < 18)
		op_create(t);
	else if (r < 32)
		op_write(t, true);
	else if (r < 42)
		op_write(t, false);
	else if (r < 51)
		op_truncate(t);
	else if (r < 63)
		op_rename(t);
	else if (r < 73)
		op_unlink(t);
	else if (r < 78)
		op_link(t);
	else if (r < 83)
		op_symlink(t);
	else if (r < 89)
		op_mkdir(t);
	else if (r < 93)
		op_rmdir(t);
	else if (r < 97)
		op_chmod(t);
	else
		op_mknod(t);
}

int run_write(int argc, char **argv)
{
	if (argc < 6)
		return 2;
	const char *img = argv[2];
	model_root = argv[3];
	trand_seed(strtoull(argv[4], NULL, 0));
	unsigned nops = (unsigned)strtoul(argv[5], NULL, 0);
	if (argc > 6) /* a small cache: metadata and data evicted (written back) all the time */
		bcache_set_limit(strtoul(argv[6], NULL, 0));
	host_init();
	scan_model("");
	struct tfs t;
	CHECK_EQ(tfs_mount(&t, img, NULL), 0);
	tap_point("mount");
	for (unsigned i = 0; i < nops; i++) {
		one_op(&t);
		if (i % 700 == 699)
			remount(&t, img);
	}
	struct bcache_stats bs;
	bcache_get_stats(&bs);
	printf("# %zu names at the end; block cache: %llu hits, %llu misses, %llu evictions, "
	       "%llu writes\n", nnames, (unsigned long long)bs.hits, (unsigned long long)bs.misses,
	       (unsigned long long)bs.evictions, (unsigned long long)bs.writes);
	CHECK_EQ(mismatches, 0);
	tap_point("every operation gives the same result on the image and the model");
	remount(&t, img);
	CHECK_EQ(tfs_compare_tree(&t, "", model_root, false), 0);
	tap_point("after a remount the image equals the model");
	CHECK_EQ(tfs_umount(&t), 0);
	tap_point("unmount: no inode or buffer left referenced");
	free(names);
	return tap_done();
}

/* ---- big ---------------------------------------------------------------------------------- */

static void pattern(uint8_t *buf, size_t n, uint64_t pos)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t x = (pos + i) * 0x9E3779B97F4A7C15ull;
		buf[i] = (uint8_t)(x >> 56 ^ (pos + i) >> 10);
	}
}

static long write_both(struct tfs *t, const char *p, const void *buf, size_t n, uint64_t pos)
{
	long a = tfs_pwrite(t, p, buf, n, pos), b = host_pwrite(H(p, 0), buf, n, pos);
	agree("pwrite", p, a, b);
	return a;
}

static void big_sequential(struct tfs *t, uint64_t total)
{
	static uint8_t chunk[1 << 20], back[1 << 20];
	struct inode *ino;
	CHECK_EQ(tfs_create(t, "big", S_IFREG | 0644, 0), 0);
	CHECK_EQ(host_create(H("big", 0), S_IFREG | 0644, 0), 0);
	CHECK_EQ(tfs_walk(t, "big", &ino), 0);
	for (uint64_t pos = 0; pos < total; pos += sizeof(chunk)) {
		pattern(chunk, sizeof(chunk), pos);
		CHECK_EQ(ino_pwrite(ino, chunk, sizeof(chunk), pos), sizeof(chunk));
		CHECK_EQ(host_pwrite(H("big", 0), chunk, sizeof(chunk), pos), sizeof(chunk));
	}
	CHECK_EQ(ino->size, total);
	bool same = true;
	for (uint64_t pos = 0; pos < total && same; pos += sizeof(chunk)) {
		pattern(chunk, sizeof(chunk), pos);
		same = ino_pread(ino, back, sizeof(back), pos) == sizeof(back) &&
		       memcmp(chunk, back, sizeof(chunk)) == 0;
	}
	CHECK(same);
	CHECK(EXT2_I(ino)->block[EXT2_TIND_BLOCK] != 0);
	vfs_iput(ino);
}

static void big_sparse(struct tfs *t)
{
	struct ext2_fs *fs = EXT2_FS(&t->sb);
	uint64_t free_before, free_after;
	uint8_t buf[5000];
	struct kstatfs st;
	t->sb.ops->statfs(&t->sb, &st);
	free_before = st.bfree;
	uint64_t end = ext2_max_lblocks(fs) * fs->bs;
	CHECK_EQ(tfs_create(t, "tmp", S_IFREG | 0644, 0), 0);
	pattern(buf, sizeof(buf), 1);
	CHECK_EQ(tfs_pwrite(t, "tmp", buf, sizeof(buf), end - sizeof(buf)), sizeof(buf));
	CHECK_EQ(tfs_pwrite(t, "tmp", buf, sizeof(buf), 1ull << 30), sizeof(buf));
	CHECK_EQ(tfs_pwrite(t, "tmp", buf, sizeof(buf), 70ull << 20), sizeof(buf));
	CHECK_EQ(tfs_truncate(t, "tmp", (1ull << 30) + 100), 0);
	CHECK_EQ(tfs_unlink(t, "tmp"), 0);
	t->sb.ops->statfs(&t->sb, &st);
	free_after = st.bfree;
	CHECK_EQ(free_after, free_before);
	CHECK_EQ(host_create(H("sparse", 0), S_IFREG | 0600, 0), 0);
	CHECK_EQ(tfs_create(t, "sparse", S_IFREG | 0600, 0), 0);
	write_both(t, "sparse", buf, sizeof(buf), 80ull << 20);
	write_both(t, "sparse", buf, 10, 66ull << 20);
	write_both(t, "sparse", buf, 10, 0);
}

int run_big(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	const char *img = argv[2];
	model_root = argv[3];
	host_init();
	struct tfs t;
	CHECK_EQ(tfs_mount(&t, img, NULL), 0);
	CHECK_EQ(t.sb.block_size, 1024);
	tap_point("mount a 1 KiB-block image");
	big_sequential(&t, 66ull << 20);
	tap_point("a 66 MiB file is written and read back (triple indirection)");
	big_sparse(&t);
	tap_point("sparse writes to the end of the triple range; every block freed comes back");
	CHECK_EQ(tfs_truncate(&t, "big", (30ull << 20) + 123), 0);
	CHECK_EQ(host_truncate(H("big", 0), (30ull << 20) + 123), 0);
	uint8_t tail[3000];
	pattern(tail, sizeof(tail), 77);
	write_both(&t, "big", tail, sizeof(tail), (30ull << 20) + 123);
	CHECK_EQ(tfs_truncate(&t, "big", (65ull << 20) + 7), 0);
	CHECK_EQ(host_truncate(H("big", 0), (65ull << 20) + 7), 0);
	write_both(&t, "big", tail, sizeof(tail), (65ull << 20) + 5000);
	CHECK_EQ(tfs_truncate(&t, "big", (66ull << 20) + 999), 0);
	CHECK_EQ(host_truncate(H("big", 0), (66ull << 20) + 999), 0);
	CHECK_EQ(mismatches, 0);
	tap_point("truncate inside the double and triple ranges, extend, write");
	remount(&t, img);
	CHECK_EQ(tfs_compare_tree(&t, "", model_root, false), 0);
	CHECK_EQ(tfs_umount(&t), 0);
	tap_point("after a remount the image equals the model");
	return tap_done();
}

/* ---- enospc ------------------------------------------------------------------------------- */

/* Write 70000-byte chunks to p from pos on, up to `chunks` of them or until the disk is
 * full (a partial write or ENOSPC). True if it filled up. */
static bool write_chunks(struct tfs *t, const char *p, uint64_t pos, unsigned chunks)
{
	static uint8_t chunk[70000];
	for (unsigned i = 0; i < chunks; i++, pos += sizeof(chunk)) {
		pattern(chunk, sizeof(chunk), pos);
		long n = tfs_pwrite(t, p, chunk, sizeof(chunk), pos);
		CHECK(n == -ENOSPC || n > 0);
		if (n <= 0)
			return true;
		CHECK_EQ(host_pwrite(H(p, 0), chunk, (size_t)n, pos), n);
		if (n != sizeof(chunk))
			return true;
	}
	return false;
}

/* Files of 70000 bytes until the disk is full; if the inodes run out first, the last file
 * grows until it is. */
static unsigned fill_blocks(struct tfs *t)
{
	char p[64];
	unsigned files = 0;
	for (;; files++) {
		snprintf(p, sizeof(p), "fill%u", files);
		int err = tfs_create(t, p, S_IFREG | 0644, 0);
		if (err) {
			CHECK_EQ(err, -ENOSPC);
			break;
		}
		CHECK_EQ(host_create(H(p, 0), S_IFREG | 0644, 0), 0);
		if (write_chunks(t, p, 0, 1))
			return files + 1;
	}
	CHECK(files > 0);
	snprintf(p, sizeof(p), "fill%u", files - 1);
	CHECK(write_chunks(t, p, 70000, 100000));
	return files;
}

/* Empty files until the inodes (or the root directory's blocks) run out. */
static unsigned fill_inodes(struct tfs *t)
{
	unsigned n = 0;
	for (;; n++) {
		char p[64];
		snprintf(p, sizeof(p), "empty%u", n);
		int err = tfs_create(t, p, S_IFREG | 0600, 0);
		if (err) {
			CHECK_EQ(err, -ENOSPC);
			break;
		}
		CHECK_EQ(host_create(H(p, 0), S_IFREG | 0600, 0), 0);
	}
	CHECK_EQ(tfs_mkdir(t, "dir", 0700), -ENOSPC);
	return n;
}

static const struct vfs_cred user = {1000, 1000, 0, NULL};

static const struct vfs_cred *as_user(void)
{
	return &user;
}

/* A user (not root) is stopped at the reserved blocks; the file it wrote is then removed. */
static void reserved_blocks(struct tfs *t)
{
	static uint8_t chunk[65536];
	struct kstatfs st;
	struct inode *ino;
	vfs_current_cred = as_user;
	CHECK_EQ(tfs_create(t, "user-file", S_IFREG | 0644, 0), 0);
	CHECK_EQ(tfs_walk(t, "user-file", &ino), 0);
	CHECK_EQ(ino->uid, 1000);
	uint64_t pos = 0;
	for (long n; (n = ino_pwrite(ino, chunk, sizeof(chunk), pos)) > 0;)
		pos += (uint64_t)n;
	CHECK_EQ(ino_pwrite(ino, chunk, 1, pos), -ENOSPC);
	vfs_iput(ino);
	t->sb.ops->statfs(&t->sb, &st);
	printf("# a user filled %llu bytes; %llu blocks free, %llu available\n",
	       (unsigned long long)pos, (unsigned long long)st.bfree,
	       (unsigned long long)st.bavail);
	CHECK(st.bfree > 0);
	CHECK_EQ(st.bavail, 0);
	vfs_current_cred = NULL;
	CHECK_EQ(tfs_unlink(t, "user-file"), 0);
}

int run_enospc(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	const char *img = argv[2];
	model_root = argv[3];
	host_init();
	struct tfs t;
	struct kstatfs st;
	CHECK_EQ(tfs_mount(&t, img, NULL), 0);
	reserved_blocks(&t);
	tap_point("the reserved blocks are kept for root");
	unsigned files = fill_blocks(&t);
	t.sb.ops->statfs(&t.sb, &st);
	printf("# %u files filled the disk; %llu blocks free\n", files,
	       (unsigned long long)st.bfree);
	CHECK(st.bfree < 20);
	CHECK_EQ(tfs_pwrite(&t, "keep/precious", "x", 1, 1 << 20), -ENOSPC);
	CHECK_EQ(tfs_symlink(&t, "slow", "a-long-target-that-needs-a-block-of-its-own-because-"
					 "it-is-longer-than-sixty"), -ENOSPC);
	tap_point("writes fail with ENOSPC when the blocks run out; partial writes count");
	unsigned empties = fill_inodes(&t);
	printf("# then %u empty files and directories\n", empties);
	CHECK_EQ(tfs_create(&t, "one-more", S_IFREG | 0644, 0), -ENOSPC);
	tap_point("creates fail with ENOSPC when the inodes or blocks run out");
	CHECK_EQ(tfs_compare_tree(&t, "", model_root, false), 0);
	tap_point("everything written before is intact");
	CHECK_EQ(tfs_unlink(&t, "fill0"), 0);
	CHECK_EQ(host_unlink(H("fill0", 0)), 0);
	CHECK_EQ(tfs_create(&t, "after", S_IFREG | 0644, 0), 0);
	CHECK_EQ(host_create(H("after", 0), S_IFREG | 0644, 0), 0);
	uint8_t buf[20000];
	pattern(buf, sizeof(buf), 5);
	write_both(&t, "after", buf, sizeof(buf), 0);
	CHECK_EQ(mismatches, 0);
	remount(&t, img);
	CHECK_EQ(tfs_compare_tree(&t, "", model_root, false), 0);
	CHECK_EQ(tfs_umount(&t), 0);
	tap_point("space freed is usable again; the image equals the model after a remount");
	return tap_done();
}
