/*
 * core/poll.c: the poll table (the protocol is in core/poll.h).
 *
 * Entries live in the table: the first POLL_INLINE_ENTRIES inline (a poll of a few files,
 * the common case, allocates nothing), then in kmalloc'd chunks. Only the polling thread
 * touches the table's entry storage; hooks on other CPUs touch only pt->wq and
 * pt->triggered, under pt->wq.lock.
 */
#include "core/poll.h"

#include <stddef.h>

#include "core/errno.h"
#include "core/kheap.h"
#include "core/ktimer.h"
#include "core/signal.h"
#include "core/time.h"
#include "fs/vfs.h"

#define CHUNK_ENTRIES 32

struct poll_chunk {
	struct poll_chunk *next;
	unsigned n;
	struct poll_entry e[CHUNK_ENTRIES];
};

void poll_table_init(struct poll_table *pt)
{
	waitq_init(&pt->wq, "poll");
	pt->triggered = false;
	pt->registering = true;
	pt->error = 0;
	pt->queue = NULL;
	pt->n_inline = 0;
	pt->chunks = NULL;
}

static void entry_free(struct poll_entry *e)
{
	wait_hook_del(&e->hook);
	file_put(e->file);
}

void poll_table_free(struct poll_table *pt)
{
	for (unsigned i = 0; i < pt->n_inline; i++)
		entry_free(&pt->inline_entries[i]);
	pt->n_inline = 0;
	while (pt->chunks) {
		struct poll_chunk *c = pt->chunks;
		for (unsigned i = 0; i < c->n; i++)
			entry_free(&c->e[i]);
		pt->chunks = c->next;
		kfree(c);
	}
}

/* A registered queue was woken (its lock held, interrupts masked): wake the poller. */
static void poll_hook(struct wait_hook *h)
{
	struct poll_table *pt = ((struct poll_entry *)h)->pt;
	unsigned long s = spin_lock_irqsave(&pt->wq.lock);
	pt->triggered = true;
	waitq_wake_locked(&pt->wq, ~0u);
	spin_unlock_irqrestore(&pt->wq.lock, s);
}

static struct poll_entry *entry_alloc(struct poll_table *pt)
{
	if (pt->n_inline < POLL_INLINE_ENTRIES)
		return &pt->inline_entries[pt->n_inline++];
	struct poll_chunk *c = pt->chunks;
	if (!c || c->n == CHUNK_ENTRIES) {
		c = kmalloc(sizeof(*c));
		if (!c)
			return NULL;
		c->n = 0;
		c->next = pt->chunks;
		pt->chunks = c;
	}
	return &c->e[c->n++];
}

void poll_wait(struct file *f, struct waitq *wq, struct poll_table *pt)
{
	if (!pt || !pt->registering)
		return;
	if (pt->queue) {
		pt->queue(pt, f, wq);
		return;
	}
	struct poll_entry *e = entry_alloc(pt);
	if (!e) {
		pt->error = -ENOMEM;
		return;
	}
	file_get(f);
	e->file = f;
	e->pt = pt;
	wait_hook_add(wq, &e->hook, poll_hook);
}

unsigned vfs_poll(struct file *f, struct poll_table *pt)
{
	if (!f->ops || !f->ops->poll)
		return DEFAULT_POLLMASK;
	return f->ops->poll(f, pt);
}

bool poll_table_sleep(struct poll_table *pt, uint64_t deadline)
{
	prepare_to_wait(&pt->wq);
	bool woken = __atomic_load_n(&pt->triggered, __ATOMIC_ACQUIRE);
	if (!woken && !signal_pending() && time_ns() < deadline) {
		if (deadline == UINT64_MAX)
			sched_sleep();
		else
			sched_sleep_until(deadline);
	}
	finish_wait(&pt->wq);
	unsigned long s = spin_lock_irqsave(&pt->wq.lock);
	pt->triggered = false; /* the caller asks every file again now */
	spin_unlock_irqrestore(&pt->wq.lock, s);
	return time_ns() >= deadline;
}
