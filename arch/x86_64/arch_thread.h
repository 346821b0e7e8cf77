/*
 * arch/x86_64/arch_thread.h: the user-mode state of a thread that lives outside the
 * trapframe, embedded in struct thread as t->arch (see arch.h, "User mode").
 *
 * FS base is the TLS pointer (arch_prctl ARCH_SET_FS, CLONE_SETTLS). The FP/SIMD registers are
 * saved eagerly on every switch away from a user thread into fpu, an XSAVE (or FXSAVE) area
 * allocated by arch_thread_user_init, and loaded on the switch back.
 */
#ifndef ARCH_X86_64_ARCH_THREAD_H
#define ARCH_X86_64_ARCH_THREAD_H

#include <stdint.h>

struct arch_thread {
	uintptr_t fs_base;
	void *fpu; /* 64-byte aligned save area; NULL for kernel threads */
};

#endif
