// covers: SEC-005 SEC-006 SEC-007 SEC-009
//
// What may run and what may be written: data pages (heap, stack, anonymous) are not
// executable (NX, SEC-005); the program's .text and .rodata are not writable (SEC-006); code
// copied into a page that is then made R|X runs, also after it is patched (SEC-007, with the
// I-cache maintenance done here through __builtin___clear_cache); privileged instructions
// trap with the port's signal (SEC-009).
//
// Every fault happens in a forked child: a handler there sends the siginfo (signal, code,
// address) to the parent through a pipe and exits, so a kernel that wrongly lets the access
// through shows up as "no signal" instead of as a crash of the test. The per-port parts (the
// machine code, the privileged instructions) sit behind #if, but each check prints the same
// TAP point on every platform; the instruction-level details go to diagnostics.
#define _GNU_SOURCE
#include "jtest.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096ul

/* ---- running something that should fault ------------------------------------------------- */

struct fault {
	int signo, code; /* 0 when the child ran to its end */
	uintptr_t addr;
	int status;      /* its wait status */
};

static int report_fd = -1;

static void report_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	struct fault f = {.signo = sig, .code = si->si_code, .addr = (uintptr_t)si->si_addr};
	(void)!write(report_fd, &f, sizeof f);
	_exit(99);
}

/* Run fn(arg) in a child with SIGSEGV, SIGILL, SIGBUS and SIGTRAP caught; what happened. */
static struct fault run_faulting(void (*fn)(void *), void *arg)
{
	struct fault f = {0};
	int p[2];
	if (pipe(p) != 0) {
		f.status = -1;
		return f;
	}
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		report_fd = p[1];
		struct sigaction sa = {.sa_sigaction = report_handler, .sa_flags = SA_SIGINFO};
		int sigs[] = {SIGSEGV, SIGILL, SIGBUS, SIGTRAP};
		for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
			sigaction(sigs[i], &sa, NULL);
		fn(arg);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &f, sizeof f) != (ssize_t)sizeof f)
		memset(&f, 0, sizeof f);
	close(p[0]);
	waitpid(c, &f.status, 0);
	return f;
}

static const char *signame(int s)
{
	switch (s) {
	case 0: return "none";
	case SIGSEGV: return "SIGSEGV";
	case SIGILL: return "SIGILL";
	case SIGBUS: return "SIGBUS";
	case SIGTRAP: return "SIGTRAP";
	default: return "other";
	}
}

static void diag_fault(const char *what, const struct fault *f)
{
	jt_diag("%s: %s code %d addr %#lx, status %#x", what, signame(f->signo), f->code,
		(unsigned long)f->addr, f->status);
}

/* ---- position-independent machine code to copy: add(a, b) and sub(a, b) ------------------ */

#if defined(__x86_64__)
__asm__(".text\n"
	".globl code_add, code_add_end, code_sub, code_sub_end\n"
	"code_add: lea (%rdi,%rsi), %rax\n ret\n"
	"code_add_end:\n"
	"code_sub: mov %rdi, %rax\n sub %rsi, %rax\n ret\n"
	"code_sub_end:\n");
/* One byte that returns at once, for the NX checks (if it ran, the child would carry on). */
static const uint8_t ret_insn[] = {0xc3};
#elif defined(__aarch64__)
__asm__(".text\n"
	".globl code_add, code_add_end, code_sub, code_sub_end\n"
	"code_add: add x0, x0, x1\n ret\n"
	"code_add_end:\n"
	"code_sub: sub x0, x0, x1\n ret\n"
	"code_sub_end:\n");
static const uint8_t ret_insn[] = {0xc0, 0x03, 0x5f, 0xd6};
#endif
extern const char code_add[], code_add_end[], code_sub[], code_sub_end[];

typedef long (*binop_fn)(long, long);

/* ---- SEC-005: no execution from data pages ----------------------------------------------- */

static void call_ret_at(void *p)
{
	memcpy(p, ret_insn, sizeof ret_insn);
	__builtin___clear_cache((char *)p, (char *)p + sizeof ret_insn);
	((void (*)(void))p)();
}

static void exec_heap(void *unused)
{
	(void)unused;
	/* The brk heap itself (musl's malloc may use mmap instead): grow it by two pages. */
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
	uintptr_t page = (cur + PAGE - 1) & ~(PAGE - 1);
	if ((uintptr_t)syscall(SYS_brk, page + 2 * PAGE) < page + 2 * PAGE)
		_exit(3);
	call_ret_at((void *)page);
}

static void exec_malloc(void *unused)
{
	(void)unused;
	void *p = malloc(256);
	if (!p)
		_exit(3);
	call_ret_at(p);
}

static void exec_stack(void *unused)
{
	(void)unused;
	uint8_t buf[64] __attribute__((aligned(16)));
	call_ret_at(buf);
	__asm__ volatile("" : : "r"(buf) : "memory"); /* keep buf a stack object */
}

