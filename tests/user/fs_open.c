// covers: FS-003 FS-009 FS-015 ABI-006
//
// open(): path errors, directory fds, creation modes and access modes, and the per-arch
// encoding of the open flags (checked with raw openat and the numeric values).
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's values, written out so that a wrong libc header cannot hide a mismatch. */
#if defined(__x86_64__)
#define K_O_DIRECT 040000
#define K_O_LARGEFILE 0100000
#define K_O_DIRECTORY 0200000
#define K_O_NOFOLLOW 0400000
#elif defined(__aarch64__)
#define K_O_DIRECTORY 040000
#define K_O_NOFOLLOW 0100000
#define K_O_DIRECT 0200000
#define K_O_LARGEFILE 0400000
#else
#error "unknown architecture"
#endif

static long raw_open(const char *path, long flags)
{
	return syscall(SYS_openat, AT_FDCWD, path, flags, 0);
}

static char longpath[8192];

/* FS-003: open errors. */
static void test_fs003(void)
{
	jt_mark();
	JT_ERRNO(open("/no/such/file", O_RDONLY), ENOENT);
	JT_ERRNO(open("/nonexistent.txt", O_RDONLY), ENOENT);
	JT_ERRNO(open("", O_RDONLY), ENOENT);
	JT_ERRNO(open("/hello.txt/x", O_RDONLY), ENOTDIR);
	JT_ERRNO(open("/hello.txt/", O_RDONLY), ENOTDIR);

	/* 4095 bytes resolve (repeated slashes are one separator); 4096 bytes are too long. */
	size_t n = 4095 - strlen("hello.txt");
	memset(longpath, '/', n);
	strcpy(longpath + n, "hello.txt");
	JT_EQ(strlen(longpath), 4095);
	errno = 0;
	int fd = open(longpath, O_RDONLY);
	JT_OKV(fd >= 0, "a 4095-byte path opens", "%s", jt_errname(errno));
	if (fd >= 0)
		close(fd);
	memmove(longpath + 1, longpath, strlen(longpath) + 1);
	JT_EQ(strlen(longpath), 4096);
	JT_ERRNO(open(longpath, O_RDONLY), ENAMETOOLONG);
	memset(longpath, '/', 6000);
	longpath[6000] = 0;
	JT_ERRNO(open(longpath, O_RDONLY), ENAMETOOLONG);

	/* A 256-byte component is too long; 255 bytes is a valid name. */
	char name[300];
	strcpy(name, "/tmp/");
	memset(name + 5, 'n', 256);
	name[5 + 256] = 0;
	JT_ERRNO(open(name, O_RDONLY), ENAMETOOLONG);
	JT_ERRNO(open(name, O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);
	name[5 + 255] = 0;
	JT_ERRNO(open(name, O_RDONLY), ENOENT);
	fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
	JT_OK(fd >= 0, "a 255-byte name can be created");
	if (fd >= 0) {
		close(fd);
		JT_EQ(unlink(name), 0);
	}
	jt_behaviour("FS-003", jt_failures_since_mark() == 0,
		     "ENOENT, ENOTDIR, ENAMETOOLONG at 4096 bytes and 256-byte names");
}

/* FS-009: directory fds. */
static void test_fs009(void)
{
	jt_mark();
	char buf[64];
	int fd = open("/test", O_RDONLY | O_DIRECTORY);
	JT_OK(fd >= 0, "open(/test, O_RDONLY|O_DIRECTORY)");
	JT_ERRNO(read(fd, buf, sizeof buf), EISDIR);
	close(fd);
	fd = open("/", O_RDONLY);
	JT_OK(fd >= 0, "open(/, O_RDONLY)");
	JT_ERRNO(read(fd, buf, sizeof buf), EISDIR);
	close(fd);
	JT_ERRNO(open("/hello.txt", O_RDONLY | O_DIRECTORY), ENOTDIR);
	JT_ERRNO(open("/test", O_WRONLY), EISDIR);
	JT_ERRNO(open("/test", O_RDWR), EISDIR);
	JT_ERRNO(open("/tmp", O_WRONLY | O_CREAT, 0644), EISDIR);
	jt_behaviour("FS-009", jt_failures_since_mark() == 0, "O_DIRECTORY, EISDIR, ENOTDIR");
}

static int mode_of(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	return (int)(st.st_mode & 07777);
}

/* FS-015: creation modes and access modes. */
static void test_fs015(void)
{
	jt_mark();
	char buf[8];
	umask(022);
	JT_ERRNO(open("/hello.txt", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	int fd = open("/tmp/m666", O_WRONLY | O_CREAT | O_EXCL, 0666);
	JT_OK(fd >= 0, "create /tmp/m666");
	close(fd);
	JT_EQ(mode_of("/tmp/m666"), 0644);
	fd = open("/tmp/m600", O_WRONLY | O_CREAT | O_EXCL, 0600);
	JT_OK(fd >= 0, "create /tmp/m600");
	close(fd);
	JT_EQ(mode_of("/tmp/m600"), 0600);
	JT_ERRNO(open("/tmp/m600", O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST);
	JT_ERRNO(open("/tmp/nodir/x", O_WRONLY | O_CREAT, 0644), ENOENT);
	JT_ERRNO(open("/nodir/x", O_WRONLY | O_CREAT, 0644), ENOENT);

	fd = open("/hello.txt", O_RDONLY);
	JT_ERRNO(write(fd, "x", 1), EBADF);
	close(fd);
	fd = open("/tmp/m666", O_WRONLY);
	JT_OK(fd >= 0, "open /tmp/m666 O_WRONLY");
	JT_ERRNO(read(fd, buf, 1), EBADF);
	JT_EQ(write(fd, "ok", 2), 2);
	close(fd);
	unlink("/tmp/m666");
	unlink("/tmp/m600");
	jt_behaviour("FS-015", jt_failures_since_mark() == 0,
		     "EEXIST, umask 022 modes, ENOENT, EBADF");
}

/* ABI-006: the flag values are the port's own. */
static void test_abi006(void)
{
	jt_mark();
	JT_OK(O_DIRECTORY == K_O_DIRECTORY, "libc's O_DIRECTORY is the port's kernel value");
	JT_OK(O_NOFOLLOW == K_O_NOFOLLOW, "libc's O_NOFOLLOW is the port's kernel value");
	JT_EQ(symlink("/hello.txt", "/tmp/abi006.lnk"), 0);

	JT_ERRNO(raw_open("/hello.txt", O_RDONLY | K_O_DIRECTORY), ENOTDIR);
	long fd = raw_open("/test", O_RDONLY | K_O_DIRECTORY);
	JT_OK(fd >= 0, "raw openat(/test, O_DIRECTORY) succeeds");
	if (fd >= 0)
		close((int)fd);
	JT_ERRNO(raw_open("/tmp/abi006.lnk", O_RDONLY | K_O_NOFOLLOW), ELOOP);
	JT_ERRNO(open("/tmp/abi006.lnk", O_RDONLY | O_NOFOLLOW), ELOOP);

	/* O_LARGEFILE is accepted and ignored. */
	fd = raw_open("/hello.txt", O_RDONLY | K_O_LARGEFILE);
	JT_OK(fd >= 0, "raw openat with O_LARGEFILE succeeds");
	char buf[32] = {0};
	if (fd >= 0) {
		JT_EQ(read((int)fd, buf, sizeof buf), 17);
		close((int)fd);
	}
	/* The other port's values mean something else here: no accidental O_DIRECTORY or
	 * O_NOFOLLOW. (x86_64 040000 is O_DIRECT, aarch64 0200000 is O_DIRECT: a kernel may
	 * refuse O_DIRECT with EINVAL but must not see a directory flag.) */
	errno = 0;
	fd = raw_open("/hello.txt", O_RDONLY | K_O_DIRECT);
	JT_OKV(fd >= 0 || errno == EINVAL, "O_DIRECT value is not O_DIRECTORY", "fd %ld, %s", fd,
	       jt_errname(errno));
	if (fd >= 0)
		close((int)fd);
	/* The symlink opened with the other port's O_NOFOLLOW value (this port's O_LARGEFILE or
	 * O_DIRECT) is followed. */
	fd = raw_open("/tmp/abi006.lnk", O_RDONLY | K_O_LARGEFILE);
	JT_OK(fd >= 0, "symlink with O_LARGEFILE is followed");
	if (fd >= 0) {
		memset(buf, 0, sizeof buf);
		JT_EQ(read((int)fd, buf, sizeof buf), 17);
		JT_STREQ(buf, "Hello from ext2!\n");
		close((int)fd);
	}
	JT_EQ(unlink("/tmp/abi006.lnk"), 0);
	jt_behaviour("ABI-006", jt_failures_since_mark() == 0,
		     "O_DIRECTORY=%#o O_NOFOLLOW=%#o O_LARGEFILE=%#o", K_O_DIRECTORY, K_O_NOFOLLOW,
		     K_O_LARGEFILE);
}

int main(void)
{
	test_fs003();
	test_fs009();
	test_fs015();
	test_abi006();
	return jt_done();
}
