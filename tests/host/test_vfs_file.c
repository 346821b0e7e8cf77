/*
 * tests/host/test_vfs_file.c: open files over tmpfs: open flags, read/write offsets, O_APPEND,
 * pread/pwrite, sparse files, lseek (SEEK_DATA/SEEK_HOLE too), truncation, a large file, and
 * descriptor tables (lowest free fd, dup sharing offsets, dup3, EMFILE, close-on-exec, fork).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errno.h"
#include "tests/host/tap.h"
#include "tests/host/vfs_test.h"

static struct tree T;
#define R (&T.root)

static struct file *open_ok(const char *path, unsigned flags)
{
	struct file *f = NULL;
	int err = vfs_open(R, NULL, path, flags, 0644, &f);
	CHECK_EQ(err, 0);
	return f;
}

static int open_err(const char *path, unsigned flags)
{
	struct file *f = NULL;
	int err = vfs_open(R, NULL, path, flags, 0644, &f);
	if (!err)
		file_put(f);
	return err;
}

static uint32_t st_mode(const char *path)
{
	struct inode st;
	return stat_path(R, path, false, &st) == 0 ? st.mode : 0;
}

static long rd(struct file *f, char *buf, size_t n)
{
	struct uio u = uio_kernel(buf, n);
	return vfs_read(f, &u);
}

static long wr(struct file *f, const char *s)
{
	struct uio u = uio_kernel((void *)s, strlen(s));
	return vfs_write(f, &u);
}

static void finish(const char *name)
{
	CHECK_EQ(tree_free(&T), 0);
	CHECK_EQ(stub_pages_live, 0);
	tap_point(name);
}

static void test_open_flags(void)
{
	tree_new(&T);
	CHECK_EQ(vfs_mkdir(R, NULL, "/d", 0755), 0);
	CHECK_EQ(put_file(R, "/f", "0123456789"), 0);
	CHECK_EQ(vfs_symlink(R, "/f", NULL, "/l"), 0);
	CHECK_EQ(open_err("/f", O_CREAT | O_EXCL | O_WRONLY), -EEXIST);
	CHECK_EQ(open_err("/l", O_CREAT | O_EXCL | O_WRONLY), -EEXIST);
	CHECK_EQ(open_err("/nope/f", O_CREAT | O_WRONLY), -ENOENT);
	CHECK_EQ(open_err("/nope", O_RDONLY), -ENOENT);
	CHECK_EQ(open_err("", O_RDONLY), -ENOENT);
	CHECK_EQ(open_err("/f", O_RDONLY | O_DIRECTORY), -ENOTDIR);
	CHECK_EQ(open_err("/d", O_RDONLY | O_DIRECTORY), 0);
	CHECK_EQ(open_err("/d", O_WRONLY), -EISDIR);
	CHECK_EQ(open_err("/d", O_RDWR), -EISDIR);
	CHECK_EQ(open_err("/d", O_RDONLY | O_CREAT), -EISDIR);
	CHECK_EQ(open_err("/", O_RDONLY | O_CREAT), -EISDIR);
	CHECK_EQ(open_err("/new/", O_RDWR | O_CREAT), -EISDIR);
	CHECK_EQ(open_err("/l", O_RDONLY | O_NOFOLLOW), -ELOOP);
	CHECK_EQ(open_err("/l", O_RDONLY | O_NOFOLLOW | O_CREAT), -ELOOP);
	CHECK_EQ(open_err("/f/", O_RDONLY), -ENOTDIR);
	struct file *f = open_ok("/l", O_PATH | O_NOFOLLOW);
	char buf[32];
	CHECK_EQ(rd(f, buf, 4), -EBADF);
	CHECK_EQ(f->path.ino->mode & S_IFMT, S_IFLNK);
	file_put(f);
	CHECK_EQ(vfs_symlink(R, "d/made", NULL, "/dangling"), 0);
	CHECK_EQ(vfs_symlink(R, "../dangling", NULL, "/d/chain"), 0);
	CHECK_EQ(vfs_symlink(R, "/d/chain", NULL, "/chain2"), 0);
	CHECK_EQ(vfs_symlink(R, "nodir/x", NULL, "/bad"), 0);
	CHECK_EQ(open_err("/dangling", O_WRONLY | O_CREAT | O_EXCL), -EEXIST);
	CHECK_EQ(open_err("/bad", O_WRONLY | O_CREAT), -ENOENT);
	CHECK_EQ(open_err("/chain2", O_WRONLY | O_CREAT), 0); /* creates /d/made, as Linux */
	CHECK_EQ(st_mode("/d/made"), S_IFREG | 0644);
	CHECK_EQ(vfs_symlink(R, "loop", NULL, "/loop"), 0);
	CHECK_EQ(open_err("/loop", O_WRONLY | O_CREAT), -ELOOP);
	f = open_ok("/l", O_RDONLY | O_CREAT); /* an existing link is followed */
	CHECK_EQ(rd(f, buf, 4), 4);
	CHECK_EQ(wr(f, "x"), -EBADF);
	file_put(f);
	f = open_ok("/f", O_WRONLY);
	CHECK_EQ(rd(f, buf, 4), -EBADF);
	file_put(f);
	f = open_ok("/f", O_WRONLY | O_TRUNC);
	CHECK_EQ(f->path.ino->size, 0);
	CHECK_EQ(wr(f, "twenty bytes exactly"), 20);
	file_put(f);
	CHECK_EQ(get_file(R, "/f", buf, sizeof(buf)), 20);
	CHECK_STREQ(buf, "twenty bytes exactly");
	f = open_ok("/created", O_RDWR | O_CREAT | O_EXCL);
	CHECK_EQ(f->path.ino->mode, S_IFREG | 0644);
	CHECK_EQ(f->flags, O_RDWR);
	file_put(f);
	finish("file: open flags and their errors");
}

