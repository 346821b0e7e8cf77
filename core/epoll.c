/*
 * core/epoll.c: epoll instances and their syscalls, to Linux semantics (docs/epoll.md).
 *
 * An epoll instance (struct eventpoll) is the private data of an anonymous file
 * (fs/anon_inode.h), so it is shared by dup and fork and goes with its last close. It holds
 * one struct epitem per registration, keyed by (open file, fd) as on Linux: a dup'd fd of the
 * same file is a second registration, and the item belongs to the open file description, not
 * to the fd: it goes away when the file's last reference does (file_put calls
 * file_epoll_release before the file's release), not at close(fd) while a dup is left.
 *
 * Readiness uses the files' own poll operations and wait queues, as poll does (core/poll.h):
 * at EPOLL_CTL_ADD the item asks the file's poll op with a poll table whose queue function
 * (ep_queue) links one struct ep_hook per wait queue the file names, without taking a file
 * reference. A wake-up of any of them runs ep_hook_fn, which puts the item on the instance's
 * ready list and wakes ep->wq. epoll_wait takes items off the ready list and asks each file
 * again (vfs_poll with no table) for its current mask: a wake-up is only a hint.
 * - Level-triggered items that are still ready go back on the ready list (at its tail, after
 *   the items not yet looked at), so the next epoll_wait reports them again.
 * - EPOLLET items are reported once per wake-up: they go back only if a new wake-up came
 *   while the scan held them (item->woken).
 * - EPOLLONESHOT items are disabled once reported (events cut to EP_PRIVATE_BITS) until
 *   EPOLL_CTL_MOD re-arms them.
 * An item is IDLE, READY (on the ready list) or HELD (taken by a scan, on its private list).
 *
 * Locks, outer first:
 *   ep_links_lock (mutex, global): every file's list of items (file->epoll_links) and every
 *     insert and removal of an item; the nesting checks walk the sets under it.
 *   ep->mtx (mutex): the instance's item list, each item's hooks, data, HELD lists; held
 *     while a scan asks the files (file poll ops never sleep for long, so this is short).
 *     Nested instances are taken outer set first; loops are refused at EPOLL_CTL_ADD
 *     (ELOOP), so the order is a tree's.
 *   ep->wq.lock (spinlock, the wait queue's): the ready list, item states, woken, and the
 *     events mask the hooks read. Taken in hooks, under a file's queue lock; nothing sleeps,
 *     allocates or copies to user memory under it.
 * A wake-up of ep->wq runs the hooks on it too: poll/select tables and outer epoll sets that
 * registered through ep_fpoll, so an epoll fd works inside poll, select and another epoll.
 *
 * Lifetime: an item borrows its file pointer; file_put's hook removes every item of a file
 * (ep_links_lock, then each set's mtx) before the file's release frees the queues the hooks
 * are on. wait_hook_del waits for a running hook, so no hook touches a freed item. A scan
 * holds ep->mtx while it asks a file, and the removal needs it, so a file whose last
 * reference went meanwhile is still whole while asked. The instance itself goes with its
 * file, after file_epoll_release took it out of any outer set.
 *
 * epoll_wait collects at most EP_BATCH events into a kernel buffer under ep->mtx and copies
 * them out after dropping it; if that copy faults the events it held are lost (Linux puts
 * them back), and the call gives -EFAULT.
 */
#include "core/epoll.h"

#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/ktimer.h"
#include "core/poll.h"
#include "core/proc.h"
#include "core/signal.h"
#include "core/sync.h"
#include "core/sys_fd.h"
#include "core/syscall.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "core/waitq.h"
#include "fs/anon_inode.h"
#include "fs/vfs.h"

SYSCALL_DECLARE(epoll_create);
SYSCALL_DECLARE(epoll_create1);
SYSCALL_DECLARE(epoll_ctl);
SYSCALL_DECLARE(epoll_wait);
SYSCALL_DECLARE(epoll_pwait);
SYSCALL_DECLARE(epoll_pwait2);

#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
#define EXCLUSIVE_OK_BITS                                                                     \
	(POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDNORM | POLLWRNORM | POLLRDBAND |        \
	 POLLWRBAND | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)
