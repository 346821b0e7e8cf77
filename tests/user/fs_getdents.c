// covers: FS-007 FS-008
//
// getdents64: the root directory of the fixture, and a 300-entry directory listed with
// buffers of many sizes.
#define _GNU_SOURCE
#include "jtest.h"
#include "jsys.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static long raw_getdents64(int fd, void *buf, size_t n)
{
	return syscall(SYS_getdents64, fd, buf, n);
}

/* FS-007: the root directory. */
static void test_fs007(void)
{
	static const struct {
		const char *name;
		unsigned char type;
	} want[] = {
		{".", DT_DIR},	       {"..", DT_DIR},	      {"hello.txt", DT_REG},
		{"lines.txt", DT_REG}, {"empty.txt", DT_REG}, {"bin", DT_DIR},
		{"sbin", DT_DIR},      {"test", DT_DIR},      {"deep", DT_DIR},
		{"tmp", DT_DIR},       {"dev", DT_DIR},
	};
	enum { NW = sizeof want / sizeof want[0] };
	int seen[NW] = {0};
	jt_mark();
	int fd = open("/", O_RDONLY | O_DIRECTORY);
	JT_OK(fd >= 0, "open / O_DIRECTORY");
	char buf[200]; /* small, so that several calls are needed */
	int calls = 0, entries = 0;
	bool ino_ok = true, reclen_ok = true, type_ok = true;
	for (;;) {
		long n = raw_getdents64(fd, buf, sizeof buf);
		if (n < 0) {
			JT_OK(false, "getdents64 failed: %s", jt_errname(errno));
			break;
		}
		if (n == 0)
			break;
		calls++;
		for (long off = 0; off < n;) {
			struct kdirent64 *d = (struct kdirent64 *)(buf + off);
			entries++;
			if (d->d_ino == 0)
				ino_ok = false;
			if (d->d_reclen == 0 || d->d_reclen % 8 != 0) {
				reclen_ok = false;
				break;
			}
			for (int i = 0; i < NW; i++) {
				if (strcmp(d->d_name, want[i].name) == 0) {
					seen[i]++;
					if (d->d_type != want[i].type) {
						type_ok = false;
						jt_diag("%s: d_type %d", d->d_name, d->d_type);
					}
				}
			}
			off += d->d_reclen;
		}
		if (calls > 1000)
			break;
	}
	JT_OKV(calls >= 2, "a 200-byte buffer needs several calls", "%d", calls);
	JT_OK(ino_ok, "every d_ino is nonzero");
	JT_OK(reclen_ok, "every d_reclen is a multiple of 8");
	JT_OK(type_ok, "d_type is DT_DIR or DT_REG as expected");
	for (int i = 0; i < NW; i++)
		JT_OK(seen[i] == 1, "\"%s\" listed once (%d)", want[i].name, seen[i]);
	JT_EQ(raw_getdents64(fd, buf, sizeof buf), 0); /* still at the end */
	close(fd);
	JT_ERRNO(open("/nonexistent_dir", O_RDONLY | O_DIRECTORY), ENOENT);
	JT_ERRNO(open("/nonexistent_dir/", O_RDONLY), ENOENT);
	jt_behaviour("FS-007", jt_failures_since_mark() == 0, "%d entries of / in %d calls",
		     entries, calls);
}

#define NFILES 300

/* List /tmp/big with buffer size bufsize; true if every file appears exactly once. */
static bool list_big(size_t bufsize, int *out_count)
{
	static char buf[65536];
	static unsigned char seen[NFILES];
	memset(seen, 0, sizeof seen);
	int fd = open("/tmp/big", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return false;
	bool ok = true;
	int count = 0, dots = 0;
	for (int guard = 0; guard < 100000; guard++) {
		long n = raw_getdents64(fd, buf, bufsize);
		if (n < 0) {
			jt_diag("bufsize %zu: getdents64 -> %s", bufsize, jt_errname(errno));
			ok = false;
			break;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n;) {
			struct kdirent64 *d = (struct kdirent64 *)(buf + off);
			int k;
			if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0) {
				dots++;
			} else if (sscanf(d->d_name, "f%d", &k) == 1 && k >= 0 && k < NFILES) {
				if (seen[k]++)
					ok = false; /* duplicate */
				count++;
			} else {
				ok = false;
			}
			if (d->d_reclen == 0)
				return false;
			off += d->d_reclen;
		}
	}
	close(fd);
	for (int i = 0; i < NFILES; i++)
		if (seen[i] != 1)
			ok = false;
	*out_count = count;
	return ok && dots == 2;
}

/* FS-008: a directory that spans several blocks. */
static void test_fs008(void)
{
	jt_mark();
	char path[64];
	JT_EQ(mkdir("/tmp/big", 0755), 0);
	int made = 0;
	for (int i = 0; i < NFILES; i++) {
		snprintf(path, sizeof path, "/tmp/big/f%03d_with_a_longer_name", i);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd >= 0) {
			made++;
			close(fd);
		}
	}
	JT_EQ(made, NFILES);
	struct stat st;
	JT_EQ(stat("/tmp/big", &st), 0);
	JT_OKV(st.st_size > 4096, "the directory spans several blocks", "st_size %lld",
	       (long long)st.st_size);
	/* The smallest entry ("." or "..") is 24 bytes; f000_with_a_longer_name is 48. */
	static const size_t sizes[] = {48, 50, 64, 100, 333, 1024, 4096, 32768};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		int count = 0;
		JT_OK(list_big(sizes[i], &count), "buffer %zu lists all %d entries once (%d)",
		      sizes[i], NFILES, count);
	}
	char small[64];
	int fd = open("/tmp/big", O_RDONLY | O_DIRECTORY);
	JT_ERRNO(raw_getdents64(fd, small, 8), EINVAL);
	close(fd);
	fd = open("/hello.txt", O_RDONLY);
	JT_ERRNO(raw_getdents64(fd, small, sizeof small), ENOTDIR);
	close(fd);
	JT_ERRNO(raw_getdents64(999, small, sizeof small), EBADF);

	int removed = 0;
	for (int i = 0; i < NFILES; i++) {
		snprintf(path, sizeof path, "/tmp/big/f%03d_with_a_longer_name", i);
		removed += unlink(path) == 0;
	}
	JT_EQ(removed, NFILES);
	JT_EQ(rmdir("/tmp/big"), 0);
	jt_behaviour("FS-008", jt_failures_since_mark() == 0,
		     "300 entries complete for every buffer size; EINVAL, ENOTDIR");
}

int main(void)
{
	test_fs007();
	test_fs008();
	return jt_done();
}
