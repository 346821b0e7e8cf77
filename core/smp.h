/*
 * core/smp.h: run a function on another CPU's idle loop (tests; later, TLB shootdown and
 * cross-CPU wake-ups move to IPIs). One outstanding call per target CPU.
 */
#ifndef CORE_SMP_H
#define CORE_SMP_H

#include <stdbool.h>

/* Ask CPU cpu to run fn(arg) from its idle loop. 0, -EINVAL (no such online CPU, or this
 * CPU), -EBUSY (a call is still outstanding). */
int smp_call_on(unsigned cpu, void (*fn)(void *), void *arg);

/* True once the last call given to cpu has returned. */
bool smp_call_done(unsigned cpu);

#endif