#define EP_MAX_NESTS 4 /* Linux's EPOLL_MAX_NESTS: sets in one chain below the top one */
#define EP_BATCH 256   /* the most events one epoll_wait returns (its kernel buffer) */
#define EP_MAX_EVENTS (INT32_MAX / sizeof(struct abi_epoll_event))
#define NO_DEADLINE UINT64_MAX

enum { EPI_IDLE, EPI_READY, EPI_HELD };

struct epitem;

struct ep_hook {
	struct wait_hook hook; /* first: ep_hook_fn finds the entry from it */
	struct epitem *item;
	struct ep_hook *next;
};

struct eventpoll;

struct epitem {
	struct epitem *next, *prev;       /* ep->items: both locks to change, either to read */
	struct epitem *rd_next, *rd_prev; /* the ready list: ep->wq.lock */
	struct epitem *tx_next;           /* a scan's HELD list: ep->mtx */
	struct epitem *f_next;            /* file->epoll_links: ep_links_lock */
	struct eventpoll *ep;
	struct file *file;                /* borrowed (see the header) */
	int fd;
	uint32_t events;                  /* ep->mtx and ep->wq.lock to change */
	uint64_t data;                    /* ep->mtx */
	uint8_t state;                    /* EPI_*: ep->wq.lock */
	bool woken;                       /* ep->wq.lock: woken while HELD */
	bool requeue;                     /* ep->mtx: the scan puts it back on the ready list */
	struct ep_hook *hooks;            /* ep->mtx */
};

struct eventpoll {
	struct mutex mtx;
	struct waitq wq;                 /* epoll_wait sleepers and outer pollers' hooks */
	struct epitem *items;            /* ep->mtx */
	struct epitem *rd_head, *rd_tail; /* ep->wq.lock (rd_head also read atomically) */
	struct file *file;               /* the instance's own file */
};

/* A kernel copy of the user's struct epoll_event. */
struct ep_event {
	uint32_t events;
	uint64_t data;
};

static struct mutex ep_links_lock = MUTEX_INIT("epoll links");
static const struct file_ops ep_fops;

bool file_is_epoll(const struct file *f)
{
	return f->ops == &ep_fops;
}

/* ---- The ready list (ep->wq.lock held) ------------------------------------------------------- */

static void rd_append(struct eventpoll *ep, struct epitem *it)
{
	it->rd_next = NULL;
	it->rd_prev = ep->rd_tail;
	if (ep->rd_tail)
		ep->rd_tail->rd_next = it;
	else
		__atomic_store_n(&ep->rd_head, it, __ATOMIC_RELEASE);
	ep->rd_tail = it;
	it->state = EPI_READY;
}

static void rd_unlink(struct eventpoll *ep, struct epitem *it)
{
	if (it->rd_prev)
		it->rd_prev->rd_next = it->rd_next;
	else
		__atomic_store_n(&ep->rd_head, it->rd_next, __ATOMIC_RELEASE);
	if (it->rd_next)
		it->rd_next->rd_prev = it->rd_prev;
	else
		ep->rd_tail = it->rd_prev;
	it->state = EPI_IDLE;
}

/* A queue the item's file named was woken (its lock held, interrupts masked). */
static void ep_hook_fn(struct wait_hook *h)
{
	struct epitem *it = ((struct ep_hook *)h)->item;
	struct eventpoll *ep = it->ep;
	unsigned long s = spin_lock_irqsave(&ep->wq.lock);
	if (it->events & ~EP_PRIVATE_BITS) { /* not a spent EPOLLONESHOT */
		if (it->state == EPI_IDLE)
			rd_append(ep, it);
		else if (it->state == EPI_HELD)
			it->woken = true;
		/* Always, even if already READY: an outer poller may have found that stale. */
		waitq_wake_locked(&ep->wq, ~0u);
	}
	spin_unlock_irqrestore(&ep->wq.lock, s);
}

/* The file is ready now (ADD, MOD): queue the item and wake the waiters. */
static void ep_make_ready(struct eventpoll *ep, struct epitem *it)
{
	unsigned long s = spin_lock_irqsave(&ep->wq.lock);
	if (it->state == EPI_IDLE)
		rd_append(ep, it);
	waitq_wake_locked(&ep->wq, ~0u);
	spin_unlock_irqrestore(&ep->wq.lock, s);
}

