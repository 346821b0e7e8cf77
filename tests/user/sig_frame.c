// covers: SIG-003 SIG-004 SIG-005 SIG-016 SIG-027 SEC-011
//
// The signal frame and rt_sigreturn, per port. SIG-003: an assembly loop holding patterns in
// the general registers and the FP/SIMD registers (xmm0-15 / v0-v31, and MXCSR / FPCR) is
// interrupted by SIGUSR1 from a child many times, whose handler clobbers the FP registers and
// control word; every register keeps its pattern. SIG-004: a raw getpid (aarch64 with x0 =
// garbage as argument 0) interrupted by signals always returns the pid. SIG-005: SA_SIGINFO
// with si_code/si_pid of a kill, the saved PC and si_addr of a load fault, and a handler that
// steps over the faulting instruction and sets the result register through the ucontext.
// SIG-016: a SA_ONSTACK handler runs on the alternate stack, and the program is back on its own
// stack afterwards. SIG-027: frames on a copy-on-write stack page (a fresh fork) and on an
// alternate stack that has never been touched. SEC-011: a handler that writes privileged
// flags (x86_64 IOPL/NT), a kernel PSTATE or selector, or a kernel or non-canonical PC into
// its frame gets them sanitized or dies with SIGSEGV; the kernel survives.
#define _GNU_SOURCE
#include "jtest.h"
#include "jsys.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* ---- Assembly: the register torture loop and a probe load --------------------------------
 * torture(iters, out): load the patterns, spin iters times, store the registers into out.
 * probe_load(addr): 0x77 in the result register, then a load from addr at probe_insn. */
extern long torture(long iters, uint64_t *out);
extern long probe_load(uintptr_t addr);
extern const char probe_insn[], probe_after[];

#define NGPR 14 /* patterned general registers */
#define NVEC 16 /* patterned vector registers (x86_64 xmm0-15; aarch64 v0-v15, v16-31 too) */

#if defined(__x86_64__)
#define NVEC_ALL 16
__asm__(".text\n"
	".globl torture\n"
	"torture:\n"
	"push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"push %rsi\n"
	"mov %rdi, %r11\n" /* counter: r11 is not patterned */
	"lea vpat(%rip), %rdi\n"
	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"movdqu \\n*16(%rdi), %xmm\\n\n"
	".endr\n"
	"ldmxcsr mxcsr_pat(%rip)\n"
	"movabs $0x1111111111111101, %rax\n"
	"movabs $0x2222222222222202, %rbx\n"
	"movabs $0x3333333333333303, %rcx\n"
	"movabs $0x4444444444444404, %rdx\n"
	"movabs $0x5555555555555505, %rsi\n"
	"movabs $0x6666666666666606, %rdi\n"
	"movabs $0x7777777777777707, %rbp\n"
	"movabs $0x8888888888888808, %r8\n"
	"movabs $0x9999999999999909, %r9\n"
	"movabs $0xaaaaaaaaaaaaaa0a, %r10\n"
	"movabs $0xbbbbbbbbbbbbbb0c, %r12\n"
	"movabs $0xcccccccccccccc0d, %r13\n"
	"movabs $0xdddddddddddddd0e, %r14\n"
	"movabs $0xeeeeeeeeeeeeee0f, %r15\n"
	"1: dec %r11\n"
	"jnz 1b\n"
	"mov (%rsp), %r11\n" /* out */
	"mov %rax, 0(%r11); mov %rbx, 8(%r11); mov %rcx, 16(%r11); mov %rdx, 24(%r11)\n"
	"mov %rsi, 32(%r11); mov %rdi, 40(%r11); mov %rbp, 48(%r11); mov %r8, 56(%r11)\n"
	"mov %r9, 64(%r11); mov %r10, 72(%r11); mov %r12, 80(%r11); mov %r13, 88(%r11)\n"
	"mov %r14, 96(%r11); mov %r15, 104(%r11)\n"
	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"movdqu %xmm\\n, 112+\\n*16(%r11)\n"
	".endr\n"
	"stmxcsr 112+256(%r11)\n"
	"pop %rsi; pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"xor %eax, %eax\n"
	"ret\n"
	".globl probe_load\n"
	"probe_load:\n"
	"mov $0x77, %eax\n"
	".globl probe_insn\n"
	"probe_insn: mov (%rdi), %rax\n"
	".globl probe_after\n"
	"probe_after: ret\n");
