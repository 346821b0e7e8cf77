/*
 * core/ktimer.c: sleeping with a deadline (the contract is in core/ktimer.h).
 *
 * Design. One list of sleepers for the whole machine, sorted by deadline (earliest first),
 * behind ktimer_lock. Each entry lives on its sleeper's stack for the duration of one
 * sched_sleep_until call: it is linked in before the thread switches away and is guaranteed
 * to be unlinked, by the tick or by the sleeper itself, before that call returns. Every CPU's
 * timer tick calls ktimer_tick, which pops the entries whose deadline has passed and wakes
 * their threads with sched_wake.
 *
 * Invariants.
 * - An entry is on the list iff `fired` is false; both change only under ktimer_lock. The tick
 *   sets fired and unlinks in one critical section, and calls sched_wake inside it, so once
 *   the sleeper has taken ktimer_lock after waking (to unlink itself if still linked) no CPU
 *   touches its entry again: the stack frame may go.
 * - next_deadline is the head's deadline (UINT64_MAX if empty), written under the lock and
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

#include "core/panic.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/time.h"

struct ktimer_entry {
	uint64_t deadline;
	struct thread *thread;
	struct ktimer_entry *next, *prev;
	bool fired; /* popped and woken by a tick */
};

static struct spinlock ktimer_lock = SPINLOCK_INIT("ktimer");
static struct ktimer_entry *head; /* guarded by ktimer_lock; sorted by deadline */
static unsigned nr_pending;     /* guarded by ktimer_lock: entries on the list */
static uint64_t next_deadline = UINT64_MAX; /* __atomic; see the header */

/* ktimer_lock held. */
static void update_next(void)
{
	__atomic_store_n(&next_deadline, head ? head->deadline : UINT64_MAX, __ATOMIC_RELAXED);
}

/* ktimer_lock held. After entries with an equal deadline, so equal deadlines wake FIFO. */
static void insert(struct ktimer_entry *e)
{
	struct ktimer_entry *prev = NULL, *cur = head;
	while (cur && cur->deadline <= e->deadline) {
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

bool sched_sleep_until(uint64_t deadline_ns)
{
	if (time_ns() >= deadline_ns)
		return true; /* the caller's loop sees the deadline and stops */
	struct ktimer_entry e = {.deadline = deadline_ns, .thread = thread_current()};
	if (!e.thread)
		panic("sched_sleep_until before the scheduler started");

	unsigned long s = spin_lock_irqsave(&ktimer_lock);
	insert(&e);
	spin_unlock_irqrestore(&ktimer_lock, s);

	sched_sleep();

	/* Woken by someone else (or not asleep at all): take the entry off before the frame
	 * goes. If the tick fired it, taking the lock still waits out its sched_wake. */
	s = spin_lock_irqsave(&ktimer_lock);
	if (!e.fired)
		ktimer_unlink(&e);
	spin_unlock_irqrestore(&ktimer_lock, s);
	return time_ns() >= deadline_ns;
}

void ktimer_tick(void)
{
	uint64_t now = time_ns();
	if (__atomic_load_n(&next_deadline, __ATOMIC_RELAXED) > now)
		return;

	unsigned long s = spin_lock_irqsave(&ktimer_lock);
	while (head && head->deadline <= now) {
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
