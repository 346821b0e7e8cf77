/*
 * core/ktimer.c: sleeping with a deadline (the contract is in core/ktimer.h).
 *
 * Design. One list of sleepers for the whole machine, sorted by wake-up time (earliest
 * first), behind ktimer_lock. Each entry lives on its sleeper's stack for the duration of one
 * sched_sleep_until call: it is linked in before the thread switches away and is guaranteed
 * to be unlinked, by the tick or by the sleeper itself, before that call returns. Every CPU's
 * timer tick calls ktimer_tick, which pops the entries whose wake-up time has come and wakes
 * their threads with sched_wake.
 *
 * Precision. The tick is periodic (TICK_HZ), so a sleeper woken by the first tick after its
 * deadline would be late by up to a whole tick, and a loop of short sleeps locks onto the
 * tick: each 10 ms sleep starting just after a tick ends two ticks later. So the tick wakes a
 * sleeper a little early, KTIMER_SPIN_NS before its deadline, and sched_sleep_until returns
 * false; the caller's loop calls again, and a call with at most KTIMER_SPIN_NS left watches
 * the clock on the CPU instead of sleeping (spin_until), ending on the deadline. The spin is
 * bounded by KTIMER_SPIN_NS per sleep, ends early on a wake-up, and is preemptible. A
 * one-shot timer from the port would make it unnecessary [arch.h has only a periodic one].
 *
 * Invariants.
 * - An entry is on the list iff `fired` is false; both change only under ktimer_lock. The tick
 *   sets fired and unlinks in one critical section, and calls sched_wake inside it, so once
 *   the sleeper has taken ktimer_lock after waking (to unlink itself if still linked) no CPU
 *   touches its entry again: the stack frame may go.
 * - next_deadline is the head's wake_at (UINT64_MAX if empty), written under the lock and
 *   read without it by the tick as a cheap "anything due?" test. A stale read only delays a
 *   wake-up to the next tick, which comes at TICK_HZ on every CPU anyway.
 *
 * No lost wake-up: the sleeper is already marked SLEEPING (prepare_to_wait) when it links
 * itself in. A tick that fires between the link and the switch finds it SLEEPING and still on
 * its CPU, so sched_wake makes the coming sched_sleep return at once (core/sched.c). A sleeper
 * preempted meanwhile is RUNNING again when it resumes and sched_sleep returns at once too;
 * either way the caller's loop re-checks its condition and the clock.
 *
 * Lock order: ktimer_lock, then sched_lock (inside sched_wake). ktimer_lock is never taken
 * with a wait queue's lock or sched_lock held (the tick runs with interrupts masked, and those
 * locks mask interrupts while held), so no cycle exists.
 */
#include "core/ktimer.h"

#include <stddef.h>

#include "arch/arch.h"
#include "core/panic.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/time.h"
#include "core/timer.h"

struct ktimer_entry {
	uint64_t wake_at;  /* deadline - KTIMER_SPIN_NS */
	struct thread *thread;
	struct ktimer_entry *next, *prev;
	bool fired; /* popped and woken by a tick */
};

/* The part of a sleep spent watching the clock instead of waiting for a tick (see the
 * header): a quarter tick. */
#define KTIMER_SPIN_NS (NSEC_PER_SEC / TICK_HZ / 4)

static struct spinlock ktimer_lock = SPINLOCK_INIT("ktimer");
static struct ktimer_entry *head; /* guarded by ktimer_lock; sorted by deadline */
static unsigned nr_pending;     /* guarded by ktimer_lock: entries on the list */
static uint64_t next_deadline = UINT64_MAX; /* __atomic; see the header */

/* ktimer_lock held. */
static void update_next(void)
{
	__atomic_store_n(&next_deadline, head ? head->wake_at : UINT64_MAX, __ATOMIC_RELAXED);
}

/* ktimer_lock held. After entries with an equal wake_at, so equal deadlines wake FIFO. */
static void insert(struct ktimer_entry *e)
{
	struct ktimer_entry *prev = NULL, *cur = head;
	while (cur && cur->wake_at <= e->wake_at) {
		prev = cur;
		cur = cur->next;
	}
	e->prev = prev;
	e->next = cur;
	if (cur)
		cur->prev = e;
	if (prev)
		prev->next = e;
	else
		head = e;
	nr_pending++;
	update_next();
}

/* ktimer_lock held; e is on the list. */
static void ktimer_unlink(struct ktimer_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	e->next = e->prev = NULL;
	nr_pending--;
	update_next();
}

/* The last stretch of a sleep, shorter than KTIMER_SPIN_NS: watch the clock on the CPU,
 * still marked SLEEPING, so that a wake-up (sched_wake sets RUNNING) ends it at once. A
 * preemption meanwhile makes the thread runnable, which ends it too (a spurious wake-up for
 * the caller's loop); the spin never yields, since yielding while SLEEPING would switch away
 * with no wake-up registered. */
static bool spin_until(struct thread *t, uint64_t deadline_ns)
{
	bool done = true;
	t->sleep_spin = true; /* asleep as far as CPU time goes (core/cputime.c) */
	while (time_ns() < deadline_ns) {
		if (__atomic_load_n(&t->state, __ATOMIC_RELAXED) != THREAD_SLEEPING) {
			done = false;
			break;
		}
		arch_cpu_relax();
	}
	t->sleep_spin = false;
	return done;
}

bool sched_sleep_until(uint64_t deadline_ns)
{
	uint64_t now = time_ns();
	if (now >= deadline_ns)
		return true; /* the caller's loop sees the deadline and stops */
	struct thread *t = thread_current();
	if (!t)
		panic("sched_sleep_until before the scheduler started");
	if (deadline_ns - now <= KTIMER_SPIN_NS)
		return spin_until(t, deadline_ns);

	struct ktimer_entry e = {.wake_at = deadline_ns - KTIMER_SPIN_NS, .thread = t};
	unsigned long s = spin_lock_irqsave(&ktimer_lock);
	insert(&e);
	spin_unlock_irqrestore(&ktimer_lock, s);

	sched_sleep();

	/* Woken by the tick, by someone else, or not asleep at all: take the entry off before
	 * the frame goes. If the tick fired it, taking the lock still waits out its sched_wake. */
	s = spin_lock_irqsave(&ktimer_lock);
	if (!e.fired)
		ktimer_unlink(&e);
	spin_unlock_irqrestore(&ktimer_lock, s);
	return time_ns() >= deadline_ns;
}

void ktimer_tick(void)
{
	uint64_t now = time_ns();
	ktimer_cb_tick(now); /* callback timers (core/timer.c) */
	if (__atomic_load_n(&next_deadline, __ATOMIC_RELAXED) > now)
		return;

	unsigned long s = spin_lock_irqsave(&ktimer_lock);
	while (head && head->wake_at <= now) {
		struct ktimer_entry *e = head;
		ktimer_unlink(e);
		e->fired = true;
		sched_wake(e->thread);
	}
	spin_unlock_irqrestore(&ktimer_lock, s);
}

unsigned ktimer_pending(void)
{
	unsigned long s = spin_lock_irqsave(&ktimer_lock);
	unsigned n = nr_pending;
	spin_unlock_irqrestore(&ktimer_lock, s);
	return n;
}
