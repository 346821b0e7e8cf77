/*
 * arch/aarch64/arch_thread.h: the user-mode state of a thread that lives outside the
 * trapframe, embedded in struct thread as t->arch (see arch.h, "User mode").
 *
 * TPIDR_EL0 is the TLS pointer (CLONE_SETTLS; musl writes it directly with msr). The FP/SIMD
 * registers q0-q31, FPSR and FPCR are saved eagerly on every switch away from a user thread and
 * loaded on the switch back.
 */
#ifndef ARCH_AARCH64_ARCH_THREAD_H
#define ARCH_AARCH64_ARCH_THREAD_H

#include <stdint.h>

struct arch_thread {
	uintptr_t tpidr_el0;
	struct {
		__uint128_t q[32];
		uint32_t fpsr, fpcr;
	} fp __attribute__((aligned(16)));
};

#endif
