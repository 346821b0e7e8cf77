/*
 * arch/aarch64/context.S: switching kernel threads (arch_context_switch) and the first frame of
 * a new one (arch_thread_stack_init). The twin of arch/x86_64/context.S.
 *
 * A switched-out thread is nothing but its stack pointer: arch_context_switch stores the
 * registers AAPCS64 makes callee-saved (x19-x28, the frame pointer x29 and the link register
 * x30) on the old stack, stores SP in *old_sp, loads new_sp and reloads the same twelve from
 * the new stack; its `ret` then returns through the new thread's x30 into whatever call of
 * arch_context_switch it made when it was switched out. d8-d15 are callee-saved too, but the
 * kernel never touches FP/SIMD registers (-mgeneral-regs-only), so there is nothing there to
 * keep. PSTATE is not saved: the caller holds the scheduler lock, so interrupts are masked on
 * both sides, and each thread gets its own DAIF back when it releases the lock with the state
 * its own acquire saved (core/sched.c). SP_EL0 is scratch while in EL1 (trap_entry.S) and
 * needs no saving for kernel threads.
 *
 * The saved frame, 96 bytes from the stored SP upwards:
 *     x19 x20 | x21 x22 | x23 x24 | x25 x26 | x27 x28 | x29 x30
 * arch_thread_stack_init writes that frame for a thread that has never run: x19 = entry,
 * x20 = arg, x29 = 0, x30 = thread_trampoline. The trampoline calls core's
 * sched_thread_start() (which finishes the switch and releases the scheduler lock, enabling
 * interrupts), then entry(arg) with x29 still 0, so entry's frame record is the root of the
 * backtrace chain. entry must not return (core passes a wrapper that ends in thread_exit); if
 * it does, the CPU parks.
 *
 * Per-thread hook. Nothing in this port changes per thread yet. When user mode arrives, the
 * marked spot below (after the old thread's registers are saved, before the new stack is
 * loaded) is where the next thread's state goes in: TPIDR_EL0 (its user TLS pointer) and its
 * FP/SIMD registers if user code uses them (the kernel stack for traps from EL0 is SP_EL1,
 * which the switch itself already changes). Core will then pass the next thread along (see
 * core/sched.c, switch_to).
 */
	.text

#define CTX_SIZE 96

/* void arch_context_switch(uintptr_t *old_sp [x0], uintptr_t new_sp [x1]) */
	.globl	arch_context_switch
	.type	arch_context_switch, %function
	.balign	16
arch_context_switch:
	sub	sp, sp, #CTX_SIZE
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	mov	x9, sp
	str	x9, [x0]
	// Per-thread hook (nothing yet): TPIDR_EL0, FP/SIMD state of the next thread.
	mov	sp, x1
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	add	sp, sp, #CTX_SIZE
	ret
	.size	arch_context_switch, . - arch_context_switch

/* uintptr_t arch_thread_stack_init(void *stack_top [x0], void (*entry)(void *) [x1],
 *                                  void *arg [x2]): the stack pointer to switch to. */
	.globl	arch_thread_stack_init
	.type	arch_thread_stack_init, %function
	.balign	16
arch_thread_stack_init:
	and	x0, x0, #~15
	sub	x0, x0, #CTX_SIZE
	stp	x1, x2, [x0, #0]		// x19 = entry, x20 = arg
	stp	xzr, xzr, [x0, #16]
	stp	xzr, xzr, [x0, #32]
	stp	xzr, xzr, [x0, #48]
	stp	xzr, xzr, [x0, #64]
	adr	x3, thread_trampoline
	stp	xzr, x3, [x0, #80]		// x29 = 0 (the root frame), x30 = the trampoline
	ret
	.size	arch_thread_stack_init, . - arch_thread_stack_init

/* A new thread's first instruction: SP 16-byte aligned, x29 = 0, interrupts masked, the
 * scheduler lock held on its behalf. */
	.type	thread_trampoline, %function
	.balign	16
thread_trampoline:
	bl	sched_thread_start
	mov	x0, x20
	blr	x19
	b	park
	.size	thread_trampoline, . - thread_trampoline
