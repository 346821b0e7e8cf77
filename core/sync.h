/*
 * core/sync.h: waiting, and locks that may be held while waiting.
 *
 * A completion is a one-shot event: complete() (any context, including interrupts) and
 * wait_for_completion() (thread context, no spinlock held). A mutex guards data across calls
 * that wait (file system metadata across disk I/O); it never masks interrupts and is not a
 * spinlock, so holding one while waiting for I/O is allowed, and the I/O completion path
 * never takes one.
 *
 * Until the scheduler exists (processes issue) there is one thread per CPU, so waiting means
 * "wait for interrupts until the condition holds"; the scheduler replaces the bodies with
 * sleep/wakeup on wait queues, and no caller changes. The host suite links a single-threaded
 * implementation (tests/host/kshim.c).
 */
#ifndef CORE_SYNC_H
#define CORE_SYNC_H

#include <stdbool.h>

struct completion {
	int done;
};

#define COMPLETION_INIT {0}

void completion_init(struct completion *c);
void complete(struct completion *c);
void wait_for_completion(struct completion *c);

struct mutex {
	int locked;
	int owner_cpu;
	const char *name;
};

#define MUTEX_INIT(n) {0, -1, (n)}

void mutex_init(struct mutex *m, const char *name);
void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_held(const struct mutex *m);

#endif
