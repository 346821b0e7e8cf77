// covers: ABI-002
//
// Syscall entry and exit preserve the user's registers: every register gets a test pattern
// (the argument registers their real arguments), three calls (getpid, write, clock_gettime)
// are made with the raw instruction, and afterwards every register but the result (and, on
// x86_64, rcx and r11, which the syscall instruction itself clobbers) still holds its value.
// The probe is a small assembly routine per port: regs_probe(in, out) loads in[], traps,
// stores out[].
#include "jtest.h"

#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
/* in/out order: rax rbx rcx rdx rsi rdi rbp r8 r9 r10 r11 r12 r13 r14 r15 */
#define NREG 15
enum { R_NR = 0, R_A0 = 5, R_A1 = 4, R_A2 = 3 };
static const char *const names[NREG] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
					"r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
static bool clobbered(int i) { return i == 0 || i == 2 || i == 10; } /* rax, rcx, r11 */
__asm__(".globl regs_probe\n"
	"regs_probe:\n"
	"  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
	"  push %rsi\n" /* out */
	"  mov 8(%rdi), %rbx\n  mov 16(%rdi), %rcx\n  mov 24(%rdi), %rdx\n"
	"  mov 32(%rdi), %rsi\n  mov 48(%rdi), %rbp\n  mov 56(%rdi), %r8\n"
	"  mov 64(%rdi), %r9\n  mov 72(%rdi), %r10\n  mov 80(%rdi), %r11\n"
	"  mov 88(%rdi), %r12\n  mov 96(%rdi), %r13\n  mov 104(%rdi), %r14\n"
	"  mov 112(%rdi), %r15\n  mov 0(%rdi), %rax\n  mov 40(%rdi), %rdi\n"
	"  syscall\n"
	"  push %rax\n  mov 8(%rsp), %rax\n" /* rax = out */
	"  mov %rbx, 8(%rax)\n  mov %rcx, 16(%rax)\n  mov %rdx, 24(%rax)\n"
	"  mov %rsi, 32(%rax)\n  mov %rdi, 40(%rax)\n  mov %rbp, 48(%rax)\n"
	"  mov %r8, 56(%rax)\n  mov %r9, 64(%rax)\n  mov %r10, 72(%rax)\n"
	"  mov %r11, 80(%rax)\n  mov %r12, 88(%rax)\n  mov %r13, 96(%rax)\n"
	"  mov %r14, 104(%rax)\n  mov %r15, 112(%rax)\n"
	"  pop %rcx\n  mov %rcx, 0(%rax)\n  pop %rsi\n"
	"  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n  ret\n");
#elif defined(__aarch64__)
/* in/out order: x0..x30 */
#define NREG 31
enum { R_NR = 8, R_A0 = 0, R_A1 = 1, R_A2 = 2 };
static const char *const names[NREG] = {
	"x0",  "x1",  "x2",  "x3",  "x4",  "x5",  "x6",  "x7",  "x8",  "x9",  "x10",
	"x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21",
	"x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30"};
static bool clobbered(int i) { return i == 0; } /* x0: the result */
__asm__(".globl regs_probe\n"
	"regs_probe:\n"
	"  stp x29, x30, [sp, #-112]!\n  stp x19, x20, [sp, #16]\n  stp x21, x22, [sp, #32]\n"
	"  stp x23, x24, [sp, #48]\n  stp x25, x26, [sp, #64]\n  stp x27, x28, [sp, #80]\n"
	"  str x1, [sp, #96]\n" /* out */
	"  mov x30, x0\n"
	"  ldp x0, x1, [x30, #0]\n  ldp x2, x3, [x30, #16]\n  ldp x4, x5, [x30, #32]\n"
	"  ldp x6, x7, [x30, #48]\n  ldp x8, x9, [x30, #64]\n  ldp x10, x11, [x30, #80]\n"
	"  ldp x12, x13, [x30, #96]\n  ldp x14, x15, [x30, #112]\n  ldp x16, x17, [x30, #128]\n"
	"  ldp x18, x19, [x30, #144]\n  ldp x20, x21, [x30, #160]\n  ldp x22, x23, [x30, #176]\n"
	"  ldp x24, x25, [x30, #192]\n  ldp x26, x27, [x30, #208]\n  ldp x28, x29, [x30, #224]\n"
	"  ldr x30, [x30, #240]\n"
	"  svc #0\n"
	"  str x0, [sp, #104]\n  ldr x0, [sp, #96]\n" /* x0 = out */
	"  stp x1, x2, [x0, #8]\n  stp x3, x4, [x0, #24]\n  stp x5, x6, [x0, #40]\n"
	"  stp x7, x8, [x0, #56]\n  stp x9, x10, [x0, #72]\n  stp x11, x12, [x0, #88]\n"
	"  stp x13, x14, [x0, #104]\n  stp x15, x16, [x0, #120]\n  stp x17, x18, [x0, #136]\n"
	"  stp x19, x20, [x0, #152]\n  stp x21, x22, [x0, #168]\n  stp x23, x24, [x0, #184]\n"
	"  stp x25, x26, [x0, #200]\n  stp x27, x28, [x0, #216]\n  stp x29, x30, [x0, #232]\n"
	"  ldr x1, [sp, #104]\n  str x1, [x0]\n"
	"  ldp x19, x20, [sp, #16]\n  ldp x21, x22, [sp, #32]\n  ldp x23, x24, [sp, #48]\n"
	"  ldp x25, x26, [sp, #64]\n  ldp x27, x28, [sp, #80]\n  ldp x29, x30, [sp], #112\n"
	"  ret\n");
#endif

void regs_probe(const uint64_t *in, uint64_t *out);

/* One call: patterns everywhere, the number and up to three arguments; the result. */
static long call(long nr, uint64_t a0, uint64_t a1, uint64_t a2, const char *what)
{
	uint64_t in[NREG], out[NREG];
	for (int i = 0; i < NREG; i++)
		in[i] = 0x0101010101010101ull * (uint64_t)(i + 1) ^ 0x5a00000000000000ull;
	in[R_NR] = (uint64_t)nr;
	in[R_A0] = a0;
	in[R_A1] = a1;
	in[R_A2] = a2;
	memset(out, 0, sizeof out);
	regs_probe(in, out);
	int bad = 0;
	for (int i = 0; i < NREG; i++)
		if (!clobbered(i) && out[i] != in[i]) {
			jt_diag("%s: %s was %#llx, now %#llx", what, names[i],
				(unsigned long long)in[i], (unsigned long long)out[i]);
			bad++;
		}
	/* One description on both ports (the output is compared across them); x86_64's syscall
	 * instruction also clobbers rcx and r11, which clobbered() leaves out. */
	JT_OK(bad == 0, "%s keeps every register but the result and the ABI's scratch", what);
	return (long)out[0]; /* rax / x0 */
}

int main(void)
{
	static const char msg[] = "# regs probe\n";
	struct timespec ts;
	jt_mark();
	for (int round = 0; round < 3; round++) {
		JT_EQV(call(SYS_getpid, 0, 0, 0, "getpid"), getpid()); /* pid: run-specific */
		JT_EQ(call(SYS_write, 1, (uint64_t)msg, sizeof msg - 1, "write"), sizeof msg - 1);
		JT_EQ(call(SYS_clock_gettime, CLOCK_MONOTONIC, (uint64_t)&ts, 0, "clock_gettime"), 0);
	}
	jt_behaviour("ABI-002", jt_failures_since_mark() == 0,
		     "syscalls preserve every register but the result (x86_64: and rcx, r11)");
	return jt_done();
}
