// covers: SEC-004 SEC-012
//
// Buffers the kernel can only partly use, and sizes that overflow. SEC-004: a write() whose
// buffer runs into an unmapped page returns the bytes before the gap (exactly those bytes
// arrive) or EFAULT; a read() into a read-only page is EFAULT; both for a pipe and for a
// regular file. SEC-012: counts that wrap the address space are EFAULT, a 2^63-byte mmap is
// ENOMEM, lseek near 2^63 is EINVAL or EOVERFLOW. Linux allows either answer where the
// assertion names two, so the point's text names both and a diagnostic says which came.
#define _GNU_SOURCE
#include "jsys.h"
#include "jtest.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE 4096ul
#define BEFORE_GAP 100 /* bytes of the buffer before the unmapped page */

/* Two pages, the second unmapped again: the first page's last BEFORE_GAP bytes, filled with
 * a pattern, are followed by a hole. NULL on failure. */
static uint8_t *buffer_before_gap(void)
{
	uint8_t *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (munmap(p + PAGE, PAGE) != 0)
		return NULL;
	uint8_t *b = p + PAGE - BEFORE_GAP;
	for (int i = 0; i < BEFORE_GAP; i++)
		b[i] = (uint8_t)('a' + i % 26);
	return b;
}

/* What a write of 2*BEFORE_GAP bytes from b gave: n bytes (then exactly b's first n bytes
 * must be readable from rfd) or -EFAULT. */
static bool partial_write_ok(long n, const uint8_t *b, int rfd, const char *what)
{
	jt_diag("write to %s from a buffer running into a hole: %ld", what, n);
	if (n == -EFAULT)
		return true;
	if (n != BEFORE_GAP)
		return false;
	uint8_t got[2 * BEFORE_GAP];
	long r = read(rfd, got, sizeof got);
	return r == BEFORE_GAP && memcmp(got, b, BEFORE_GAP) == 0;
}

static void test_sec004_write(const uint8_t *b)
{
	int p[2];
	JT_EQ(pipe(p), 0);
	long n = jt_sys6(SYS_write, p[1], (long)b, 2 * BEFORE_GAP, 0, 0, 0);
	JT_OK(partial_write_ok(n, b, p[0], "a pipe"),
	      "write to a pipe returns the bytes before the gap or EFAULT");
	/* The pipe still works. */
	JT_EQ(write(p[1], "ok", 2), 2);
	char two[2];
	JT_EQ(read(p[0], two, 2), 2);
	close(p[0]);
	close(p[1]);

	int fd = open("/tmp/sec_mem.gap", O_RDWR | O_CREAT | O_TRUNC, 0644);
	JT_OK(fd >= 0, "create /tmp/sec_mem.gap");
	n = jt_sys6(SYS_write, fd, (long)b, 2 * BEFORE_GAP, 0, 0, 0);
	long size = lseek(fd, 0, SEEK_END);
	lseek(fd, 0, SEEK_SET);
	JT_OK(partial_write_ok(n, b, fd, "a file"),
	      "write to a file returns the bytes before the gap or EFAULT");
	JT_OK(size == (n > 0 ? n : 0), "the file holds exactly the bytes written");
	jt_diag("file size %ld", size);
	close(fd);
	unlink("/tmp/sec_mem.gap");

	/* writev: a second segment in the hole. */
	int q[2];
	JT_EQ(pipe(q), 0);
	struct iovec iov[2] = {{(void *)b, BEFORE_GAP}, {(void *)(b + BEFORE_GAP), 16}};
	n = jt_sys6(SYS_writev, q[1], (long)iov, 2, 0, 0, 0);
	JT_OK(partial_write_ok(n, b, q[0], "a pipe by writev"),
	      "writev with a segment in the hole returns the first segment or EFAULT");
	close(q[0]);
	close(q[1]);
}

static void test_sec004_read(void)
{
	uint8_t *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	JT_OK(ro != MAP_FAILED, "mmap a read-only page");
	if (ro == MAP_FAILED)
		return;
	int fd = open("/hello.txt", O_RDONLY);
	JT_OK(fd >= 0, "open /hello.txt");
	JT_ERRNO(read(fd, ro, 17), EFAULT);
	JT_ERRNO(read(fd, ro + 100, 1), EFAULT);
	close(fd);

	int p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(write(p[1], "0123456789", 10), 10);
	JT_ERRNO(read(p[0], ro, 10), EFAULT);
	close(p[0]);
	close(p[1]);
	JT_EQ(ro[0], 0); /* nothing was stored */
	munmap(ro, PAGE);
}

static void test_sec004(void)
{
	jt_mark();
	uint8_t *b = buffer_before_gap();
	JT_OK(b != NULL, "map a buffer followed by a hole");
	if (b)
		test_sec004_write(b);
	test_sec004_read();
	jt_behaviour("SEC-004", jt_failures_since_mark() == 0,
		     "partly valid buffers: the bytes before the gap or EFAULT; read-only page EFAULT");
}

/* ---- SEC-012 ----------------------------------------------------------------------------- */

