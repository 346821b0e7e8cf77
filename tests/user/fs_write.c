// covers: FS-011 FS-012 FS-013 FS-014
//
// Writing regular files: create and read back, O_TRUNC, O_APPEND (also from two processes at
// once), positioned writes, sparse files, pread/pwrite.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Read the whole file into buf (at most cap bytes); returns the length or -1. */
static long slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == cap)
			break;
	}
	close(fd);
	return (long)n;
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static const char thirty[] = "0123456789abcdefghijABCDEFGHIJ"; /* 30 bytes */
static const char twenty[] = "twenty bytes string\n";	       /* 20 bytes */

/* FS-011: create, write 30 bytes, read them back. */
static void test_fs011(void)
{
	jt_mark();
	char buf[128];
	int fd = open("/tmp/w.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	JT_OK(fd >= 0, "open /tmp/w.txt O_WRONLY|O_CREAT|O_TRUNC");
	JT_EQ(write(fd, thirty, 30), 30);
	JT_EQ(lseek(fd, 0, SEEK_CUR), 30);
	JT_EQ(close(fd), 0);
	memset(buf, 0, sizeof buf);
	JT_EQ(slurp("/tmp/w.txt", buf, sizeof buf), 30);
	JT_OK(memcmp(buf, thirty, 30) == 0, "read back the same 30 bytes");
	JT_EQ(file_size("/tmp/w.txt"), 30);
	struct stat st;
	JT_EQ(stat("/tmp/w.txt", &st), 0);
	JT_OK(S_ISREG(st.st_mode), "S_ISREG");
	JT_EQ(st.st_mode & 0777, 0644 & ~022);
	/* O_RDWR: write then read through the same fd. */
	fd = open("/tmp/w.txt", O_RDWR);
	JT_EQ(lseek(fd, 10, SEEK_SET), 10);
	memset(buf, 0, sizeof buf);
	JT_EQ(read(fd, buf, 10), 10);
	JT_STREQ(buf, "abcdefghij");
	close(fd);
	jt_behaviour("FS-011", jt_failures_since_mark() == 0, "30 bytes written and read back");
}

/* FS-012: O_TRUNC drops the old content. */
static void test_fs012(void)
{
	jt_mark();
	char buf[128];
	JT_EQ(file_size("/tmp/w.txt"), 30);
	int fd = open("/tmp/w.txt", O_WRONLY | O_TRUNC);
	JT_OK(fd >= 0, "open O_WRONLY|O_TRUNC");
	JT_EQ(file_size("/tmp/w.txt"), 0);
	JT_EQ(write(fd, twenty, 20), 20);
	close(fd);
	memset(buf, 0, sizeof buf);
	JT_EQ(slurp("/tmp/w.txt", buf, sizeof buf), 20);
	JT_STREQ(buf, twenty);
	JT_EQ(file_size("/tmp/w.txt"), 20);
	/* O_CREAT|O_TRUNC on an existing file truncates it too. */
	fd = open("/tmp/w.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
	JT_EQ(file_size("/tmp/w.txt"), 0);
	close(fd);
	jt_behaviour("FS-012", jt_failures_since_mark() == 0, "exactly the 20 new bytes remain");
}

static void append_lines(const char *path, char tag, int n)
{
	int fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0)
		_exit(2);
	for (int i = 0; i < n; i++) {
		char line[16];
		int k = snprintf(line, sizeof line, "%c%04d\n", tag, i);
		if (write(fd, line, (size_t)k) != k)
			_exit(3);
		if (i % 50 == 0)
			sched_yield();
	}
	close(fd);
}

/* FS-013: O_APPEND always writes at the end. */
static void test_fs013(void)
{
	jt_mark();
	char buf[256];
	int fd = open("/tmp/a.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	JT_EQ(write(fd, "old:", 4), 4);
	close(fd);
	fd = open("/tmp/a.txt", O_WRONLY | O_APPEND);
	JT_OK(fd >= 0, "open O_WRONLY|O_APPEND");
	JT_EQ(lseek(fd, 0, SEEK_SET), 0);
	JT_EQ(write(fd, "new1", 4), 4);
	JT_EQ(lseek(fd, 0, SEEK_CUR), 8);
	JT_EQ(lseek(fd, 2, SEEK_SET), 2);
	JT_EQ(write(fd, "new2", 4), 4);
	close(fd);
	memset(buf, 0, sizeof buf);
	JT_EQ(slurp("/tmp/a.txt", buf, sizeof buf), 12);
	JT_STREQ(buf, "old:new1new2");

	/* Two processes append 1000 lines each. */
	int f2 = open("/tmp/ap2.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	close(f2);
	pid_t a = fork();
	if (a == 0) {
		append_lines("/tmp/ap2.txt", 'A', 1000);
		_exit(0);
	}
	pid_t b = fork();
	if (b == 0) {
		append_lines("/tmp/ap2.txt", 'B', 1000);
		_exit(0);
	}
	int sa = -1, sb = -1;
	JT_EQV(waitpid(a, &sa, 0), a);
	JT_EQV(waitpid(b, &sb, 0), b);
	JT_OKV(WIFEXITED(sa) && WEXITSTATUS(sa) == 0, "appender A exit 0", "status %#x", sa);
	JT_OKV(WIFEXITED(sb) && WEXITSTATUS(sb) == 0, "appender B exit 0", "status %#x", sb);
	static char all[2000 * 6 + 64];
	long n = slurp("/tmp/ap2.txt", all, sizeof all);
	JT_EQ(n, 2000 * 6);
	int next_a = 0, next_b = 0;
	bool intact = n == 2000 * 6;
	for (long off = 0; intact && off < n; off += 6) {
		int v;
		char tag = all[off];
		if (all[off + 5] != '\n' || sscanf(all + off + 1, "%4d", &v) != 1) {
			intact = false;
		} else if (tag == 'A' && v == next_a) {
			next_a++;
		} else if (tag == 'B' && v == next_b) {
			next_b++;
		} else {
			intact = false;
		}
	}
	JT_OK(intact, "2000 intact lines, each writer's in order");
	JT_EQ(next_a, 1000);
	JT_EQ(next_b, 1000);
	unlink("/tmp/a.txt");
	unlink("/tmp/ap2.txt");
	jt_behaviour("FS-013", jt_failures_since_mark() == 0,
		     "O_APPEND after lseek; 2 x 1000 appended lines intact");
}

/* FS-014: overwrite in the middle, sparse write at 1 MiB, pread/pwrite. */
static void test_fs014(void)
{
	jt_mark();
	char buf[64];
	int fd = open("/tmp/p.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	JT_EQ(write(fd, "0123456789ABCDEF", 16), 16);
	JT_EQ(lseek(fd, 6, SEEK_SET), 6);
	JT_EQ(write(fd, "wxyz", 4), 4);
	JT_EQ(lseek(fd, 0, SEEK_END), 16);
	memset(buf, 0, sizeof buf);
	JT_EQ(pread(fd, buf, sizeof buf, 0), 16);
	JT_STREQ(buf, "012345wxyzABCDEF");

	/* pread/pwrite leave the offset alone. */
	JT_EQ(lseek(fd, 3, SEEK_SET), 3);
	JT_EQ(pwrite(fd, "PQ", 2, 12), 2);
	memset(buf, 0, sizeof buf);
	JT_EQ(pread(fd, buf, 4, 10), 4);
	JT_STREQ(buf, "ABPQ");
	JT_EQ(lseek(fd, 0, SEEK_CUR), 3);
	memset(buf, 0, sizeof buf);
	JT_EQ(read(fd, buf, 3), 3);
	JT_STREQ(buf, "345");
	JT_EQ(pread(fd, buf, 4, 100), 0); /* past EOF */
	JT_ERRNO(pread(fd, buf, 4, -1), EINVAL);
	close(fd);

	/* A sparse file. */
	const off_t mib = 1 << 20;
	fd = open("/tmp/sparse", O_RDWR | O_CREAT | O_TRUNC, 0644);
	JT_EQ(lseek(fd, mib, SEEK_SET), mib);
	JT_EQ(write(fd, "Z", 1), 1);
	struct stat st;
	JT_EQ(fstat(fd, &st), 0);
	JT_EQ(st.st_size, mib + 1);
	JT_OKV(st.st_blocks < 256, "st_blocks far below 2048", "%lld", (long long)st.st_blocks);
	char *hole = malloc((size_t)mib);
	JT_OK(hole != NULL, "malloc 1 MiB");
	if (hole) {
		memset(hole, 0x5a, (size_t)mib);
		JT_EQ(pread(fd, hole, (size_t)mib, 0), mib);
		bool zero = true;
		for (off_t i = 0; i < mib; i++)
			if (hole[i] != 0) {
				zero = false;
				break;
			}
		JT_OK(zero, "the 1 MiB hole reads as zeros");
		free(hole);
	}
	memset(buf, 0, sizeof buf);
	JT_EQ(pread(fd, buf, 8, mib), 1);
	JT_STREQ(buf, "Z");
	close(fd);
	unlink("/tmp/p.txt");
	unlink("/tmp/sparse");
	jt_behaviour("FS-014", jt_failures_since_mark() == 0,
		     "middle overwrite, 1 MiB hole reads zero, pread/pwrite keep the offset");
}

int main(void)
{
	umask(022);
	test_fs011();
	test_fs012();
	test_fs013();
	test_fs014();
	unlink("/tmp/w.txt");
	return jt_done();
}
