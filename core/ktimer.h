/*
 * core/ktimer.h: sleeping with a deadline.
 *
 * A thread that has called prepare_to_wait (core/waitq.h) may sleep with a deadline instead of
 * sched_sleep: it is woken by the wait queue or by the clock, whichever comes first. The
 * clock's wake-ups come from the timer tick (TICK_HZ), a little before the deadline; the
 * last stretch is watched on the CPU (core/ktimer.c), so the loop below ends on the deadline,
 * never before it and normally well within a tick after it. sched_sleep_until may return
 * before the deadline (false) for any reason: the caller always loops and re-checks.
 *
 *   uint64_t deadline = time_ns() + timeout_ns;
 *   for (;;) {
 *           prepare_to_wait(&wq);
 *           if (cond || time_ns() >= deadline)
 *                   break;
 *           sched_sleep_until(deadline);
 *   }
 *   finish_wait(&wq);
 */
#ifndef CORE_KTIMER_H
#define CORE_KTIMER_H

#include <stdbool.h>
#include <stdint.h>

/* Like sched_sleep (after prepare_to_wait), but also ends by itself as time_ns() (core/time.h's
 * monotonic clock) nears or passes deadline_ns. True if the deadline has passed on return.
 * The thread may still be marked SLEEPING on return: finish_wait sets it RUNNING. */
bool sched_sleep_until(uint64_t deadline_ns);

/* Called from timer_tick on each CPU (interrupts masked): wake the sleepers whose deadline has
 * passed. */
void ktimer_tick(void);

/* Sleepers currently registered (for tests: 0 once every sleeper has returned). */
unsigned ktimer_pending(void);

#endif
