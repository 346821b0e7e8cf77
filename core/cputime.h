/*
 * core/cputime.h: CPU time per thread and process, sampled by the tick.
 *
 * Every timer tick charges one tick (1/TICK_HZ s) to the thread it interrupted: to its user
 * time if the thread was running in user mode (t->in_user, set by user_return as it leaves for
 * user mode and cleared when a syscall or a user exception enters the kernel), else to its
 * system time; idle threads, and a sleeper spinning out the last stretch of a timed sleep
 * (core/ktimer.c), are not charged. A process's time is its live threads' plus what
 * its exited threads left in the process (dead_*); its children's is what the reaped ones
 * left (c*). Sampling is coarse (a thread running shorter than a tick may never be charged)
 * but unbiased, the way Linux accounts without precise accounting.
 */
#ifndef CORE_CPUTIME_H
#define CORE_CPUTIME_H

#include <stdint.h>

#include "core/time.h"

#define CPUTIME_TICK_NS (NSEC_PER_SEC / TICK_HZ)

struct proc;
struct thread;

/* From timer_tick, interrupts masked. */
void cputime_tick(void);

/* Ticks of user and system time of the running process (live threads + exited ones) and of
 * its reaped children. */
void cputime_self(uint64_t *user, uint64_t *sys);
void cputime_children(uint64_t *user, uint64_t *sys);

/* A reaped child's times and its own children's go to parent (proc_wait). */
void cputime_reap(struct proc *parent, const struct proc *child);

#endif
