/*
 * core/smp.h: run a function on another CPU's idle thread (tests; later, TLB shootdown and
 * cross-CPU wake-ups move to IPIs). One outstanding call per target CPU; the target runs it
 * when it has no other thread to run.
 */
#ifndef CORE_SMP_H
#define CORE_SMP_H

#include <stdbool.h>

/* Ask CPU cpu to run fn(arg) from its idle loop. 0, -EINVAL (no such online CPU, or this
 * CPU), -EBUSY (a call is still outstanding). */
int smp_call_on(unsigned cpu, void (*fn)(void *), void *arg);

/* True once the last call given to cpu has returned. */
bool smp_call_done(unsigned cpu);

/* The idle loop's side (core/sched.c): run this CPU's pending call, if any. True if it ran
 * one. fn runs in the idle thread, so it must not sleep. */
bool smp_mailbox_poll(void);

#endif