/* The next ready item, now HELD by the caller's scan (ep->mtx held), or NULL. */
static struct epitem *rd_pop(struct eventpoll *ep)
{
	unsigned long s = spin_lock_irqsave(&ep->wq.lock);
	struct epitem *it = ep->rd_head;
	if (it) {
		rd_unlink(ep, it);
		it->state = EPI_HELD;
		it->woken = false;
	}
	spin_unlock_irqrestore(&ep->wq.lock, s);
	return it;
}

/* ---- Scanning (ep->mtx held) ----------------------------------------------------------------- */

/* Ask the ready items' files for their masks; fill out[0, max) with the events, or with
 * out NULL only look (poll of the epoll file itself: nothing is consumed). The number of
 * ready items found. */
static int ep_scan(struct eventpoll *ep, struct abi_epoll_event *out, int max)
{
	struct epitem *held = NULL, **tail = &held, *it;
	int n = 0;
	while (n < max && (it = rd_pop(ep)) != NULL) {
		it->tx_next = NULL;
		*tail = it;
		tail = &it->tx_next;
		uint32_t m = vfs_poll(it->file, NULL) & it->events;
		it->requeue = m && (!out || !(it->events & (EPOLLET | EPOLLONESHOT)));
		if (!m)
			continue;
		if (out) {
			out[n].events = m;
			out[n].data = it->data;
		}
		if (out && (it->events & EPOLLONESHOT)) {
			unsigned long s = spin_lock_irqsave(&ep->wq.lock);
			it->events &= EP_PRIVATE_BITS; /* disarmed until EPOLL_CTL_MOD */
			spin_unlock_irqrestore(&ep->wq.lock, s);
		}
		n++;
	}
	unsigned long s = spin_lock_irqsave(&ep->wq.lock);
	for (it = held; it; it = it->tx_next) {
		if (it->requeue || it->woken)
			rd_append(ep, it);
		else
			it->state = EPI_IDLE;
	}
	spin_unlock_irqrestore(&ep->wq.lock, s);
	return n;
}

/* ---- Items (ep_links_lock and ep->mtx held) -------------------------------------------------- */

struct ep_pqueue {
	struct poll_table pt; /* first: ep_queue finds the item from it */
	struct epitem *item;
};

/* poll_wait for an item being added: hook it on wq, with no file reference. */
static void ep_queue(struct poll_table *pt, struct file *f, struct waitq *wq)
{
	(void)f;
	struct epitem *it = ((struct ep_pqueue *)pt)->item;
	struct ep_hook *h = kmalloc(sizeof(*h));
	if (!h) {
		pt->error = -ENOMEM;
		return;
	}
	h->item = it;
	h->next = it->hooks;
	it->hooks = h;
	wait_hook_add(wq, &h->hook, ep_hook_fn);
}

static struct epitem *ep_find(struct eventpoll *ep, struct file *f, int fd)
{
	struct epitem *it = ep->items;
	while (it && (it->file != f || it->fd != fd))
		it = it->next;
	return it;
}

static void ep_remove(struct eventpoll *ep, struct epitem *it)
{
	while (it->hooks) { /* first: once unhooked, no wake-up looks at the item */
		struct ep_hook *h = it->hooks;
		it->hooks = h->next;
		wait_hook_del(&h->hook);
		kfree(h);
	}
	unsigned long s = spin_lock_irqsave(&ep->wq.lock);
	if (it->state == EPI_READY)
		rd_unlink(ep, it);
	spin_unlock_irqrestore(&ep->wq.lock, s);
	if (it->prev)
		it->prev->next = it->next;
	else
		ep->items = it->next;
	if (it->next)
		it->next->prev = it->prev;
	struct epitem *p = it->file->epoll_links;
	if (p == it) {
		__atomic_store_n(&it->file->epoll_links, (void *)it->f_next, __ATOMIC_RELEASE);
	} else {
		while (p->f_next != it)
			p = p->f_next;
		p->f_next = it->f_next;
	}
	kfree(it);
}

