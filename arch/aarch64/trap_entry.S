/*
 * arch/aarch64/trap_entry.S: the exception vector table (VBAR_EL1) and the one path every
 * exception takes into C.
 *
 * The table has 16 entries of 0x80 bytes in four groups (from EL1 on SP_EL0, from EL1 on
 * SP_EL1, from EL0 AArch64, from EL0 AArch32), each {sync, IRQ, FIQ, SError}; it must be
 * 2 KiB aligned. An entry only makes room for a struct trapframe (trapframe.h), saves x0/x1
 * and loads its own vector number; trap_common saves the rest, so all 16 share one body.
 *
 * The frame is built on SP_EL1, the stack the exception switched to. The trapped context's
 * SP is SP_EL1 before the frame if it ran on SP_EL1 (SPSR.M[0] = 1), else SP_EL0. When
 * aarch64_trap returns, the frame is restored (ELR/SPSR and the SP_EL0 of a non-SP_EL1
 * context too, so C may redirect a context) and eret resumes it.
 *
 * Stack overflow. Kernel stacks sit in KSTACK_SLOT-aligned slots of the KSTACK area, the stack
 * in the slot's top KSTACK_SIZE and an unmapped guard below (core/layout.h); the boot stack
 * has a BOOT_STACK_GUARD_SIZE guard below it (entry.S). An exception taken with SP so low
 * that the frame would reach into a guard cannot be saved there: the stores would fault, and
 * that exception would fault again, forever. So the four EL1h entries (the kernel's own
 * exceptions) first check, touching no memory, whether [SP - TF_SIZE, SP) starts in a guard:
 *   x = SP - TF_SIZE; in a KSTACK slot's guard iff (x ^ KSTACK_AREA_BASE) has no bit at or
 *   above log2(KSTACK_AREA_SIZE) and (x % KSTACK_SLOT) < KSTACK_SLOT - KSTACK_SIZE;
 *   in the boot stack's guard iff x - boot_stack_guard < BOOT_STACK_GUARD_SIZE (unsigned).
 * If so the entry switches to this CPU's emergency stack (aarch64_emergency_stacks[cpu id],
 * the id read from the struct cpu TPIDR_EL1 points at) and calls aarch64_stack_overflow,
 * which reports TRAP_DOUBLE_FAULT and does not return.
 *
 * Scratch registers for that check, which must not touch the stack:
 *   SP_EL0 holds x0. While the CPU is in EL1, SP_EL0 is free: the kernel runs on SP_EL1 only,
 *   and the SP_EL0 of a user context is saved in its trapframe on entry from EL0 and written
 *   back from it on return (the restore below), so nothing in EL1 relies on its value.
 *   TPIDRRO_EL0 holds x1 on the overflow path only (fatal), and is zeroed before C runs.
 *
 * Entries from EL0 (the AArch64 lower-EL group) take the same path. SP_EL1 is the top of the
 * running thread's kernel stack whenever it runs at EL0 (the return below pops the frame back
 * to exactly there, and arch_enter_user starts from the same point), so the frame lands at
 * arch_user_tf(stack_top), where core finds it. Its frame record gets a null x29 so backtraces
 * stop at the user boundary. aarch64_trap (trap.c) dispatches (SVC to syscall_handle, faults
 * to trap_handle, IRQs) and calls user_return last; the restore then writes SP_EL0 back and
 * erets to EL0. TPIDR_EL0 and the FP/SIMD registers are not touched here: the kernel never
 * uses them, so they stay live until a thread switch saves them (user.c).
 */
#include "aarch64.h"
#include "trapframe.h"

#if (KSTACK_SLOT & (KSTACK_SLOT - 1)) || (KSTACK_AREA_SIZE & (KSTACK_AREA_SIZE - 1)) || \
	(KSTACK_AREA_BASE & (KSTACK_AREA_SIZE - 1)) || KSTACK_SIZE >= KSTACK_SLOT
#error "the stack check below needs power-of-two, aligned KSTACK slots and area"
#endif

