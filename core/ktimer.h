/*
 * core/ktimer.h: sleeping with a deadline.
 *
 * A thread that has called prepare_to_wait (core/waitq.h) may sleep with a deadline instead of
 * sched_sleep: it is woken by the wait queue or by the clock, whichever comes first. Deadlines
 * are checked on every timer tick (TICK_HZ), so a sleep ends within one tick after its
 * deadline, never before it.
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

/* Like sched_sleep (after prepare_to_wait), but also woken once time_ns() >= deadline_ns
 * (core/time.h's monotonic clock). True if the deadline has passed on return. */
bool sched_sleep_until(uint64_t deadline_ns);

/* Called from timer_tick on each CPU (interrupts masked): wake the sleepers whose deadline has
 * passed. */
void ktimer_tick(void);

/* Sleepers currently registered (for tests: 0 once every sleeper has returned). */
unsigned ktimer_pending(void);

#endif
