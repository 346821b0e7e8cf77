/*
 * arch/x86_64/arch_inline.h: bodies of the static inline hooks declared in arch/arch.h, which
 * includes this file as its last line (the build puts arch/x86_64 on the include path).
 *
 * These are the hot paths (every spinlock touches the interrupt flag and the CPU id), so they
 * are single instructions or close to it. The kernel is built with -mno-red-zone, which is
 * what makes pushfq/popq inside inline assembly safe: nothing lives below rsp.
 */
#ifndef ARCH_X86_64_ARCH_INLINE_H
#define ARCH_X86_64_ARCH_INLINE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cpu.h"

#define ARCH_RFLAGS_IF (1ul << 9)

static inline unsigned long x86_read_rflags(void)
{
	unsigned long flags;
	__asm__ volatile("pushfq; popq %0" : "=r"(flags) : : "memory");
	return flags;
}

/* The "memory" clobbers make these compiler barriers too: no access to data the interrupt
 * state protects may move across them. */
static inline unsigned long arch_irq_save(void)
{
	unsigned long flags;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

static inline void arch_irq_restore(unsigned long state)
{
	if (state & ARCH_RFLAGS_IF)
		__asm__ volatile("sti" : : : "memory");
}

static inline void arch_irq_enable(void)
{
	__asm__ volatile("sti" : : : "memory");
}

static inline void arch_irq_disable(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static inline bool arch_irq_enabled(void)
{
	return (x86_read_rflags() & ARCH_RFLAGS_IF) != 0;
}

/* GS_BASE points at this CPU's port-private per-CPU block (cpu.c, arch_set_this_cpu), whose
 * first word is the struct cpu pointer: one gs-relative load. volatile, so it is never reused
 * across code that could move to another CPU once there is preemption. */
static inline struct cpu *arch_this_cpu(void)
{
	struct cpu *c;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(c));
	return c;
}

static inline unsigned arch_cpu_id(void)
{
	return arch_this_cpu()->id;
}

static inline uint64_t arch_cycle_count(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void arch_cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

/* hlt with interrupts masked never returns (except for NMI): the caller enables them. */
static inline void arch_wait_for_interrupt(void)
{
	__asm__ volatile("hlt" : : : "memory");
}

/* Every function keeps rbp as its frame pointer (-fno-omit-frame-pointer), and the prologue
 * push %rbp right after the call gives the {previous rbp, return address} pair core walks. */
static inline uintptr_t arch_frame_pointer(void)
{
	return (uintptr_t)__builtin_frame_address(0);
}

#endif
