// covers: MEM-008 MEM-012 MEM-013 MEM-020
//
// Memory across fork (shared anonymous mappings stay shared, everything else becomes
// private, copy-on-write at 128 pages), and stack growth with a guard at the end.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void wait_byte(int fd)
{
	char c;
	if (read(fd, &c, 1) != 1)
		_exit(99);
}

static void send_byte(int fd)
{
	if (write(fd, "x", 1) != 1)
		_exit(98);
}

/* MEM-008: MAP_SHARED|MAP_ANONYMOUS is shared both ways after fork. */
static void test_mem008(void)
{
	jt_mark();
	volatile uint32_t *s =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	JT_OK(s != MAP_FAILED, "mmap shared anonymous");
	if (s == MAP_FAILED)
		return;
	s[0] = 1;
	int to_child[2], to_parent[2];
	JT_EQ(pipe(to_child), 0);
	JT_EQ(pipe(to_parent), 0);
	pid_t c = fork();
	if (c == 0) {
		if (s[0] != 1)
			_exit(1);
		s[1] = 0xC0FFEE; /* the child writes ... */
		send_byte(to_parent[1]);
		wait_byte(to_child[0]);
		_exit(s[2] == 0xBEEF ? 0 : 2); /* ... and sees the parent's write */
	}
	wait_byte(to_parent[0]);
	JT_EQ(s[1], 0xC0FFEE);
	s[2] = 0xBEEF;
	send_byte(to_child[1]);
	JT_EQ(jt_reap(c), 0);
	munmap((void *)s, 4096);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	jt_behaviour("MEM-008", jt_failures_since_mark() == 0, "writes cross in both directions");
}

volatile uint32_t data_global = 0xDEADBEEF; /* .data */

/* MEM-012: stack, heap and .data are private after fork. */
static void test_mem012(void)
{
	jt_mark();
	volatile uint32_t on_stack = 0xDEADBEEF;
	volatile uint32_t *on_heap = malloc(64);
	*on_heap = 0xDEADBEEF;
	/* A page of raw brk memory too. */
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
	volatile uint32_t *on_brk = NULL;
	if ((uintptr_t)syscall(SYS_brk, cur + 4096) >= cur + 4096) {
		on_brk = (volatile uint32_t *)cur;
		*on_brk = 0xDEADBEEF;
	}
	JT_OK(on_brk != NULL, "grow brk by a page");
	data_global = 0xDEADBEEF;
	int go[2];
	JT_EQ(pipe(go), 0);
	pid_t c = fork();
	if (c == 0) {
		wait_byte(go[0]); /* the parent has changed its copies */
		int bad = 0;
		if (on_stack != 0xDEADBEEF)
			bad |= 1;
		if (*on_heap != 0xDEADBEEF)
			bad |= 2;
		if (data_global != 0xDEADBEEF)
			bad |= 4;
		if (on_brk && *on_brk != 0xDEADBEEF)
			bad |= 8;
		/* The child's own writes stay in the child. */
		on_stack = 1;
		*on_heap = 2;
		data_global = 3;
		_exit(bad);
	}
	on_stack = 0xCAFEBABE;
	*on_heap = 0xCAFEBABE;
	data_global = 0xCAFEBABE;
	if (on_brk)
		*on_brk = 0xCAFEBABE;
	send_byte(go[1]);
	int r = jt_reap(c);
	JT_OKV(r == 0, "the child still reads 0xDEADBEEF everywhere",
	       "bad mask %d: 1 stack, 2 heap, 4 data, 8 brk", r);
	JT_EQ(on_stack, 0xCAFEBABE);
	JT_EQ(*on_heap, 0xCAFEBABE);
	JT_EQ(data_global, 0xCAFEBABE);
	if (on_brk)
		JT_EQ(*on_brk, 0xCAFEBABE);
	close(go[0]);
	close(go[1]);
	free((void *)on_heap);
	jt_behaviour("MEM-012", jt_failures_since_mark() == 0,
		     "stack, heap, brk and .data private after fork");
}

