/*
 * arch/x86_64/trap_entry.S: one small stub per IDT vector and the common path they share.
 *
 * Each of the 256 stubs makes the stack look the same whatever the vector: it pushes a dummy
 * error code 0 where the CPU pushes none, then its vector number, and jumps to trap_common,
 * which stores the 15 general registers below them, completing a struct trapframe
 * (trapframe.h), and calls x86_trap(tf). Vectors 32-255 (interrupts) take the same path:
 * x86_trap passes them to irq.c, and an unexpected one is reported with its number.
 *
 * trap_stub_table (.rodata) lists the stubs' addresses in vector order for trap.c's IDT.
 *
 * Everything runs in ring 0 for now, so there is no swapgs and no stack switch except the
 * #DF IST stack the TSS supplies. When x86_trap returns (always, for a handled interrupt),
 * every general register is restored from the frame and iretq restores rip, cs, rflags (IF
 * included), rsp and ss: the interrupted code sees no change (ktest_x86.c checks this).
 */
#include "trapframe.h"

/* Vectors for which the CPU pushes an error code: #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP,
 * #VC, #SX. */
#define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
		      (v) == 29 || (v) == 30)

	.text
	.p2align 4
trap_common:
	cld			/* the C ABI expects DF clear; the interrupted code may have set it */
	sub $TF_GPRS_SIZE, %rsp
	mov %rax, TF_RAX(%rsp)
	mov %rbx, TF_RBX(%rsp)
	mov %rcx, TF_RCX(%rsp)
	mov %rdx, TF_RDX(%rsp)
	mov %rsi, TF_RSI(%rsp)
	mov %rdi, TF_RDI(%rsp)
	mov %rbp, TF_RBP(%rsp)
	mov %r8, TF_R8(%rsp)
	mov %r9, TF_R9(%rsp)
	mov %r10, TF_R10(%rsp)
	mov %r11, TF_R11(%rsp)
	mov %r12, TF_R12(%rsp)
	mov %r13, TF_R13(%rsp)
	mov %r14, TF_R14(%rsp)
	mov %r15, TF_R15(%rsp)
	mov %rsp, %rdi
	call x86_trap
	mov TF_RAX(%rsp), %rax
	mov TF_RBX(%rsp), %rbx
	mov TF_RCX(%rsp), %rcx
	mov TF_RDX(%rsp), %rdx
	mov TF_RSI(%rsp), %rsi
	mov TF_RDI(%rsp), %rdi
	mov TF_RBP(%rsp), %rbp
	mov TF_R8(%rsp), %r8
	mov TF_R9(%rsp), %r9
	mov TF_R10(%rsp), %r10
	mov TF_R11(%rsp), %r11
	mov TF_R12(%rsp), %r12
	mov TF_R13(%rsp), %r13
	mov TF_R14(%rsp), %r14
	mov TF_R15(%rsp), %r15
	add $(TF_RIP - TF_RAX), %rsp	/* drop the GPRs, vector and error code */
	iretq

	/* The stubs, each followed by its entry in the table. */
	.set vector, 0
	.rept 256
	.text
	.p2align 4
1:
	.if !HAS_ERROR(vector)
	pushq $0
	.endif
	pushq $vector
	jmp trap_common
	.section .rodata
	.p2align 3
	.ifeq vector
	.globl trap_stub_table
trap_stub_table:
	.endif
	.quad 1b
	.set vector, vector + 1
	.endr
