/*
 * core/kstack.h: kernel stacks with guard gaps.
 *
 * Each stack takes one KSTACK_SLOT of the kernel-stack area (core/layout.h): its top
 * KSTACK_SIZE bytes are mapped read-write (not executable), everything below stays unmapped,
 * so running off the bottom of a stack faults in the guard instead of corrupting whatever lies
 * next to it, and the trap path reports it as a kernel stack overflow.
 *
 * Each slot also records the thread that owns its stack (kstack_set_owner), so any address
 * on a kernel stack names the thread running on it: thread_current's fast path, which needs
 * neither the per-CPU data nor interrupts masked, because a thread keeps its stack wherever
 * it is migrated.
 */
#ifndef CORE_KSTACK_H
#define CORE_KSTACK_H

#include <stdbool.h>
#include <stdint.h>

/* A new stack; returns its top (the initial stack pointer), or 0 when out of memory. */
uintptr_t kstack_alloc(void);

/* Free a stack by its top. Must not be the running stack. */
void kstack_free(uintptr_t top);

struct thread;

/* Record t as the thread that runs on the stack ending at top (NULL: none); kstack_free
 * clears it. Set before t first runs on the stack. */
void kstack_set_owner(uintptr_t top, struct thread *t);

/* The owner of the stack slot that addr lies in, or NULL (addr outside the area, a slot
 * without owner). Lock-free: a running thread's own slot does not change under it. */
struct thread *kstack_owner(uintptr_t addr);

/* True if addr lies in the guard gap of some stack slot. */
bool kstack_in_guard(uintptr_t addr);

#endif
