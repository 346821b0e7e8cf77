// covers: FS-030 FS-031
//
// The working directory, path resolution, and the *at family with directory fds.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *cwd(char *buf, size_t n)
{
	if (!getcwd(buf, n))
		snprintf(buf, n, "(getcwd: %s)", jt_errname(errno));
	return buf;
}

static bool reads_hello(const char *path)
{
	char b[32] = {0};
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, b, sizeof b - 1);
	close(fd);
	return n == 17 && strcmp(b, "Hello from ext2!\n") == 0;
}

/* FS-030: cwd and path resolution. */
static void test_fs030(void)
{
	jt_mark();
	char b[256];
	JT_STREQ(cwd(b, sizeof b), "/");
	JT_EQ(chdir("/tmp"), 0);
	JT_STREQ(cwd(b, sizeof b), "/tmp");
	int fd = open("x", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	JT_OK(fd >= 0, "relative create of x in /tmp");
	if (fd >= 0) {
		JT_EQ(write(fd, "rel", 3), 3);
		close(fd);
	}
	struct stat st;
	JT_EQ(stat("/tmp/x", &st), 0);
	JT_EQ(st.st_size, 3);
	JT_EQ(unlink("x"), 0);
	JT_EQ(chdir(".."), 0);
	JT_STREQ(cwd(b, sizeof b), "/");

	/* fchdir */
	int dfd = open("/deep/path", O_RDONLY | O_DIRECTORY);
	JT_OK(dfd >= 0, "open /deep/path");
	JT_EQ(fchdir(dfd), 0);
	close(dfd);
	JT_STREQ(cwd(b, sizeof b), "/deep/path");
	JT_EQ(access("to/file/data.txt", R_OK), 0);
	JT_EQ(chdir("to/file"), 0);
	JT_STREQ(cwd(b, sizeof b), "/deep/path/to/file");
	JT_EQ(chdir("../../../../test"), 0);
	JT_STREQ(cwd(b, sizeof b), "/test");
	int ffd = open("/hello.txt", O_RDONLY);
	JT_ERRNO(fchdir(ffd), ENOTDIR);
	close(ffd);
	JT_ERRNO(fchdir(999), EBADF);

	JT_ERRNO(chdir("/nonexistent"), ENOENT);
	JT_ERRNO(chdir("/hello.txt"), ENOTDIR);
	JT_STREQ(cwd(b, sizeof b), "/test"); /* failures leave it alone */

	/* getcwd with a buffer that is too small. */
	char tiny[4];
	errno = 0;
	JT_OK(getcwd(tiny, sizeof tiny) == NULL && errno == ERANGE,
	      "getcwd(buf, 4) in /test: ERANGE");
	JT_EQ(syscall(SYS_getcwd, b, sizeof b), 6); /* the raw call counts the NUL */
	JT_ERRNO(syscall(SYS_getcwd, tiny, 5), ERANGE);

	/* Odd spellings of a path. */
	JT_EQ(chdir("/"), 0);
	JT_OK(reads_hello("//hello.txt"), "//hello.txt");
	JT_OK(reads_hello("/./hello.txt"), "/./hello.txt");
	JT_OK(reads_hello("/test/../hello.txt"), "/test/../hello.txt");
	JT_OK(reads_hello("/../hello.txt"), "/../hello.txt");
	JT_OK(reads_hello("/../../hello.txt"), "/../../hello.txt");
	JT_OK(reads_hello("hello.txt"), "hello.txt from /");
	JT_OK(reads_hello("./test/./../hello.txt"), "./test/./../hello.txt");
	JT_EQ(chdir(".."), 0);
	JT_STREQ(cwd(b, sizeof b), "/");
	JT_EQ(chdir("/.."), 0);
	JT_STREQ(cwd(b, sizeof b), "/");
	jt_behaviour("FS-030", jt_failures_since_mark() == 0,
		     "getcwd, chdir, fchdir, ERANGE, \"..\" at / stays at /");
}

/* FS-031: the *at calls. */
static void test_fs031(void)
{
	jt_mark();
	char b[64];
	JT_EQ(chdir("/"), 0);
	int d = open("/test", O_RDONLY | O_DIRECTORY);
	JT_OK(d >= 0, "open /test");
	int fd = openat(d, "nested.txt", O_RDONLY);
	JT_OK(fd >= 0, "openat(/test fd, nested.txt)");
	memset(b, 0, sizeof b);
	JT_EQ(read(fd, b, sizeof b - 1), 20);
	JT_STREQ(b, "Nested file content\n");
	close(fd);
	fd = openat(AT_FDCWD, "hello.txt", O_RDONLY); /* AT_FDCWD is "/" */
	JT_OK(fd >= 0, "openat(AT_FDCWD, hello.txt)");
	close(fd);
	fd = openat(d, "/hello.txt", O_RDONLY); /* absolute: dirfd ignored */
	JT_OK(fd >= 0, "openat(dirfd, absolute path)");
	close(fd);
	fd = openat(999, "/hello.txt", O_RDONLY); /* even a bad one */
	JT_OK(fd >= 0, "openat(999, absolute path)");
	if (fd >= 0)
		close(fd);
	JT_ERRNO(openat(d, "hello.txt", O_RDONLY), ENOENT);
	int f = open("/hello.txt", O_RDONLY);
	JT_ERRNO(openat(f, "x", O_RDONLY), ENOTDIR);
	JT_ERRNO(openat(999, "hello.txt", O_RDONLY), EBADF);
	JT_ERRNO(openat(-5, "hello.txt", O_RDONLY), EBADF);

	/* The modifying calls, relative to a dirfd for /tmp. */
	int t = open("/tmp", O_RDONLY | O_DIRECTORY);
	JT_EQ(mkdirat(t, "ad", 0755), 0);
	struct stat st;
	JT_EQ(stat("/tmp/ad", &st), 0);
	JT_OK(S_ISDIR(st.st_mode), "mkdirat made /tmp/ad");
	fd = openat(t, "ad/f", O_WRONLY | O_CREAT, 0644);
	JT_OK(fd >= 0, "openat create ad/f");
	JT_EQ(write(fd, "at-data", 7), 7);
	close(fd);
	JT_EQ(renameat(t, "ad/f", d, "../tmp/ad/g"), 0);
	JT_ERRNO(access("/tmp/ad/f", F_OK), ENOENT);
	JT_EQ(access("/tmp/ad/g", F_OK), 0);
	JT_EQ(syscall(SYS_renameat2, t, "ad/g", t, "ad/h", 0), 0);
	JT_EQ(access("/tmp/ad/h", F_OK), 0);
	JT_EQ(linkat(t, "ad/h", t, "ad/hl", 0), 0);
	JT_EQ(stat("/tmp/ad/hl", &st), 0);
	JT_EQ(st.st_nlink, 2);
	JT_EQ(symlinkat("h", t, "ad/sl"), 0);
	memset(b, 0, sizeof b);
	JT_EQ(readlinkat(t, "ad/sl", b, sizeof b), 1);
	JT_STREQ(b, "h");
	JT_EQ(fchmodat(t, "ad/h", 0600, 0), 0);
	JT_EQ(stat("/tmp/ad/h", &st), 0);
	JT_EQ(st.st_mode & 0777, 0600);
	struct timespec ts[2] = {{1000000000, 0}, {1200000000, 500}};
	JT_EQ(utimensat(t, "ad/h", ts, 0), 0);
	JT_EQ(stat("/tmp/ad/h", &st), 0);
	JT_EQ(st.st_atim.tv_sec, 1000000000);
	JT_EQ(st.st_mtim.tv_sec, 1200000000);
	JT_ERRNO(unlinkat(t, "ad", 0), EISDIR);
	JT_ERRNO(unlinkat(t, "ad", AT_REMOVEDIR), ENOTEMPTY);
	JT_ERRNO(unlinkat(t, "ad/h", AT_REMOVEDIR), ENOTDIR);
	JT_EQ(unlinkat(t, "ad/sl", 0), 0);
	JT_EQ(unlinkat(t, "ad/hl", 0), 0);
	JT_EQ(unlinkat(t, "ad/h", 0), 0);
	JT_EQ(unlinkat(t, "ad", AT_REMOVEDIR), 0);
	JT_ERRNO(access("/tmp/ad", F_OK), ENOENT);
	JT_ERRNO(mkdirat(f, "x", 0755), ENOTDIR);
	JT_ERRNO(unlinkat(999, "x", 0), EBADF);
	close(t);
	close(f);
	close(d);
	jt_behaviour("FS-031", jt_failures_since_mark() == 0,
		     "openat with dirfd, AT_FDCWD, absolute; ENOTDIR, EBADF; the other *at calls");
}

int main(void)
{
	umask(022);
	test_fs030();
	test_fs031();
	return jt_done();
}
