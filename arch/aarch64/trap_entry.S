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
 */
#include "aarch64.h"
#include "trapframe.h"

.macro	ventry vec
	.balign	0x80
	sub	sp, sp, #TF_SIZE
	stp	x0, x1, [sp, #TF_X0]
	mov	x0, #\vec
	b	trap_common
.endm

	.text
	.balign	2048
	.globl	aarch64_vectors
aarch64_vectors:
	ventry	VEC_EL1T+VEC_SYNC
	ventry	VEC_EL1T+VEC_IRQ
	ventry	VEC_EL1T+VEC_FIQ
	ventry	VEC_EL1T+VEC_SERROR
	ventry	VEC_EL1H+VEC_SYNC
	ventry	VEC_EL1H+VEC_IRQ
	ventry	VEC_EL1H+VEC_FIQ
	ventry	VEC_EL1H+VEC_SERROR
	ventry	VEC_EL0_64+VEC_SYNC
	ventry	VEC_EL0_64+VEC_IRQ
	ventry	VEC_EL0_64+VEC_FIQ
	ventry	VEC_EL0_64+VEC_SERROR
	ventry	VEC_EL0_32+VEC_SYNC
	ventry	VEC_EL0_32+VEC_IRQ
	ventry	VEC_EL0_32+VEC_FIQ
	ventry	VEC_EL0_32+VEC_SERROR

/* x0 = vector number; x0/x1 already saved. */
trap_common:
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

	mrs	x1, spsr_el1
	add	x2, sp, #TF_SIZE
	mrs	x3, sp_el0
	tst	x1, #1				// M[0]: trapped context was on SP_EL1
	csel	x2, x2, x3, ne
	stp	x30, x2, [sp, #TF_X30]		// x30, sp
	mrs	x2, elr_el1
	stp	x2, x1, [sp, #TF_ELR]		// elr, spsr
	mrs	x3, esr_el1
	mrs	x4, far_el1
	stp	x3, x4, [sp, #TF_ESR]		// esr, far
	stp	x29, x2, [sp, #TF_FRAME]	// frame record { x29, elr }
	add	x29, sp, #TF_FRAME

	mov	x1, x0
	mov	x0, sp
	bl	aarch64_trap

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
