/*
 * core/futex.c: futex(2) — WAIT, WAKE, REQUEUE, CMP_REQUEUE and the BITSET forms.
 *
 * Keys: a FUTEX_PRIVATE_FLAG futex is (mm, user address); a shared one is the physical address
 * of the word (mm NULL), so processes sharing a page meet. Waiters hang on one of FUTEX_HASH
 * buckets, each a spinlock and a list of struct futex_waiter living on the waiters' stacks.
 *
 * No lost wake-ups: a waiter is on its bucket before it reads the user word, so a waker that
 * changed the word afterwards finds it. The waiter then sleeps with the scheduler's
 * sleep/wake pair: it marks itself SLEEPING, re-checks `woken`, and sleeps; a waker takes it
 * off the list, sets `woken` and calls sched_wake, which either wakes it or cancels the sleep
 * it has not finished. The waker reads w->t before setting woken: after that the waiter may
 * return and its entry vanish. A waiter that gives up (timeout, exit) takes itself off under
 * the bucket lock, unless a waker already did.
 */
#include "core/futex.h"

#include "arch/arch.h"
#include "core/errno.h"
#include "core/ktimer.h"
#include "core/mm.h"
#include "core/proc.h"
#include "core/signal.h"
#include "core/syscall.h"
#include "core/time.h"
#include "core/uaccess.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu
#define FUTEX_HASH 64

struct futex_key {
	const struct mm *mm; /* NULL for a shared futex */
	uintptr_t addr;      /* user address, or physical address when shared */
};

struct futex_waiter {
	struct futex_key key;
	uint32_t bitset;
	struct thread *t;
	bool woken;          /* __atomic; set by the waker after unlinking */
	struct futex_waiter *next;
};

static struct futex_bucket {
	struct spinlock lock;
	struct futex_waiter *head;
} buckets[FUTEX_HASH] = {[0 ... FUTEX_HASH - 1] = {SPINLOCK_INIT("futex"), NULL}};

SYSCALL_DECLARE(futex);

static struct futex_bucket *bucket_of(const struct futex_key *k)
{
	uintptr_t h = (k->addr >> 2) ^ ((uintptr_t)k->mm >> 4);
	h ^= h >> 17;
	return &buckets[h % FUTEX_HASH];
}

static bool key_eq(const struct futex_key *a, const struct futex_key *b)
{
	return a->mm == b->mm && a->addr == b->addr;
}

/* The key of the futex word at uaddr for the running process (faults it in). */
static int futex_key_get(uintptr_t uaddr, bool shared, struct futex_key *k)
{
	uint32_t v;
	if (uaddr % 4)
		return -EINVAL;
	if (get_user(&v, uaddr))
		return -EFAULT;
	struct mm *mm = proc_current()->mm;
	if (!shared) {
		*k = (struct futex_key){mm, uaddr};
		return 0;
	}
	uint64_t pa;
	unsigned prot;
	if (arch_mmu_query(mm->as, uaddr, &pa, &prot))
		return -EFAULT;
	*k = (struct futex_key){NULL, (uintptr_t)pa};
	return 0;
}

/* Unlink w unless a waker already did: true if it was still queued. A requeue may move w to
 * another bucket meanwhile (it rewrites w->key under both locks), hence the retry. */
static bool waiter_remove(struct futex_waiter *w)
{
	for (;;) {
		struct futex_key k = w->key;
		struct futex_bucket *b = bucket_of(&k);
		unsigned long s = spin_lock_irqsave(&b->lock);
		for (struct futex_waiter **pp = &b->head; *pp; pp = &(*pp)->next)
			if (*pp == w) {
				*pp = w->next;
				spin_unlock_irqrestore(&b->lock, s);
				return true;
			}
		spin_unlock_irqrestore(&b->lock, s);
		if (__atomic_load_n(&w->woken, __ATOMIC_ACQUIRE))
			return false;
	}
}

static void waiter_add(struct futex_waiter *w)
{
	struct futex_bucket *b = bucket_of(&w->key);
	unsigned long s = spin_lock_irqsave(&b->lock);
	w->next = b->head;
	b->head = w;
	spin_unlock_irqrestore(&b->lock, s);
}

/* Sleep until woken, the deadline (0: none) or a signal (or a process exit): 0, -ETIMEDOUT or
 * -ERESTARTSYS. */
static int waiter_sleep(struct futex_waiter *w, uint64_t deadline)
{
	for (;;) {
		sched_set_sleeping(w->t);
		if (__atomic_load_n(&w->woken, __ATOMIC_ACQUIRE)) {
			sched_set_running(w->t);
			return 0;
		}
		if (signal_pending() || (deadline && time_ns() >= deadline)) {
			sched_set_running(w->t);
			if (!waiter_remove(w))
				return 0; /* woken meanwhile: count it as a wake-up */
			if (deadline && time_ns() >= deadline)
				return -ETIMEDOUT;
			/* A timed wait is not restarted with its old timeout (Linux's restart
			 * block, simplified to: -EINTR if a handler runs, else run again). */
			return deadline ? -ERESTART_RESTARTBLOCK : -ERESTARTSYS;
		}
		if (deadline)
			sched_sleep_until(deadline);
		else
			sched_sleep();
	}
}