static void exec_anon(void *prot)
{
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(3);
	memcpy(p, ret_insn, sizeof ret_insn);
	/* Also a page that is readable only (PROT_READ): reading does not imply executing. */
	if (prot && mprotect(p, PAGE, *(int *)prot) != 0)
		_exit(4);
	((void (*)(void))p)();
}

/* Executable, called once (the translation is cached now), then mprotect'ed to RW: the
 * permission change must reach the page tables and the TLB. */
static void exec_after_unprotect(void *unused)
{
	(void)unused;
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(3);
	memcpy(p, ret_insn, sizeof ret_insn);
	if (mprotect(p, PAGE, PROT_READ | PROT_EXEC) != 0)
		_exit(4);
	__builtin___clear_cache((char *)p, (char *)p + sizeof ret_insn);
	((void (*)(void))p)();
	if (mprotect(p, PAGE, PROT_READ | PROT_WRITE) != 0)
		_exit(5);
	((void (*)(void))p)();
}

static void test_sec005(void)
{
	jt_mark();
	static const struct {
		const char *what;
		void (*fn)(void *);
	} cases[] = {
		{"a brk heap page", exec_heap},
		{"a malloc buffer", exec_malloc},
		{"a stack buffer", exec_stack},
		{"an anonymous RW mapping", exec_anon},
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fault f = run_faulting(cases[i].fn, NULL);
		diag_fault(cases[i].what, &f);
		JT_OK(f.signo == SIGSEGV && f.code == SEGV_ACCERR,
		      "calling into %s raises SIGSEGV SEGV_ACCERR", cases[i].what);
	}
	int ro = PROT_READ;
	struct fault f = run_faulting(exec_anon, &ro);
	diag_fault("PROT_READ mapping", &f);
	JT_OK(f.signo == SIGSEGV && f.code == SEGV_ACCERR,
	      "calling into a PROT_READ mapping raises SIGSEGV SEGV_ACCERR");
	f = run_faulting(exec_after_unprotect, NULL);
	diag_fault("executable page made RW", &f);
	JT_OK(f.signo == SIGSEGV && f.code == SEGV_ACCERR,
	      "calling into a page after mprotect takes PROT_EXEC away raises SIGSEGV SEGV_ACCERR");
	jt_behaviour("SEC-005", jt_failures_since_mark() == 0,
		     "heap, stack and anonymous pages without PROT_EXEC do not execute");
}

/* ---- SEC-006: the program image is not writable where it should not be ------------------- */

static const char rodata_text[64] = "read-only data of sec_code";

static void store_to(void *addr)
{
	*(volatile char *)addr = 0x5a;
}

static void test_sec006(void)
{
	jt_mark();
	/* The function's bytes are read through a volatile pointer so the store is not folded. */
	struct fault f = run_faulting(store_to, (void *)(uintptr_t)code_add);
	diag_fault("store into .text", &f);
	JT_OK(f.signo == SIGSEGV, "a store into .text raises SIGSEGV");
	JT_OK(f.signo != SIGSEGV || f.addr == (uintptr_t)code_add, "si_addr is the store's address");

	f = run_faulting(store_to, (void *)rodata_text);
	diag_fault("store into .rodata", &f);
	JT_OK(f.signo == SIGSEGV, "a store into .rodata raises SIGSEGV");
	JT_OK(f.signo != SIGSEGV || f.addr == (uintptr_t)rodata_text, "si_addr is the store's address");

	/* A string literal lives in .rodata too. */
	f = run_faulting(store_to, (void *)(uintptr_t) "a literal");
	JT_OK(f.signo == SIGSEGV, "a store into a string literal raises SIGSEGV");

	/* Through the kernel: read() into .text or .rodata is EFAULT, not a write. */
	int p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(write(p[1], "xxxxxxxx", 8), 8);
	JT_ERRNO(read(p[0], (void *)rodata_text, 4), EFAULT);
	JT_ERRNO(read(p[0], (void *)(uintptr_t)code_add, 4), EFAULT);
	close(p[0]);
	close(p[1]);
	JT_STREQ(rodata_text, "read-only data of sec_code");
	jt_behaviour("SEC-006", jt_failures_since_mark() == 0,
		     "stores into .text and .rodata raise SIGSEGV");
}

/* ---- SEC-007: code made at run time ------------------------------------------------------ */

