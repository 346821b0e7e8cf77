// covers: MEM-010 MEM-014 MEM-015 MEM-016 MEM-017
//
// Memory accounting through sysinfo's free memory: a 64 MiB mapping gives its frames back on
// munmap (MEM-010), and copy-on-write after fork costs only the pages written (MEM-014), a
// sole owner reuses its pages (MEM-015), the copies of exited children come back (MEM-016),
// and code is shared (MEM-017).
//
// Needs 'kernel': under qemu-user sysinfo reports the host's free memory, which every other
// process on the host moves by megabytes; only a Janus machine, where this test is the only
// program, gives deltas to the page.
//
// How the deltas are kept exact. Janus's freeram is the frame allocator's free count
// (core/sys_info.c). What else takes frames around a measured operation:
//  - fork (core/mm.c, mm_fork) maps every present page into the child at once, so it builds
//    the child's page tables then: a new top-level table, and under it, for each populated
//    stretch of address space, one table per level (4 levels of 4 KiB tables on both ports),
//    the last level costing one frame per 2 MiB that holds a present page: about 10 frames
//    for this test's text, data, stack and shared page, plus 1 per 2 MiB of a populated test
//    region (256 pages: 1 or 2). Add the child's 16 KiB kernel stack (4 frames, core/kstack.c)
//    and its heap objects (slab pages, kept by the heap's caches once used). Page tables go
//    with the address space, or with munmap once nothing in them is mapped. So copy
//    costs are measured in the child, after the fork, around the exact reads or writes; the
//    fork's own cost is only printed (MEM-014's diagnostic); and comparisons across whole
//    forks are made after a warm-up fork, once the heap holds the slabs a fork needs.
//  - the child's own first writes to its stack and to libc's data copy those pages: the child
//    writes a 16 KiB stretch of stack before its first measurement, and sysinfo's buffer lives
//    in a MAP_SHARED page, so the kernel's store into it copies nothing.
//  - the parent sleeps in waitpid meanwhile and allocates nothing.
#define _GNU_SOURCE
#include "jtest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG 4096

/* Shared with the children: the sysinfo buffer and the deltas they measured. */
struct shared {
	struct sysinfo si;
	long d[8];
};
static struct shared *shm;

static long free_pages(void)
{
	if (syscall(SYS_sysinfo, &shm->si) != 0)
		return -1;
	return (long)(shm->si.freeram * shm->si.mem_unit / PG);
}

/* Write 16 KiB of stack below the caller, so later calls find those pages private. */
__attribute__((noinline)) static void pretouch_stack(void)
{
	volatile unsigned char s[16384];
	for (size_t i = 0; i < sizeof s; i += 512)
		s[i] = (unsigned char)i;
}

/* jt_reap, then 20 ms: Janus's reaper thread frees a dead child's kernel stack (4 frames)
 * after waitpid has returned, and a measurement must not see those frames come back in its
 * middle (MEM-015 did, depending on the tick). */
static int reap_settled(pid_t pid)
{
	int r = jt_reap(pid);
	nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
	return r;
}

