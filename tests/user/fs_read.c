// covers: FS-001 FS-002 FS-005 FS-006
//
// Reading regular files from the fixture image: byte counts, EOF, offsets, lseek.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char hello[] = "Hello from ext2!\n";

static void build_lines(char *out, size_t cap)
{
	size_t n = 0;
	for (int i = 1; i <= 15; i++)
		n += (size_t)snprintf(out + n, cap - n, "Line %d\n", i);
}

/* FS-001: a plain read returns the bytes, then 0, and moves the offset. */
static void test_fs001(void)
{
	jt_mark();
	char buf[256];
	memset(buf, 0, sizeof buf);
	int fd = open("/hello.txt", O_RDONLY);
	JT_OK(fd >= 0, "open /hello.txt O_RDONLY");
	JT_EQ(read(fd, buf, 256), 17);
	JT_OK(memcmp(buf, hello, 17) == 0, "content is \"Hello from ext2!\\n\"");
	JT_EQ(read(fd, buf, 256), 0);
	JT_EQ(lseek(fd, 0, SEEK_CUR), 17);
	JT_EQ(read(fd, buf, 256), 0);
	JT_EQ(close(fd), 0);
	/* The empty file reads 0 at once. */
	fd = open("/empty.txt", O_RDONLY);
	JT_OK(fd >= 0, "open /empty.txt");
	JT_EQ(read(fd, buf, 256), 0);
	JT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	close(fd);
	/* Nested paths read the same way. */
	fd = open("/deep/path/to/file/data.txt", O_RDONLY);
	JT_OK(fd >= 0, "open /deep/path/to/file/data.txt");
	memset(buf, 0, sizeof buf);
	JT_EQ(read(fd, buf, 256), 20);
	JT_STREQ(buf, "Deep nested content\n");
	close(fd);
	jt_behaviour("FS-001", jt_failures_since_mark() == 0,
		     "read returns 17 bytes, then 0, offset 17");
}

/* FS-002: 10-byte reads of /lines.txt; two opens have separate offsets. */
static void test_fs002(void)
{
	jt_mark();
	char want[160], got[160];
	build_lines(want, sizeof want);
	JT_EQ(strlen(want), 111);
	int fd = open("/lines.txt", O_RDONLY);
	JT_OK(fd >= 0, "open /lines.txt");
	size_t total = 0;
	int reads = 0;
	bool sizes_ok = true;
	for (;;) {
		ssize_t r = read(fd, got + total, 10);
		if (r <= 0) {
			JT_EQ(r, 0);
			break;
		}
		reads++;
		if (reads <= 11 && r != 10)
			sizes_ok = false;
		if (reads == 12 && r != 1)
			sizes_ok = false;
		total += (size_t)r;
		if (total > 120)
			break;
	}
	JT_OK(sizes_ok, "reads return 10 x 11, then 1");
	JT_EQ(reads, 12);
	JT_EQ(total, 111);
	JT_OK(total == 111 && memcmp(got, want, 111) == 0, "pieces join to the whole file");
	JT_EQ(read(fd, got, 10), 0);
	close(fd);

	int a = open("/lines.txt", O_RDONLY);
	int b = open("/lines.txt", O_RDONLY);
	JT_OK(a >= 0 && b >= 0 && a != b, "two opens give two fds");
	char x[8] = {0}, y[8] = {0};
	JT_EQ(read(a, x, 7), 7);
	JT_EQ(read(a, x, 7), 7);
	JT_STREQ(x, "Line 2\n");
	JT_EQ(read(b, y, 7), 7);
	JT_STREQ(y, "Line 1\n");
	JT_EQ(lseek(a, 0, SEEK_CUR), 14);
	JT_EQ(lseek(b, 0, SEEK_CUR), 7);
	close(a);
	close(b);
	jt_behaviour("FS-002", jt_failures_since_mark() == 0,
		     "10-byte reads 10..10,1,0; separate offsets");
}

/* FS-005: lseek SEEK_SET / SEEK_CUR / SEEK_END on /hello.txt. */
static void test_fs005(void)
{
	jt_mark();
	char buf[64];
	int fd = open("/hello.txt", O_RDONLY);
	JT_OK(fd >= 0, "open /hello.txt");
	JT_EQ(lseek(fd, 0, SEEK_SET), 0);
	memset(buf, 0, sizeof buf);
	JT_EQ(read(fd, buf, sizeof buf), 17);
	JT_STREQ(buf, hello);
	JT_EQ(lseek(fd, 6, SEEK_SET), 6);
	memset(buf, 0, sizeof buf);
	JT_EQ(read(fd, buf, sizeof buf), 11);
	JT_STREQ(buf, "from ext2!\n");
	JT_EQ(lseek(fd, 0, SEEK_SET), 0);
	JT_EQ(lseek(fd, 5, SEEK_CUR), 5);
	memset(buf, 0, sizeof buf);
	JT_EQ(read(fd, buf, 5), 5);
	JT_STREQ(buf, " from");
	JT_EQ(lseek(fd, 0, SEEK_END), 17);
	JT_EQ(lseek(fd, -5, SEEK_END), 12);
	memset(buf, 0, sizeof buf);
	JT_EQ(read(fd, buf, sizeof buf), 5);
	JT_STREQ(buf, "xt2!\n");
	close(fd);
	jt_behaviour("FS-005", jt_failures_since_mark() == 0,
		     "SEEK_SET/CUR/END positions and data");
}

/* FS-006: past EOF is allowed, negative and bad whence are EINVAL, pipes are ESPIPE. */
static void test_fs006(void)
{
	jt_mark();
	char buf[16];
	int fd = open("/hello.txt", O_RDONLY);
	JT_OK(fd >= 0, "open /hello.txt");
	JT_EQ(lseek(fd, 100, SEEK_SET), 100);
	JT_EQ(read(fd, buf, sizeof buf), 0);
	JT_EQ(lseek(fd, 0, SEEK_CUR), 100);
	JT_EQ(lseek(fd, 3, SEEK_SET), 3);
	JT_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
	JT_ERRNO(lseek(fd, -4, SEEK_CUR), EINVAL);
	JT_ERRNO(lseek(fd, -18, SEEK_END), EINVAL);
	JT_EQ(lseek(fd, 0, SEEK_CUR), 3); /* failed seeks leave the offset alone */
	JT_ERRNO(lseek(fd, 0, 7), EINVAL);
	JT_ERRNO(lseek(fd, 0, -1), EINVAL);
	close(fd);
	int p[2];
	JT_EQ(pipe(p), 0);
	JT_ERRNO(lseek(p[0], 0, SEEK_CUR), ESPIPE);
	JT_ERRNO(lseek(p[1], 0, SEEK_SET), ESPIPE);
	close(p[0]);
	close(p[1]);
	JT_ERRNO(lseek(999, 0, SEEK_SET), EBADF);
	jt_behaviour("FS-006", jt_failures_since_mark() == 0, "past EOF ok, EINVAL, ESPIPE");
}

int main(void)
{
	test_fs001();
	test_fs002();
	test_fs005();
	test_fs006();
	return jt_done();
}