static const uint64_t gpr_pat[NGPR] = {
	0x1111111111111101, 0x2222222222222202, 0x3333333333333303, 0x4444444444444404,
	0x5555555555555505, 0x6666666666666606, 0x7777777777777707, 0x8888888888888808,
	0x9999999999999909, 0xaaaaaaaaaaaaaa0a, 0xbbbbbbbbbbbbbb0c, 0xcccccccccccccc0d,
	0xdddddddddddddd0e, 0xeeeeeeeeeeeeee0f};
uint32_t mxcsr_pat = 0x7f80 | 0x6000; /* all exceptions masked, round towards zero */
#define CTRL_PAT mxcsr_pat

static void clobber_fp(void)
{
	uint32_t m = 0x1f80 | 0x2000; /* round down */
	__asm__ volatile("pcmpeqb %%xmm0, %%xmm0\n"
			 ".irp n,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
			 "movdqa %%xmm0, %%xmm\\n\n"
			 ".endr\n"
			 "ldmxcsr %0\n"
			 :
			 : "m"(m)
			 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
			   "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

static uint32_t fp_ctrl_now(void)
{
	uint32_t m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	return m;
}
#define UC_PC(uc) ((uc)->uc_mcontext.gregs[REG_RIP])
#define UC_RET(uc) ((uc)->uc_mcontext.gregs[REG_RAX])
#define SP_NOW(v) __asm__ volatile("mov %%rsp, %0" : "=r"(v))

#elif defined(__aarch64__)
#define NVEC_ALL 32
__asm__(".text\n"
	".globl torture\n"
	"torture:\n"
	"stp x29, x30, [sp, #-96]!\n"
	"stp x19, x20, [sp, #16]; stp x21, x22, [sp, #32]; stp x23, x24, [sp, #48]\n"
	"stp x25, x26, [sp, #64]; stp x27, x28, [sp, #80]\n"
	"str x1, [sp, #-16]!\n"
	"adrp x9, vpat; add x9, x9, :lo12:vpat\n"
	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"ldr q\\n, [x9, #(\\n % 16) * 16]\n"
	".endr\n"
	"adrp x9, mxcsr_pat; ldr w9, [x9, :lo12:mxcsr_pat]; msr fpcr, x9\n"
	"ldr x1, =0x1111111111111101\n"
	"ldr x2, =0x2222222222222202\n"
	"ldr x3, =0x3333333333333303\n"
	"ldr x4, =0x4444444444444404\n"
	"ldr x5, =0x5555555555555505\n"
	"ldr x6, =0x6666666666666606\n"
	"ldr x7, =0x7777777777777707\n"
	"ldr x8, =0x8888888888888808\n"
	"ldr x19, =0x9999999999999909\n"
	"ldr x20, =0xaaaaaaaaaaaaaa0a\n"
	"ldr x21, =0xbbbbbbbbbbbbbb0c\n"
	"ldr x22, =0xcccccccccccccc0d\n"
	"ldr x28, =0xdddddddddddddd0e\n"
	"ldr x30, =0xeeeeeeeeeeeeee0f\n"
	"1: subs x0, x0, #1\n"
	"b.ne 1b\n"
	"ldr x0, [sp]\n"
	"stp x1, x2, [x0, #0]; stp x3, x4, [x0, #16]; stp x5, x6, [x0, #32]\n"
	"stp x7, x8, [x0, #48]; stp x19, x20, [x0, #64]; stp x21, x22, [x0, #80]\n"
	"stp x28, x30, [x0, #96]\n"
	"add x0, x0, #112\n"
	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"str q\\n, [x0], #16\n"
	".endr\n"
	"mrs x9, fpcr; str w9, [x0]\n"
	"add sp, sp, #16\n"
	"ldp x19, x20, [sp, #16]; ldp x21, x22, [sp, #32]; ldp x23, x24, [sp, #48]\n"
	"ldp x25, x26, [sp, #64]; ldp x27, x28, [sp, #80]\n"
	"ldp x29, x30, [sp], #96\n"
	"mov x0, #0\n"
	"ret\n"
	".ltorg\n"
	".globl probe_load\n"
	"probe_load:\n"
	"mov x1, x0\n"
	"mov x0, #0x77\n"
	".globl probe_insn\n"
	"probe_insn: ldr x0, [x1]\n"
	".globl probe_after\n"
	"probe_after: ret\n");
static const uint64_t gpr_pat[NGPR] = {
	0x1111111111111101, 0x2222222222222202, 0x3333333333333303, 0x4444444444444404,
	0x5555555555555505, 0x6666666666666606, 0x7777777777777707, 0x8888888888888808,
	0x9999999999999909, 0xaaaaaaaaaaaaaa0a, 0xbbbbbbbbbbbbbb0c, 0xcccccccccccccc0d,
	0xdddddddddddddd0e, 0xeeeeeeeeeeeeee0f};
uint32_t mxcsr_pat = 0x00c00000; /* FPCR.RMode = towards zero */
#define CTRL_PAT mxcsr_pat

static void clobber_fp(void)
{
	__asm__ volatile(".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
			 "24,25,26,27,28,29,30,31\n"
			 "movi v\\n\\().2d, #0xffffffffffffffff\n"
			 ".endr\n"
			 "mov x9, #0x00800000\n" /* round towards -inf */
			 "msr fpcr, x9\n"
			 :
			 :
			 : "x9", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10",
			   "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20",
			   "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30",
			   "v31");
}

static uint32_t fp_ctrl_now(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, fpcr" : "=r"(v));
	return (uint32_t)v;
}
#define UC_PC(uc) ((uc)->uc_mcontext.pc)
#define UC_RET(uc) ((uc)->uc_mcontext.regs[0])
#define SP_NOW(v) __asm__ volatile("mov %0, sp" : "=r"(v))
#endif

uint8_t vpat[NVEC][16];

/* ---- SIG-003: the register torture -------------------------------------------------------- */

static volatile sig_atomic_t usr1_count;
static volatile uint32_t ctrl_in_handler = 0xffffffff;

static void clobber_handler(int sig)
{
	(void)sig;
	usr1_count++;
	ctrl_in_handler = fp_ctrl_now();
	clobber_fp();
}

/* A child that sends SIGUSR1 to the parent n times, a little apart. */
static pid_t spammer(int n)
{
	pid_t parent = getpid(), c = fork();
	if (c == 0) {
		for (int i = 0; i < n; i++) {
			kill(parent, SIGUSR1);
			struct timespec ts = {0, 200000};
			nanosleep(&ts, NULL);
		}
		_exit(0);
	}
	return c;
}

static int torture_check(const uint64_t *out)
{
	int bad = 0;
	for (int i = 0; i < NGPR; i++)
		bad += out[i] != gpr_pat[i];
	const uint8_t *v = (const uint8_t *)(out + NGPR);
	for (int i = 0; i < NVEC_ALL; i++)
		bad += memcmp(v + 16 * i, vpat[i % NVEC], 16) != 0;
	uint32_t ctrl;
	memcpy(&ctrl, v + 16 * NVEC_ALL, 4);
	bad += ctrl != CTRL_PAT;
	return bad;
}

static void test_torture(void)
{
	struct sigaction sa = {.sa_handler = clobber_handler};
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < NVEC; i++)
		for (int j = 0; j < 16; j++)
			vpat[i][j] = (uint8_t)(i * 16 + j + 1);
	uint64_t out[NGPR + 2 * NVEC_ALL + 2];
	int bad = 0, runs = 0;
	usr1_count = 0;
	pid_t c = spammer(200);
	int status;
	while (waitpid(c, &status, WNOHANG) == 0 || runs == 0) {
		memset(out, 0, sizeof(out));
		torture(2000000, out);
		bad += torture_check(out);
		runs++;
	}
	jt_diag("%d loops, %d signals", runs, (int)usr1_count);
	JT_EQ(bad, 0);
	JT_OK(usr1_count > 0, "the loop was interrupted");
	/* Linux starts x86_64 handlers with MXCSR 0x1f80; qemu-user (the reference) does not. */
	jt_diag("FP control word in the handler: %#x", (unsigned)ctrl_in_handler);
	jt_behaviour("SIG-003", bad == 0 && usr1_count > 0,
		     "registers and FP state survive handlers that clobber them");
	signal(SIGUSR1, SIG_DFL);
}

/* ---- SIG-004: a syscall's result survives a signal taken on its return ------------------- */

static void count_handler(int sig)
{
	(void)sig;
	usr1_count++;
}

static void test_syscall_result(void)
{
	struct sigaction sa = {.sa_handler = count_handler};
	sigaction(SIGUSR1, &sa, NULL);
	long pid = getpid(), bad = 0, calls = 0;
	usr1_count = 0;
	pid_t c = spammer(100);
	int status;
	while (waitpid(c, &status, WNOHANG) == 0) {
		/* x0 on aarch64 = argument 0 = garbage: only the result may come back. */
		long r = jt_sys6(SYS_getpid, 0x5a5a5a5a, 0, 0, 0, 0, 0);
		bad += r != pid;
		calls++;
	}
	jt_diag("%ld getpid calls, %d signals", calls, (int)usr1_count);
	JT_EQ(bad, 0);
	jt_behaviour("SIG-004", bad == 0 && usr1_count > 0, "getpid's result survives handlers");
	signal(SIGUSR1, SIG_DFL);
}

/* ---- SIG-005: SA_SIGINFO, the saved PC, si_addr, editing the ucontext -------------------- */

static volatile int info_sig, info_code, info_pid, info_uid;
static volatile uintptr_t seg_pc, seg_addr;
static volatile int seg_code;

static void info_handler(int sig, siginfo_t *si, void *ucv)
{
	(void)ucv;
	info_sig = sig;
	info_code = si->si_code;
	info_pid = si->si_pid;
	info_uid = (int)si->si_uid;
}

static void segv_step_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)sig;
	seg_pc = (uintptr_t)UC_PC(uc);
	seg_addr = (uintptr_t)si->si_addr;
	seg_code = si->si_code;
	UC_PC(uc) = (uintptr_t)probe_after; /* step over the load */
	UC_RET(uc) = 0x99;                  /* and give it a result */
}