.macro	ventry vec
	.balign	0x80
	sub	sp, sp, #TF_SIZE
	stp	x0, x1, [sp, #TF_X0]
	mov	x0, #\vec
	b	trap_common
.endm

/* An EL1h entry: the guard check, then as ventry; or (8:) off to the emergency stack with
 * x0 = vec, x1 = the SP that overflowed. 29 instructions of the 32 an entry has. */
.macro	ventry_el1h vec
	.balign	0x80
	msr	sp_el0, x0
	sub	x0, sp, #TF_SIZE
	eor	x0, x0, #KSTACK_AREA_BASE
	tst	x0, #~(KSTACK_AREA_SIZE - 1)
	b.ne	1f				// not in the KSTACK area
	and	x0, x0, #(KSTACK_SLOT - 1)
	cmp	x0, #(KSTACK_SLOT - KSTACK_SIZE)
	b.lo	8f
1:	adrp	x0, boot_stack_guard
	sub	x0, sp, x0
	sub	x0, x0, #TF_SIZE
	cmp	x0, #BOOT_STACK_GUARD_SIZE
	b.lo	8f
	mrs	x0, sp_el0
	sub	sp, sp, #TF_SIZE
	stp	x0, x1, [sp, #TF_X0]
	mov	x0, #\vec
	b	trap_common
8:	msr	tpidrro_el0, x1
	mrs	x0, tpidr_el1
	ldr	w0, [x0]			// struct cpu.id (offset 0, asserted in trap.c)
	adrp	x1, aarch64_emergency_stacks
	add	x1, x1, :lo12:aarch64_emergency_stacks
	add	x0, x1, x0, lsl #EMERGENCY_STACK_SHIFT
	add	x0, x0, #EMERGENCY_STACK_SIZE
	mov	x1, sp
	mov	sp, x0
	mov	x0, #\vec
	b	stack_overflow
.endm

/* x2..x29 into the frame at SP. */
.macro	save_x2_x29
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
.endm

/* x30, the trapped SP (x2), ELR, SPSR (x1), ESR, FAR and the frame record; x29 then points
 * at the record. Clobbers x2-x4. */
.macro	save_special
	stp	x30, x2, [sp, #TF_X30]		// x30, sp
	mrs	x2, elr_el1
	stp	x2, x1, [sp, #TF_ELR]		// elr, spsr
	mrs	x3, esr_el1
	mrs	x4, far_el1
	stp	x3, x4, [sp, #TF_ESR]		// esr, far
	stp	x29, x2, [sp, #TF_FRAME]	// frame record { x29, elr }
	add	x29, sp, #TF_FRAME
.endm

	.text
	.balign	2048
	.globl	aarch64_vectors
aarch64_vectors:
	ventry	VEC_EL1T+VEC_SYNC
	ventry	VEC_EL1T+VEC_IRQ
	ventry	VEC_EL1T+VEC_FIQ
	ventry	VEC_EL1T+VEC_SERROR
	ventry_el1h VEC_EL1H+VEC_SYNC
	ventry_el1h VEC_EL1H+VEC_IRQ
	ventry_el1h VEC_EL1H+VEC_FIQ
	ventry_el1h VEC_EL1H+VEC_SERROR
	ventry	VEC_EL0_64+VEC_SYNC
	ventry	VEC_EL0_64+VEC_IRQ
	ventry	VEC_EL0_64+VEC_FIQ
	ventry	VEC_EL0_64+VEC_SERROR
	ventry	VEC_EL0_32+VEC_SYNC
	ventry	VEC_EL0_32+VEC_IRQ
	ventry	VEC_EL0_32+VEC_FIQ
	ventry	VEC_EL0_32+VEC_SERROR
	.org	aarch64_vectors + 2048	// fails to assemble if an entry outgrew its 0x80 bytes

/* x0 = vector number; x0/x1 already saved. */
trap_common:
	save_x2_x29
	mrs	x1, spsr_el1
	add	x2, sp, #TF_SIZE
	mrs	x3, sp_el0
	tst	x1, #1				// M[0]: trapped context was on SP_EL1
	csel	x2, x2, x3, ne
	save_special
	tst	x1, #0xf			// M[3:0] = 0: from EL0
	b.ne	2f
	str	xzr, [sp, #TF_FRAME]		// the backtrace ends here, not in user memory
2:
	mov	x1, x0
	mov	x0, sp
	bl	aarch64_trap

/* Restore the frame at SP and eret; SP ends just above it. arch_enter_user comes in here. */
	.globl	aarch64_trap_return
aarch64_trap_return:
	ldp	x2, x1, [sp, #TF_ELR]
	msr	elr_el1, x2
	msr	spsr_el1, x1
	tbnz	x1, #0, 1f
	ldr	x2, [sp, #TF_SP]
	msr	sp_el0, x2
1:	ldp	x0, x1, [sp, #16 * 0]
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x19, [sp, #16 * 9]
	ldp	x20, x21, [sp, #16 * 10]
	ldp	x22, x23, [sp, #16 * 11]
	ldp	x24, x25, [sp, #16 * 12]
	ldp	x26, x27, [sp, #16 * 13]
	ldp	x28, x29, [sp, #16 * 14]
	ldr	x30, [sp, #TF_X30]
	add	sp, sp, #TF_SIZE
	eret

/* On the emergency stack: x0 = vector number, x1 = the SP that overflowed, the trapped x0 in
 * SP_EL0 and x1 in TPIDRRO_EL0. Builds the same frame as trap_common (its sp field is the
 * overflowed SP) and never returns. */
stack_overflow:
	sub	sp, sp, #TF_SIZE
	save_x2_x29
	mov	x2, x1
	mrs	x3, sp_el0
	mrs	x4, tpidrro_el0
	stp	x3, x4, [sp, #TF_X0]
	msr	tpidrro_el0, xzr
	mrs	x1, spsr_el1
	save_special
	mov	x1, x0
	mov	x0, sp
	bl	aarch64_stack_overflow
	b	park