static uint64_t *map_pages(long n)
{
	void *p = mmap(NULL, (size_t)n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Page i of m gets the word tag ^ i in every slot. */
static void fill(uint64_t *m, long pages, uint64_t tag)
{
	for (long i = 0; i < pages; i++)
		for (int w = 0; w < PG / 8; w++)
			m[i * (PG / 8) + w] = tag ^ (uint64_t)i;
}

static bool check(const uint64_t *m, long pages, uint64_t tag)
{
	for (long i = 0; i < pages; i++)
		for (int w = 0; w < PG / 8; w++)
			if (m[i * (PG / 8) + w] != (tag ^ (uint64_t)i))
				return false;
	return true;
}

/* A fork whose child writes a page and exits: warms the kernel heap's slabs for forks. */
static void warm_up(void)
{
	pid_t c = fork();
	if (c == 0) {
		pretouch_stack();
		_exit(0);
	}
	reap_settled(c);
}

/* MEM-010: 64 MiB at once, one byte per page, everything back after munmap, measured on a
 * fresh range: the frames, and the page tables the mapping needed (one per 2 MiB, 33 here),
 * which munmap frees with the range as Linux does. */
static void test_mem010(void)
{
	jt_mark();
	const long pages = (64L << 20) / PG;
	long f0 = free_pages();
	unsigned char *m = mmap(NULL, (size_t)pages * PG, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	JT_OK(m != MAP_FAILED, "mmap 64 MiB anonymous");
	if (m == MAP_FAILED)
		return;
	long f1 = free_pages();
	JT_OKV(f0 - f1 <= 16, "the mapping takes no memory before it is touched",
	       "free %ld -> %ld pages", f0, f1);
	for (long i = 0; i < pages; i++)
		m[i * PG] = (unsigned char)(i * 7 + 1);
	bool ok = true;
	for (long i = 0; i < pages; i++)
		ok = ok && m[i * PG] == (unsigned char)(i * 7 + 1);
	JT_OK(ok, "one byte per page written and read back");
	long f2 = free_pages();
	JT_OKV(f1 - f2 >= pages, "touching costs a frame per page", "free %ld -> %ld pages", f1,
	       f2);
	JT_EQ(munmap(m, (size_t)pages * PG), 0);
	long f3 = free_pages();
	JT_OKV(f0 - f3 <= 16 && f3 - f0 <= 16, "after munmap free memory is back within 16 pages",
	       "free before %ld, after munmap %ld (%+ld pages)", f0, f3, f3 - f0);
	jt_behaviour("MEM-010", jt_failures_since_mark() == 0,
		     "64 MiB mapped, touched per page, given back within 16 pages");
}

/* MEM-014: a child's reads cost nothing, its 16 writes about 16 pages. */
static void test_mem014(void)
{
	jt_mark();
	const long pages = 256;
	uint64_t *m = map_pages(pages);
	JT_OK(m != NULL, "mmap 256 pages");
	if (!m)
		return;
	fill(m, pages, 0x1111000000000000ull);
	memset(shm->d, 0, sizeof shm->d);
	long fork0 = free_pages();
	pid_t c = fork();
	if (c == 0) {
		pretouch_stack();
		long f0 = free_pages();
		shm->d[3] = fork0 - f0;
		bool seen = check(m, pages, 0x1111000000000000ull);
		long f1 = free_pages();
		for (long i = 0; i < 16; i++)
			for (int w = 0; w < PG / 8; w++)
				m[i * 16 * (PG / 8) + w] = 0x2222;
		long f2 = free_pages();
		bool own = true;
		for (long i = 0; i < 16; i++)
			own = own && m[i * 16 * (PG / 8) + 7] == 0x2222;
		shm->d[0] = f0 - f1;
		shm->d[1] = f1 - f2;
		_exit(seen && own ? 0 : 1);
	}
	JT_EQ(reap_settled(c), 0);
	JT_OKV(shm->d[0] == 0, "the child's reads of 256 pages cost nothing", "reads: %ld pages",
	       shm->d[0]);
	JT_OKV(shm->d[1] >= 16 && shm->d[1] <= 24,
	       "writing 16 pages lowers free memory by 16 to 24 pages", "writes: %ld pages",
	       shm->d[1]);
	JT_OK(check(m, pages, 0x1111000000000000ull), "the child's writes are not in the parent");
	jt_diag("  the fork itself (page tables, kernel stack, the first stack and data copies): "
		"%ld pages", shm->d[3]);
	munmap(m, (size_t)pages * PG);
	jt_behaviour("MEM-014", jt_failures_since_mark() == 0,
		     "child's reads free, 16 written pages cost about 16");
}

/* MEM-015: the child exits without writing; the parent's writes reuse its pages. */
static void test_mem015(void)
{
	jt_mark();
	const long pages = 256;
	uint64_t *m = map_pages(pages);
	JT_OK(m != NULL, "mmap 256 pages");
	if (!m)
		return;
	fill(m, pages, 0x3333000000000000ull);
	pid_t c = fork();
	if (c == 0)
		_exit(m[5] == (0x3333000000000000ull ^ 0) ? 0 : 1);
	JT_EQ(reap_settled(c), 0);
	pretouch_stack();
	long f0 = free_pages();
	fill(m, pages, 0x4444000000000000ull);
	long f1 = free_pages();
	JT_OK(check(m, pages, 0x4444000000000000ull), "the parent's writes hold");
	JT_OKV(f0 - f1 <= 4 && f1 - f0 <= 4, "writing 256 once-shared pages costs at most 4",
	       "free %ld -> %ld pages", f0, f1);
	munmap(m, (size_t)pages * PG);
	jt_behaviour("MEM-015", jt_failures_since_mark() == 0,
		     "sole owner after the child's exit: pages reused, not copied");
}

/* MEM-016: three children in turn write the heap and exit; everything comes back. */
static void test_mem016(void)
{
	jt_mark();
	const long pages = 64;
	uint64_t *heap = malloc((size_t)pages * PG);
	JT_OK(heap != NULL, "malloc 256 KiB");
	if (!heap)
		return;
	fill(heap, pages, 0x5555000000000000ull);
	warm_up();
	pretouch_stack();
	long f0 = free_pages();
	int bad = 0;
	for (int k = 0; k < 3; k++) {
		pid_t c = fork();
		if (c == 0) {
			uint64_t tag = 0x6666000000000000ull + (uint64_t)k;
			if (!check(heap, pages, 0x5555000000000000ull))
				_exit(1);
			fill(heap, pages, tag);
			_exit(check(heap, pages, tag) ? 0 : 2);
		}
		if (reap_settled(c) != 0)
			bad++;
	}
	JT_EQ(bad, 0);
	JT_OK(check(heap, pages, 0x5555000000000000ull), "the parent's values are intact");
	fill(heap, pages, 0x7777000000000000ull);
	JT_OK(check(heap, pages, 0x7777000000000000ull), "the parent's own writes succeed");
	long f1 = free_pages();
	JT_OKV(f0 - f1 <= 4 && f1 - f0 <= 4, "free memory is back to its pre-fork level within 4",
	       "free before the forks %ld, after %ld pages", f0, f1);
	free(heap);
	jt_behaviour("MEM-016", jt_failures_since_mark() == 0,
		     "three writing children reaped: values intact, memory back");
}

__attribute__((noinline)) static long fib(volatile long n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static long fact(volatile long n)
{
	return n <= 1 ? 1 : n * fact(n - 1);
}

static bool functions_right(void)
{
	return fib(10) == 55 && fib(15) == 610 && fib(20) == 6765 && fact(5) == 120 &&
	       fact(8) == 40320 && fact(10) == 3628800;
}

/* MEM-017: code runs correctly on both sides and costs the child nothing. */
static void test_mem017(void)
{
	jt_mark();
	JT_OK(functions_right(), "fib and factorial right before the fork");
	shm->d[2] = -1;
	pid_t c = fork();
	if (c == 0) {
		pretouch_stack();
		long f0 = free_pages();
		bool right = functions_right();
		long f1 = free_pages();
		shm->d[2] = f0 - f1;
		_exit(right ? 0 : 1);
	}
	JT_OK(functions_right(), "the parent's results are right after the fork");
	JT_EQ(reap_settled(c), 0);
	JT_OKV(shm->d[2] == 0, "running the shared code cost the child no memory",
	       "child's calls: %ld pages", shm->d[2]);
	jt_behaviour("MEM-017", jt_failures_since_mark() == 0,
		     "fib/factorial right on both sides; text shared, not copied");
}

int main(void)
{
	shm = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED) {
		JT_OK(false, "mmap the shared page");
		return jt_done();
	}
	pretouch_stack();
	test_mem010();
	test_mem014();
	test_mem015();
	test_mem016();
	test_mem017();
	return jt_done();
}
