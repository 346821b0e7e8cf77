/*
 * arch/aarch64/uaccess.S: the fault-safe user copies of arch.h (called only through
 * core/uaccess.h, which has already refused ranges not wholly below USER_TOP).
 *
 * User memory is read and written with the unprivileged LDTR/STTR family: at EL1 they are
 * checked against EL0's permissions, so a copy can reach only what the user could, and they
 * are exempt from PAN, which therefore stays on throughout (a stray plain load of a user
 * pointer anywhere else in the kernel still faults). They have only a 9-bit immediate offset,
 * hence the explicit address increments.
 *
 * The copies move 32 bytes per loop iteration while they can, then 8, then single bytes:
 * under QEMU's TCG each iteration is a translation block, so the block count, not the
 * instruction count, is what a bulk copy (a warm 64 KiB read) pays (docs/performance.md).
 * A fault in the unrolled body is retried on its own instruction, whose registers are intact.
 *
 * Every instruction that touches a user address is written through `uinsn fixup, insn`, which
 * also emits an exception-table entry { insn, fixup } (core/trap.h). On a fault, core first
 * tries mm_fault (demand paging, copy-on-write: the instruction is then retried) and
 * otherwise resumes at the fixup with the registers as they were, which returns -EFAULT. How
 * many bytes were copied before the fault is unspecified (arch.h).
 *
 * The futex compare-and-exchange needs an exclusive pair, which has no unprivileged form.
 * Like Linux it clears PSTATE.PAN around the LDAXR/STLXR loop (on CPUs with PAN; on the
 * others EL1 may access user pages anyway). The privileged access then sees the EL1 view of
 * the page: user pages are mapped with AP[1] set, so EL1 and EL0 permissions coincide there
 * (read-only stays read-only). Its fixup sets PAN again before returning. An exception taken
 * inside the loop saves PSTATE.PAN = 0 in SPSR, gets PAN = 1 on entry (SCTLR_EL1.SPAN = 0) and
 * restores 0 on the eret, so nothing else runs with PAN off.
 */
#include "core/errno.h"

/* msr pan, #imm by encoding, so the assembler needs no ARMv8.1 target. */
#define PAN_CLEAR .inst 0xd500409f
#define PAN_SET .inst 0xd500419f
#define CPU_FEAT_PAN_BIT 0 /* aarch64.h: CPU_FEAT_PAN */

.macro	uinsn fixup, insn:vararg
9999:	\insn
	.pushsection .extable, "a"
	.balign	8
	.quad	9999b, \fixup
	.popsection
.endm

	.text

/* long arch_copy_from_user(void *dst [x0], uintptr_t usrc [x1], size_t n [x2]) */
	.globl	arch_copy_from_user
	.type	arch_copy_from_user, %function
	.balign	16
arch_copy_from_user:
	mov	x3, x2
	b	6f
