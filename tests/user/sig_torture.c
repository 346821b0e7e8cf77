// covers: SIG-003
//
// Issue 9's register-torture acceptance. A thread loads a pattern into every general-purpose
// register (x86_64: all 15 but rsp; aarch64: x0-x30) and every FP/SIMD register (x86_64:
// xmm0-15, or ymm0-15 whole when the CPU and kernel have AVX, and MXCSR; aarch64: v0-v31 and
// FPCR), then spins on a branch to itself, touching nothing. Signals interrupt it at least
// 10,000 times; every handler clobbers the registers. When enough have landed on the loop, a
// handler moves the saved PC to the code after the loop (SA_SIGINFO ucontext), which stores
// every register; each must still hold its pattern.
//
// Where the interruptions come from: ITIMER_REAL with a 1 ms period (SIGALRM; asynchronous,
// at any instruction of the loop), and in each SIGALRM handler that found the loop, a burst of
// BURST tgkill(SIGRTMIN) to the thread itself, blocked during the SIGALRM handler (sa_mask) so
// that each is delivered after a sigreturn, with the loop's registers just restored from the
// previous frame: every one is a full save and restore of the loop's context. Janus's tick is
// 100 Hz, so timer signals alone would need 100 s for 10,000; the bursts keep the run to a
// few seconds on TCG while still including hundreds of asynchronous timer interruptions.
#define _GNU_SOURCE
#include "jtest.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define TARGET 10000
#define BURST 19

extern void torture_spin(void);
extern const char torture_loop[], torture_done[];

uint64_t regs_out[128];
uint8_t vpat[1024] __attribute__((aligned(32)));
uint8_t use_avx;

#if defined(__x86_64__)
#define NGPR 15
#define NVEC 16
#define VSTRIDE 32
static const uint64_t gpr_pat[NGPR] = {
	0x1111111111111101, 0x2222222222222202, 0x3333333333333303, 0x4444444444444404,
	0x5555555555555505, 0x6666666666666606, 0x7777777777777707, 0x8888888888888808,
	0x9999999999999909, 0xaaaaaaaaaaaaaa0a, 0xa1a1a1a1a1a1a10b, 0xbbbbbbbbbbbbbb0c,
	0xcccccccccccccc0d, 0xdddddddddddddd0e, 0xeeeeeeeeeeeeee0f};
static const char *const gpr_name[NGPR] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp",
					   "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"};
uint32_t ctrl_pat = 0x7f80 | 0x6000; /* exceptions masked, round towards zero */
#define GPR_STORES                                                                        \
	"mov %rax, regs_out+0(%rip); mov %rbx, regs_out+8(%rip); mov %rcx, regs_out+16(%rip)\n" \
	"mov %rdx, regs_out+24(%rip); mov %rsi, regs_out+32(%rip); mov %rdi, regs_out+40(%rip)\n" \
	"mov %rbp, regs_out+48(%rip); mov %r8, regs_out+56(%rip); mov %r9, regs_out+64(%rip)\n" \
	"mov %r10, regs_out+72(%rip); mov %r11, regs_out+80(%rip); mov %r12, regs_out+88(%rip)\n" \
	"mov %r13, regs_out+96(%rip); mov %r14, regs_out+104(%rip); mov %r15, regs_out+112(%rip)\n"
