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
 * GS. In the kernel GS_BASE is this CPU's per-CPU block; in user mode it is the user's, and
 * swapgs exchanges the two (KERNEL_GS_BASE holds the other). A trap from user mode (the saved
 * CS has RPL 3) swaps on entry and its return path swaps back. A trap from kernel mode
 * normally finds the kernel GS in place, but an NMI, #DB or machine check can hit the few
 * instructions of the syscall paths (user_entry.S) where the CPU is in ring 0 with the user
 * GS; so for exceptions and NMIs (vectors below 32) taken in kernel mode, GS_BASE itself is
 * read: the per-CPU block lies in the kernel half, a user GS base never does (arch_prctl
 * refuses one, and FSGSBASE stays off so user code cannot load one itself). Whether to swap
 * back is kept in rbx, which the C code preserves. Interrupts cannot hit those windows: IF is
 * clear there.
 *
 * SMAP. An interrupt or exception does not clear RFLAGS.AC, so user code (or a user copy
 * that was interrupted) could leave SMAP open in the handler: every entry clears AC when
 * SMAP is on (x86_smap_on; clac is #UD without SMAP), and iretq gives the interrupted code
 * its own AC back.
 *
 * Return. A trap from kernel mode restores every general register from the frame and iretq
 * restores rip, cs, rflags (IF included), rsp and ss: the interrupted code sees no change
 * (ktest_x86.c checks this). A trap from user mode lands at the top of the thread's kernel
 * stack (TSS.rsp0), so its frame is the thread's user trapframe (arch_user_tf), and it leaves
 * through user_entry.S's x86_user_exit, which calls core's user_return before restoring the
 * user registers. An NMI from user mode is the exception: it runs on its IST stack, which is
 * not a thread's, and returns straight back (trap.c panics for any NMI that is not smp.c's TLB
 * shootdown). #DF (IST1) never returns.
 */
#include "trapframe.h"
#include "x86.h"

/* Vectors for which the CPU pushes an error code: #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP,
 * #VC, #SX. */
#define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
		      (v) == 29 || (v) == 30)

/* clac, when SMAP is on (otherwise it is #UD and AC has no effect on the kernel anyway). */
	.macro CLAC_IF_SMAP
	testb $1, x86_smap_on(%rip)
	jz .Lno_smap\@
	clac
.Lno_smap\@:
	.endm

	.text
	.p2align 4
trap_common:
	cld			/* the C ABI expects DF clear; the interrupted code may have set it */
	sub $TF_GPRS_SIZE, %rsp
	SAVE_GPRS
	CLAC_IF_SMAP
	xor %ebx, %ebx		/* rbx != 0: swapgs again before the iretq */
	testb $3, TF_CS(%rsp)
	jz .Lfrom_kernel
	swapgs
	xor %ebp, %ebp		/* the backtrace stops here, not in user memory */
	cmpq $VEC_NMI, TF_VECTOR(%rsp)
	jne .Lfrom_user
	inc %ebx		/* an NMI on its IST stack: back to user mode directly */
	jmp .Lcall
.Lfrom_kernel:
	cmpq $32, TF_VECTOR(%rsp)
	jae .Lcall		/* an interrupt: IF was set, so GS is the kernel's */
	mov $MSR_GS_BASE, %ecx
	rdmsr
	test %edx, %edx
	js .Lcall		/* a kernel-half GS base: the kernel's */
	swapgs			/* in a syscall path's window: the user's */
	inc %ebx
.Lcall:
	mov %rsp, %rdi
	call x86_trap
	test %ebx, %ebx
	jz 1f
	swapgs
1:	RESTORE_GPRS
	add $(TF_RIP - TF_RAX), %rsp	/* drop the GPRs, vector and error code */
	iretq

.Lfrom_user:
	mov %rsp, %rdi
	call x86_trap
	jmp x86_user_exit	/* user_entry.S: user_return, then back to user mode */

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
