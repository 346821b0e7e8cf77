// robust_corrupt: a damaged file or directory fails alone.
// covers: ROBUST-003
//
// tools/usertest applies tests/user/robust_corrupt.debugfs to this test's disk copy before
// the boot: /hello.txt's first block pointer is out of range (99999999) and /deep/path's
// directory block is zeroed. Reading /hello.txt and looking up or listing /deep/path must
// give an error (EIO, or EUCLEAN as Linux's ext4 says for a bad block), never a panic, a hang
// or data from elsewhere; the other fixture files read back exactly, and new files can still
// be written. e2fsck finds the damage afterwards: the runner skips its clean-disk point for a
// test with a .debugfs file. The other half of ROBUST-003 (a bad superblock magic) is the
// meson test robust-bad-super (tests/meson.build). Needs 'machine': its own damaged disk.
#include "jtest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool io_error(int e)
{
	return e == EIO || e == EUCLEAN;
}

static void read_exact(const char *path, const char *want)
{
	char b[256] = { 0 };
	int fd = open(path, O_RDONLY);
	JT_OK(fd >= 0, "open %s", path);
	if (fd < 0)
		return;
	JT_EQ(read(fd, b, sizeof b - 1), (long)strlen(want));
	JT_STREQ(b, want);
	close(fd);
}

static void bad_file(void)
{
	char b[64];
	int fd = open("/hello.txt", O_RDONLY);
	JT_OK(fd >= 0, "open /hello.txt (its inode is intact)");
	if (fd < 0)
		return;
	errno = 0;
	long n = read(fd, b, sizeof b);
	JT_OK(n < 0 && io_error(errno), "read of /hello.txt fails with EIO or EUCLEAN (got %ld, %s)",
	      n, jt_errname(errno));
	close(fd);
}

static void bad_dir(void)
{
	errno = 0;
	int fd = open("/deep/path/to/file/data.txt", O_RDONLY);
	JT_OK(fd < 0 && io_error(errno), "lookup through /deep/path fails with EIO or EUCLEAN "
	      "(got %d, %s)", fd, jt_errname(errno));
	if (fd >= 0)
		close(fd);
	DIR *d = opendir("/deep/path");
	JT_OK(d != NULL, "opendir /deep/path (its inode is intact)");
	if (d == NULL)
		return;
	errno = 0;
	struct dirent *e = readdir(d);
	JT_OK(e == NULL && io_error(errno), "readdir of /deep/path fails with EIO or EUCLEAN (%s)",
	      jt_errname(errno));
	closedir(d);
}

int main(void)
{
	jt_mark();
	bad_file();
	bad_dir();
	read_exact("/etc/group", "root:x:0:\n");
	read_exact("/test/nested.txt", "Nested file content\n");
	read_exact("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
	struct stat st;
	JT_EQ(stat("/deep", &st), 0);
	int fd = open("/tmp/after", O_CREAT | O_WRONLY, 0644);
	JT_OK(fd >= 0, "create /tmp/after on the damaged file system");
	JT_EQ(write(fd, "ok\n", 3), 3);
	JT_EQ(close(fd), 0);
	read_exact("/tmp/after", "ok\n");
	jt_behaviour("ROBUST-003", jt_failures_since_mark() == 0,
		     "a bad block pointer and a zeroed directory block give EIO on those only; "
		     "other files read and new ones are written");
	return jt_done();
}
