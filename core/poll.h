/*
 * core/poll.h: waiting on many files at once (poll, ppoll, select, pselect6, and epoll's
 * registrations through poll_table.queue; later sockets), through the ordinary wait queues of
 * core/waitq.h.
 *
 * A file that can make a poller wait implements file_ops->poll (fs/vfs.h):
 *
 *     static unsigned pipe_poll(struct file *f, struct poll_table *pt)
 *     {
 *             poll_wait(f, &p->rwait, pt);     // register first (pt may be NULL) ...
 *             return ready mask;               // ... then look at the state
 *     }
 *
 * poll_wait links a poll entry of pt (a struct wait_hook, see core/waitq.h) into the file's
 * queue; the entry holds a reference on the file, so the queue outlives it. When any of those
 * queues is woken, the hook sets pt->triggered under pt->wq's lock and wakes the poller
 * sleeping on pt->wq. The poller's loop (core/sys_poll.c) cannot lose a wake-up:
 *
 *     pass 1: ask every file (registering: pt->registering); pass n > 1: ask again (not)
 *     nothing ready -> poll_table_sleep: prepare_to_wait(&pt->wq); sleep unless triggered,
 *                      a signal is pending or the deadline passed; finish_wait; triggered = 0
 *
 * Registration comes before the file looks at its state, and a file's waker changes the state
 * before it wakes the queue: so either the file saw the new state, or the wake-up ran the hook
 * after registration and set triggered, which poll_table_sleep reads under pt->wq's lock
 * after putting the thread on pt->wq. Wake-ups are only hints: the loop always asks again.
 *
 * Lock order: a file's queue lock, then pt->wq.lock, then sched_lock (inside the hook).
 * poll_table_free unlinks every entry (under each queue's lock) before pt's memory goes, and
 * drops the entries' file references.
 */
#ifndef CORE_POLL_H
#define CORE_POLL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/waitq.h"

/* Linux's poll event bits (the same on both ports). */
#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
#define POLLMSG 0x400
#define POLLRDHUP 0x2000

/* What a file without a poll operation reports: always readable and writable (regular
 * files, directories, memory devices), as Linux's DEFAULT_POLLMASK. */
#define DEFAULT_POLLMASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

struct file;
struct poll_table;

struct poll_entry {
	struct wait_hook hook; /* first: the hook function finds the entry from it */
	struct poll_table *pt;
	struct file *file;     /* a reference, dropped by poll_table_free */
};

#define POLL_INLINE_ENTRIES 8

struct poll_chunk; /* more entries, kmalloc'd as needed (core/poll.c) */

/* A table's own registration (epoll, core/epoll.c): called by poll_wait instead of adding a
 * poll entry, on every pass where registering is set. It may sleep (allocate) but must take
 * no reference on f: epoll's registrations are undone when f's last reference goes. */
typedef void (*poll_queue_fn)(struct poll_table *pt, struct file *f, struct waitq *wq);

struct poll_table {
	struct waitq wq;     /* the poller sleeps here */
	bool triggered;      /* guarded by wq.lock: a registered queue was woken */
	bool registering;    /* poll_wait adds entries (the first pass) */
	int error;           /* -ENOMEM once an entry could not be allocated */
	poll_queue_fn queue; /* NULL (poll_table_init): poll_wait adds entries */
	unsigned n_inline;   /* entries of inline[] in use */
	struct poll_entry inline_entries[POLL_INLINE_ENTRIES];
	struct poll_chunk *chunks;
};

void poll_table_init(struct poll_table *pt);
/* Unlink every entry and drop their file references. */
void poll_table_free(struct poll_table *pt);

/* For file_ops->poll: register pt's interest in wq, a queue of f woken when f's readiness
 * may have changed. Does nothing if pt is NULL or past its first pass. */
void poll_wait(struct file *f, struct waitq *wq, struct poll_table *pt);

/* f's ready mask (file_ops->poll, or DEFAULT_POLLMASK without one), registering with pt. */
unsigned vfs_poll(struct file *f, struct poll_table *pt);

/* Sleep until a registered queue is woken, a signal is pending or time_ns() reaches deadline
 * (UINT64_MAX: none); may return early for no reason. True once the deadline has passed. */
bool poll_table_sleep(struct poll_table *pt, uint64_t deadline);

/* ---- Shared by the poll-family syscalls (core/sys_poll.c) and epoll (core/epoll.c) ---- */

/* time_ns() + ns, saturating below UINT64_MAX (which means "no deadline"). */
uint64_t poll_deadline_after(uint64_t ns);
/* A user struct timespec (0: none, UINT64_MAX) as a deadline (0 for a zero timeout):
 * 0, -EFAULT or -EINVAL. */
int poll_get_timeout(uintptr_t uts, uint64_t *deadline);
/* Swap in the user's signal mask for a wait (umask 0: keep the current one); *swapped says
 * whether it was. -EINVAL for a size other than 8, -EFAULT. */
int poll_mask_swap(uintptr_t umask, unsigned long size, bool *swapped);
/* Put the old mask back at once, unless the call was interrupted (then signal_deliver puts
 * it back once the handler's frame holds it). */
void poll_mask_restore(bool swapped, bool interrupted);

#endif
