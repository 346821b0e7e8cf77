// covers: MEM-004 MEM-007 MEM-009 MEM-011 ABI-011
//
// mmap and munmap: anonymous pages, argument checks, MAP_FIXED and hints, file mappings
// (private, shared, beyond EOF), the 4096-byte page size, and musl's heap on top of brk and
// mmap (malloc, realloc through mremap, posix_memalign, madvise).
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

static void *raw_mmap(void *a, size_t len, int prot, int flags, int fd, long off)
{
	return (void *)syscall(SYS_mmap, a, len, prot, flags, fd, off);
}

/* MEM-004: one anonymous page. */
static void test_mem004(void)
{
	jt_mark();
	unsigned char *p =
		mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	JT_OK(p != MAP_FAILED, "mmap 4096 anonymous");
	if (p == MAP_FAILED)
		return;
	JT_EQ((uintptr_t)p % PG, 0);
	bool zero = true;
	for (int i = 0; i < PG; i++)
		zero = zero && p[i] == 0;
	JT_OK(zero, "all 4096 bytes are zero");
	for (int i = 0; i < PG; i++)
		p[i] = (unsigned char)(i * 31 + 7);
	bool back = true;
	for (int i = 0; i < PG; i++)
		back = back && p[i] == (unsigned char)(i * 31 + 7);
	JT_OK(back, "every byte is writable and reads back");
	JT_EQ(munmap(p, PG), 0);
	jt_behaviour("MEM-004", jt_failures_since_mark() == 0,
		     "aligned, zeroed, writable page; munmap 0");
}