static void test_siginfo(void)
{
	jt_mark();
	struct sigaction sa = {.sa_sigaction = info_handler, .sa_flags = SA_SIGINFO};
	sigaction(SIGUSR2, &sa, NULL);
	kill(getpid(), SIGUSR2);
	JT_EQ(info_sig, SIGUSR2);
	JT_EQ(info_code, SI_USER);
	JT_EQV(info_pid, getpid());
	JT_EQ(info_uid, getuid());

	sa.sa_sigaction = segv_step_handler;
	sigaction(SIGSEGV, &sa, NULL);
	uintptr_t bad_addr = 0x10;
	long r = probe_load(bad_addr);
	JT_EQ(r, 0x99);
	JT_EQV(seg_pc, (uintptr_t)probe_insn);
	JT_EQ(seg_addr, bad_addr);
	JT_EQ(seg_code, SEGV_MAPERR);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	jt_behaviour("SIG-005", jt_failures_since_mark() == 0,
		     "siginfo of kill and of a fault, saved PC, edited context takes effect");
}

/* ---- SIG-016, SIG-027: where the frame goes ----------------------------------------------- */

static volatile uintptr_t handler_sp;

static void sp_handler(int sig)
{
	uintptr_t sp;
	(void)sig;
	SP_NOW(sp);
	handler_sp = sp;
}