__asm__(".text\n"
	".globl torture_spin\n"
	"torture_spin:\n"
	"push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"cmpb $0, use_avx(%rip); je 2f\n"
	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"vmovdqu vpat+\\n*32(%rip), %ymm\\n\n"
	".endr\n"
	"jmp 3f\n"
	"2:\n"
	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"movdqu vpat+\\n*32(%rip), %xmm\\n\n"
	".endr\n"
	"3: ldmxcsr ctrl_pat(%rip)\n"
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
	"movabs $0xa1a1a1a1a1a1a10b, %r11\n"
	"movabs $0xbbbbbbbbbbbbbb0c, %r12\n"
	"movabs $0xcccccccccccccc0d, %r13\n"
	"movabs $0xdddddddddddddd0e, %r14\n"
	"movabs $0xeeeeeeeeeeeeee0f, %r15\n"
	".globl torture_loop\n"
	"torture_loop: jmp torture_loop\n"
	".globl torture_done\n"
	"torture_done:\n" GPR_STORES
	"cmpb $0, use_avx(%rip); je 4f\n"
	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"vmovdqu %ymm\\n, regs_out+256+\\n*32(%rip)\n"
	".endr\n"
	"vzeroupper\n"
	"jmp 5f\n"
	"4:\n"
	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"movdqu %xmm\\n, regs_out+256+\\n*32(%rip)\n"
	".endr\n"
	"5: stmxcsr regs_out+256+512(%rip)\n"
	"pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"ret\n");

static void clobber_regs(void)
{
	uint32_t m = 0x1f80 | 0x2000; /* round down */
	if (use_avx)
		__asm__ volatile("vpcmpeqb %%ymm0, %%ymm0, %%ymm0\n"
				 ".irp n,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
				 "vmovdqa %%ymm0, %%ymm\\n\n"
				 ".endr\n"
				 "vzeroupper\n"
				 :
				 :
				 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
				   "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
				   "xmm15");
	__asm__ volatile("pcmpeqb %%xmm0, %%xmm0\n"
			 ".irp n,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
			 "movdqa %%xmm0, %%xmm\\n\n"
			 ".endr\n"
			 "ldmxcsr %0\n"
			 "mov $-1, %%rax; mov $-2, %%rbx; mov $-3, %%rcx; mov $-4, %%rdx\n"
			 "mov $-5, %%rsi; mov $-6, %%rdi; mov $-7, %%r8; mov $-8, %%r9\n"
			 "mov $-9, %%r10; mov $-10, %%r11; mov $-11, %%r12; mov $-12, %%r13\n"
			 "mov $-13, %%r14; mov $-14, %%r15\n"
			 :
			 : "m"(m)
			 : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
			   "r12", "r13", "r14", "r15", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
			   "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			   "xmm13", "xmm14", "xmm15", "cc");
}

/* AVX usable: the CPU has it and the kernel enabled the YMM state (XCR0 bits 1-2). */
static bool avx_usable(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 27)) || !(c & (1u << 28))) /* OSXSAVE, AVX */
		return false;
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}
#define UC_PC(uc) ((uc)->uc_mcontext.gregs[REG_RIP])

#elif defined(__aarch64__)
#define NGPR 31
#define NVEC 32
#define VSTRIDE 16
#define PAT(n) (0x5a00000000000000ull + ((uint64_t)(n) << 40) + 0x1234567ull * (n))
static uint64_t gpr_pat[NGPR];
static const char *const gpr_name[NGPR] = {
	"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
	"x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25",
	"x26", "x27", "x28", "x29", "x30"};
uint32_t ctrl_pat = 0x00c00000; /* FPCR.RMode = towards zero */
__asm__(".text\n"
	".globl torture_spin\n"
	"torture_spin:\n"
	"stp x29, x30, [sp, #-96]!\n"
	"stp x19, x20, [sp, #16]; stp x21, x22, [sp, #32]; stp x23, x24, [sp, #48]\n"
	"stp x25, x26, [sp, #64]; stp x27, x28, [sp, #80]\n"
	"adrp x9, vpat; add x9, x9, :lo12:vpat\n"
	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"ldr q\\n, [x9, #\\n * 16]\n"
	".endr\n"
	"adrp x9, ctrl_pat; ldr w9, [x9, :lo12:ctrl_pat]; msr fpcr, x9\n"
	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30\n"
	"ldr x\\n, =(0x5a00000000000000 + (\\n << 40) + 0x1234567 * \\n)\n"
	".endr\n"
	".globl torture_loop\n"
	"torture_loop: b torture_loop\n"
	".ltorg\n"
	".globl torture_done\n"
	"torture_done:\n"
	"str x0, [sp, #-16]!\n"
	"adrp x0, regs_out; add x0, x0, :lo12:regs_out\n"
	".irp n,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30\n"
	"str x\\n, [x0, #\\n * 8]\n"
	".endr\n"
	"ldr x1, [sp], #16; str x1, [x0]\n"
	"add x0, x0, #256\n"
	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"str q\\n, [x0], #16\n"
	".endr\n"
	"mrs x9, fpcr; str w9, [x0]\n"
	"ldp x19, x20, [sp, #16]; ldp x21, x22, [sp, #32]; ldp x23, x24, [sp, #48]\n"
	"ldp x25, x26, [sp, #64]; ldp x27, x28, [sp, #80]\n"
	"ldp x29, x30, [sp], #96\n"
	"ret\n");

