/*
 * core/sync.c: completions and mutexes, sleeping on wait queues (core/waitq.h).
 *
 * Completion: `done` is set under the queue's lock and every waiter is woken. The waiter's
 * wait_event ends in finish_wait, which takes that lock too, so wait_for_completion cannot
 * return while complete() is still touching the completion: a completion on the waiter's
 * stack (blkdev_rw's) may go out of scope as soon as the wait returns.
 *
 * Mutex: the lock word is taken with one atomic exchange when free (no queue lock on that
 * path); otherwise the thread sleeps on the mutex's queue until an exchange succeeds. Unlock
 * clears the word and wakes one waiter under the queue's lock; the woken thread competes
 * again (a newcomer may win: no hand-off, so no fairness promise), and whoever fails sleeps
 * again. Every acquire or release that fails goes with a later unlock, so no waiter is left
 * asleep with the mutex free. Taking the queue's lock in unlock also means that a thread
 * that locks and unlocks a mutex before freeing it waits for an earlier unlocker to be done
 * with it.
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

static bool mutex_try(struct mutex *m)
{
	return !__atomic_exchange_n(&m->locked, 1, __ATOMIC_ACQUIRE);
}

void mutex_lock(struct mutex *m)
{
	assert_no_locks_held("sleeping");
	if (mutex_held(m))
		panic("mutex %s: recursive lock", m->name);
	if (!mutex_try(m))
		wait_event(&m->wq, mutex_try(m));
	__atomic_store_n(&m->owner, thread_current(), __ATOMIC_RELAXED);
}

void mutex_unlock(struct mutex *m)
{
	if (!mutex_held(m))
		panic("mutex %s: unlocked by a thread that does not hold it", m->name);
	unsigned long s = spin_lock_irqsave(&m->wq.lock);
	__atomic_store_n(&m->owner, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&m->locked, 0, __ATOMIC_RELEASE);
	waitq_wake_locked(&m->wq, 1);
	spin_unlock_irqrestore(&m->wq.lock, s);
}

bool mutex_held(const struct mutex *m)
{
	return __atomic_load_n(&m->locked, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&m->owner, __ATOMIC_RELAXED) == thread_current();
}