static void test_read_write(void)
{
	tree_new(&T);
	CHECK_EQ(put_file(R, "/lines", "abcdefghijklmnopqrstuvw"), 0);
	struct file *f = open_ok("/lines", O_RDONLY), *g = open_ok("/lines", O_RDONLY);
	char buf[32];
	long total = 0, n;
	while ((n = rd(f, buf, 10)) > 0)
		total += n;
	CHECK_EQ(total, 23);
	CHECK_EQ(vfs_lseek(f, 0, SEEK_CUR), 23);
	CHECK_EQ(rd(g, buf, 3), 3); /* separate opens, separate offsets */
	CHECK_EQ(vfs_lseek(g, 0, SEEK_CUR), 3);
	CHECK_EQ(vfs_lseek(f, 6, SEEK_SET), 6);
	CHECK_EQ(rd(f, buf, 3), 3);
	CHECK(memcmp(buf, "ghi", 3) == 0);
	CHECK_EQ(vfs_lseek(f, 5, SEEK_CUR), 14);
	CHECK_EQ(vfs_lseek(f, -5, SEEK_END), 18);
	CHECK_EQ(vfs_lseek(f, 100, SEEK_SET), 100);
	CHECK_EQ(rd(f, buf, 3), 0);
	CHECK_EQ(vfs_lseek(f, -200, SEEK_CUR), -EINVAL);
	CHECK_EQ(vfs_lseek(f, 0, 7), -EINVAL);
	CHECK_EQ(vfs_lseek(f, 0, SEEK_DATA), 0);
	CHECK_EQ(vfs_lseek(f, 5, SEEK_HOLE), 23);
	CHECK_EQ(vfs_lseek(f, 23, SEEK_DATA), -ENXIO);
	CHECK_EQ(vfs_lseek(f, -1, SEEK_HOLE), -ENXIO);
	file_put(f);
	file_put(g);
	/* Overwrite in the middle, pread/pwrite leave the offset alone. */
	f = open_ok("/lines", O_RDWR);
	CHECK_EQ(vfs_lseek(f, 2, SEEK_SET), 2);
	struct uio u = uio_kernel("WXYZ", 4);
	CHECK_EQ(vfs_pwrite(f, &u, 10), 4);
	u = uio_kernel(buf, 8);
	CHECK_EQ(vfs_pread(f, &u, 8), 8);
	CHECK(memcmp(buf, "ijWXYZop", 8) == 0);
	CHECK_EQ(vfs_lseek(f, 0, SEEK_CUR), 2);
	u = uio_kernel(buf, 0);
	CHECK_EQ(vfs_read(f, &u), 0);
	CHECK_EQ(wr(f, ""), 0);
	file_put(f);
	finish("file: read, write, offsets, lseek, pread/pwrite");
}