static void test_altstack(void)
{
	jt_mark();
	size_t size = 64 * 1024;
	/* Never touched: the frame is the first write to these pages. */
	char *alt = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	JT_OK(alt != MAP_FAILED, "mmap the alternate stack");
	stack_t ss = {.ss_sp = alt, .ss_size = size}, old;
	JT_EQ(sigaltstack(&ss, NULL), 0);
	struct sigaction sa = {.sa_handler = sp_handler, .sa_flags = SA_ONSTACK};
	sigaction(SIGUSR1, &sa, NULL);
	uintptr_t before, after;
	SP_NOW(before);
	raise(SIGUSR1);
	SP_NOW(after);
	JT_OK(handler_sp >= (uintptr_t)alt && handler_sp < (uintptr_t)alt + size,
	      "the SA_ONSTACK handler runs on the alternate stack");
	JT_EQV(after, before);
	JT_EQ(sigaltstack(NULL, &old), 0);
	JT_EQ(old.ss_flags, 0);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	signal(SIGUSR1, SIG_DFL);
	jt_behaviour("SIG-016", jt_failures_since_mark() == 0,
		     "SA_ONSTACK frame on the alternate stack, back on the normal stack after");
}

static void test_cow_frame(void)
{
	jt_mark();
	struct sigaction sa = {.sa_handler = sp_handler};
	sigaction(SIGUSR1, &sa, NULL);
	handler_sp = 0;
	pid_t c = fork();
	if (c == 0) {
		/* The stack is shared copy-on-write with the parent: the frame write copies it. */
		raise(SIGUSR1);
		_exit(handler_sp != 0 ? 0 : 1);
	}
	int status = 0;
	JT_EQV(waitpid(c, &status, 0), c);
	JT_OK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child's handler ran");
	signal(SIGUSR1, SIG_DFL);
	jt_behaviour("SIG-027", jt_failures_since_mark() == 0,
		     "frames on a copy-on-write page and on an untouched alternate stack");
}

