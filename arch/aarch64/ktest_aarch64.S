/*
 * arch/aarch64/ktest_aarch64.S: the register half of the "interrupts return correctly" test.
 *
 * uint64_t aarch64_ktest_irq_regs(uint64_t counts): fill x1-x28 with distinct patterns, x29
 * with SP and NZCV with N and C set, then spin for `counts` ticks of CNTVCT_EL0 with
 * interrupts as the caller left them (enabled), using only x30 and no flag-setting
 * instruction. Timer interrupts taken inside the loop must eret to the right place (ELR) with
 * every register and PSTATE (SPSR) as they were. Returns 0 if all survived, else the number
 * of the first damaged one plus one: 1-29 = x0-x28, 30 = SP, 31 = NZCV.
 */
	.macro	pattern reg, num
	movz	\reg, #(0x5a00 + \num)
	movk	\reg, #(0xc300 + \num), lsl #16
	movk	\reg, #(0x3c00 + \num), lsl #32
	movk	\reg, #(0xa500 + \num), lsl #48
	.endm

	.macro	check num
	pattern	x0, \num
	mov	x30, #(\num + 1)
	cmp	x\num, x0
	b.ne	9f
	.endm

#define NZCV_NC 0xa0000000

	.text
	.globl	aarch64_ktest_irq_regs
	.type	aarch64_ktest_irq_regs, %function
aarch64_ktest_irq_regs:
	stp	x29, x30, [sp, #-112]!
	mov	x29, sp
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	isb
	mrs	x30, cntvct_el0
	add	x0, x0, x30			// x0 = deadline
	str	x0, [sp, #96]
	.irp	num, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28
	pattern	x\num, \num
	.endr
	mov	x29, sp
	movz	x30, #(NZCV_NC >> 16), lsl #16
	msr	nzcv, x30

1:	mrs	x30, cntvct_el0
	sub	x30, x0, x30
	tbz	x30, #63, 1b			// until deadline - now < 0

	mrs	x30, nzcv
	str	x30, [sp, #104]
	mov	x30, sp
	cmp	x29, x30
	mov	x30, #30
	b.ne	9f
	ldr	x30, [sp, #96]
	cmp	x0, x30
	mov	x30, #1
	b.ne	9f
	.irp	num, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28
	check	\num
	.endr
	ldr	x30, [sp, #104]
	movz	x0, #(NZCV_NC >> 16), lsl #16
	cmp	x30, x0
	mov	x30, #31
	b.ne	9f
	mov	x30, #0

9:	mov	x0, x30
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #112
	ret
	.size	aarch64_ktest_irq_regs, . - aarch64_ktest_irq_regs
