/*
 * arch/x86_64/arch_thread.h: the user-mode state of a thread that lives outside the
 * trapframe, embedded in struct thread as t->arch (see arch.h, "User mode", and user.c).
 *
 * fs_base is the TLS pointer (arch_prctl ARCH_SET_FS, CLONE_SETTLS), gs_base the user GS base
 * (ARCH_SET_GS). While the thread runs both live in MSRs (FS_BASE; KERNEL_GS_BASE while it is
 * in the kernel), and these copies are current only while it is switched out. The FP/SIMD
 * registers are saved eagerly on every switch away from a user thread into fpu, an XSAVE (or
 * FXSAVE) area allocated by arch_thread_user_init, and loaded on the switch back. All zero
 * (and fpu NULL) for kernel threads.
 */
#ifndef ARCH_X86_64_ARCH_THREAD_H
#define ARCH_X86_64_ARCH_THREAD_H

#include <stdint.h>

struct arch_thread {
	uintptr_t fs_base;
	uintptr_t gs_base;
	void *fpu;       /* 64-byte aligned save area inside fpu_alloc; NULL for kernel threads */
	void *fpu_alloc; /* what kmalloc returned, for kfree */
};

#endif
