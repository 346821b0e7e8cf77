/*
 * core/sys_poll.c: poll, ppoll, select and pselect6, to Linux semantics, over the poll table
 * of core/poll.h. x86_64 has all four; aarch64 only ppoll and pselect6.
 *
 * One loop (wait_loop) serves all of them: ask every file for its ready mask (the first pass
 * registering on the files' wait queues), return if anything is ready or the time is up,
 * otherwise sleep on the table and ask again. A signal ends an empty wait: poll gives
 * -ERESTART_RESTARTBLOCK when it has a timeout and -ERESTARTNOHAND otherwise, the others
 * -ERESTARTNOHAND (all -EINTR when a handler runs, core/signal_deliver.c). select, pselect6
 * and ppoll write the time left back to the caller's timeout on the way out (Linux's
 * poll_select_finish), so a restarted call waits only for the rest.
 *
 * ppoll and pselect6 swap in the caller's signal mask for the wait, as rt_sigsuspend does:
 * the old mask goes to t->saved_sigmask with t->restore_sigmask set. If the call is
 * interrupted (-ERESTARTNOHAND) the signal code puts the old mask back once the handler's
 * frame holds it (so the handler runs under the old mask plus its own, and the swapped-in
 * mask let the signal in atomically); on any other return it is put back here at once.
 */
#include <stddef.h>

#include "core/errno.h"
#include "core/kheap.h"
#include "core/poll.h"
#include "core/proc.h"
#include "core/signal.h"
#include "core/string.h"
#include "core/sys_fd.h"
#include "core/syscall.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "fs/vfs.h"

SYSCALL_DECLARE(poll);
SYSCALL_DECLARE(ppoll);
SYSCALL_DECLARE(select);
SYSCALL_DECLARE(pselect6);

#define NO_DEADLINE UINT64_MAX
#define POLLIN_SET (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET POLLPRI

struct linux_timespec {
	int64_t tv_sec, tv_nsec;
};

/* ---- The loop -------------------------------------------------------------------------------- */

/* Ask every file once: the number of ready entries, or -errno. */
typedef long (*scan_fn)(void *ctx, struct poll_table *pt, bool first);

/* Scan until something is ready, the deadline passes (one last scan) or a signal comes
 * (-EINTR, for the caller to turn into its restart code). */
static long wait_loop(scan_fn scan, void *ctx, uint64_t deadline)
{
	struct poll_table pt;
	poll_table_init(&pt);
	bool expired = time_ns() >= deadline, first = true;
	pt.registering = !expired;
	long ret;
	for (;;) {
		ret = scan(ctx, &pt, first);
		first = false;
		pt.registering = false;
		if (ret != 0 || expired)
			break;
		if (pt.error) {
			ret = pt.error;
			break;
		}
		if (signal_pending()) {
			ret = -EINTR;
			break;
		}
		expired = poll_table_sleep(&pt, deadline);
	}
	poll_table_free(&pt);
	return ret;
}

/* ---- Timeouts and masks ---------------------------------------------------------------------- */

uint64_t poll_deadline_after(uint64_t ns)
{
	uint64_t now = time_ns();
	return ns >= NO_DEADLINE - now ? NO_DEADLINE - 1 : now + ns;
}

