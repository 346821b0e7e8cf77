// covers: MEM-005 MEM-006
//
// Page protection faults: a hole punched into a 16-page mapping faults with SEGV_MAPERR at
// the exact address while its neighbours keep their data (MEM-005), and mprotect makes a page
// read-only (a write faults with SEGV_ACCERR), then writable again, and refuses an unaligned
// address (MEM-006). Faults are caught by an SA_SIGINFO handler that records si_code and
// si_addr and jumps back with siglongjmp, so one process checks every case.
#define _GNU_SOURCE
#include "jtest.h"

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG 4096
#define NPAGES 16

static sigjmp_buf fault_jb;
static volatile int f_sig, f_code;
static void *volatile f_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	f_sig = sig;
	f_code = si->si_code;
	f_addr = si->si_addr;
	siglongjmp(fault_jb, 1);
}

/* Store v at p; true if that raised a fault (recorded in f_sig, f_code, f_addr). */
static bool store_faults(volatile unsigned char *p, unsigned char v)
{
	f_sig = 0;
	f_code = 0;
	f_addr = NULL;
	if (sigsetjmp(fault_jb, 1) == 0) {
		*p = v;
		return false;
	}
	return true;
}

static bool load_faults(volatile unsigned char *p, unsigned char *out)
{
	f_sig = 0;
	f_code = 0;
	f_addr = NULL;
	if (sigsetjmp(fault_jb, 1) == 0) {
		*out = *p;
		return false;
	}
	return true;
}

/* Every byte of page i of m holds (i * 13 + 1). */
static bool page_intact(const unsigned char *m, int i)
{
	for (int b = 0; b < PG; b++)
		if (m[i * PG + b] != (unsigned char)(i * 13 + 1))
			return false;
	return true;
}

/* MEM-005: 16 independent pages; a munmapped middle page faults with SEGV_MAPERR. */
static void test_mem005(void)
{
	jt_mark();
	unsigned char *m = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	JT_OK(m != MAP_FAILED, "mmap 16 pages");
	if (m == MAP_FAILED)
		return;
	for (int i = 0; i < NPAGES; i++)
		memset(m + i * PG, i * 13 + 1, PG);
	bool all = true;
	for (int i = 0; i < NPAGES; i++)
		all = all && page_intact(m, i);
	JT_OK(all, "each of the 16 pages holds its own pattern");
	unsigned char *hole = m + 8 * PG;
	JT_EQ(munmap(hole, PG), 0);
	JT_OK(page_intact(m, 7), "page 7 (below the hole) intact");
	JT_OK(page_intact(m, 9), "page 9 (above the hole) intact");
	all = true;
	for (int i = 0; i < NPAGES; i++)
		all = all && (i == 8 || page_intact(m, i));
	JT_OK(all, "all 15 remaining pages intact");
	unsigned char *target = hole + 123;
	JT_OK(store_faults(target, 0x42), "a store into the hole faults");
	JT_EQ(f_sig, SIGSEGV);
	JT_EQ(f_code, SEGV_MAPERR);
	JT_OKV(f_addr == target, "si_addr is the address touched", "si_addr %p, touched %p",
	       f_addr, (void *)target);
	unsigned char v = 0;
	JT_OK(load_faults(hole, &v), "a load from the hole faults");
	JT_EQ(f_sig, SIGSEGV);
	JT_EQ(f_code, SEGV_MAPERR);
	JT_OKV(f_addr == hole, "si_addr is the address loaded", "si_addr %p, loaded %p", f_addr,
	       (void *)hole);
	JT_OK(page_intact(m, 7) && page_intact(m, 9), "neighbours still intact after the faults");
	munmap(m, NPAGES * PG);
	jt_behaviour("MEM-005", jt_failures_since_mark() == 0,
		     "16 pages independent; hole faults SEGV_MAPERR at its address");
}

/* MEM-006: read-only, then writable again; unaligned mprotect. */
static void test_mem006(void)
{
	jt_mark();
	unsigned char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);
	JT_OK(p != MAP_FAILED, "mmap 2 pages");
	if (p == MAP_FAILED)
		return;
	memset(p, 0x5A, 2 * PG);
	JT_EQ(mprotect(p, PG, PROT_READ), 0);
	unsigned char v = 0;
	JT_OK(!load_faults(p + 100, &v), "the read-only page can still be read");
	JT_EQ(v, 0x5A);
	JT_OK(store_faults(p + 200, 0x11), "a write to the read-only page faults");
	JT_EQ(f_sig, SIGSEGV);
	JT_EQ(f_code, SEGV_ACCERR);
	JT_OKV(f_addr == p + 200, "si_addr is the address written", "si_addr %p, wrote %p", f_addr,
	       (void *)(p + 200));
	JT_EQ(p[200], 0x5A);
	JT_OK(!store_faults(p + PG + 5, 0x22), "the other page stays writable");
	JT_EQ(mprotect(p, PG, PROT_READ | PROT_WRITE), 0);
	JT_OK(!store_faults(p + 200, 0x33), "after PROT_READ|PROT_WRITE the write succeeds");
	JT_EQ(p[200], 0x33);
	JT_EQ(p[199], 0x5A);
	/* The raw syscall: musl's mprotect() rounds the address down to its page itself. */
	JT_ERRNO(syscall(SYS_mprotect, p + 1, PG, PROT_READ), EINVAL);
	JT_ERRNO(syscall(SYS_mprotect, p + PG / 2, PG, PROT_READ | PROT_WRITE), EINVAL);
	JT_OK(!store_faults(p + 1, 0x44), "a refused mprotect changed nothing");
	munmap(p, 2 * PG);
	jt_behaviour("MEM-006", jt_failures_since_mark() == 0,
		     "PROT_READ readable, write SEGV_ACCERR, RW again writable, unaligned EINVAL");
}

int main(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	test_mem005();
	test_mem006();
	return jt_done();
}