static int futex_wait(uintptr_t uaddr, bool shared, uint32_t val, uint64_t deadline,
		      uint32_t bitset)
{
	struct futex_waiter w = {.bitset = bitset, .t = thread_current()};
	if (!bitset)
		return -EINVAL;
	int err = futex_key_get(uaddr, shared, &w.key);
	if (err)
		return err;
	waiter_add(&w);
	uint32_t cur;
	if (get_user(&cur, uaddr) || cur != val) {
		bool queued = waiter_remove(&w);
		if (!queued)
			return 0; /* woken meanwhile: count it as a wake-up */
		return cur != val ? -EAGAIN : -EFAULT;
	}
	return waiter_sleep(&w, deadline);
}

/* Wake up to n waiters with key k (and a bitset overlapping bitset); requeue up to n2 more to
 * k2 when k2 is given. Returns the number woken (+ requeued for CMP_REQUEUE's count). */
static int futex_wake_key(const struct futex_key *k, int n, uint32_t bitset,
			  const struct futex_key *k2, int n2)
{
	struct futex_bucket *b = bucket_of(k), *b2 = k2 ? bucket_of(k2) : b;
	struct futex_bucket *lo = b < b2 ? b : b2, *hi = b < b2 ? b2 : b;
	unsigned long s = spin_lock_irqsave(&lo->lock);
	unsigned long s2 = hi != lo ? spin_lock_irqsave(&hi->lock) : 0;
	int woken = 0, moved = 0;
	for (struct futex_waiter **pp = &b->head; *pp;) {
		struct futex_waiter *w = *pp;
		if (!key_eq(&w->key, k) || !(w->bitset & bitset)) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		if (woken < n) {
			struct thread *t = w->t; /* w may vanish once woken is set */
			__atomic_store_n(&w->woken, true, __ATOMIC_RELEASE);
			sched_wake(t);
			woken++;
		} else if (k2 && moved < n2) {
			w->key = *k2;
			w->next = b2->head;
			b2->head = w;
			moved++;
		} else {
			*pp = w; /* leave it where it was */
			pp = &w->next;
		}
	}
	if (hi != lo)
		spin_unlock_irqrestore(&hi->lock, s2);
	spin_unlock_irqrestore(&lo->lock, s);
	return woken + moved;
}

int futex_wake_addr(struct mm *mm, uintptr_t uaddr, int n)
{
	struct futex_key k = {mm, uaddr};
	int woken = futex_wake_key(&k, n, FUTEX_BITSET_MATCH_ANY, NULL, 0);
	uint64_t pa;
	unsigned prot;
	if (woken < n && arch_mmu_query(mm->as, uaddr, &pa, &prot) == 0) {
		k = (struct futex_key){NULL, (uintptr_t)pa};
		woken += futex_wake_key(&k, n - woken, FUTEX_BITSET_MATCH_ANY, NULL, 0);
	}
	return woken;
}

struct kernel_timespec {
	int64_t sec, nsec;
};

/* The monotonic deadline of a futex timeout: relative for FUTEX_WAIT, absolute (monotonic, or
 * realtime with FUTEX_CLOCK_REALTIME) for FUTEX_WAIT_BITSET. 0 with *deadline = 0 for none. */
static int futex_deadline(uintptr_t uts, int cmd, bool realtime, uint64_t *deadline)
{
	struct kernel_timespec ts;
	*deadline = 0;
	if (!uts)
		return 0;
	if (get_user(&ts, uts))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
		return -EINVAL;
	uint64_t ns = (uint64_t)ts.sec * 1000000000ull + (uint64_t)ts.nsec;
	uint64_t now = time_ns();
	if (cmd == FUTEX_WAIT)
		*deadline = now + ns;
	else if (realtime)
		*deadline = ns > time_realtime_ns() ? now + (ns - time_realtime_ns()) : now;
	else
		*deadline = ns > now ? ns : now;
	if (*deadline == 0)
		*deadline = 1;
	return 0;
}

static long futex_requeue(const unsigned long *a, bool shared, bool cmp)
{
	struct futex_key k, k2;
	int err = futex_key_get(a[0], shared, &k);
	if (!err)
		err = futex_key_get(a[4], shared, &k2);
	if (err)
		return err;
	if (cmp) {
		uint32_t cur;
		if (get_user(&cur, a[0]))
			return -EFAULT;
		if (cur != (uint32_t)a[5])
			return -EAGAIN;
	}
	if ((int)a[2] < 0 || (int)a[3] < 0)
		return -EINVAL;
	return futex_wake_key(&k, (int)a[2], FUTEX_BITSET_MATCH_ANY, &k2, (int)a[3]);
}

long sys_futex(const unsigned long *a)
{
	int op = (int)a[1], cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	bool shared = !(op & FUTEX_PRIVATE_FLAG), realtime = op & FUTEX_CLOCK_REALTIME;
	uint64_t deadline;
	struct futex_key k;
	int err;

	if (realtime && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if ((err = futex_deadline(a[3], cmd, realtime, &deadline)) != 0)
			return err;
		return futex_wait(a[0], shared, (uint32_t)a[2], deadline,
				  cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : (uint32_t)a[5]);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (cmd == FUTEX_WAKE_BITSET && !(uint32_t)a[5])
			return -EINVAL;
		if ((err = futex_key_get(a[0], shared, &k)) != 0)
			return err;
		return futex_wake_key(&k, (int)a[2] < 0 ? 0x7fffffff : (int)a[2],
				      cmd == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : (uint32_t)a[5],
				      NULL, 0);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(a, shared, cmd == FUTEX_CMP_REQUEUE);
	default:
		return -ENOSYS;
	}
}