static void test_sec012_counts(void)
{
	int fd = open("/hello.txt", O_RDONLY);
	JT_OK(fd >= 0, "open /hello.txt");
	char buf[64];
	/* buf + count wraps past the top of the address space. */
	unsigned long wrap = -(unsigned long)(uintptr_t)buf + 16;
	JT_EQ(jt_sys6(SYS_read, fd, (long)buf, -1L, 0, 0, 0), -EFAULT);
	JT_EQ(jt_sys6(SYS_read, fd, (long)buf, (long)wrap, 0, 0, 0), -EFAULT);
	JT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	JT_EQ(jt_sys6(SYS_write, 1, (long)buf, -1L, 0, 0, 0), -EFAULT);
	JT_EQ(jt_sys6(SYS_write, 1, (long)buf, (long)wrap, 0, 0, 0), -EFAULT);
	JT_EQ(jt_sys6(SYS_pread64, fd, (long)buf, -1L, 0, 0, 0), -EFAULT);
	/* No wrap, but the range runs far past the user half: EFAULT before any byte moves, even
	 * though only 17 bytes would be copied. */
	JT_EQ(jt_sys6(SYS_read, fd, (long)buf, 1L << 62, 0, 0, 0), -EFAULT);
	JT_EQ(jt_sys6(SYS_write, 1, (long)buf, 1L << 62, 0, 0, 0), -EFAULT);
	JT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	/* The descriptor still reads normally. */
	JT_EQ(read(fd, buf, sizeof buf), 17);
	close(fd);
}

static void test_sec012_mmap(void)
{
	long r = jt_sys6(SYS_mmap, 0, (long)(1ul << 63), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	JT_OK(r == -ENOMEM, "mmap of 1 << 63 bytes gives ENOMEM");
	r = jt_sys6(SYS_mmap, 0, (long)(1ul << 63), PROT_READ,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	JT_OK(r == -ENOMEM, "mmap of 1 << 63 bytes with MAP_NORESERVE gives ENOMEM");
	/* A length that wraps to 0 when rounded up to a page. */
	r = jt_sys6(SYS_mmap, 0, -(long)PAGE + 1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	JT_OK(r == -ENOMEM, "mmap of a length that rounds past the top gives ENOMEM");
	jt_diag("last mmap: %ld", r);
}

static bool inval_or_overflow(long long r, int e, const char *what)
{
	jt_diag("%s: %lld %s", what, r, r < 0 ? jt_errname(e) : "");
	return r == -1 && (e == EINVAL || e == EOVERFLOW);
}

static void test_sec012_lseek(void)
{
	int fd = open("/hello.txt", O_RDONLY);
	errno = 0;
	off_t r = lseek(fd, INT64_MAX, SEEK_SET);
	JT_OK(inval_or_overflow(r, errno, "SEEK_SET 2^63-1"), "lseek to 2^63-1 gives EINVAL or EOVERFLOW");
	errno = 0;
	r = lseek(fd, INT64_MAX - 4095, SEEK_SET);
	JT_OK(inval_or_overflow(r, errno, "SEEK_SET 2^63-4096"),
	      "lseek to 2^63-4096 gives EINVAL or EOVERFLOW");
	JT_EQ(lseek(fd, 10, SEEK_SET), 10);
	errno = 0;
	r = lseek(fd, INT64_MAX - 5, SEEK_CUR);
	JT_OK(inval_or_overflow(r, errno, "SEEK_CUR 10 + 2^63-6"),
	      "lseek past 2^63 from the current offset gives EINVAL or EOVERFLOW");
	errno = 0;
	r = lseek(fd, INT64_MAX, SEEK_END);
	JT_OK(inval_or_overflow(r, errno, "SEEK_END 17 + 2^63-1"),
	      "lseek past 2^63 from the end gives EINVAL or EOVERFLOW");
	JT_EQ(lseek(fd, 0, SEEK_CUR), 10); /* a failed lseek leaves the offset */
	close(fd);
}

/* mremap's shrink is munmap of the tail (Linux): a 2^63-byte old length is refused by
 * munmap's range check (EINVAL), and a hole in the old range does not matter. Not part of
 * SEC-012's verdict (BEHAVIOURS.md does not name mremap). */
static void test_mremap_shrink(void)
{
	char *p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	JT_OK(p != MAP_FAILED, "mmap 4 pages");
	JT_ERRNO(syscall(SYS_mremap, p, 1ul << 63, 8192, MREMAP_MAYMOVE, 0), EINVAL);
	JT_EQ(munmap(p + 4096, 4096), 0);
	JT_OK(syscall(SYS_mremap, p, 4 * 4096, 4096, 0, 0) == (long)p,
	      "mremap shrinking over a hole returns the old address");
	JT_ERRNO(syscall(SYS_mremap, p + 8192, 4096, 8192, MREMAP_MAYMOVE, 0), EFAULT);
	munmap(p, 4096);
}

static void test_sec012(void)
{
	jt_mark();
	test_sec012_counts();
	test_sec012_mmap();
	test_sec012_lseek();
	jt_behaviour("SEC-012", jt_failures_since_mark() == 0,
		     "wrapping counts EFAULT, 2^63-byte mmap ENOMEM, lseek near 2^63 refused");
}

int main(void)
{
	test_sec004();
	test_sec012();
	test_mremap_shrink();
	return jt_done();
}
