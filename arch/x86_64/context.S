/*
 * arch/x86_64/context.S: switching kernel threads (arch_context_switch) and the first frame of
 * a new one (arch_thread_stack_init). The twin of arch/aarch64/context.S.
 *
 * A switched-out thread is nothing but its stack pointer: arch_context_switch pushes the
 * registers the SysV ABI makes callee-saved (rbx, rbp, r12-r15) on the old stack, stores rsp
 * in *old_sp, loads new_sp and pops the same six from the new stack; its `ret` then returns
 * into whatever call of arch_context_switch the new thread made when it was switched out.
 * Everything else is either caller-saved (the C caller of arch_context_switch already assumes
 * it is clobbered) or not used by the kernel: no FP/SIMD state (-mgeneral-regs-only), DF is
 * clear in C code. RFLAGS is not saved: the caller holds the scheduler lock, so IF is clear on
 * both sides of the switch, and each thread gets its own IF back when it releases the lock
 * with the state its own acquire saved (core/sched.c).
 *
 * The saved frame, from the stored rsp upwards:
 *     r15, r14, r13, r12, rbx, rbp, return address
 * arch_thread_stack_init writes that frame for a thread that has never run: r12 = arg,
 * rbx = entry, rbp = 0, return address = thread_trampoline, placed so that rsp is 16-byte
 * aligned once the `ret` has popped it. The trampoline calls core's sched_thread_start()
 * (which finishes the switch and releases the scheduler lock, enabling interrupts), then
 * entry(arg) with rbp still 0, so entry's frame is the root of the backtrace chain. entry
 * must not return (core passes a wrapper that ends in thread_exit); if it does, ud2 traps.
 *
 * Per-thread hook. Nothing in this port changes per thread yet. When user mode arrives, the
 * marked spot below (after the old thread's registers are saved, before the new stack is
 * loaded) is where the next thread's state goes in: TSS.rsp0 (the kernel stack a trap from
 * ring 3 lands on), the FS base of its user TLS, and its FP/SIMD state if user code uses it.
 * Core will then pass the next thread's kernel stack top along (see core/sched.c, switch_to).
 */
	.text

/* void arch_context_switch(uintptr_t *old_sp [rdi], uintptr_t new_sp [rsi]) */
	.globl arch_context_switch
	.type arch_context_switch, @function
	.p2align 4
arch_context_switch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	/* Per-thread hook (nothing yet): TSS.rsp0, FS base, FP state of the next thread. */
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
	.size arch_context_switch, . - arch_context_switch

/* uintptr_t arch_thread_stack_init(void *stack_top [rdi], void (*entry)(void *) [rsi],
 *                                  void *arg [rdx]): the stack pointer to switch to. */
	.globl arch_thread_stack_init
	.type arch_thread_stack_init, @function
	.p2align 4
arch_thread_stack_init:
	and $-16, %rdi
	lea -72(%rdi), %rax		/* 7 saved words, rsp % 16 == 0 after the ret */
	movq $0, 0(%rax)		/* r15 */
	movq $0, 8(%rax)		/* r14 */
	movq $0, 16(%rax)		/* r13 */
	mov %rdx, 24(%rax)		/* r12 = arg */
	mov %rsi, 32(%rax)		/* rbx = entry */
	movq $0, 40(%rax)		/* rbp = 0: the root frame */
	lea thread_trampoline(%rip), %rcx
	mov %rcx, 48(%rax)		/* where the first switch returns to */
	movq $0, 56(%rax)		/* padding up to the 16-byte-aligned top */
	movq $0, 64(%rax)
	ret
	.size arch_thread_stack_init, . - arch_thread_stack_init

/* A new thread's first instruction: rsp 16-byte aligned, rbp = 0, interrupts masked, the
 * scheduler lock held on its behalf. */
	.type thread_trampoline, @function
	.p2align 4
thread_trampoline:
	call sched_thread_start
	mov %r12, %rdi
	call *%rbx
	ud2
	.size thread_trampoline, . - thread_trampoline
