// covers: MEM-001 MEM-002 MEM-003
//
// The program break through the raw brk syscall (and musl's sbrk), before anything else in
// the process might move it.
#define _GNU_SOURCE
#include "jtest.h"

#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char _end[]; /* the linker's end of .bss */

static uintptr_t brk_raw(uintptr_t addr)
{
	return (uintptr_t)syscall(SYS_brk, addr);
}

static bool zero_range(uintptr_t a, uintptr_t b)
{
	for (volatile unsigned char *p = (volatile unsigned char *)a; (uintptr_t)p < b; p++)
		if (*p != 0)
			return false;
	return true;
}

static uintptr_t initial;

/* MEM-001: brk(0), one page more, zeros, patterns. */
static void test_mem001(void)
{
	jt_mark();
	uintptr_t cur = brk_raw(0);
	initial = cur;
	JT_OKV(cur >= (uintptr_t)_end, "brk(0) is above the end of .bss", "brk %#lx, _end %#lx",
	       (unsigned long)cur, (unsigned long)(uintptr_t)_end);
	JT_EQV(brk_raw(0), cur); /* asking again changes nothing */
	uintptr_t got = brk_raw(cur + 4096);
	JT_OKV(got >= cur + 4096, "brk(cur + 4096) returns >= the request", "%#lx",
	       (unsigned long)got);
	JT_EQV(brk_raw(0), got);
	JT_OK(zero_range(cur, cur + 4096), "the new page reads as zero");
	volatile uint64_t *w = (volatile uint64_t *)((cur + 7) & ~(uintptr_t)7);
	size_t n = (cur + 4096 - (uintptr_t)w) / 8;
	if (n > 512)
		n = 512;
	for (size_t i = 0; i < n; i++)
		w[i] = 0x9e3779b97f4a7c15ull * (i + 1) ^ (uint64_t)i << 7;
	bool same = true;
	for (size_t i = 0; i < n; i++)
		if (w[i] != (0x9e3779b97f4a7c15ull * (i + 1) ^ (uint64_t)i << 7))
			same = false;
	JT_OK(same, "%zu distinct 8-byte patterns read back", n);
	jt_behaviour("MEM-001", jt_failures_since_mark() == 0,
		     "break above .bss; a zeroed page that holds patterns");
}

/* MEM-002: grow twice, shrink to the start, grow again. */
static void test_mem002(void)
{
	jt_mark();
	uintptr_t base = initial;
	JT_OK(brk_raw(base + 4096) >= base + 4096, "first page");
	volatile unsigned char *p1 = (volatile unsigned char *)base;
	p1[100] = 0xA1;
	JT_OK(brk_raw(base + 8192) >= base + 8192, "second page");
	volatile unsigned char *p2 = (volatile unsigned char *)(base + 4096);
	JT_OK(zero_range(base + 4096, base + 8192), "the second page starts zero");
	p2[100] = 0xB2;
	JT_EQ(p1[100], 0xA1);
	JT_EQ(p2[100], 0xB2);
	JT_EQV(brk_raw(base), base); /* shrink to exactly the initial break */
	JT_EQV(brk_raw(0), base);
	JT_OK(brk_raw(base + 8192) >= base + 8192, "grow again");
	JT_OK(zero_range(base, base + 8192), "memory from the renewed growth reads as zero");
	p2[5] = 7;
	JT_EQ(p2[5], 7);
	JT_EQV(brk_raw(base), base);
	jt_behaviour("MEM-002", jt_failures_since_mark() == 0,
		     "grow, grow, shrink to the start, grow: zeros");
}

/* MEM-003: impossible requests leave the break alone. */
static void test_mem003(void)
{
	jt_mark();
	uintptr_t cur = brk_raw(0);
	volatile char on_stack = 0;
	JT_EQV(brk_raw((uintptr_t)&on_stack), cur);
	JT_EQV(brk_raw(0), cur);
	JT_EQV(brk_raw((uintptr_t)0xffff800000001000ull), cur);
	JT_EQV(brk_raw((uintptr_t)-4096), cur);
	JT_EQV(brk_raw(0), cur);
	/* brk below the start of the heap is refused too. */
	JT_EQV(brk_raw(cur - (1 << 20)), cur);
	/* musl's sbrk turns a failed brk into ENOMEM. */
	errno = 0;
	void *r = sbrk((intptr_t)1 << 46);
	JT_OKV(r == (void *)-1 && errno == ENOMEM, "sbrk(64 TiB) -> -1 ENOMEM", "%p, %s", r,
	       jt_errname(errno));
	JT_EQV((uintptr_t)sbrk(0), cur);
	JT_EQV(brk_raw(0), cur);
	jt_behaviour("MEM-003", jt_failures_since_mark() == 0,
		     "impossible brk returns the old break; sbrk ENOMEM");
}

int main(void)
{
	test_mem001();
	test_mem002();
	test_mem003();
	return jt_done();
}
