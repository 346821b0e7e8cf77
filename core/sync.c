/*
 * core/sync.c: completions and mutexes, sleeping on wait queues (core/waitq.h).
 *
 * Completion: `done` is set under the queue's lock and every waiter is woken. The waiter's
 * wait_event ends in finish_wait, which takes that lock too, so wait_for_completion cannot
 * return while complete() is still touching the completion: a completion on the waiter's
 * stack (blkdev_rw's) may go out of scope as soon as the wait returns.
 *
 * Mutex: the lock word holds MUTEX_HELD (bit 0) and, above it, the number of threads in the
 * slow path (MUTEX_WAITER each). A free mutex is taken with one atomic fetch-or (no queue
 * lock on that path); otherwise the thread counts itself in and sleeps on the mutex's queue
 * until a fetch-or finds the bit clear, then counts itself out. Unlock with no waiter counted
 * is one compare-exchange (HELD -> 0) and touches the mutex no more; otherwise it clears the
 * bit and wakes one waiter under the queue's lock. The woken thread competes again (a
 * newcomer may win: no hand-off, so no fairness promise), and whoever fails sleeps again.
 * No waiter is left asleep with the mutex free: a waiter counts itself in before it queues
 * and tries, so an unlock either sees the count (and wakes under the queue's lock, which
 * orders it against the waiter's queueing) or comes first in the word's order (and the
 * waiter's try finds the bit clear). Lifetime: a thread that locks and unlocks a mutex before
 * freeing it cannot overtake an earlier unlocker still inside the queue's lock: that unlocker
 * saw a waiter, which counts itself out only after finish_wait has taken the same lock, and
 * until then every unlock takes the slow path too.
 *
 * Both assert that no spinlock is held before they might sleep, on the fast paths too, so a
 * misuse shows up on the first run rather than on the first contention.
 */
#include "core/sync.h"

#include "core/cpu.h"
#include "core/panic.h"
#include "core/sched.h"

void completion_init(struct completion *c)
{
	*c = (struct completion)COMPLETION_INIT;
}

void complete(struct completion *c)
{
	unsigned long s = spin_lock_irqsave(&c->wq.lock);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	waitq_wake_locked(&c->wq, ~0u);
	spin_unlock_irqrestore(&c->wq.lock, s);
}

void wait_for_completion(struct completion *c)
{
	assert_no_locks_held("sleeping");
	wait_event(&c->wq, __atomic_load_n(&c->done, __ATOMIC_ACQUIRE));
}

void mutex_init(struct mutex *m, const char *name)
{
	*m = (struct mutex)MUTEX_INIT(name);
}

#define MUTEX_HELD 1
#define MUTEX_WAITER 2

static bool mutex_try(struct mutex *m)
{
	return !(__atomic_fetch_or(&m->locked, MUTEX_HELD, __ATOMIC_ACQUIRE) & MUTEX_HELD);
}

void mutex_lock(struct mutex *m)
{
	assert_no_locks_held("sleeping");
	if (mutex_held(m))
		panic("mutex %s: recursive lock", m->name);
	if (!mutex_try(m)) {
		__atomic_fetch_add(&m->locked, MUTEX_WAITER, __ATOMIC_SEQ_CST);
		wait_event(&m->wq, mutex_try(m));
		__atomic_fetch_sub(&m->locked, MUTEX_WAITER, __ATOMIC_ACQ_REL);
	}
	__atomic_store_n(&m->owner, thread_current(), __ATOMIC_RELAXED);
}

void mutex_unlock(struct mutex *m)
{
	int held = MUTEX_HELD;

	if (!mutex_held(m))
		panic("mutex %s: unlocked by a thread that does not hold it", m->name);
	__atomic_store_n(&m->owner, NULL, __ATOMIC_RELAXED);
	if (__atomic_compare_exchange_n(&m->locked, &held, 0, false, __ATOMIC_ACQ_REL,
					__ATOMIC_RELAXED))
		return; /* nobody waiting: no queue lock (under TCG its unmask is costly) */
	unsigned long s = spin_lock_irqsave(&m->wq.lock);
	__atomic_fetch_and(&m->locked, ~MUTEX_HELD, __ATOMIC_RELEASE);
	waitq_wake_locked(&m->wq, 1);
	spin_unlock_irqrestore(&m->wq.lock, s);
}

bool mutex_held(const struct mutex *m)
{
	return (__atomic_load_n(&m->locked, __ATOMIC_RELAXED) & MUTEX_HELD) &&
	       __atomic_load_n(&m->owner, __ATOMIC_RELAXED) == thread_current();
}