/* ---- SEC-011: a handler that forges privilege into its frame ------------------------------ */

static int forge_mode;

static void forge_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)sig, (void)si;
#if defined(__x86_64__)
	switch (forge_mode) {
	case 0: uc->uc_mcontext.gregs[REG_EFL] |= 0x3000 | 0x4000; break; /* IOPL 3, NT */
	/* VM 8086 mode, interrupts off. (Not a kernel CS: qemu-user, the Linux reference,
	 * cannot emulate the #GP a real iretq gives; Janus forces the user selectors.) */
	case 1: uc->uc_mcontext.gregs[REG_EFL] |= 0x20000;
		uc->uc_mcontext.gregs[REG_EFL] &= ~0x200ll; break;
	case 2: uc->uc_mcontext.gregs[REG_RIP] = 0x8000000000001000ull; break;
	case 3: uc->uc_mcontext.gregs[REG_RIP] = 0xffffffff80001000ull; break;
	}
#else
	switch (forge_mode) {
	case 0: uc->uc_mcontext.pstate |= 0x3c0; break; /* DAIF */
	case 1: uc->uc_mcontext.pstate |= 0x5; break;   /* EL1h */
	case 2: uc->uc_mcontext.pc = 0x0001000000001000ull; break;
	case 3: uc->uc_mcontext.pc = 0xffff000000001000ull; break;
	}
#endif
}

/* 0: the process carried on in user mode with sane state; SIGSEGV: it was killed. */
static int forge(int mode)
{
	pid_t c = fork();
	if (c == 0) {
		forge_mode = mode;
		struct sigaction sa = {.sa_sigaction = forge_handler, .sa_flags = SA_SIGINFO};
		sigaction(SIGUSR1, &sa, NULL);
		raise(SIGUSR1);
#if defined(__x86_64__)
		unsigned long fl;
		__asm__ volatile("pushfq; pop %0" : "=r"(fl));
		_exit((fl & 0x27000) || !(fl & 0x200) ? 2 : 0); /* IOPL, NT, VM, !IF survived */
#else
		_exit(0);
#endif
	}
	int status = 0;
	waitpid(c, &status, 0);
	if (WIFSIGNALED(status))
		return WTERMSIG(status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_forge(void)
{
	jt_mark();
	int r0 = forge(0), r1 = forge(1), r2 = forge(2), r3 = forge(3);
	jt_diag("forged frames: %d %d %d %d (0 = sanitized, 11 = SIGSEGV)", r0, r1, r2, r3);
	JT_OK(r0 == 0 || r0 == SIGSEGV, "privileged flags / DAIF");
	JT_OK(r1 == 0 || r1 == SIGSEGV, "VM flag / EL1 PSTATE");
	JT_EQ(r2, SIGSEGV);
	JT_EQ(r3, SIGSEGV);
	jt_behaviour("SEC-011", jt_failures_since_mark() == 0,
		     "forged privilege in a frame is sanitized or kills with SIGSEGV");
}

int main(void)
{
	jt_mark();
	test_torture();
	test_syscall_result();
	test_siginfo();
	test_altstack();
	test_cow_frame();
	test_forge();
	return jt_done();
}
