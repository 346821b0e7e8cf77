/*
 * core/waitq.h: wait queues, the one way a thread sleeps until something happens.
 *
 * A wait queue is a FIFO of sleeping threads behind its own spinlock. The waiting side never
 * tests its condition and then goes to sleep in two steps a wake-up could fall between;
 * wait_event() does it in the order that cannot lose one:
 *
 *     for (;;) {
 *             prepare_to_wait(wq);     // on the queue and marked SLEEPING, under wq's lock
 *             if (cond)                // re-checked only now
 *                     break;
 *             sched_sleep();           // switches away unless woken since prepare_to_wait
 *     }
 *     finish_wait(wq);                 // RUNNING again, off the queue
 *
 * The waking side makes the condition true first and then calls wake_up_one/wake_up_all,
 * which take the same lock. Either the waker finds the thread on the queue (and wakes it:
 * if it has not switched away yet, its sched_sleep returns at once), or the waker's whole
 * critical section came before prepare_to_wait's, and then the re-check sees the condition.
 * A woken thread re-checks too, so spurious wake-ups (a preemption while marked SLEEPING
 * counts as one) are harmless. wake_up_* take only spinlocks and so work from interrupt
 * handlers.
 *
 * Lifetime: wait_event always takes the queue's lock in finish_wait, after the condition
 * became true. If the waker sets the condition while holding the queue's lock (as
 * complete() does), the waiter cannot return, and free the object that holds the queue,
 * until the waker has let go of it.
 *
 * prepare_to_wait asserts that no spinlock is held (assert_no_locks_held names the lock and
 * where it was taken): a sleeper holding one would deadlock whoever needs it. A thread waits
 * on one queue at a time (the link lives in struct thread).
 *
 * Hooks: to wait on many queues at once (poll, select, later epoll and sockets), a waiter
 * links a struct wait_hook of its own into each queue instead of the thread (core/poll.h).
 * Every wake-up of a queue, wake_up_one included, calls every hook on it (hooks are Linux's
 * non-exclusive waiters; the thread count of wake_up_one/max counts threads only). A hook's
 * function runs with the queue's lock held and interrupts masked: it may take spinlocks
 * ordered after the queue's (its own waiter's lock, sched_lock) and must not unlink itself.
 * Its owner unlinks it with wait_hook_del before the memory goes; once that returns, no
 * wake-up is still running the hook.
 */
#ifndef CORE_WAITQ_H
#define CORE_WAITQ_H

#include <stdbool.h>

#include "core/spinlock.h"

struct thread;
struct waitq;
struct wait_hook;

typedef void (*wait_hook_fn)(struct wait_hook *h);

/* A waiter record other than a thread (see "Hooks" above). */
struct wait_hook {
	struct wait_hook *next, *prev; /* guarded by wq->lock */
	struct waitq *wq;               /* the queue it is on, NULL if none */
	wait_hook_fn fn;
};

struct waitq {
	struct spinlock lock;
	struct thread *head, *tail; /* guarded by lock: waiting threads, oldest first */
	struct wait_hook *hooks;    /* guarded by lock: hooks, called on every wake-up */
};

#define WAITQ_INIT(n) {SPINLOCK_INIT(n), 0, 0, 0}

void waitq_init(struct waitq *wq, const char *name);

/* Put the running thread at the tail of wq (unless it is already on it) and mark it
 * SLEEPING. Thread context, no spinlock held. */
void prepare_to_wait(struct waitq *wq);

/* Mark the running thread RUNNING again and take it off wq if a waker has not already. */
void finish_wait(struct waitq *wq);

/* Wake the thread at the head of wq, taking it off the queue: true if there was one. */
bool wake_up_one(struct waitq *wq);

/* Wake every thread on wq: how many there were. */
unsigned wake_up_all(struct waitq *wq);

/* As wake_up_one (max 1) / wake_up_all (max ~0u), for a caller that holds wq->lock because it
 * changes the condition under it. */
unsigned waitq_wake_locked(struct waitq *wq, unsigned max);

/* Link h (not on any queue) into wq, to call fn on each of wq's wake-ups; unlink it again
 * (a no-op if it is on none). Any context but a hook function; wq must outlive the link. */
void wait_hook_add(struct waitq *wq, struct wait_hook *h, wait_hook_fn fn);
void wait_hook_del(struct wait_hook *h);

/* Switch away from the running thread if it is still marked SLEEPING (core/sched.c). */
void sched_sleep(void);

/* Sleep on wq until cond is true; cond is evaluated with no lock held, any number of times. */
#define wait_event(wq, cond)                                                                 \
	do {                                                                                 \
		for (;;) {                                                                   \
			prepare_to_wait(wq);                                                 \
			if (cond)                                                            \
				break;                                                       \
			sched_sleep();                                                       \
		}                                                                            \
		finish_wait(wq);                                                             \
	} while (0)

#endif