static void test_sec007(void)
{
	jt_mark();
	uint8_t *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	JT_OK(p != MAP_FAILED, "mmap a RW page");
	if (p == MAP_FAILED)
		goto out;
	size_t n_add = (size_t)(code_add_end - code_add), n_sub = (size_t)(code_sub_end - code_sub);
	/* Fill the page with the add code at its start, then make it executable. */
	memcpy(p, code_add, n_add);
	JT_EQ(mprotect(p, PAGE, PROT_READ | PROT_EXEC), 0);
	__builtin___clear_cache((char *)p, (char *)p + n_add);
	JT_EQ(((binop_fn)p)(40, 2), 42);

	/* The page is R|X now: stores fault. */
	struct fault f = run_faulting(store_to, p);
	JT_OK(f.signo == SIGSEGV && f.code == SEGV_ACCERR, "a store into the R|X page raises SIGSEGV SEGV_ACCERR");

	/* Patch it in place: RW again, new code, R|X, maintenance, call: the new code runs. */
	JT_EQ(mprotect(p, PAGE, PROT_READ | PROT_WRITE), 0);
	memcpy(p, code_sub, n_sub);
	JT_EQ(mprotect(p, PAGE, PROT_READ | PROT_EXEC), 0);
	__builtin___clear_cache((char *)p, (char *)p + n_sub);
	JT_EQ(((binop_fn)p)(40, 2), 38);

	/* Code copied to the middle of a second page of a fresh two-page mapping. */
	uint8_t *q = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	JT_OK(q != MAP_FAILED, "mmap two RW pages");
	if (q != MAP_FAILED) {
		uint8_t *at = q + PAGE + 256;
		memcpy(at, code_add, n_add);
		JT_EQ(mprotect(q, 2 * PAGE, PROT_READ | PROT_EXEC), 0);
		__builtin___clear_cache((char *)at, (char *)at + n_add);
		JT_EQ(((binop_fn)at)(1000, 234), 1234);
		munmap(q, 2 * PAGE);
	}
	munmap(p, PAGE);
out:
	jt_behaviour("SEC-007", jt_failures_since_mark() == 0,
		     "code copied into a page made R|X runs, also after a patch");
}

/* ---- SEC-009: privileged instructions ---------------------------------------------------- */

#if defined(__x86_64__)
static void priv_hlt(void *u) { (void)u; __asm__ volatile("hlt"); }
static void priv_cli(void *u) { (void)u; __asm__ volatile("cli"); }
static void priv_in(void *u) { (void)u; __asm__ volatile("inb $0x80, %%al" ::: "rax"); }
static void priv_out(void *u) { (void)u; __asm__ volatile("xor %%eax, %%eax\n outb %%al, $0x80" ::: "rax"); }
static void priv_cr3(void *u) { (void)u; __asm__ volatile("xor %%eax, %%eax\n mov %%rax, %%cr3" ::: "rax", "memory"); }
static const struct {
	const char *what;
	void (*fn)(void *);
} priv_cases[] = {
	{"hlt", priv_hlt}, {"cli", priv_cli}, {"in", priv_in}, {"out", priv_out}, {"mov to cr3", priv_cr3},
};
#define PRIV_SIGNAL SIGSEGV
#elif defined(__aarch64__)
static void priv_sctlr(void *u) { (void)u; uint64_t v; __asm__ volatile("mrs %0, sctlr_el1" : "=r"(v)); }
static void priv_daif(void *u) { (void)u; __asm__ volatile("msr daifset, #2\n msr daif, xzr"); }
static void priv_daif_w(void *u) { (void)u; uint64_t v = 0x3c0; __asm__ volatile("msr daif, %0" :: "r"(v)); }
static void priv_ttbr(void *u) { (void)u; uint64_t v; __asm__ volatile("mrs %0, ttbr1_el1" : "=r"(v)); }
static const struct {
	const char *what;
	void (*fn)(void *);
} priv_cases[] = {
	{"mrs sctlr_el1", priv_sctlr}, {"msr daifset", priv_daif}, {"msr daif", priv_daif_w},
	{"mrs ttbr1_el1", priv_ttbr},
};
#define PRIV_SIGNAL SIGILL
#endif

static void do_nothing(void *u)
{
	(void)u;
}

static void test_sec009(void)
{
	jt_mark();
	int bad = 0;
	for (unsigned i = 0; i < sizeof priv_cases / sizeof priv_cases[0]; i++) {
		struct fault f = run_faulting(priv_cases[i].fn, NULL);
		diag_fault(priv_cases[i].what, &f);
		if (f.signo != PRIV_SIGNAL)
			bad++;
	}
	/* One point for the port's list (the instructions differ per port, the output must not). */
	JT_OK(bad == 0, "every privileged instruction of the port traps with its signal");
	/* The kernel carried on: the process still makes system calls and forks. */
	JT_OK(getpid() > 0, "getpid still works");
	struct fault f = run_faulting(do_nothing, NULL);
	JT_OK(f.signo == 0 && WIFEXITED(f.status) && WEXITSTATUS(f.status) == 0,
	      "a new child runs and exits normally");
	jt_behaviour("SEC-009", jt_failures_since_mark() == 0,
		     "privileged instructions trap; the kernel carries on");
}

int main(void)
{
	test_sec005();
	test_sec006();
	test_sec007();
	test_sec009();
	return jt_done();
}
