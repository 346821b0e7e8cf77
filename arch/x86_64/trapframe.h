/*
 * arch/x86_64/trapframe.h: the register snapshot trap_entry.S builds on every exception or
 * interrupt, read by trap.c (and later by the process code) as struct trapframe.
 *
 * Layout, lowest address first: the 15 general registers the common entry path stores, then
 * the vector and error code its per-vector stub pushed (a dummy 0 error where the CPU pushes
 * none, so every frame has the same shape), then the five words the CPU pushed itself. The
 * TF_* offsets are the single source for the assembly; the _Static_asserts tie the struct to
 * them. sizeof(struct trapframe) is a multiple of 16, so the stack is 16-byte aligned at the
 * call into C (the CPU aligns rsp to 16 before pushing its 5 words).
 */
#ifndef ARCH_X86_64_TRAPFRAME_H
#define ARCH_X86_64_TRAPFRAME_H

#define TF_RAX 0
#define TF_RBX 8
#define TF_RCX 16
#define TF_RDX 24
#define TF_RSI 32
#define TF_RDI 40
#define TF_RBP 48
#define TF_R8 56
#define TF_R9 64
#define TF_R10 72
#define TF_R11 80
#define TF_R12 88
#define TF_R13 96
#define TF_R14 104
#define TF_R15 112
#define TF_GPRS_SIZE 120 /* what trap_common stores itself */
#define TF_VECTOR 120
#define TF_ERROR 128
#define TF_RIP 136
#define TF_CS 144
#define TF_RFLAGS 152
#define TF_RSP 160
#define TF_SS 168
#define TF_SIZE 176

#ifdef __ASSEMBLER__
/* The 15 general registers to and from a frame at %rsp: every entry path (trap_entry.S,
 * user_entry.S) saves and restores them the same way. */
	.macro SAVE_GPRS
	mov %rax, TF_RAX(%rsp)
	mov %rbx, TF_RBX(%rsp)
	mov %rcx, TF_RCX(%rsp)
	mov %rdx, TF_RDX(%rsp)
	mov %rsi, TF_RSI(%rsp)
	mov %rdi, TF_RDI(%rsp)
	mov %rbp, TF_RBP(%rsp)
	mov %r8, TF_R8(%rsp)
	mov %r9, TF_R9(%rsp)
	mov %r10, TF_R10(%rsp)
	mov %r11, TF_R11(%rsp)
	mov %r12, TF_R12(%rsp)
	mov %r13, TF_R13(%rsp)
	mov %r14, TF_R14(%rsp)
	mov %r15, TF_R15(%rsp)
	.endm

	.macro RESTORE_GPRS
	mov TF_RAX(%rsp), %rax
	mov TF_RBX(%rsp), %rbx
	mov TF_RCX(%rsp), %rcx
	mov TF_RDX(%rsp), %rdx
	mov TF_RSI(%rsp), %rsi
	mov TF_RDI(%rsp), %rdi
	mov TF_RBP(%rsp), %rbp
	mov TF_R8(%rsp), %r8
	mov TF_R9(%rsp), %r9
	mov TF_R10(%rsp), %r10
	mov TF_R11(%rsp), %r11
	mov TF_R12(%rsp), %r12
	mov TF_R13(%rsp), %r13
	mov TF_R14(%rsp), %r14
	mov TF_R15(%rsp), %r15
	.endm
#else /* !__ASSEMBLER__ */

#include <stddef.h>
#include <stdint.h>

struct trapframe {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector; /* 0-31 exceptions, 32-255 interrupts */
	uint64_t error;  /* the CPU's error code, or 0 for vectors without one */
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

_Static_assert(offsetof(struct trapframe, rax) == TF_RAX, "TF_RAX");
_Static_assert(offsetof(struct trapframe, rbx) == TF_RBX, "TF_RBX");
_Static_assert(offsetof(struct trapframe, rcx) == TF_RCX, "TF_RCX");
_Static_assert(offsetof(struct trapframe, rdx) == TF_RDX, "TF_RDX");
_Static_assert(offsetof(struct trapframe, rsi) == TF_RSI, "TF_RSI");
_Static_assert(offsetof(struct trapframe, rdi) == TF_RDI, "TF_RDI");
_Static_assert(offsetof(struct trapframe, rbp) == TF_RBP, "TF_RBP");
_Static_assert(offsetof(struct trapframe, r8) == TF_R8, "TF_R8");
_Static_assert(offsetof(struct trapframe, r9) == TF_R9, "TF_R9");
_Static_assert(offsetof(struct trapframe, r10) == TF_R10, "TF_R10");
_Static_assert(offsetof(struct trapframe, r11) == TF_R11, "TF_R11");
_Static_assert(offsetof(struct trapframe, r12) == TF_R12, "TF_R12");
_Static_assert(offsetof(struct trapframe, r13) == TF_R13, "TF_R13");
_Static_assert(offsetof(struct trapframe, r14) == TF_R14, "TF_R14");
_Static_assert(offsetof(struct trapframe, r15) == TF_R15, "TF_R15");
_Static_assert(offsetof(struct trapframe, vector) == TF_VECTOR, "TF_VECTOR");
_Static_assert(offsetof(struct trapframe, error) == TF_ERROR, "TF_ERROR");
_Static_assert(offsetof(struct trapframe, rip) == TF_RIP, "TF_RIP");
_Static_assert(offsetof(struct trapframe, cs) == TF_CS, "TF_CS");
_Static_assert(offsetof(struct trapframe, rflags) == TF_RFLAGS, "TF_RFLAGS");
_Static_assert(offsetof(struct trapframe, rsp) == TF_RSP, "TF_RSP");
_Static_assert(offsetof(struct trapframe, ss) == TF_SS, "TF_SS");
_Static_assert(sizeof(struct trapframe) == TF_SIZE, "TF_SIZE");
_Static_assert(TF_SIZE % 16 == 0, "trapframe keeps the stack 16-byte aligned");

#endif /* !__ASSEMBLER__ */

#endif
