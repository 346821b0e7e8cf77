// covers: FS-021 FS-022 FS-023 FS-026
//
// Directories: mkdir, rmdir, unlink, link counts, and renaming directories.
#define _GNU_SOURCE
#include "jtest.h"
#include "jsys.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The inode number getdents64 reports for name in dir; 0 if absent, -1 on error. */
static int64_t dirent_ino(const char *dir, const char *name)
{
	char buf[4096];
	int64_t ino = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -1;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
		if (n < 0)
			ino = -1;
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct kdirent64 *d = (struct kdirent64 *)(buf + off);
			if (strcmp(d->d_name, name) == 0)
				ino = (int64_t)d->d_ino;
			off += d->d_reclen;
		}
	}
	close(fd);
	return ino;
}

static long nlink_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_nlink : -1;
}

static int64_t ino_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int64_t)st.st_ino : -1;
}

static int touch(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, content, strlen(content));
	close(fd);
	return n == (ssize_t)strlen(content) ? 0 : -1;
}

/* FS-021: mkdir, contents, rmdir. */
static void test_fs021(void)
{
	jt_mark();
	JT_EQ(mkdir("/tmp/test_dir", 0755), 0);
	struct stat st;
	JT_EQ(stat("/tmp/test_dir", &st), 0);
	JT_OK(S_ISDIR(st.st_mode), "S_ISDIR");
	JT_EQ(st.st_mode & 0777, 0755);
	JT_EQ(touch("/tmp/test_dir/file.txt", "inside\n"), 0);
	JT_OK(dirent_ino("/tmp/test_dir", "file.txt") > 0, "file.txt appears in getdents");
	JT_EQV(dirent_ino("/tmp/test_dir", "file.txt"), ino_of("/tmp/test_dir/file.txt"));
	JT_EQ(mkdir("/tmp/test_dir/sub", 0755), 0);
	JT_EQ(mkdir("/tmp/test_dir/sub/subsub", 0700), 0);
	JT_EQ(touch("/tmp/test_dir/sub/subsub/deep.txt", "deep\n"), 0);
	JT_EQ(access("/tmp/test_dir/sub/subsub/deep.txt", R_OK), 0);
	JT_ERRNO(rmdir("/tmp/test_dir"), ENOTEMPTY);
	JT_ERRNO(rmdir("/tmp/test_dir/sub"), ENOTEMPTY);
	JT_EQ(unlink("/tmp/test_dir/sub/subsub/deep.txt"), 0);
	JT_EQ(rmdir("/tmp/test_dir/sub/subsub"), 0);
	JT_EQ(rmdir("/tmp/test_dir/sub"), 0);
	JT_ERRNO(rmdir("/tmp/test_dir"), ENOTEMPTY);
	JT_EQ(unlink("/tmp/test_dir/file.txt"), 0);
	JT_EQ(rmdir("/tmp/test_dir"), 0);
	JT_ERRNO(access("/tmp/test_dir", F_OK), ENOENT);
	JT_EQ(dirent_ino("/tmp", "test_dir"), 0);
	jt_behaviour("FS-021", jt_failures_since_mark() == 0, "mkdir, nested, ENOTEMPTY, rmdir");
}

/* FS-022: errors and link counts. */
static void test_fs022(void)
{
	jt_mark();
	JT_EQ(mkdir("/tmp/d22", 0755), 0);
	JT_ERRNO(mkdir("/tmp/d22", 0755), EEXIST);
	JT_ERRNO(mkdir("/hello.txt", 0755), EEXIST);
	JT_ERRNO(mkdir("/tmp/missing/child", 0755), ENOENT);
	JT_ERRNO(rmdir("/hello.txt"), ENOTDIR);
	JT_ERRNO(rmdir("/"), EBUSY);
	JT_ERRNO(rmdir("/tmp/d22/."), EINVAL);
	JT_ERRNO(rmdir("/tmp/nonexistent"), ENOENT);

	long parent = nlink_of("/tmp/d22");
	JT_EQ(parent, 2);
	JT_EQ(mkdir("/tmp/d22/c1", 0755), 0);
	JT_EQ(nlink_of("/tmp/d22/c1"), 2);
	JT_EQ(nlink_of("/tmp/d22"), parent + 1);
	JT_EQ(mkdir("/tmp/d22/c2", 0755), 0);
	JT_EQ(nlink_of("/tmp/d22"), parent + 2);
	JT_EQ(touch("/tmp/d22/f", "x"), 0); /* a file does not add to the parent's count */
	JT_EQ(nlink_of("/tmp/d22"), parent + 2);
	JT_EQ(rmdir("/tmp/d22/c1"), 0);
	JT_EQ(nlink_of("/tmp/d22"), parent + 1);
	JT_EQ(rmdir("/tmp/d22/c2"), 0);
	JT_EQ(nlink_of("/tmp/d22"), parent);
	unlink("/tmp/d22/f");
	long tmp_links = nlink_of("/tmp");
	JT_EQ(rmdir("/tmp/d22"), 0);
	JT_EQ(nlink_of("/tmp"), tmp_links - 1);
	jt_behaviour("FS-022", jt_failures_since_mark() == 0,
		     "EEXIST, ENOENT, ENOTDIR, EBUSY, EINVAL; st_nlink 2 and parent +1/-1");
}