/* MEM-007: argument checks, MAP_FIXED, hints. */
static void test_mem007(void)
{
	jt_mark();
	const int rw = PROT_READ | PROT_WRITE;
	JT_ERRNO((long)raw_mmap(NULL, 0, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	JT_ERRNO((long)raw_mmap((void *)0x10000123, PG, rw, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				-1, 0),
		 EINVAL);
	JT_ERRNO((long)raw_mmap(NULL, PG, rw, MAP_ANONYMOUS, -1, 0), EINVAL);
	JT_ERRNO(mmap(NULL, 0, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);

	unsigned char *p = mmap(NULL, 3 * PG, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	JT_OK(p != MAP_FAILED, "mmap 3 pages");
	JT_ERRNO(munmap(p + 1, PG), EINVAL);
	memset(p, 0x77, 3 * PG);
	/* MAP_FIXED over the middle page replaces it with a zero page. */
	void *q = mmap(p + PG, PG, rw, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	JT_OK(q == p + PG, "MAP_FIXED returns the address asked for");
	JT_EQ(p[PG], 0);
	JT_EQ(p[2 * PG - 1], 0);
	JT_EQ(p[PG - 1], 0x77);
	JT_EQ(p[2 * PG], 0x77);
	JT_EQ(munmap(p, 3 * PG), 0);
	JT_EQ(munmap(p, 3 * PG), 0); /* unmapping an unmapped range is fine */
	/* A free hint is used as given. */
	void *h = mmap(p, 2 * PG, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	JT_OKV(h == p, "a free hint address is used as given", "hint %p, got %p", (void *)p, h);
	if (h != MAP_FAILED)
		munmap(h, 2 * PG);
	jt_behaviour("MEM-007", jt_failures_since_mark() == 0,
		     "EINVAL cases; MAP_FIXED replaces; hints honoured");
}

/* MEM-009: file mappings. */
static void test_mem009(void)
{
	jt_mark();
	int fd = open("/hello.txt", O_RDONLY);
	unsigned char *p = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
	JT_OK(p != MAP_FAILED, "mmap /hello.txt PROT_READ MAP_PRIVATE");
	if (p != MAP_FAILED) {
		JT_OK(memcmp(p, "Hello from ext2!\n", 17) == 0, "the mapping shows the file");
		bool zero = true;
		for (int i = 17; i < PG; i++)
			zero = zero && p[i] == 0;
		JT_OK(zero, "zeros to the end of the page");
		munmap(p, PG);
	}
	/* A writable private mapping does not change the file. */
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	JT_OK(p != MAP_FAILED, "mmap /hello.txt PROT_WRITE MAP_PRIVATE");
	if (p != MAP_FAILED) {
		memcpy(p, "JELLO", 5);
		JT_EQ(p[0], 'J');
		munmap(p, PG);
	}
	char b[32] = {0};
	JT_EQ(pread(fd, b, sizeof b, 0), 17);
	JT_STREQ(b, "Hello from ext2!\n");
	close(fd);

	/* MAP_SHARED stores reach the file: after msync, and after munmap. */
	fd = open("/tmp/shared", O_RDWR | O_CREAT | O_TRUNC, 0644);
	JT_EQ(write(fd, "aaaaaaaaaaaaaaaaaaaa", 20), 20);
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	JT_OK(p != MAP_FAILED, "mmap MAP_SHARED");
	if (p != MAP_FAILED) {
		memcpy(p, "SYNCED", 6);
		JT_EQ(msync(p, PG, MS_SYNC), 0);
		memset(b, 0, sizeof b);
		JT_EQ(pread(fd, b, 20, 0), 20);
		JT_STREQ(b, "SYNCEDaaaaaaaaaaaaaa");
		memcpy(p + 10, "UNMAP", 5);
		JT_EQ(munmap(p, PG), 0);
		int fd2 = open("/tmp/shared", O_RDONLY);
		memset(b, 0, sizeof b);
		JT_EQ(read(fd2, b, sizeof b), 20);
		JT_STREQ(b, "SYNCEDaaaaUNMAPaaaaa");
		close(fd2);
	}
	/* Writes through the fd show in a shared mapping. */
	p = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
	JT_EQ(pwrite(fd, "Z", 1, 0), 1);
	JT_EQ(p != MAP_FAILED ? p[0] : 0, 'Z');
	if (p != MAP_FAILED)
		munmap(p, PG);

	/* A page wholly beyond EOF: SIGBUS (seen in a child through its wait status). */
	p = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	JT_OK(p != MAP_FAILED, "map 2 pages of a 20-byte file");
	pid_t c = fork();
	if (c == 0) {
		volatile unsigned char x = p[0];
		x = p[PG + 5];
		(void)x;
		_exit(0);
	}
	int st = 0;
	JT_EQV(waitpid(c, &st, 0), c);
	JT_OKV(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS, "touching the page beyond EOF: SIGBUS",
	       "status %#x", st);
	if (p != MAP_FAILED)
		munmap(p, 2 * PG);
	close(fd);
	unlink("/tmp/shared");
	jt_behaviour("MEM-009", jt_failures_since_mark() == 0,
		     "file contents then zeros; private writes stay private; shared writes reach "
		     "the file; SIGBUS past EOF");
}

/* ABI-011: the page size is 4096. */
static void test_abi011(void)
{
	jt_mark();
	JT_EQ(getauxval(AT_PAGESZ), 4096);
	JT_EQ(sysconf(_SC_PAGESIZE), 4096);
	JT_EQ(getpagesize(), 4096);
	bool aligned = true;
	void *maps[8];
	for (int i = 0; i < 8; i++) {
		maps[i] = mmap(NULL, (size_t)(i * 1000 + 1), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (maps[i] == MAP_FAILED || (uintptr_t)maps[i] % 4096 != 0)
			aligned = false;
	}
	JT_OK(aligned, "mmap results are 4096-aligned");
	for (int i = 0; i < 8; i++)
		if (maps[i] != MAP_FAILED)
			munmap(maps[i], (size_t)(i * 1000 + 1));
	int fd = open("/lines.txt", O_RDONLY);
	JT_ERRNO((long)raw_mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);
	JT_ERRNO((long)raw_mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 2048), EINVAL);
	/* The offset is in bytes: 4096 maps the second page (zeros past EOF). */
	unsigned char *p = raw_mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
	JT_OK(p != MAP_FAILED && memcmp(p, "Line 1\n", 7) == 0, "offset 0 maps the file start");
	if (p != MAP_FAILED)
		munmap(p, PG);
	close(fd);
	fd = open("/tmp/twopages", O_RDWR | O_CREAT | O_TRUNC, 0644);
	static char page[2 * PG];
	memset(page, 'a', PG);
	memset(page + PG, 'b', PG);
	JT_EQ(write(fd, page, sizeof page), (long)sizeof page);
	p = raw_mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 4096);
	JT_OK(p != MAP_FAILED && p[0] == 'b' && p[PG - 1] == 'b',
	      "offset 4096 maps the second page");
	if (p != MAP_FAILED)
		munmap(p, PG);
	close(fd);
	unlink("/tmp/twopages");
	jt_behaviour("ABI-011", jt_failures_since_mark() == 0,
		     "AT_PAGESZ, sysconf and mmap all 4096; offsets in bytes");
}

static bool pattern_ok(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(i * 13 + seed))
			return false;
	return true;
}

static void pattern(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 13 + seed);
}

static void test_mem011(void)
{
	jt_mark();
	void *z = malloc(0);
	JT_OK(z != NULL, "malloc(0) succeeds");
	free(z);
	void *small[64];
	bool ok = true;
	for (int i = 0; i < 64; i++) {
		small[i] = malloc((size_t)i + 1);
		if (!small[i])
			ok = false;
		else
			memset(small[i], i, (size_t)i + 1);
	}
	JT_OK(ok, "64 small mallocs succeed");
	for (int i = 0; i < 64; i++) {
		unsigned char *c = small[i];
		if (c && (c[0] != i || c[i] != i))
			ok = false;
	}
	JT_OK(ok, "small blocks keep their contents");
	for (int i = 0; i < 64; i++)
		free(small[i]);

	/* realloc keeps the prefix, growing and shrinking. */
	unsigned char *p = malloc(128);
	pattern(p, 128, 1);
	p = realloc(p, 64);
	JT_OK(p && pattern_ok(p, 64, 1), "realloc 128 -> 64 keeps 64 bytes");
	p = realloc(p, 100000);
	JT_OK(p && pattern_ok(p, 64, 1), "realloc 64 -> 100000 keeps 64 bytes");
	pattern(p, 100000, 2);
	/* Large blocks are mmapped; growing them goes through mremap(MREMAP_MAYMOVE). */
	p = realloc(p, 4 << 20);
	JT_OK(p && pattern_ok(p, 100000, 2), "realloc to 4 MiB keeps the prefix");
	pattern(p, 4 << 20, 3);
	p = realloc(p, 9 << 20);
	JT_OK(p && pattern_ok(p, 4 << 20, 3), "realloc to 9 MiB keeps 4 MiB");
	p = realloc(p, 1000);
	JT_OK(p && pattern_ok(p, 1000, 3), "realloc back to 1000 keeps the prefix");
	free(p);

	/* mremap directly. */
	unsigned char *m =
		mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pattern(m, 1 << 20, 4);
	unsigned char *m2 = mremap(m, 1 << 20, 8 << 20, MREMAP_MAYMOVE);
	JT_OK(m2 != MAP_FAILED && pattern_ok(m2, 1 << 20, 4), "mremap MAYMOVE keeps 1 MiB");
	if (m2 != MAP_FAILED) {
		JT_EQ(m2[(8 << 20) - 1], 0); /* new tail is zero */
		m2[(8 << 20) - 1] = 9;
		munmap(m2, 8 << 20);
	}

	/* posix_memalign */
	void *a = NULL;
	JT_EQ(posix_memalign(&a, 64, 1000), 0);
	JT_OKV(a != NULL && (uintptr_t)a % 64 == 0, "posix_memalign(64) is 64-aligned", "%p", a);
	free(a);
	JT_EQ(posix_memalign(&a, 4096, 10), 0);
	JT_OK(a != NULL && (uintptr_t)a % 4096 == 0, "posix_memalign(4096) is page-aligned");
	free(a);
	JT_EQ(posix_memalign(&a, 48, 100), EINVAL);
	JT_EQ(posix_memalign(&a, 3, 100), EINVAL);
	void *al = aligned_alloc(256, 512);
	JT_OK(al != NULL && (uintptr_t)al % 256 == 0, "aligned_alloc(256)");
	free(al);
	free(NULL);
	JT_OK(true, "free(NULL) returns");
	void *cz = calloc(1000, 8);
	bool zero = cz != NULL;
	for (int i = 0; cz && i < 8000; i++)
		zero = zero && ((unsigned char *)cz)[i] == 0;
	JT_OK(zero, "calloc memory is zero");
	free(cz);

	/* madvise(MADV_DONTNEED) on private anonymous memory: reads as zero after. */
	unsigned char *d =
		mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(d, 0xCD, 16 * 4096);
	JT_EQ(madvise(d + 4096, 4 * 4096, MADV_DONTNEED), 0);
	bool dz = true;
	for (int i = 4096; i < 5 * 4096; i++)
		dz = dz && d[i] == 0;
	JT_OK(dz, "MADV_DONTNEED pages read as zero");
	JT_EQ(d[4095], 0xCD);
	JT_EQ(d[5 * 4096], 0xCD);
	munmap(d, 16 * 4096);
	jt_behaviour("MEM-011", jt_failures_since_mark() == 0,
		     "malloc, realloc, mremap, posix_memalign, madvise");
}

int main(void)
{
	umask(022);
	test_mem004();
	test_mem007();
	test_mem009();
	test_mem011();
	test_abi011();
	return jt_done();
}