static void test_append(void)
{
	tree_new(&T);
	CHECK_EQ(put_file(R, "/log", "old."), 0);
	struct file *f = open_ok("/log", O_WRONLY | O_APPEND);
	struct file *g = open_ok("/log", O_WRONLY | O_APPEND);
	CHECK_EQ(vfs_lseek(f, 0, SEEK_SET), 0);
	CHECK_EQ(wr(f, "new1."), 5);
	CHECK_EQ(vfs_lseek(f, 0, SEEK_CUR), 9);
	CHECK_EQ(wr(g, "new2."), 5);
	CHECK_EQ(wr(f, "new3."), 5);
	struct uio u = uio_kernel("P", 1);
	CHECK_EQ(vfs_pwrite(f, &u, 0), 1); /* Linux: pwrite with O_APPEND appends */
	file_put(f);
	file_put(g);
	char buf[64];
	CHECK_EQ(get_file(R, "/log", buf, sizeof(buf)), 20);
	CHECK_STREQ(buf, "old.new1.new2.new3.P");
	finish("file: O_APPEND writes at the end every time");
}

static void test_sparse_truncate(void)
{
	tree_new(&T);
	struct file *f = open_ok("/sparse", O_RDWR | O_CREAT);
	struct uio u = uio_kernel("!", 1);
	CHECK_EQ(vfs_pwrite(f, &u, 1 << 20), 1);
	struct inode *ino = f->path.ino;
	CHECK_EQ(ino->size, (1 << 20) + 1);
	CHECK(ino->blocks > 0 && ino->blocks <= 8);
	static char big[8192];
	memset(big, 0x55, sizeof(big));
	u = uio_kernel(big, sizeof(big));
	CHECK_EQ(vfs_pread(f, &u, 4096 * 100), 8192);
	CHECK(big[0] == 0 && big[8191] == 0 && memchr(big, 0x55, sizeof(big)) == NULL);
	u = uio_kernel(big, 4);
	CHECK_EQ(vfs_pread(f, &u, (1 << 20) - 2), 3);
	CHECK(big[2] == '!');
	CHECK_EQ(vfs_lseek(f, 0, SEEK_END), (1 << 20) + 1);
	/* Truncate down into the middle of a page, then back up: the tail reads as zeros. */
	u = uio_kernel("abcdefghij", 10);
	CHECK_EQ(vfs_pwrite(f, &u, 0), 10);
	CHECK_EQ(vfs_truncate(ino, 5), 0);
	CHECK_EQ(ino->size, 5);
	CHECK_EQ(ino->blocks, 8);
	CHECK_EQ(vfs_truncate(ino, 100), 0);
	memset(big, 0x55, 100);
	u = uio_kernel(big, 200);
	CHECK_EQ(vfs_pread(f, &u, 0), 100);
	CHECK(memcmp(big, "abcde", 5) == 0 && big[5] == 0 && big[99] == 0);
	CHECK_EQ(vfs_truncate(ino, 0), 0);
	CHECK_EQ(ino->blocks, 0);
	CHECK_EQ(stub_pages_live, 0);
	CHECK_EQ(vfs_truncate(T.m->sb->root, 0), -EISDIR);
	file_put(f);
	finish("file: sparse files, holes, truncate down and up");
}

static void test_large(void)
{
	tree_new(&T);
	struct file *f = open_ok("/large", O_RDWR | O_CREAT | O_TRUNC);
	static unsigned char chunk[65536];
	for (int c = 0; c < 128; c++) { /* 8 MiB in 64 KiB chunks */
		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = (unsigned char)((c * sizeof(chunk) + i) * 7 / 3);
		struct uio u = uio_kernel(chunk, sizeof(chunk));
		CHECK_EQ(vfs_write(f, &u), sizeof(chunk));
	}
	CHECK_EQ(f->path.ino->size, 8 << 20);
	CHECK_EQ(vfs_lseek(f, 0, SEEK_SET), 0);
	int bad = 0;
	for (int c = 0; c < 128; c++) {
		struct uio u = uio_kernel(chunk, sizeof(chunk));
		CHECK_EQ(vfs_read(f, &u), sizeof(chunk));
		for (size_t i = 0; i < sizeof(chunk); i++)
			bad += chunk[i] != (unsigned char)((c * sizeof(chunk) + i) * 7 / 3);
	}
	CHECK_EQ(bad, 0);
	file_put(f);
	finish("file: an 8 MiB file reads back identical");
}