/* FS-023: unlink. */
static void test_fs023(void)
{
	jt_mark();
	JT_EQ(touch("/tmp/u.txt", "unlink me\n"), 0);
	JT_EQ(access("/tmp/u.txt", F_OK), 0);
	JT_EQ(unlink("/tmp/u.txt"), 0);
	JT_ERRNO(open("/tmp/u.txt", O_RDONLY), ENOENT);
	JT_ERRNO(unlink("/tmp/u.txt"), ENOENT);
	JT_EQ(dirent_ino("/tmp", "u.txt"), 0);
	JT_ERRNO(unlink("/tmp"), EISDIR);
	JT_ERRNO(unlink("/test"), EISDIR);
	JT_ERRNO(unlink("/tmp/missing/x"), ENOENT);
	JT_ERRNO(unlink("/hello.txt/x"), ENOTDIR);
	JT_EQ(access("/test/nested.txt", F_OK), 0);
	jt_behaviour("FS-023", jt_failures_since_mark() == 0, "ENOENT after, EISDIR, ENOENT");
}

/* FS-026: renaming directories. */
static void test_fs026(void)
{
	jt_mark();
	JT_EQ(mkdir("/tmp/p1", 0755), 0);
	JT_EQ(mkdir("/tmp/p2", 0755), 0);
	JT_EQ(mkdir("/tmp/p1/mv", 0755), 0);
	JT_EQ(touch("/tmp/p1/mv/inner.txt", "inner\n"), 0);
	JT_EQV(dirent_ino("/tmp/p1/mv", ".."), ino_of("/tmp/p1"));
	JT_EQ(nlink_of("/tmp/p1"), 3);
	JT_EQ(nlink_of("/tmp/p2"), 2);
	int64_t mv_ino = ino_of("/tmp/p1/mv");

	JT_EQ(rename("/tmp/p1/mv", "/tmp/p2/mv"), 0);
	JT_ERRNO(access("/tmp/p1/mv", F_OK), ENOENT);
	JT_EQV(ino_of("/tmp/p2/mv"), mv_ino);
	JT_EQ(access("/tmp/p2/mv/inner.txt", R_OK), 0);
	JT_EQV(dirent_ino("/tmp/p2/mv", ".."), ino_of("/tmp/p2"));
	JT_EQV(ino_of("/tmp/p2/mv/.."), ino_of("/tmp/p2"));
	JT_EQ(nlink_of("/tmp/p1"), 2);
	JT_EQ(nlink_of("/tmp/p2"), 3);

	/* Into its own subdirectory. */
	JT_EQ(mkdir("/tmp/p2/mv/kid", 0755), 0);
	JT_ERRNO(rename("/tmp/p2/mv", "/tmp/p2/mv/kid/x"), EINVAL);
	JT_ERRNO(rename("/tmp/p2", "/tmp/p2/mv/kid"), EINVAL);
	/* A file over a directory, a directory over a file. */
	JT_EQ(touch("/tmp/f26", "file\n"), 0);
	JT_ERRNO(rename("/tmp/f26", "/tmp/p1"), EISDIR);
	JT_ERRNO(rename("/tmp/p1", "/tmp/f26"), ENOTDIR);
	/* A directory over a non-empty directory, then over an empty one. */
	JT_ERRNO(rename("/tmp/p1", "/tmp/p2"), ENOTEMPTY);
	JT_EQ(mkdir("/tmp/empty26", 0755), 0);
	long tmp_links = nlink_of("/tmp");
	JT_EQ(rename("/tmp/p1", "/tmp/empty26"), 0);
	JT_ERRNO(access("/tmp/p1", F_OK), ENOENT);
	JT_EQ(nlink_of("/tmp"), tmp_links - 1);
	JT_EQ(access("/tmp/f26", F_OK), 0);

	rmdir("/tmp/p2/mv/kid");
	unlink("/tmp/p2/mv/inner.txt");
	rmdir("/tmp/p2/mv");
	rmdir("/tmp/p2");
	rmdir("/tmp/empty26");
	unlink("/tmp/f26");
	JT_EQ(dirent_ino("/tmp", "p2"), 0);
	jt_behaviour("FS-026", jt_failures_since_mark() == 0,
		     "\"..\" and link counts follow the move; EINVAL, EISDIR, ENOTEMPTY, ENOTDIR");
}

int main(void)
{
	umask(022);
	test_fs021();
	test_fs022();
	test_fs023();
	test_fs026();
	return jt_done();
}
