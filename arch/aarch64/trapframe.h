/*
 * arch/aarch64/trapframe.h: the register snapshot trap_entry.S saves on every exception.
 *
 * The frame sits on the stack the exception was taken on (SP_EL1). The TF_* offsets are the
 * only description the assembly has of it; the _Static_asserts below keep the struct and the
 * offsets in step. Size is a multiple of 16 so SP stays aligned (SCTLR_EL1.SA is on).
 *
 * frame[] is an AArch64 frame record { x29, elr } of the trapped context, and the handler is
 * entered with x29 pointing at it: a backtrace taken inside the handler walks on into the code
 * that trapped, as if the trapped instruction had called the handler. For an entry from EL0
 * the record's x29 is 0 instead: the chain ends at the user boundary rather than walking into
 * user memory.
 *
 * orig_x0 is x0 as an SVC found it. x0 doubles as the syscall's first argument and its return
 * value, so a restarted syscall (arch_tf_restart_syscall) gets its first argument back from
 * here. Only the SVC path sets it.
 *
 * A thread running user code has its user frame at the very top of its kernel stack
 * (arch_user_tf): SP_EL1 is exactly the stack top whenever the thread runs at EL0, so the
 * vector's `sub sp, sp, #TF_SIZE` lands there (see trap_entry.S).
 */
#ifndef ARCH_AARCH64_TRAPFRAME_H
#define ARCH_AARCH64_TRAPFRAME_H

#define TF_X0 0
#define TF_X30 240
#define TF_SP 248
#define TF_ELR 256
#define TF_SPSR 264
#define TF_ESR 272
#define TF_FAR 280
#define TF_FRAME 288
#define TF_ORIG_X0 304
#define TF_SIZE 320

/* Vector numbers, in table order: four groups of {sync, IRQ, FIQ, SError}. */
#define VEC_EL1T 0  /* taken from EL1 running on SP_EL0 */
#define VEC_EL1H 4  /* taken from EL1 running on SP_EL1: the kernel */
#define VEC_EL0_64 8
#define VEC_EL0_32 12
#define VEC_SYNC 0
#define VEC_IRQ 1
#define VEC_FIQ 2
#define VEC_SERROR 3

#ifndef __ASSEMBLER__

#include <stddef.h>
#include <stdint.h>

/* PSTATE bits user code may own (NZCV, DIT, SSBS). Every return to EL0 keeps only these of
 * SPSR: EL0t, AArch64, interrupts unmasked, no single step, whatever else a frame says. */
#define SPSR_USER_BITS (0xfUL << 28 | 1UL << 24 | 1UL << 12)

struct trapframe {
	uint64_t x[31];   /* x0-x30; x29 is the frame pointer, x30 the link register */
	uint64_t sp;      /* SP of the trapped context (SP_EL1 before the frame, or SP_EL0) */
	uint64_t elr;     /* where it trapped; eret resumes there */
	uint64_t spsr;    /* its PSTATE */
	uint64_t esr;     /* syndrome: why (only meaningful for sync and SError) */
	uint64_t far;     /* faulting address, for aborts and alignment faults */
	uint64_t frame[2];
	uint64_t orig_x0; /* x0 on SVC entry (syscall restart) */
	uint64_t pad;
};

_Static_assert(offsetof(struct trapframe, x) == TF_X0, "TF_X0");
_Static_assert(offsetof(struct trapframe, x[30]) == TF_X30, "TF_X30");
_Static_assert(offsetof(struct trapframe, sp) == TF_SP, "TF_SP");
_Static_assert(offsetof(struct trapframe, elr) == TF_ELR, "TF_ELR");
_Static_assert(offsetof(struct trapframe, spsr) == TF_SPSR, "TF_SPSR");
_Static_assert(offsetof(struct trapframe, esr) == TF_ESR, "TF_ESR");
_Static_assert(offsetof(struct trapframe, far) == TF_FAR, "TF_FAR");
_Static_assert(offsetof(struct trapframe, frame) == TF_FRAME, "TF_FRAME");
_Static_assert(offsetof(struct trapframe, orig_x0) == TF_ORIG_X0, "TF_ORIG_X0");
_Static_assert(sizeof(struct trapframe) == TF_SIZE, "TF_SIZE");
_Static_assert(TF_SIZE % 16 == 0, "trapframe keeps SP 16-byte aligned");

/* Called by trap_entry.S with the saved frame and the vector number. Returns only if the trap
 * was handled; the assembly then restores the (possibly edited) frame and erets. */
void aarch64_trap(struct trapframe *tf, unsigned vec);
/* trap.c: the last step before a return to EL0 (core's user_return; SPSR made a user one).
 * Interrupts masked. */
void aarch64_user_return(struct trapframe *tf);
/* trap_entry.S: restore the frame at SP and eret (the tail of every exception). */
extern const char aarch64_trap_return[];

#endif /* !__ASSEMBLER__ */

#endif
