/*
 * core/kstack.h: kernel stacks with guard gaps.
 *
 * Each stack takes one KSTACK_SLOT of the kernel-stack area (core/layout.h): its top
 * KSTACK_SIZE bytes are mapped read-write (not executable), everything below stays unmapped,
 * so running off the bottom of a stack faults in the guard instead of corrupting whatever lies
 * next to it, and the trap path reports it as a kernel stack overflow.
 */
#ifndef CORE_KSTACK_H
#define CORE_KSTACK_H

#include <stdbool.h>
#include <stdint.h>

/* A new stack; returns its top (the initial stack pointer), or 0 when out of memory. */
uintptr_t kstack_alloc(void);

/* Free a stack by its top. Must not be the running stack. */
void kstack_free(uintptr_t top);

/* True if addr lies in the guard gap of some stack slot. */
bool kstack_in_guard(uintptr_t addr);

#endif
