/*
 * arch/x86_64/user_entry.S: the SYSCALL entry and every way back to user mode.
 *
 * The user frame. A thread that runs user code keeps its user registers in the struct
 * trapframe (trapframe.h) that ends exactly at the top of its kernel stack (arch_user_tf).
 * TSS.rsp0 and this CPU's PERCPU_KSTACK word both hold that top (cpu.c, set on every switch
 * by arch_thread_switch and by arch_enter_user), so an exception or interrupt from user mode
 * (the CPU pushes ss, rsp, rflags, cs, rip at rsp0; trap_entry.S adds the rest) and a SYSCALL
 * (built by hand below) leave their frames at the same place, in the same layout.
 *
 * SYSCALL (MSR_LSTAR; user.c sets the MSRs). The CPU has put the user rip in rcx and rflags
 * in r11, loaded the kernel CS/SS from STAR and cleared the RFLAGS bits in FMASK (IF, DF, TF,
 * AC, NT: interrupts stay off until core's syscall_handle enables them, and SMAP is shut); it
 * has changed neither rsp nor GS. swapgs makes GS this CPU's block, the user rsp is parked
 * there while rsp moves to the thread's kernel stack top, and the frame is pushed: ss and cs
 * the user selectors, rip = rcx, rflags = r11, the syscall number as it was on entry (orig
 * rax) in the error slot for restarts, X86_VEC_SYSCALL as the vector, then every general
 * register as the user left it (rcx and r11 included, which the SYSCALL already replaced).
 * rbp is zeroed so kernel backtraces stop at this frame. Then core's syscall_handle(tf).
 *
 * x86_user_exit, the one way out (syscalls, and traps from user mode through trap_entry.S),
 * rsp = the frame: interrupts off, then user.c's x86_user_exit_prepare calls core's
 * user_return (pending work: reschedule, signals, exit) and cleans the frame (user selectors,
 * user RFLAGS bits only, a canonical rip). It says whether SYSRET can do the return: only
 * when rcx == rip and r11 == rflags (what SYSRET loads them from), rip is canonical (SYSRET
 * to a non-canonical rip would fault in ring 0 with the user GS and rsp on Intel) and TF/RF
 * are clear; otherwise iretq, which restores every register exactly (execve, signals, traps,
 * or a syscall whose handler changed rip). In both, the user rsp is loaded last and swapgs
 * comes right before the return instruction: an NMI in between runs on its IST stack and
 * trap_entry.S notices the user GS.
 *
 * x86_enter_user(tf), for arch_enter_user: rsp = tf (the frame at the top of the stack),
 * then the iretq path.
 */
#include "trapframe.h"
#include "x86.h"

	.text
	.globl x86_syscall_entry
	.type x86_syscall_entry, @function
	.p2align 4
x86_syscall_entry:
	swapgs
	mov %rsp, %gs:PERCPU_USER_RSP
	mov %gs:PERCPU_KSTACK, %rsp
	pushq $GDT_USER_SS
	pushq %gs:PERCPU_USER_RSP
	pushq %r11			/* rflags */
	pushq $GDT_USER_CS
	pushq %rcx			/* rip */
	pushq %rax			/* error slot: orig rax */
	pushq $X86_VEC_SYSCALL
	sub $TF_GPRS_SIZE, %rsp
	SAVE_GPRS
	xor %ebp, %ebp
	mov %rsp, %rdi
	call syscall_handle
	/* fall through */
	.size x86_syscall_entry, . - x86_syscall_entry

/* rsp = the user frame at the top of the kernel stack; interrupts in any state. */
	.globl x86_user_exit
	.type x86_user_exit, @function
x86_user_exit:
	cli
	mov %rsp, %rdi
	call x86_user_exit_prepare
	test %al, %al
	jz .Liret
	RESTORE_GPRS			/* rcx = rip, r11 = rflags: checked */
	mov TF_RSP(%rsp), %rsp
	swapgs
	sysretq
.Liret:
	RESTORE_GPRS
	add $TF_RIP, %rsp		/* rip, cs, rflags, rsp, ss */
	swapgs
	iretq
	.size x86_user_exit, . - x86_user_exit

/* _Noreturn void x86_enter_user(struct trapframe *tf [rdi]): interrupts masked. */
	.globl x86_enter_user
	.type x86_enter_user, @function
x86_enter_user:
	mov %rdi, %rsp
	jmp .Liret
	.size x86_enter_user, . - x86_enter_user
