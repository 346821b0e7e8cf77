/*
 * arch/x86_64/fpu.h: what signal.c needs from user.c, which owns the FP/SIMD state: its
 * format and size, and the running thread's registers saved, reset or loaded with interrupts
 * masked (so that a preemption cannot interleave with the area the switch path also writes).
 */
#ifndef ARCH_X86_64_FPU_H
#define ARCH_X86_64_FPU_H

#include <stdbool.h>
#include <stdint.h>

/* The size of a thread's FP area (XSAVE standard format for x86_fpu_xcr0, or FXSAVE's 512). */
uint32_t x86_fpu_size(void);
bool x86_fpu_uses_xsave(void);
uint64_t x86_fpu_xcr0(void);
/* The MXCSR bits FXRSTOR/XRSTOR accept (MXCSR_MASK, 0xffbf when the CPU reports 0). */
uint32_t x86_fpu_mxcsr_mask(void);
/* Save the live registers into the running thread's area and return it. It holds the same
 * values until this thread changes its registers (switches save the same state again). */
const void *x86_fpu_save_current(void);
/* The running thread's registers to Linux's initial state (FCW 0x37f, MXCSR 0x1f80). */
void x86_fpu_reset_current(void);
/* Load an image (x86_fpu_size bytes, 64-byte aligned, already valid for XRSTOR/FXRSTOR)
 * into the running thread's area and registers. */
void x86_fpu_load_current(const void *image);

#endif
