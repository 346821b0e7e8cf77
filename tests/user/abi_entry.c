// covers: BOOT-007
//
// No kernel values leak into a new process: at its first instruction every general-purpose
// register but the stack pointer is zero, the FP/SIMD registers are zero, and MXCSR/FCW
// (x86_64) or FPCR/FPSR (aarch64) hold their defaults. The program's ELF entry point is
// entry_probe (linked with --entry), which saves every register before jumping to musl's
// _start; main then checks what it saw.
#include "jtest.h"

#include <stdint.h>
#include <string.h>

uint64_t probe_gpr[32];           /* x86_64: rax..r15 but rsp (15); aarch64: x0-x30 */
uint8_t probe_vec[32 * 16] __attribute__((aligned(16)));
uint64_t probe_ctl[2];            /* x86_64: MXCSR, FCW; aarch64: FPCR, FPSR */

#if defined(__x86_64__)
#define NGPR 15
#define NVEC 16
__asm__(".globl entry_probe\n"
	"entry_probe:\n"
	"  movq %rax, probe_gpr+0(%rip)\n  movq %rbx, probe_gpr+8(%rip)\n"
	"  movq %rcx, probe_gpr+16(%rip)\n  movq %rdx, probe_gpr+24(%rip)\n"
	"  movq %rsi, probe_gpr+32(%rip)\n  movq %rdi, probe_gpr+40(%rip)\n"
	"  movq %rbp, probe_gpr+48(%rip)\n  movq %r8, probe_gpr+56(%rip)\n"
	"  movq %r9, probe_gpr+64(%rip)\n  movq %r10, probe_gpr+72(%rip)\n"
	"  movq %r11, probe_gpr+80(%rip)\n  movq %r12, probe_gpr+88(%rip)\n"
	"  movq %r13, probe_gpr+96(%rip)\n  movq %r14, probe_gpr+104(%rip)\n"
	"  movq %r15, probe_gpr+112(%rip)\n"
	"  movdqu %xmm0, probe_vec+0(%rip)\n  movdqu %xmm1, probe_vec+16(%rip)\n"
	"  movdqu %xmm2, probe_vec+32(%rip)\n  movdqu %xmm3, probe_vec+48(%rip)\n"
	"  movdqu %xmm4, probe_vec+64(%rip)\n  movdqu %xmm5, probe_vec+80(%rip)\n"
	"  movdqu %xmm6, probe_vec+96(%rip)\n  movdqu %xmm7, probe_vec+112(%rip)\n"
	"  movdqu %xmm8, probe_vec+128(%rip)\n  movdqu %xmm9, probe_vec+144(%rip)\n"
	"  movdqu %xmm10, probe_vec+160(%rip)\n  movdqu %xmm11, probe_vec+176(%rip)\n"
	"  movdqu %xmm12, probe_vec+192(%rip)\n  movdqu %xmm13, probe_vec+208(%rip)\n"
	"  movdqu %xmm14, probe_vec+224(%rip)\n  movdqu %xmm15, probe_vec+240(%rip)\n"
	"  stmxcsr probe_ctl+0(%rip)\n  fnstcw probe_ctl+8(%rip)\n"
	"  jmp _start\n");
static const uint64_t ctl_default[2] = {0x1f80, 0x37f};
#elif defined(__aarch64__)
#define NGPR 31
#define NVEC 32
__asm__(".globl entry_probe\n"
	"entry_probe:\n"
	"  str x16, [sp, #-16]!\n"
	"  adrp x16, probe_gpr\n  add x16, x16, :lo12:probe_gpr\n"
	"  str x17, [x16, #136]\n  ldr x17, [sp]\n  str x17, [x16, #128]\n"
	"  stp x0, x1, [x16, #0]\n  stp x2, x3, [x16, #16]\n  stp x4, x5, [x16, #32]\n"
	"  stp x6, x7, [x16, #48]\n  stp x8, x9, [x16, #64]\n  stp x10, x11, [x16, #80]\n"
	"  stp x12, x13, [x16, #96]\n  stp x14, x15, [x16, #112]\n"
	"  stp x18, x19, [x16, #144]\n  stp x20, x21, [x16, #160]\n  stp x22, x23, [x16, #176]\n"
	"  stp x24, x25, [x16, #192]\n  stp x26, x27, [x16, #208]\n  stp x28, x29, [x16, #224]\n"
	"  str x30, [x16, #240]\n"
	"  adrp x16, probe_vec\n  add x16, x16, :lo12:probe_vec\n"
	"  st1 {v0.16b, v1.16b, v2.16b, v3.16b}, [x16], #64\n"
	"  st1 {v4.16b, v5.16b, v6.16b, v7.16b}, [x16], #64\n"
	"  st1 {v8.16b, v9.16b, v10.16b, v11.16b}, [x16], #64\n"
	"  st1 {v12.16b, v13.16b, v14.16b, v15.16b}, [x16], #64\n"
	"  st1 {v16.16b, v17.16b, v18.16b, v19.16b}, [x16], #64\n"
	"  st1 {v20.16b, v21.16b, v22.16b, v23.16b}, [x16], #64\n"
	"  st1 {v24.16b, v25.16b, v26.16b, v27.16b}, [x16], #64\n"
	"  st1 {v28.16b, v29.16b, v30.16b, v31.16b}, [x16], #64\n"
	"  adrp x16, probe_ctl\n  add x16, x16, :lo12:probe_ctl\n"
	"  mrs x17, fpcr\n  str x17, [x16]\n  mrs x17, fpsr\n  str x17, [x16, #8]\n"
	"  add sp, sp, #16\n  mov x16, xzr\n  mov x17, xzr\n"
	"  b _start\n");
static const uint64_t ctl_default[2] = {0, 0};
#endif

int main(void)
{
	jt_mark();
	int bad = 0;
	for (int i = 0; i < NGPR; i++)
		if (probe_gpr[i]) {
			jt_diag("general register %d was %#llx", i, (unsigned long long)probe_gpr[i]);
			bad++;
		}
	JT_OK(bad == 0, "every general-purpose register but the stack pointer starts at zero");
	static const uint8_t zero[sizeof probe_vec];
	JT_OK(memcmp(probe_vec, zero, NVEC * 16) == 0, "every vector register starts at zero");
	/* The defaults are per port (MXCSR/FCW, FPCR/FPSR): JT_EQV keeps the output the same. */
	JT_EQV(probe_ctl[0], ctl_default[0]);
	JT_EQV(probe_ctl[1], ctl_default[1]);
	jt_behaviour("BOOT-007", jt_failures_since_mark() == 0,
		     "registers zero and FP control at its defaults at the first instruction");
	return jt_done();
}