int poll_get_timeout(uintptr_t uts, uint64_t *deadline)
{
	struct linux_timespec ts;
	*deadline = NO_DEADLINE;
	if (!uts)
		return 0;
	if (get_user(&ts, uts))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	uint64_t ns = (uint64_t)ts.tv_sec >= NO_DEADLINE / NSEC_PER_SEC
			      ? NO_DEADLINE
			      : (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	*deadline = ns ? poll_deadline_after(ns) : 0;
	return 0;
}

/* The time left before deadline, in ns. */
static uint64_t time_left(uint64_t deadline)
{
	uint64_t now = time_ns();
	return deadline > now ? deadline - now : 0;
}

/* Write the time left back to the caller's timeout (a timeval for select, else a timespec),
 * unless there was none or it was zero. A fault only matters to an interrupted call, which
 * then reports -EINTR (it could not be restarted with the right time). */
static long put_time_left(uintptr_t uaddr, uint64_t deadline, bool timeval, long ret)
{
	if (!uaddr || deadline == NO_DEADLINE || deadline == 0)
		return ret;
	uint64_t left = time_left(deadline);
	struct linux_timespec ts = {(int64_t)(left / NSEC_PER_SEC), (int64_t)(left % NSEC_PER_SEC)};
	if (timeval)
		ts.tv_nsec /= 1000;
	if (put_user(uaddr, &ts) && ret == -ERESTARTNOHAND)
		return -EINTR;
	return ret;
}

int poll_mask_swap(uintptr_t umask, unsigned long size, bool *swapped)
{
	*swapped = false;
	if (!umask)
		return 0;
	if (size != sizeof(uint64_t))
		return -EINVAL;
	uint64_t mask;
	if (get_user(&mask, umask))
		return -EFAULT;
	struct thread *t = thread_current();
	t->saved_sigmask = t->sigmask;
	t->restore_sigmask = true; /* signal_deliver puts it back if a signal interrupts */
	signal_set_mask(mask);
	*swapped = true;
	return 0;
}

void poll_mask_restore(bool swapped, bool interrupted)
{
	struct thread *t = thread_current();
	if (!swapped || interrupted || !t->restore_sigmask)
		return;
	t->restore_sigmask = false;
	signal_set_mask(t->saved_sigmask);
}

/* ---- poll and ppoll ---------------------------------------------------------------------------- */

struct kpollfd {
	int32_t fd;
	int16_t events, revents;
};

struct poll_ctx {
	struct kpollfd *fds;
	unsigned long n;
};

static long poll_scan(void *ctx, struct poll_table *pt, bool first)
{
	struct poll_ctx *c = ctx;
	long ready = 0;
	(void)first;
	for (unsigned long i = 0; i < c->n; i++) {
		struct kpollfd *p = &c->fds[i];
		unsigned m = 0;
		if (p->fd >= 0) {
			struct file *f = fget(p->fd);
			if (!f) {
				m = POLLNVAL;
			} else {
				m = vfs_poll(f, pt) & ((uint16_t)p->events | POLLERR | POLLHUP);
				file_put(f);
			}
		}
		p->revents = (int16_t)m;
		ready += m != 0;
	}
	return ready;
}

/* The poll both calls share: copy the array in, wait, copy revents out. */
static long do_poll(uintptr_t ufds, unsigned long n, uint64_t deadline)
{
	struct proc *p = proc_current();
	if (n > p->rlim[RLIMIT_NOFILE].cur || n > NR_OPEN)
		return -EINVAL;
	struct kpollfd *fds = kmalloc(n ? n * sizeof(*fds) : 1);
	if (!fds)
		return -ENOMEM;
	long ret = copy_from_user(fds, ufds, n * sizeof(*fds)) ? -EFAULT : 0;
	if (!ret) {
		struct poll_ctx c = {fds, n};
		ret = wait_loop(poll_scan, &c, deadline);
		for (unsigned long i = 0; i < n && ret != -EFAULT; i++)
			if (put_user(ufds + i * sizeof(*fds) + offsetof(struct kpollfd, revents),
				     &fds[i].revents))
				ret = -EFAULT;
	}
	kfree(fds);
	return ret;
}

long sys_poll(const unsigned long *a)
{
	int ms = (int)a[2];
	uint64_t deadline = ms < 0    ? NO_DEADLINE
			    : ms == 0 ? 0
				      : poll_deadline_after((uint64_t)ms * 1000000u);
	long ret = do_poll(a[0], a[1], deadline);
	if (ret == -EINTR)
		ret = ms >= 0 ? -ERESTART_RESTARTBLOCK : -ERESTARTNOHAND;
	return ret;
}

long sys_ppoll(const unsigned long *a)
{
	uint64_t deadline;
	bool swapped;
	int err = poll_get_timeout(a[2], &deadline);
	if (!err)
		err = poll_mask_swap(a[3], a[4], &swapped);
	if (err)
		return err;
	long ret = do_poll(a[0], a[1], deadline);
	if (ret == -EINTR)
		ret = -ERESTARTNOHAND;
	ret = put_time_left(a[2], deadline, false, ret);
	poll_mask_restore(swapped, ret == -ERESTARTNOHAND);
	return ret;
}

/* ---- select and pselect6 ----------------------------------------------------------------------- */

struct select_ctx {
	int n;
	unsigned words;
	uint64_t *in[3];  /* the caller's read, write, except sets (NULL if not given) */
	uint64_t *out[3]; /* the results */
};

static const unsigned select_masks[3] = {POLLIN_SET, POLLOUT_SET, POLLEX_SET};

static long select_scan(void *ctx, struct poll_table *pt, bool first)
{
	struct select_ctx *c = ctx;
	long ready = 0;
	for (int k = 0; k < 3; k++)
		if (c->out[k])
			memset(c->out[k], 0, c->words * sizeof(uint64_t));
	for (int fd = 0; fd < c->n; fd++) {
		unsigned w = (unsigned)fd / 64;
		uint64_t bit = 1ull << (fd % 64), want = 0;
		for (int k = 0; k < 3; k++)
			if (c->in[k] && (c->in[k][w] & bit))
				want |= 1u << k;
		if (!want)
			continue;
		struct file *f = fget_raw(fd);
		if (!f && first)
			return -EBADF; /* Linux checks the sets against the open descriptors first */
		unsigned m = POLLNVAL; /* closed since, or O_PATH: never ready */
		if (f && !(f->flags & O_PATH))
			m = vfs_poll(f, pt);
		if (f)
			file_put(f);
		for (int k = 0; k < 3; k++) {
			if ((want & (1u << k)) && (m & select_masks[k])) {
				c->out[k][w] |= bit;
				ready++;
			}
		}
	}
	return ready;
}

/* The select both calls share, n already checked and clamped. */
static long do_select(int n, const uintptr_t usets[3], uint64_t deadline)
{
	unsigned words = (unsigned)(n + 63) / 64;
	size_t bytes = words * sizeof(uint64_t);
	uint64_t *mem = kzalloc(bytes ? 6 * bytes : 1);
	if (!mem)
		return -ENOMEM;
	struct select_ctx c = {.n = n, .words = words};
	long ret = 0;
	for (int k = 0; k < 3 && !ret; k++) {
		if (!usets[k])
			continue;
		c.in[k] = mem + 2 * k * words;
		c.out[k] = c.in[k] + words;
		if (copy_from_user(c.in[k], usets[k], bytes))
			ret = -EFAULT;
	}
	if (!ret)
		ret = wait_loop(select_scan, &c, deadline);
	for (int k = 0; k < 3 && ret >= 0; k++)
		if (usets[k] && copy_to_user(usets[k], c.out[k], bytes))
			ret = -EFAULT;
	kfree(mem);
	return ret == -EINTR ? -ERESTARTNOHAND : ret;
}

/* nfds: -EINVAL if negative; fds past the descriptor table are never open, so the sets are
 * looked at only up to its size (Linux's max_fds, at least 64). */
static int select_nfds(long n)
{
	if (n < 0 || n > INT32_MAX)
		return -EINVAL;
	struct fdtable *t = fdt_current();
	unsigned size = __atomic_load_n(&t->size, __ATOMIC_RELAXED);
	if (size < 64)
		size = 64;
	return n > (long)size ? (int)size : (int)n;
}

long sys_select(const unsigned long *a)
{
	uint64_t deadline = NO_DEADLINE;
	if (a[4]) {
		struct linux_timespec tv; /* a timeval: { tv_sec, tv_usec } */
		if (get_user(&tv, a[4]))
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_nsec < 0 || tv.tv_nsec >= 1000000)
			return -EINVAL;
		uint64_t ns = (uint64_t)tv.tv_sec >= NO_DEADLINE / NSEC_PER_SEC
				      ? NO_DEADLINE
				      : (uint64_t)tv.tv_sec * NSEC_PER_SEC + (uint64_t)tv.tv_nsec * 1000;
		deadline = ns ? poll_deadline_after(ns) : 0;
	}
	int n = select_nfds((long)(int)a[0]);
	if (n < 0)
		return n;
	const uintptr_t sets[3] = {a[1], a[2], a[3]};
	long ret = do_select(n, sets, deadline);
	return put_time_left(a[4], deadline, true, ret);
}

long sys_pselect6(const unsigned long *a)
{
	uint64_t deadline, pack[2] = {0, 0}; /* { const sigset_t *ss; size_t ss_len } */
	bool swapped;
	int err = poll_get_timeout(a[4], &deadline);
	if (!err && a[5] && copy_from_user(pack, a[5], sizeof(pack)))
		err = -EFAULT;
	if (!err)
		err = poll_mask_swap(pack[0], pack[1], &swapped);
	if (err)
		return err;
	int n = select_nfds((long)(int)a[0]);
	long ret = n;
	if (n >= 0) {
		const uintptr_t sets[3] = {a[1], a[2], a[3]};
		ret = do_select(n, sets, deadline);
	}
	ret = put_time_left(a[4], deadline, false, ret);
	poll_mask_restore(swapped, ret == -ERESTARTNOHAND);
	return ret;
}
