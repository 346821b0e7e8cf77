/*
 * core/sync.h: waiting, and locks that may be held while waiting.
 *
 * A completion is a one-shot event: complete() (any context, including interrupts) and
 * wait_for_completion() (thread context, no spinlock held). A mutex guards data across calls
 * that wait (file system metadata across disk I/O); it never masks interrupts and is not a
 * spinlock, so holding one while waiting for I/O is allowed, and the I/O completion path
 * never takes one.
 *
 * Both sleep on a wait queue (core/waitq.h): a waiter gives its CPU to other threads until
 * complete() or mutex_unlock() wakes it. A mutex belongs to the thread that locked it. Before
 * the scheduler starts (early kmain) there is one thread, so an uncontended mutex works and
 * any real wait panics. The host suite links a single-threaded implementation
 * (tests/host/kshim.c).
 */
#ifndef CORE_SYNC_H
#define CORE_SYNC_H

#include <stdbool.h>

#include "core/waitq.h"

struct completion {
	int done;         /* set under wq.lock */
	struct waitq wq;
};

#define COMPLETION_INIT {0, WAITQ_INIT("completion")}

void completion_init(struct completion *c);
void complete(struct completion *c);
void wait_for_completion(struct completion *c);

struct mutex {
	int locked;           /* bit 0 held, + 2 per waiter (core/sync.c); __atomic builtins only */
	struct thread *owner; /* the holder (NULL before the scheduler starts) */
	const char *name;
	struct waitq wq;      /* threads waiting for it; its lock orders unlock against them */
};

#define MUTEX_INIT(n) {0, 0, (n), WAITQ_INIT(n)}

void mutex_init(struct mutex *m, const char *name);
void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);
/* True if the running thread holds m. */
bool mutex_held(const struct mutex *m);

#endif
