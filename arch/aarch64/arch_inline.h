/*
 * arch/aarch64/arch_inline.h: bodies of the static inline hooks declared in arch/arch.h.
 * Included at the end of arch.h only; portable code must not include it directly.
 *
 * Interrupt masking uses PSTATE.DAIF. IRQ and FIQ are masked and unmasked together (as
 * Linux does): the kernel uses neither FIQ nor a different policy for it, and one bit of
 * state is easier to reason about. SError (A) and debug (D) are left as they are.
 * The saved state is the whole DAIF register, so restore puts back exactly what was there.
 *
 * Per-CPU data: TPIDR_EL1 holds the running CPU's struct cpu pointer (arch_set_this_cpu, in
 * cpu.c), so arch_this_cpu() is one register read and arch_cpu_id() one load more. EL0 can
 * neither read nor write TPIDR_EL1.
 *
 * Self-contained on purpose: it is seen by every file in the kernel, so it defines no helper
 * macros (those live in the private aarch64.h).
 */
#ifndef ARCH_AARCH64_ARCH_INLINE_H
#define ARCH_AARCH64_ARCH_INLINE_H

#include "core/cpu.h"

static inline unsigned long arch_irq_save(void)
{
	unsigned long daif;
	__asm__ volatile("mrs %0, daif\n\tmsr daifset, #3" : "=r"(daif) : : "memory");
	return daif;
}

static inline void arch_irq_restore(unsigned long state)
{
	__asm__ volatile("msr daif, %0" : : "r"(state) : "memory");
}

static inline void arch_irq_enable(void)
{
	__asm__ volatile("msr daifclr, #3" : : : "memory");
}

static inline void arch_irq_disable(void)
{
	__asm__ volatile("msr daifset, #3" : : : "memory");
}

static inline bool arch_irq_enabled(void)
{
	unsigned long daif;
	__asm__ volatile("mrs %0, daif" : "=r"(daif));
	return !(daif & (1ul << 7)); /* PSTATE.I */
}

static inline struct cpu *arch_this_cpu(void)
{
	struct cpu *c;
	__asm__ volatile("mrs %0, tpidr_el1" : "=r"(c));
	return c;
}

static inline unsigned arch_cpu_id(void)
{
	return arch_this_cpu()->id;
}

/* The isb keeps the read from being hoisted above earlier instructions, so two reads
 * bracket the code between them. */
static inline uint64_t arch_cycle_count(void)
{
	uint64_t v;
	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
}

static inline void arch_cpu_relax(void)
{
	__asm__ volatile("yield" : : : "memory");
}

static inline void arch_wait_for_interrupt(void)
{
	__asm__ volatile("dsb sy\n\twfi" : : : "memory");
}

/* Frame records are { previous x29, x30 }; core walks them (panic.c). */
static inline uintptr_t arch_frame_pointer(void)
{
	return (uintptr_t)__builtin_frame_address(0);
}

#endif
