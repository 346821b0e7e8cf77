/*
 * core/waitq.c: wait queues (the protocol is in core/waitq.h).
 *
 * The queue is a doubly linked FIFO threaded through the waiting threads themselves
 * (thread->wq, wq_next, wq_prev, all guarded by the queue's lock), so finish_wait can take a
 * thread off in O(1) wherever it is. Only the thread itself puts itself on a queue; a waker
 * takes it off before waking it, so a wake_up_one reaches a different thread each call. The
 * thread's state changes go through the scheduler (sched_set_sleeping, sched_wake), which
 * takes sched_lock inside the queue's lock: queue lock first, then sched_lock.
 *
 * Hooks (core/waitq.h) form a second, unordered list per queue; a wake-up walks it after the
 * threads. The hook's owner alone adds and removes it, both under the queue's lock, so the
 * walk (under the same lock) never sees a hook half linked or freed.
 */
#include "core/waitq.h"

#include "core/cpu.h"
#include "core/panic.h"
#include "core/sched.h"

void waitq_init(struct waitq *wq, const char *name)
{
	*wq = (struct waitq)WAITQ_INIT(name);
}

/* wq->lock held. */
static void enqueue(struct waitq *wq, struct thread *t)
{
	t->wq = wq;
	t->wq_next = NULL;
	t->wq_prev = wq->tail;
	if (wq->tail)
		wq->tail->wq_next = t;
	else
		wq->head = t;
	wq->tail = t;
}

/* wq->lock held; t is on wq. */
static void dequeue(struct waitq *wq, struct thread *t)
{
	if (t->wq_prev)
		t->wq_prev->wq_next = t->wq_next;
	else
		wq->head = t->wq_next;
	if (t->wq_next)
		t->wq_next->wq_prev = t->wq_prev;
	else
		wq->tail = t->wq_prev;
	t->wq = NULL;
	t->wq_next = t->wq_prev = NULL;
}

static struct thread *running_thread(void)
{
	struct thread *t = thread_current();
	if (!t)
		panic("sleeping before the scheduler started");
	return t;
}

void prepare_to_wait(struct waitq *wq)
{
	struct thread *t = running_thread();

	assert_no_locks_held("sleeping");
	unsigned long s = spin_lock_irqsave(&wq->lock);
	if (t->wq != wq) {
		if (t->wq)
			panic("thread %s waits on %s while still on %s", t->name, wq->lock.name,
			      t->wq->lock.name);
		enqueue(wq, t);
	}
	sched_set_sleeping(t);
	spin_unlock_irqrestore(&wq->lock, s);
}

void finish_wait(struct waitq *wq)
{
	struct thread *t = running_thread();

	sched_set_running(t);
	unsigned long s = spin_lock_irqsave(&wq->lock);
	if (t->wq == wq)
		dequeue(wq, t);
	spin_unlock_irqrestore(&wq->lock, s);
}

unsigned waitq_wake_locked(struct waitq *wq, unsigned max)
{
	unsigned n = 0;
	while (wq->head && n < max) {
		struct thread *t = wq->head;
		dequeue(wq, t);
		sched_wake(t);
		n++;
	}
	for (struct wait_hook *h = wq->hooks; h; h = h->next)
		h->fn(h);
	return n;
}

void wait_hook_add(struct waitq *wq, struct wait_hook *h, wait_hook_fn fn)
{
	unsigned long s = spin_lock_irqsave(&wq->lock);
	h->fn = fn;
	h->wq = wq;
	h->prev = NULL;
	h->next = wq->hooks;
	if (wq->hooks)
		wq->hooks->prev = h;
	wq->hooks = h;
	spin_unlock_irqrestore(&wq->lock, s);
}

void wait_hook_del(struct wait_hook *h)
{
	struct waitq *wq = h->wq;
	if (!wq)
		return;
	unsigned long s = spin_lock_irqsave(&wq->lock);
	if (h->prev)
		h->prev->next = h->next;
	else
		wq->hooks = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->next = h->prev = NULL;
	h->wq = NULL;
	spin_unlock_irqrestore(&wq->lock, s);
}

static unsigned wake(struct waitq *wq, unsigned max)
{
	unsigned long s = spin_lock_irqsave(&wq->lock);
	unsigned n = waitq_wake_locked(wq, max);
	spin_unlock_irqrestore(&wq->lock, s);
	return n;
}

bool wake_up_one(struct waitq *wq)
{
	return wake(wq, 1) == 1;
}

unsigned wake_up_all(struct waitq *wq)
{
	return wake(wq, ~0u);
}