static void clobber_regs(void)
{
	__asm__ volatile(".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
			 "24,25,26,27,28,29,30,31\n"
			 "movi v\\n\\().2d, #0xffffffffffffffff\n"
			 ".endr\n"
			 "mov x9, #0x00800000\n" /* round towards -inf */
			 "msr fpcr, x9\n"
			 ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
			 "24,25,26,27,28\n"
			 "mov x\\n, #-\\n\n"
			 ".endr\n"
			 :
			 :
			 : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
			   "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20",
			   "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "v0", "v1",
			   "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12",
			   "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22",
			   "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "cc");
}

static bool avx_usable(void)
{
	return false;
}
#define UC_PC(uc) ((uc)->uc_mcontext.pc)
#endif

static volatile int n_loop, n_timer, n_elsewhere, redirected;
static volatile pid_t torture_tid;

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
	(void)si;
	ucontext_t *uc = ucv;
	clobber_regs();
	if ((uintptr_t)UC_PC(uc) != (uintptr_t)torture_loop) {
		n_elsewhere++; /* before the loop, after it, or a late burst signal */
		return;
	}
	n_loop++;
	if (sig == SIGALRM) {
		n_timer++;
		for (int i = 0; i < BURST; i++)
			syscall(SYS_tgkill, getpid(), torture_tid, SIGRTMIN);
	}
	if (n_loop >= TARGET && !redirected) {
		redirected = 1;
		UC_PC(uc) = (uintptr_t)torture_done; /* leave the loop, storing every register */
	}
}

static void *torture_thread(void *arg)
{
	(void)arg;
	torture_tid = (pid_t)syscall(SYS_gettid);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	sigaddset(&s, SIGRTMIN);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	torture_spin();
	return NULL;
}

static void install(int sig, int also_blocked)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, also_blocked);
	sigaction(sig, &sa, NULL);
}

static int check_registers(void)
{
	int bad = 0;
	for (int i = 0; i < NGPR; i++) {
		if (regs_out[i] != gpr_pat[i]) {
			jt_diag("  %s = %#llx, want %#llx", gpr_name[i], (unsigned long long)regs_out[i],
				(unsigned long long)gpr_pat[i]);
			bad++;
		}
	}
	const uint8_t *v = (const uint8_t *)&regs_out[32];
	size_t width = use_avx ? 32 : 16;
	for (int n = 0; n < NVEC; n++) {
		if (memcmp(v + n * VSTRIDE, vpat + n * VSTRIDE, width) != 0) {
			jt_diag("  vector register %d changed", n);
			bad++;
		}
	}
	uint32_t ctrl;
	memcpy(&ctrl, v + NVEC * VSTRIDE, sizeof ctrl);
	if (ctrl != ctrl_pat) {
		jt_diag("  FP control = %#x, want %#x", ctrl, ctrl_pat);
		bad++;
	}
	return bad;
}

int main(void)
{
	jt_mark();
#if defined(__aarch64__)
	for (int i = 0; i < NGPR; i++)
		gpr_pat[i] = PAT(i);
#endif
	for (size_t i = 0; i < sizeof vpat; i++)
		vpat[i] = (uint8_t)(i * 7 + 3);
	use_avx = avx_usable();
	jt_diag("  AVX %s", use_avx ? "yes: ymm0-15 whole" : "no");

	/* Only the torture thread takes the signals. */
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	sigaddset(&s, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &s, NULL);
	install(SIGALRM, SIGRTMIN);
	install(SIGRTMIN, SIGALRM);

	pthread_t th;
	JT_EQ(pthread_create(&th, NULL, torture_thread, NULL), 0);
	struct itimerval it = {{0, 1000}, {0, 1000}};
	JT_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);

	struct timespec limit;
	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += 100;
	int jr = pthread_timedjoin_np(th, NULL, &limit);
	struct itimerval zero = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &zero, NULL);
	if (!JT_OK(jr == 0, "the torture thread finished")) {
		jt_diag("  %d interruptions on the loop (%d by the timer)", n_loop, n_timer);
		jt_behaviour("SIG-003", false, "the loop never finished");
		jt_done();
		_exit(1); /* the thread still spins */
	}
	JT_OKV(n_loop >= TARGET, "at least 10000 interruptions of the loop", "%d", n_loop);
	JT_OKV(n_timer >= 100, "at least 100 of them by the timer, asynchronously", "%d",
	       n_timer);
	JT_OKV(check_registers() == 0, "every register holds its pattern", "%d elsewhere",
	       n_elsewhere);
	jt_behaviour("SIG-003", jt_failures_since_mark() == 0,
		     "10000 interruptions, every GPR and FP/SIMD register intact");
	return jt_done();
}