/* MEM-013: copy-on-write at 128 pages. */
static void test_mem013(void)
{
	jt_mark();
	enum { PAGES = 128, WORDS = 4096 / 8 };
	uint64_t *m = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	JT_OK(m != MAP_FAILED, "mmap 128 pages");
	if (m == MAP_FAILED)
		return;
	for (int i = 0; i < PAGES * WORDS; i++)
		m[i] = 0xA5A5000000000000ull | (uint64_t)i;
	pid_t c = fork();
	if (c == 0) {
		for (int i = 0; i < PAGES * WORDS; i++)
			if (m[i] != (0xA5A5000000000000ull | (uint64_t)i))
				_exit(1);
		for (int i = 0; i < PAGES * WORDS; i++)
			m[i] = 0x5A5A000000000000ull | (uint64_t)(i * 3);
		for (int i = 0; i < PAGES * WORDS; i++)
			if (m[i] != (0x5A5A000000000000ull | (uint64_t)(i * 3)))
				_exit(2);
		_exit(0);
	}
	JT_EQ(jt_reap(c), 0);
	int bad = -1;
	for (int i = 0; i < PAGES * WORDS; i++)
		if (m[i] != (0xA5A5000000000000ull | (uint64_t)i)) {
			bad = i;
			break;
		}
	JT_OKV(bad < 0, "the parent still reads its pattern in every slot", "first bad %d", bad);
	for (int i = 0; i < PAGES * WORDS; i++)
		m[i] = (uint64_t)i * 7;
	bad = -1;
	for (int i = 0; i < PAGES * WORDS; i++)
		if (m[i] != (uint64_t)i * 7) {
			bad = i;
			break;
		}
	JT_OK(bad < 0, "the parent can overwrite every page afterwards");
	munmap(m, PAGES * 4096);
	jt_behaviour("MEM-013", jt_failures_since_mark() == 0,
		     "128 pages: child rewrites, parent keeps its pattern");
}

/* Touch 1 MiB of stack below the current frame. */
__attribute__((noinline)) static int touch_stack(void)
{
	volatile unsigned char big[1 << 20];
	for (int i = (int)sizeof big - 1; i >= 0; i -= 4096)
		big[i] = (unsigned char)i;
	big[0] = 1;
	int sum = 0;
	for (int i = (int)sizeof big - 1; i >= 0; i -= 4096)
		sum += big[i] == (unsigned char)i;
	return sum;
}

static volatile int recurse_limit = 1 << 30; /* never reached: the stack runs out first */

__attribute__((noinline)) static int recurse(int depth)
{
	volatile char frame[4096];
	frame[0] = (char)depth;
	frame[4095] = (char)depth;
	if (depth >= recurse_limit)
		return 0;
	return recurse(depth + 1) + frame[0] + frame[4095];
}

/* MEM-020: the stack grows; unbounded recursion ends in SIGSEGV. */
static void test_mem020(void)
{
	jt_mark();
	/* In children, so that a kernel that cannot grow the stack fails this ID only. */
	pid_t t = fork();
	if (t == 0)
		_exit(touch_stack() == 256 ? 0 : 1);
	JT_EQ(jt_reap(t), 0);
	volatile uint32_t *canary =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	canary[0] = 0x600DF00D;
	pid_t c = fork();
	if (c == 0) {
		int nul = open("/dev/null", O_WRONLY);
		if (nul >= 0)
			dup2(nul, 2); /* keep an emulator's crash message off the log */
		_exit(recurse(0) & 0x7f);
	}
	JT_EQ(jt_reap(c), 1000 + SIGSEGV);
	JT_EQ(canary[0], 0x600DF00D); /* other mappings are intact */
	munmap((void *)canary, 4096);
	jt_behaviour("MEM-020", jt_failures_since_mark() == 0,
		     "1 MiB of stack touched; recursion dies with SIGSEGV");
}

int main(void)
{
	test_mem008();
	test_mem012();
	test_mem013();
	test_mem020();
	return jt_done();
}