static void test_fdtable(void)
{
	tree_new(&T);
	CHECK_EQ(put_file(R, "/f", "0123456789"), 0);
	struct fdtable *t = fdtable_new(8);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(fd_install(t, open_ok("/f", O_RDONLY), 0, 0), i);
	CHECK_EQ(fd_close(t, 1), 0);
	CHECK_EQ(fd_close(t, 1), -EBADF);
	CHECK_EQ(fd_close(t, -1), -EBADF);
	CHECK_EQ(fd_install(t, open_ok("/f", O_RDONLY), 0, 0), 1);
	CHECK(fd_get(t, 999) == NULL);
	CHECK(fd_get(t, -1) == NULL);
	/* dup: a new descriptor, the same open file and offset. */
	struct file *f0 = fd_get(t, 0);
	int d = fd_install(t, f0, 0, 0);
	CHECK_EQ(d, 3);
	struct file *fd3 = fd_get(t, 3);
	char buf[8];
	CHECK_EQ(rd(fd3, buf, 4), 4);
	file_put(fd3);
	f0 = fd_get(t, 0);
	CHECK_EQ(vfs_lseek(f0, 0, SEEK_CUR), 4);
	file_put(f0);
	CHECK_EQ(fd_close(t, 0), 0);
	fd3 = fd_get(t, 3);
	CHECK_EQ(rd(fd3, buf, 2), 2); /* the copy outlives the original */
	file_put(fd3);
	/* dup3 */
	CHECK_EQ(fd_dup_to(t, 3, 3, 0), -EINVAL);
	CHECK_EQ(fd_dup_to(t, 7, 2, 0), -EBADF);
	CHECK_EQ(fd_dup_to(t, 3, 8, 0), -EBADF);
	CHECK_EQ(fd_dup_to(t, 3, 2, FD_CLOEXEC), 2);
	CHECK_EQ(fd_get_flags(t, 2), FD_CLOEXEC);
	CHECK_EQ(fd_get_flags(t, 3), 0);
	CHECK_EQ(fd_dup_to(t, 3, 7, 0), 7);
	CHECK_EQ(fd_get_flags(t, 6), -EBADF);
	/* EMFILE at max, and room again after a close. */
	struct file *extra;
	while (fd_install(t, extra = open_ok("/f", O_RDONLY), 0, 0) >= 0)
		;
	CHECK_EQ(fd_install(t, extra, 0, 0), -EMFILE);
	CHECK_EQ(fd_close(t, 5), 0);
	CHECK_EQ(fd_install(t, extra, 0, 0), 5);
	extra = open_ok("/f", O_RDONLY);
	CHECK_EQ(fd_install(t, extra, 0, 0), -EMFILE);
	file_put(extra);
	/* fork shares open files; exec closes the close-on-exec ones. */
	struct fdtable *c = fdtable_clone(t);
	CHECK_EQ(fd_set_flags(c, 4, FD_CLOEXEC), 0);
	fd_close_on_exec(c);
	CHECK(fd_get(c, 2) == NULL && fd_get(c, 4) == NULL);
	struct file *a = fd_get(c, 3), *b = fd_get(t, 3);
	CHECK(a == b);
	CHECK_EQ(fd_get_flags(t, 4), 0);
	file_put(a);
	file_put(b);
	fdtable_put(c);
	fdtable_put(t);
	finish("fd: lowest free, dup shares offsets, dup3, EMFILE, cloexec, clone");
}

int main(void)
{
	test_open_flags();
	test_read_write();
	test_append();
	test_sparse_truncate();
	test_large();
	test_fdtable();
	return tap_done();
}
