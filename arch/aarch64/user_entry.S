/*
 * arch/aarch64/user_entry.S: the first entry into EL0 and the FP/SIMD register file.
 *
 * Entries from EL0 and the returns to it share trap_entry.S's vectors and restore path; all
 * that is left for here is aarch64_enter_user, which points SP at the user frame (the top of
 * the running thread's kernel stack, arch_user_tf) and falls into that restore path. After
 * the eret SP_EL1 is the stack top again, which is where the next exception from EL0 builds
 * its frame: the invariant trap_entry.S relies on.
 *
 * The FP/SIMD state of a user thread (q0-q31, FPSR, FPCR: struct arch_thread's fp block,
 * offsets checked in user.c) is switched eagerly by arch_thread_switch with these three.
 * The kernel proper is built with -mgeneral-regs-only, so nothing but this file touches
 * those registers at EL1, and CPACR_EL1.FPEN lets both ELs use them (user.c).
 */
	.arch_extension	fp
	.arch_extension	simd

#define FP_FPSR 512
#define FP_FPCR 516

	.text

/* _Noreturn void aarch64_enter_user(struct trapframe *tf [x0]): interrupts masked. */
	.globl	aarch64_enter_user
	.type	aarch64_enter_user, %function
	.balign	16
aarch64_enter_user:
	msr	daifset, #15
	mov	sp, x0
	b	aarch64_trap_return
	.size	aarch64_enter_user, . - aarch64_enter_user

/* void aarch64_fp_save(void *fp [x0]) */
	.globl	aarch64_fp_save
	.type	aarch64_fp_save, %function
	.balign	16
aarch64_fp_save:
	stp	q0, q1, [x0, #32 * 0]
	stp	q2, q3, [x0, #32 * 1]
	stp	q4, q5, [x0, #32 * 2]
	stp	q6, q7, [x0, #32 * 3]
	stp	q8, q9, [x0, #32 * 4]
	stp	q10, q11, [x0, #32 * 5]
	stp	q12, q13, [x0, #32 * 6]
	stp	q14, q15, [x0, #32 * 7]
	stp	q16, q17, [x0, #32 * 8]
	stp	q18, q19, [x0, #32 * 9]
	stp	q20, q21, [x0, #32 * 10]
	stp	q22, q23, [x0, #32 * 11]
	stp	q24, q25, [x0, #32 * 12]
	stp	q26, q27, [x0, #32 * 13]
	stp	q28, q29, [x0, #32 * 14]
	stp	q30, q31, [x0, #32 * 15]
	mrs	x1, fpsr
	mrs	x2, fpcr
	str	w1, [x0, #FP_FPSR]
	str	w2, [x0, #FP_FPCR]
	ret
	.size	aarch64_fp_save, . - aarch64_fp_save

/* void aarch64_fp_load(const void *fp [x0]) */
	.globl	aarch64_fp_load
	.type	aarch64_fp_load, %function
	.balign	16
aarch64_fp_load:
	ldp	q0, q1, [x0, #32 * 0]
	ldp	q2, q3, [x0, #32 * 1]
	ldp	q4, q5, [x0, #32 * 2]
	ldp	q6, q7, [x0, #32 * 3]
	ldp	q8, q9, [x0, #32 * 4]
	ldp	q10, q11, [x0, #32 * 5]
	ldp	q12, q13, [x0, #32 * 6]
	ldp	q14, q15, [x0, #32 * 7]
	ldp	q16, q17, [x0, #32 * 8]
	ldp	q18, q19, [x0, #32 * 9]
	ldp	q20, q21, [x0, #32 * 10]
	ldp	q22, q23, [x0, #32 * 11]
	ldp	q24, q25, [x0, #32 * 12]
	ldp	q26, q27, [x0, #32 * 13]
	ldp	q28, q29, [x0, #32 * 14]
	ldp	q30, q31, [x0, #32 * 15]
	ldr	w1, [x0, #FP_FPSR]
	ldr	w2, [x0, #FP_FPCR]
	msr	fpsr, x1
	msr	fpcr, x2
	ret
	.size	aarch64_fp_load, . - aarch64_fp_load

/* void aarch64_fp_zero(void): every FP/SIMD register, FPSR and FPCR to 0 (the exec state). */
	.globl	aarch64_fp_zero
	.type	aarch64_fp_zero, %function
	.balign	16
aarch64_fp_zero:
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	movi	v\n\().2d, #0
	.endr
	msr	fpsr, xzr
	msr	fpcr, xzr
	ret
	.size	aarch64_fp_zero, . - aarch64_fp_zero