5:	uinsn	uaccess_efault, ldtr x4, [x1]
	uinsn	uaccess_efault, ldtr x5, [x1, #8]
	uinsn	uaccess_efault, ldtr x6, [x1, #16]
	uinsn	uaccess_efault, ldtr x7, [x1, #24]
	add	x1, x1, #32
	stp	x4, x5, [x0], #16
	stp	x6, x7, [x0], #16
	sub	x2, x2, #32
6:	cmp	x2, #32
	b.hs	5b
	b	2f
1:	uinsn	uaccess_efault, ldtr x4, [x1]
	add	x1, x1, #8
	str	x4, [x0], #8
	sub	x2, x2, #8
2:	cmp	x2, #8
	b.hs	1b
	cbz	x2, 4f
3:	uinsn	uaccess_efault, ldtrb w4, [x1]
	add	x1, x1, #1
	strb	w4, [x0], #1
	subs	x2, x2, #1
	b.ne	3b
4:	mov	x0, x3
	ret
	.size	arch_copy_from_user, . - arch_copy_from_user

/* long arch_copy_to_user(uintptr_t udst [x0], const void *src [x1], size_t n [x2]) */
	.globl	arch_copy_to_user
	.type	arch_copy_to_user, %function
	.balign	16
arch_copy_to_user:
	mov	x3, x2
	b	6f
5:	ldp	x4, x5, [x1], #16
	ldp	x6, x7, [x1], #16
	uinsn	uaccess_efault, sttr x4, [x0]
	uinsn	uaccess_efault, sttr x5, [x0, #8]
	uinsn	uaccess_efault, sttr x6, [x0, #16]
	uinsn	uaccess_efault, sttr x7, [x0, #24]
	add	x0, x0, #32
	sub	x2, x2, #32
6:	cmp	x2, #32
	b.hs	5b
	b	2f
1:	ldr	x4, [x1], #8
	uinsn	uaccess_efault, sttr x4, [x0]
	add	x0, x0, #8
	sub	x2, x2, #8
2:	cmp	x2, #8
	b.hs	1b
	cbz	x2, 4f
3:	ldrb	w4, [x1], #1
	uinsn	uaccess_efault, sttrb w4, [x0]
	add	x0, x0, #1
	subs	x2, x2, #1
	b.ne	3b
4:	mov	x0, x3
	ret
	.size	arch_copy_to_user, . - arch_copy_to_user

/* long arch_clear_user(uintptr_t udst [x0], size_t n [x1]) */
	.globl	arch_clear_user
	.type	arch_clear_user, %function
	.balign	16
arch_clear_user:
	mov	x3, x1
	b	6f
5:	uinsn	uaccess_efault, sttr xzr, [x0]
	uinsn	uaccess_efault, sttr xzr, [x0, #8]
	uinsn	uaccess_efault, sttr xzr, [x0, #16]
	uinsn	uaccess_efault, sttr xzr, [x0, #24]
	add	x0, x0, #32
	sub	x1, x1, #32
6:	cmp	x1, #32
	b.hs	5b
	b	2f
1:	uinsn	uaccess_efault, sttr xzr, [x0]
	add	x0, x0, #8
	sub	x1, x1, #8
2:	cmp	x1, #8
	b.hs	1b
	cbz	x1, 4f
3:	uinsn	uaccess_efault, sttrb wzr, [x0]
	add	x0, x0, #1
	subs	x1, x1, #1
	b.ne	3b
4:	mov	x0, x3
	ret
	.size	arch_clear_user, . - arch_clear_user

/* long arch_strncpy_from_user(char *dst [x0], uintptr_t usrc [x1], size_t n [x2]): byte by
 * byte (paths and names are short); the NUL is copied too. */
	.globl	arch_strncpy_from_user
	.type	arch_strncpy_from_user, %function
	.balign	16
arch_strncpy_from_user:
	mov	x3, #0
1:	cmp	x3, x2
	b.hs	2f
	uinsn	uaccess_efault, ldtrb w4, [x1]
	add	x1, x1, #1
	strb	w4, [x0, x3]
	cbz	w4, 3f
	add	x3, x3, #1
	b	1b
2:	mov	x0, #-ENAMETOOLONG
	ret
3:	mov	x0, x3
	ret
	.size	arch_strncpy_from_user, . - arch_strncpy_from_user

/* The fixup of the copies above: nothing to undo. */
	.type	uaccess_efault, %function
uaccess_efault:
	mov	x0, #-EFAULT
	ret
	.size	uaccess_efault, . - uaccess_efault

/* int arch_futex_cmpxchg(uintptr_t uaddr [x0], uint32_t expected [w1], uint32_t desired [w2],
 *                        uint32_t *old [x3]): 0 with *old = the value found, or -EFAULT.
 * Full barrier on success (LDAXR/STLXR plus DMB), as Linux's futex ops. x4 holds the PAN
 * feature bit across the loop and into the fixup. */
	.globl	arch_futex_cmpxchg
	.type	arch_futex_cmpxchg, %function
	.balign	16
arch_futex_cmpxchg:
	adrp	x4, aarch64_cpu_features
	ldr	w4, [x4, :lo12:aarch64_cpu_features]
	tbz	w4, #CPU_FEAT_PAN_BIT, 1f
	PAN_CLEAR
1:	uinsn	futex_efault, ldaxr w5, [x0]
	cmp	w5, w1
	b.ne	2f
	uinsn	futex_efault, stlxr w6, w2, [x0]
	cbnz	w6, 1b
	dmb	ish
	b	3f
2:	clrex
3:	tbz	w4, #CPU_FEAT_PAN_BIT, 4f
	PAN_SET
4:	str	w5, [x3]
	mov	w0, #0
	ret
	.size	arch_futex_cmpxchg, . - arch_futex_cmpxchg

	.type	futex_efault, %function
futex_efault:
	tbz	w4, #CPU_FEAT_PAN_BIT, 1f
	PAN_SET
1:	mov	w0, #-EFAULT
	ret
	.size	futex_efault, . - futex_efault
