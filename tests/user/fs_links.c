// covers: FS-025 FS-027 FS-028 FS-029
//
// rename of files, hard links, symbolic links and their edge cases.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int put(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, content, strlen(content));
	close(fd);
	return n == (ssize_t)strlen(content) ? 0 : -1;
}

/* The file's content as a string in buf ("" if it cannot be read). */
static const char *get(const char *path, char *buf, size_t cap)
{
	buf[0] = 0;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return buf;
	ssize_t n = read(fd, buf, cap - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	return buf;
}

/* FS-025: rename of files. */
static void test_fs025(void)
{
	jt_mark();
	char b[128];
	JT_EQ(put("/tmp/r_src", "source content\n"), 0);
	JT_EQ(rename("/tmp/r_src", "/tmp/r_dst"), 0);
	JT_ERRNO(open("/tmp/r_src", O_RDONLY), ENOENT);
	JT_STREQ(get("/tmp/r_dst", b, sizeof b), "source content\n");

	/* Over an existing file: the destination gets the source's inode and content, and the
	 * old destination inode loses its last name (an fd on it still reads the old data). */
	JT_EQ(put("/tmp/r_new", "replacement\n"), 0);
	struct stat src_st, old_st;
	JT_EQ(stat("/tmp/r_new", &src_st), 0);
	int old = open("/tmp/r_dst", O_RDONLY);
	JT_OK(old >= 0, "open the old destination");
	JT_EQ(rename("/tmp/r_new", "/tmp/r_dst"), 0);
	JT_ERRNO(access("/tmp/r_new", F_OK), ENOENT);
	JT_STREQ(get("/tmp/r_dst", b, sizeof b), "replacement\n");
	struct stat now;
	JT_EQ(stat("/tmp/r_dst", &now), 0);
	JT_EQV(now.st_ino, src_st.st_ino);
	JT_EQ(fstat(old, &old_st), 0);
	JT_EQ(old_st.st_nlink, 0);
	memset(b, 0, sizeof b);
	JT_EQ(read(old, b, sizeof b - 1), 15);
	JT_STREQ(b, "source content\n");
	close(old);
	/* Renaming onto itself changes nothing; a missing source is ENOENT. */
	JT_EQ(rename("/tmp/r_dst", "/tmp/r_dst"), 0);
	JT_STREQ(get("/tmp/r_dst", b, sizeof b), "replacement\n");
	JT_ERRNO(rename("/tmp/r_missing", "/tmp/r_x"), ENOENT);
	JT_ERRNO(rename("/tmp/r_dst", "/tmp/nodir/x"), ENOENT);
	/* Into another directory. */
	JT_EQ(rename("/tmp/r_dst", "/test/moved"), 0);
	JT_STREQ(get("/test/moved", b, sizeof b), "replacement\n");
	JT_EQ(unlink("/test/moved"), 0);
	jt_behaviour("FS-025", jt_failures_since_mark() == 0,
		     "source gone, destination replaced, old inode unlinked");
}

/* FS-027: hard links. */
static void test_fs027(void)
{
	jt_mark();
	char b[128];
	struct stat a, h;
	JT_EQ(put("/tmp/src", "linked data\n"), 0);
	JT_EQ(link("/tmp/src", "/tmp/hard"), 0);
	JT_STREQ(get("/tmp/hard", b, sizeof b), "linked data\n");
	JT_EQ(stat("/tmp/src", &a), 0);
	JT_EQ(stat("/tmp/hard", &h), 0);
	JT_EQV(a.st_ino, h.st_ino);
	JT_EQ(a.st_nlink, 2);
	JT_EQ(h.st_nlink, 2);
	/* A write through one name shows through the other. */
	JT_EQ(put("/tmp/hard", "changed\n"), 0);
	JT_STREQ(get("/tmp/src", b, sizeof b), "changed\n");
	JT_EQ(unlink("/tmp/src"), 0);
	JT_STREQ(get("/tmp/hard", b, sizeof b), "changed\n");
	JT_EQ(stat("/tmp/hard", &h), 0);
	JT_EQ(h.st_nlink, 1);
	JT_ERRNO(link("/tmp", "/tmp/dirlink"), EPERM);
	JT_ERRNO(link("/test", "/tmp/dirlink"), EPERM);
	JT_EQ(put("/tmp/other", "x"), 0);
	JT_ERRNO(link("/tmp/hard", "/tmp/other"), EEXIST);
	JT_ERRNO(link("/tmp/missing", "/tmp/l2"), ENOENT);
	unlink("/tmp/other");
	unlink("/tmp/hard");
	jt_behaviour("FS-027", jt_failures_since_mark() == 0,
		     "same st_ino, st_nlink 2 then 1, EPERM, EEXIST");
}

/* FS-028: symbolic links. */
static void test_fs028(void)
{
	jt_mark();
	char b[128];
	JT_EQ(put("/tmp/src2", "symlink target\n"), 0);
	JT_EQ(symlink("/tmp/src2", "/tmp/sym"), 0);
	JT_STREQ(get("/tmp/sym", b, sizeof b), "symlink target\n");
	memset(b, 'X', sizeof b);
	JT_EQ(readlink("/tmp/sym", b, sizeof b), 9);
	JT_OK(memcmp(b, "/tmp/src2", 9) == 0 && b[9] == 'X', "readlink gives the target, no NUL");
	memset(b, 'X', sizeof b);
	JT_EQ(readlink("/tmp/sym", b, 4), 4); /* truncated silently */
	JT_OK(memcmp(b, "/tmp", 4) == 0 && b[4] == 'X', "a short buffer gets the first bytes");
	struct stat ls, st;
	JT_EQ(lstat("/tmp/sym", &ls), 0);
	JT_OK(S_ISLNK(ls.st_mode), "lstat: S_ISLNK");
	JT_EQ(ls.st_size, 9);
	JT_EQ(stat("/tmp/sym", &st), 0);
	JT_OK(S_ISREG(st.st_mode), "stat follows to a regular file");
	JT_EQ(st.st_size, 15);
	JT_ERRNO(readlink("/tmp/src2", b, sizeof b), EINVAL);
	JT_ERRNO(symlink("/x", "/tmp/sym"), EEXIST);

	/* A relative target resolves against the link's own directory, not the cwd. */
	JT_EQ(chdir("/"), 0);
	JT_EQ(mkdir("/tmp/rel", 0755), 0);
	JT_EQ(put("/tmp/rel/t.txt", "relative\n"), 0);
	JT_EQ(symlink("t.txt", "/tmp/rel/l"), 0);
	JT_STREQ(get("/tmp/rel/l", b, sizeof b), "relative\n");
	JT_EQ(symlink("../hello.txt", "/tmp/up"), 0);
	JT_STREQ(get("/tmp/up", b, sizeof b), "Hello from ext2!\n");
	/* A link to a directory is followed in the middle of a path. */
	JT_EQ(symlink("/test", "/tmp/dirl"), 0);
	JT_STREQ(get("/tmp/dirl/nested.txt", b, sizeof b), "Nested file content\n");

	unlink("/tmp/dirl");
	unlink("/tmp/up");
	unlink("/tmp/rel/l");
	unlink("/tmp/rel/t.txt");
	rmdir("/tmp/rel");
	unlink("/tmp/sym");
	JT_STREQ(get("/tmp/src2", b, sizeof b), "symlink target\n"); /* the target survives */
	unlink("/tmp/src2");
	jt_behaviour("FS-028", jt_failures_since_mark() == 0,
		     "followed on open, readlink exact, lstat S_ISLNK, relative targets");
}

/* FS-029: dangling links, loops, O_NOFOLLOW, nesting limit. */
static void test_fs029(void)
{
	jt_mark();
	char p[64], q[64];
	struct stat st;
	JT_EQ(symlink("/tmp/nowhere", "/tmp/dangle"), 0);
	JT_ERRNO(open("/tmp/dangle", O_RDONLY), ENOENT);
	JT_ERRNO(stat("/tmp/dangle", &st), ENOENT);
	JT_EQ(lstat("/tmp/dangle", &st), 0);
	JT_OK(S_ISLNK(st.st_mode), "lstat of a dangling link works");
	/* Creating through a dangling link creates its target. */
	int fd = open("/tmp/dangle", O_WRONLY | O_CREAT, 0644);
	JT_OK(fd >= 0, "O_CREAT through a dangling link");
	if (fd >= 0)
		close(fd);
	JT_EQ(access("/tmp/nowhere", F_OK), 0);
	unlink("/tmp/nowhere");

	JT_EQ(symlink("/tmp/b", "/tmp/a"), 0);
	JT_EQ(symlink("/tmp/a", "/tmp/b"), 0);
	JT_ERRNO(open("/tmp/a", O_RDONLY), ELOOP);
	JT_ERRNO(stat("/tmp/b", &st), ELOOP);
	JT_ERRNO(open("/tmp/a/x", O_RDONLY), ELOOP);

	JT_EQ(symlink("/hello.txt", "/tmp/nf"), 0);
	JT_ERRNO(open("/tmp/nf", O_RDONLY | O_NOFOLLOW), ELOOP);
	fd = open("/tmp/nf", O_RDONLY);
	JT_OK(fd >= 0, "without O_NOFOLLOW it opens");
	if (fd >= 0)
		close(fd);

	/* A chain l0 -> l1 -> ... -> l40 -> /hello.txt is 41 links: too many. Starting at l1
	 * it is 40, which Linux still follows. */
	for (int i = 0; i <= 40; i++) {
		snprintf(p, sizeof p, "/tmp/l%d", i);
		if (i == 40)
			snprintf(q, sizeof q, "/hello.txt");
		else
			snprintf(q, sizeof q, "/tmp/l%d", i + 1);
		if (symlink(q, p) != 0)
			JT_OK(false, "symlink %s", p);
	}
	JT_ERRNO(open("/tmp/l0", O_RDONLY), ELOOP);
	fd = open("/tmp/l1", O_RDONLY);
	JT_OKV(fd >= 0, "a chain of 40 links is followed", "%s", jt_errname(errno));
	if (fd >= 0)
		close(fd);
	for (int i = 0; i <= 40; i++) {
		snprintf(p, sizeof p, "/tmp/l%d", i);
		unlink(p);
	}
	unlink("/tmp/nf");
	unlink("/tmp/a");
	unlink("/tmp/b");
	unlink("/tmp/dangle");
	jt_behaviour("FS-029", jt_failures_since_mark() == 0,
		     "dangling ENOENT, loop ELOOP, O_NOFOLLOW ELOOP, 41 links ELOOP");
}

int main(void)
{
	umask(022);
	test_fs025();
	test_fs027();
	test_fs028();
	test_fs029();
	return jt_done();
}
