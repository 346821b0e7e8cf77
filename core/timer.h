/*
 * core/timer.h: callback timers, fired by the clock tick in interrupt context.
 *
 * A struct ktimer_cb is armed for an expiry on the monotonic clock (time_ns(), nanoseconds)
 * and its function runs from the first timer tick (TICK_HZ, any CPU) at or after that time,
 * with interrupts masked and timer_lock held: it may not sleep, touch user memory or take a
 * mutex. What it may do is take spinlocks that come after timer_lock (proc_tree_lock,
 * proc->lock, the heap's and sched_lock: signal_send is fine) and return its next expiry:
 * a value greater than `now` re-arms it (periodic timers), 0 leaves it disarmed.
 *
 * Lock order: timer_lock first. So ktimer_cb_arm/cancel/expires must never be called with
 * proc_tree_lock, a proc->lock, a wait queue's lock or sched_lock held.
 *
 * Once ktimer_cb_cancel has returned, the function is not running on any CPU and will not
 * run again until the timer is re-armed: the caller may free the timer.
 */
#ifndef CORE_TIMER_H
#define CORE_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct ktimer_cb;
/* expired: the expiry it fired for; now: the tick's time_ns(). Returns the next expiry (> now)
 * or 0. */
typedef uint64_t (*ktimer_cb_fn)(struct ktimer_cb *kt, uint64_t expired, uint64_t now);

struct ktimer_cb {
	uint64_t expires;            /* guarded by timer_lock; 0 while disarmed */
	ktimer_cb_fn fn;             /* set by ktimer_cb_init, then read-only */
	void *arg;                   /* for fn, read-only while armed */
	struct ktimer_cb *next, *prev; /* timer list, guarded by timer_lock */
};

void ktimer_cb_init(struct ktimer_cb *kt, ktimer_cb_fn fn, void *arg);

/* Arm kt (disarming it first if armed) to fire at `expires` (time_ns() nanoseconds; a time
 * already past fires at the next tick; 0 means disarm). */
void ktimer_cb_arm(struct ktimer_cb *kt, uint64_t expires);

/* Disarm kt; returns the expiry it had (0 if it was not armed). */
uint64_t ktimer_cb_cancel(struct ktimer_cb *kt);

/* The expiry kt is armed for, or 0. */
uint64_t ktimer_cb_expires(struct ktimer_cb *kt);

/* From ktimer_tick (interrupts masked): run every timer that has expired. */
void ktimer_cb_tick(uint64_t now);

/* Armed timers (for tests). */
unsigned ktimer_cb_pending(void);

/* ---- Per-process timers (core/sys_timer.c): alarm, itimers, POSIX timers ------------------- */

struct proc;
struct thread;

/* The last thread of p has left (no locks held): cancel and free all of p's timers. */
void timers_exit(struct proc *p);
/* exec, one thread left: delete the POSIX timers; alarm and itimers survive, as on Linux. */
void timers_exec(struct proc *p);
/* From cputime_tick (interrupts masked): t ran for one tick, in user mode if user; charge
 * ITIMER_VIRTUAL (user) and ITIMER_PROF (both) and send SIGVTALRM/SIGPROF when they run out. */
void timers_cpu_tick(struct thread *t, bool user);

#endif