static long ep_insert(struct eventpoll *ep, struct file *tf, int fd, const struct ep_event *ev)
{
	struct epitem *it = kzalloc(sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->ep = ep;
	it->file = tf;
	it->fd = fd;
	it->events = ev->events | POLLERR | POLLHUP; /* always reported, as by poll */
	it->data = ev->data;
	it->next = ep->items;
	if (ep->items)
		ep->items->prev = it;
	ep->items = it;
	it->f_next = tf->epoll_links;
	__atomic_store_n(&tf->epoll_links, (void *)it, __ATOMIC_RELEASE);
	struct ep_pqueue q;
	poll_table_init(&q.pt);
	q.pt.queue = ep_queue;
	q.item = it;
	uint32_t m = vfs_poll(tf, &q.pt) & it->events;
	if (q.pt.error) {
		int err = q.pt.error;
		ep_remove(ep, it);
		return err;
	}
	if (m)
		ep_make_ready(ep, it);
	return 0;
}

static void ep_modify(struct eventpoll *ep, struct epitem *it, const struct ep_event *ev)
{
	unsigned long s = spin_lock_irqsave(&ep->wq.lock);
	it->events = ev->events | POLLERR | POLLHUP;
	spin_unlock_irqrestore(&ep->wq.lock, s);
	it->data = ev->data;
	if (vfs_poll(it->file, NULL) & it->events)
		ep_make_ready(ep, it);
}

/* ---- Nesting (ep_links_lock held) ------------------------------------------------------------ */

/* How many sets lie above ep in the longest chain of sets holding it (0: none). */
static int ep_depth_up(struct eventpoll *ep, int depth)
{
	int best = depth;
	if (depth > EP_MAX_NESTS)
		return depth;
	for (struct epitem *it = ep->file->epoll_links; it; it = it->f_next) {
		int d = ep_depth_up(it->ep, depth + 1);
		best = d > best ? d : best;
	}
	return best;
}

/* Adding set ep at nesting level depth under `into`: true if into is reachable from ep (a
 * loop) or a chain would get deeper than EP_MAX_NESTS (Linux's ep_loop_check, ELOOP). */
static bool ep_loops(struct eventpoll *ep, struct eventpoll *into, int depth)
{
	if (ep == into || depth > EP_MAX_NESTS)
		return true;
	for (struct epitem *it = ep->items; it; it = it->next)
		if (file_is_epoll(it->file) && ep_loops(it->file->priv, into, depth + 1))
			return true;
	return false;
}

/* ---- Releases -------------------------------------------------------------------------------- */

/* file_put's hook: f's last reference is gone; drop it from every set (Linux's
 * eventpoll_release_file). */
static void ep_file_release(struct file *f)
{
	mutex_lock(&ep_links_lock);
	struct epitem *it;
	while ((it = f->epoll_links) != NULL) {
		struct eventpoll *ep = it->ep;
		mutex_lock(&ep->mtx);
		ep_remove(ep, it);
		mutex_unlock(&ep->mtx);
	}
	mutex_unlock(&ep_links_lock);
}

/* The instance's last close (it is in no outer set any more: ep_file_release ran). Nobody
 * waits on ep->wq: a waiter or a poller holds a reference on the file. */
static void ep_release(struct file *f)
{
	struct eventpoll *ep = f->priv;
	mutex_lock(&ep_links_lock);
	mutex_lock(&ep->mtx);
	while (ep->items)
		ep_remove(ep, ep->items);
	mutex_unlock(&ep->mtx);
	mutex_unlock(&ep_links_lock);
	kfree(ep);
}

/* poll, select or an outer epoll asking about the instance: readable if an item is. */
static unsigned ep_fpoll(struct file *f, struct poll_table *pt)
{
	struct eventpoll *ep = f->priv;
	poll_wait(f, &ep->wq, pt);
	mutex_lock(&ep->mtx);
	int n = ep_scan(ep, NULL, 1);
	mutex_unlock(&ep->mtx);
	return n ? POLLIN | POLLRDNORM : 0;
}

/* Linux's noop_llseek: the position stays 0 and is what every seek returns. */
static int64_t ep_llseek(struct file *f, int64_t off, int whence)
{
	(void)off, (void)whence;
	return (int64_t)f->pos;
}

/* No read or write: the VFS gives -EINVAL, as Linux's eventpoll_fops. */
static const struct file_ops ep_fops = {
	.release = ep_release,
	.poll = ep_fpoll,
	.llseek = ep_llseek,
};

/* ---- epoll_create, epoll_create1 ------------------------------------------------------------- */

static long ep_create(unsigned long flags)
{
	if (flags & ~(unsigned long)O_CLOEXEC) /* EPOLL_CLOEXEC is O_CLOEXEC on both ports */
		return -EINVAL;
	struct eventpoll *ep = kzalloc(sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	mutex_init(&ep->mtx, "epoll");
	waitq_init(&ep->wq, "epoll");
	/* Before any file can have a link: file_put reads it only for a file with links. */
	__atomic_store_n(&file_epoll_release, ep_file_release, __ATOMIC_RELEASE);
	struct file *f;
	int err = anon_inode_file("[eventpoll]", &ep_fops, ep, O_RDWR, &f);
	if (err) {
		kfree(ep);
		return err;
	}
	ep->file = f;
	int fd = fd_install_current(f, 0, flags & O_CLOEXEC ? FD_CLOEXEC : 0);
	if (fd < 0)
		file_put(f); /* ep_release frees ep */
	return fd;
}

long sys_epoll_create1(const unsigned long *a)
{
	return ep_create((unsigned)a[0]);
}

/* x86_64's legacy call: size is only checked (Linux ignores it otherwise). */
long sys_epoll_create(const unsigned long *a)
{
	if ((int)a[0] <= 0)
		return -EINVAL;
	return ep_create(0);
}

/* ---- epoll_ctl ------------------------------------------------------------------------------- */

/* Linux's do_epoll_ctl checks, in its order, once both files are known (tf NULL: EBADF). */
static long ctl_check(struct file *epf, struct file *tf, int op, uint32_t events)
{
	if (!tf)
		return -EBADF;
	if (!tf->ops || !tf->ops->poll)
		return -EPERM; /* regular files, directories: always ready, so never watched */
	if (epf == tf || !file_is_epoll(epf))
		return -EINVAL;
	if (op != EPOLL_CTL_DEL && (events & EPOLLEXCLUSIVE)) {
		if (op == EPOLL_CTL_MOD)
			return -EINVAL;
		if (op == EPOLL_CTL_ADD && (file_is_epoll(tf) || (events & ~EXCLUSIVE_OK_BITS)))
			return -EINVAL;
	}
	return 0;
}

static long ep_ctl(struct eventpoll *ep, int op, int fd, struct file *tf, const struct ep_event *ev)
{
	long err = 0;
	mutex_lock(&ep_links_lock);
	if (op == EPOLL_CTL_ADD && file_is_epoll(tf) &&
	    ep_loops(tf->priv, ep, ep_depth_up(ep, 0) + 1))
		err = -ELOOP;
	if (!err) {
		mutex_lock(&ep->mtx);
		struct epitem *it = ep_find(ep, tf, fd);
		if (op == EPOLL_CTL_ADD)
			err = it ? -EEXIST : ep_insert(ep, tf, fd, ev);
		else if (op == EPOLL_CTL_DEL && it)
			ep_remove(ep, it);
		else if (op == EPOLL_CTL_MOD && it && !(it->events & EPOLLEXCLUSIVE))
			ep_modify(ep, it, ev);
		else if (op == EPOLL_CTL_MOD && it)
			err = -EINVAL; /* an EPOLLEXCLUSIVE item cannot be modified */
		else
			err = op == EPOLL_CTL_DEL || op == EPOLL_CTL_MOD ? -ENOENT : -EINVAL;
		mutex_unlock(&ep->mtx);
	}
	mutex_unlock(&ep_links_lock);
	return err;
}

long sys_epoll_ctl(const unsigned long *a)
{
	int epfd = (int)a[0], op = (int)a[1], fd = (int)a[2];
	struct ep_event ev = {0, 0};
	if (op != EPOLL_CTL_DEL) { /* Linux's ep_op_has_event: read first, unknown ops too */
		struct abi_epoll_event ue;
		if (copy_from_user(&ue, a[3], sizeof(ue)))
			return -EFAULT;
		ev.events = ue.events;
		ev.data = ue.data;
	}
	struct file *epf = fget(epfd);
	if (!epf)
		return -EBADF;
	struct file *tf = fget(fd);
	long err = ctl_check(epf, tf, op, ev.events);
	if (!err)
		err = ep_ctl(epf->priv, op, fd, tf, &ev);
	if (tf)
		file_put(tf);
	file_put(epf);
	return err;
}

/* ---- epoll_wait, epoll_pwait, epoll_pwait2 --------------------------------------------------- */

/* Sleep until the ready list is not empty, a signal is pending or the deadline passes (or
 * for no reason): true once the deadline has passed. */
static bool ep_sleep(struct eventpoll *ep, uint64_t deadline)
{
	prepare_to_wait(&ep->wq);
	if (!__atomic_load_n(&ep->rd_head, __ATOMIC_ACQUIRE) && !signal_pending() &&
	    time_ns() < deadline) {
		if (deadline == NO_DEADLINE)
			sched_sleep();
		else
			sched_sleep_until(deadline);
	}
	finish_wait(&ep->wq);
	return time_ns() >= deadline;
}

/* Wait for events on ep and copy them to uevents: their number, 0 at the deadline, -EINTR
 * for a signal (never restarted: Linux's ep_poll), -EFAULT, -ENOMEM. */
static long ep_wait_file(struct eventpoll *ep, uintptr_t uevents, int max, uint64_t deadline)
{
	int n = max < EP_BATCH ? max : EP_BATCH;
	struct abi_epoll_event *buf = kmalloc((size_t)n * sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	bool expired = time_ns() >= deadline;
	long ret;
	for (;;) {
		mutex_lock(&ep->mtx);
		ret = ep_scan(ep, buf, n);
		mutex_unlock(&ep->mtx);
		if (ret || expired)
			break;
		if (signal_pending()) {
			ret = -EINTR;
			break;
		}
		expired = ep_sleep(ep, deadline);
	}
	if (ret > 0 && copy_to_user(uevents, buf, (size_t)ret * sizeof(*buf)))
		ret = -EFAULT;
	kfree(buf);
	return ret;
}

/* Linux's do_epoll_wait: its checks in its order, then the wait. */
static long ep_wait(int epfd, uintptr_t uevents, int max, uint64_t deadline)
{
	if (max <= 0 || (unsigned long)max > EP_MAX_EVENTS)
		return -EINVAL;
	if (!user_range_ok(uevents, (size_t)max * sizeof(struct abi_epoll_event)))
		return -EFAULT;
	struct file *f = fget(epfd);
	if (!f)
		return -EBADF;
	long ret = file_is_epoll(f) ? ep_wait_file(f->priv, uevents, max, deadline) : -EINVAL;
	file_put(f);
	return ret;
}

/* A timeout in ms: -1 (any negative) forever, 0 no wait. */
static uint64_t ms_deadline(int ms)
{
	if (ms < 0)
		return NO_DEADLINE;
	return ms == 0 ? 0 : poll_deadline_after((uint64_t)ms * 1000000u);
}

/* With the caller's signal mask for the wait, as ppoll: an interrupted call leaves the old
 * mask for signal_deliver to put back after the handler's frame holds it. */
static long ep_pwait(const unsigned long *a, uint64_t deadline)
{
	bool swapped;
	int err = poll_mask_swap(a[4], a[5], &swapped);
	if (err)
		return err;
	long ret = ep_wait((int)a[0], a[1], (int)a[2], deadline);
	poll_mask_restore(swapped, ret == -EINTR);
	return ret;
}

long sys_epoll_wait(const unsigned long *a)
{
	return ep_wait((int)a[0], a[1], (int)a[2], ms_deadline((int)a[3]));
}

long sys_epoll_pwait(const unsigned long *a)
{
	return ep_pwait(a, ms_deadline((int)a[3]));
}

/* The timeout is a struct timespec (NULL: forever); nothing is written back. */
long sys_epoll_pwait2(const unsigned long *a)
{
	uint64_t deadline;
	int err = poll_get_timeout(a[3], &deadline);
	if (err)
		return err;
	return ep_pwait(a, deadline);
}
