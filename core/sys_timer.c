/*
 * core/sys_timer.c: per-process timers: alarm, setitimer/getitimer, and POSIX timers
 * (timer_create, timer_settime, timer_gettime, timer_getoverrun, timer_delete), to Linux
 * semantics on both ports.
 *
 * State. A process's timers live in one struct proc_timers, allocated at first use and freed
 * when its last thread leaves (timers_exit). Fork starts with none; exec deletes the POSIX
 * timers and keeps alarm and the itimers (timers_exec), as Linux does.
 * - ITIMER_REAL (and alarm) is a callback timer (core/timer.h) on the monotonic clock that
 *   sends SIGALRM (SI_KERNEL) to the process and re-arms itself from its old expiry.
 * - ITIMER_VIRTUAL and ITIMER_PROF count down the tick-sampled CPU time of core/cputime.c:
 *   cputime_tick calls timers_cpu_tick, which takes one tick off VIRTUAL when the tick found
 *   the process in user mode and off PROF always, and sends SIGVTALRM/SIGPROF when one runs
 *   out (resolution: one tick).
 * - A POSIX timer is a callback timer on CLOCK_MONOTONIC (CLOCK_REALTIME is the monotonic
 *   clock plus an offset, so an absolute REALTIME expiry is converted once, at timer_settime;
 *   unlike Linux, a later clock_settime does not move an armed absolute REALTIME timer:
 *   docs/syscalls.md lists this). Its signal carries si_code SI_TIMER, si_timerid, si_overrun and
 *   si_value. Overruns follow Linux: while the timer's siginfo record is still queued, a new
 *   expiry does not queue another but counts in that record's si_overrun (as do periods
 *   skipped because the tick came late); timer_getoverrun gives the count of the last
 *   record delivered. The record is found by scanning the target's queue under proc->lock.
 *   CPU-time clocks for POSIX timers are not supported (timer_create gives -EINVAL).
 *
 * Locking. pt->mu serialises the syscalls (the timer table, settime/delete). A callback
 * timer's fields that its function reads (interval, signal target) change only while it is
 * disarmed (ktimer_cb_cancel first). pt->cpu_lock (a spinlock) guards the CPU itimers. A
 * POSIX timer's overrun bookkeeping is guarded by the process's lock. Callbacks and
 * timers_cpu_tick send signals with no timer state lock but timer_lock held (order:
 * timer_lock, proc_tree_lock, proc->lock).
 */
#include <stddef.h>

#include "core/cputime.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/proc.h"
#include "core/signal.h"
#include "core/sync.h"
#include "core/syscall.h"
#include "core/time.h"
#include "core/timer.h"
#include "core/uaccess.h"

SYSCALL_DECLARE(alarm);
SYSCALL_DECLARE(getitimer);
SYSCALL_DECLARE(setitimer);
SYSCALL_DECLARE(timer_create);
SYSCALL_DECLARE(timer_settime);
SYSCALL_DECLARE(timer_gettime);
SYSCALL_DECLARE(timer_getoverrun);
SYSCALL_DECLARE(timer_delete);

enum { ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF };
enum { CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_BOOTTIME = 7 };
enum { SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2, SIGEV_THREAD_ID = 4 };
#define TIMER_ABSTIME 1
#define PTIMER_MAX 64
/* Larger times are clamped here so that sums of them never overflow (about 146 years). */
#define TIME_MAX_NS (1ull << 62)
#define USEC 1000ull

struct linux_timespec { int64_t tv_sec, tv_nsec; };
struct linux_timeval { int64_t tv_sec, tv_usec; };
struct linux_itimerspec { struct linux_timespec interval, value; };
struct linux_itimerval { struct linux_timeval interval, value; };
struct linux_sigevent {
	uint64_t value;
	int32_t signo, notify;
	int32_t tid; /* sigev_notify_thread_id */
	int32_t pad[11];
};
_Static_assert(sizeof(struct linux_sigevent) == 64, "struct sigevent is 64 bytes");

struct ptimer {
	struct ktimer_cb kt;
	struct proc *p;
	int id, clock, notify, signo, tid;
	uint64_t value;        /* sigev_value */
	uint64_t interval;     /* ns; read by the callback, changed only while disarmed */
	/* Guarded by p->lock. */
	bool queued;           /* a record of ours may still be queued */
	int overrun_cur;       /* si_overrun of that record */
	int overrun_last;      /* of the last record delivered (timer_getoverrun) */
};

struct cpu_itimer {
	uint64_t left, interval; /* ns; left 0: disarmed */
};

struct proc_timers {
	struct mutex mu;
	struct ktimer_cb real;
	uint64_t real_interval;    /* changed only while real is disarmed */
	struct spinlock cpu_lock;
	struct cpu_itimer cpu[2];  /* ITIMER_VIRTUAL, ITIMER_PROF (index which - 1) */
	struct ptimer *ptimers[PTIMER_MAX];
};

/* ---- Time conversions ------------------------------------------------------------------------ */

static uint64_t clamp_ns(uint64_t sec, uint64_t sub_ns)
{
	if (sec >= TIME_MAX_NS / NSEC_PER_SEC)
		return TIME_MAX_NS;
	return sec * NSEC_PER_SEC + sub_ns;
}

static int timespec_ns(const struct linux_timespec *ts, uint64_t *ns)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	*ns = clamp_ns((uint64_t)ts->tv_sec, (uint64_t)ts->tv_nsec);
	return 0;
}

static int timeval_ns(const struct linux_timeval *tv, uint64_t *ns)
{
	if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
		return -EINVAL;
	*ns = clamp_ns((uint64_t)tv->tv_sec, (uint64_t)tv->tv_usec * USEC);
	return 0;
}

static struct linux_timespec ns_timespec(uint64_t ns)
{
	return (struct linux_timespec){(int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC)};
}

static struct linux_timeval ns_timeval(uint64_t ns)
{
	return (struct linux_timeval){(int64_t)(ns / NSEC_PER_SEC),
				      (int64_t)(ns % NSEC_PER_SEC / USEC)};
}

/* The next expiry of a periodic timer that fired for `expired` at `now`: the first
 * expired + k * interval after now; *skipped gets the periods missed (k - 1). */
static uint64_t next_period(uint64_t expired, uint64_t interval, uint64_t now, uint64_t *skipped)
{
	uint64_t next = expired + interval;
	*skipped = 0;
	if (next <= now) {
		*skipped = (now - expired) / interval;
		next = expired + (*skipped + 1) * interval;
	}
	return next;
}

/* ---- ITIMER_REAL ----------------------------------------------------------------------------- */

/* Send a kernel-generated signal to process p (interrupt context allowed). */
static void send_kernel_signal(struct proc *p, int sig)
{
	struct ksiginfo info = {.signo = sig, .code = SI_KERNEL};
	signal_send(p, 0, &info);
}

static uint64_t real_fn(struct ktimer_cb *kt, uint64_t expired, uint64_t now)
{
	/* Not through p->timers: timers_exit clears that before it cancels this timer. */
	struct proc_timers *pt = (struct proc_timers *)((char *)kt - offsetof(struct proc_timers,
									      real));
	send_kernel_signal(kt->arg, SIGALRM);
	uint64_t skipped;
	return pt->real_interval ? next_period(expired, pt->real_interval, now, &skipped) : 0;
}

/* The running process's timers, created if create (NULL: no memory, or none yet). */
static struct proc_timers *timers_of(struct proc *p, bool create)
{
	struct proc_timers *pt = __atomic_load_n(&p->timers, __ATOMIC_ACQUIRE);
	if (pt || !create)
		return pt;
	pt = kzalloc(sizeof(*pt));
	if (!pt)
		return NULL;
	mutex_init(&pt->mu, "proc_timers");
	pt->cpu_lock = (struct spinlock)SPINLOCK_INIT("cpu_itimer");
	ktimer_cb_init(&pt->real, real_fn, p);
	struct proc_timers *none = NULL;
	if (!__atomic_compare_exchange_n(&p->timers, &none, pt, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		kfree(pt); /* another thread of p won */
		return none;
	}
	return pt;
}

/* Remaining time of an expiry as getitimer/timer_gettime show it: an armed timer whose time
 * has come but that has not fired yet shows `least`. */
static uint64_t remaining(uint64_t expires, uint64_t least)
{
	if (!expires)
		return 0;
	uint64_t now = time_ns();
	return expires > now ? expires - now : least;
}

/* Read (and, if set, replace) itimer `which` of pt; old gets the previous setting. */
static void itimer_swap(struct proc_timers *pt, int which, const uint64_t *set,
			struct linux_itimerval *old)
{
	if (which == ITIMER_REAL) {
		uint64_t e = set ? ktimer_cb_cancel(&pt->real) : ktimer_cb_expires(&pt->real);
		old->value = ns_timeval(remaining(e, USEC));
		old->interval = ns_timeval(pt->real_interval);
		if (set) {
			pt->real_interval = set[0] ? set[1] : 0;
			if (set[0])
				ktimer_cb_arm(&pt->real, time_ns() + set[0]);
		}
		return;
	}
	struct cpu_itimer *it = &pt->cpu[which - 1];
	unsigned long s = spin_lock_irqsave(&pt->cpu_lock);
	old->value = ns_timeval(it->left);
	old->interval = ns_timeval(it->interval);
	if (set) {
		it->left = set[0];
		it->interval = set[0] ? set[1] : 0;
	}
	spin_unlock_irqrestore(&pt->cpu_lock, s);
}

/* Get (set NULL) or set itimer which of the running process: 0 or -errno. */
static int itimer_do(int which, const uint64_t *set, struct linux_itimerval *old)
{
	*old = (struct linux_itimerval){0};
	if (which != ITIMER_REAL && which != ITIMER_VIRTUAL && which != ITIMER_PROF)
		return -EINVAL;
	struct proc_timers *pt = timers_of(proc_current(), set && set[0]);
	if (!pt)
		return set && set[0] ? -ENOMEM : 0; /* none yet: everything reads 0 */
	mutex_lock(&pt->mu);
	itimer_swap(pt, which, set, old);
	mutex_unlock(&pt->mu);
	return 0;
}

long sys_getitimer(const unsigned long *a)
{
	struct linux_itimerval cur;
	int err = itimer_do((int)a[0], NULL, &cur);
	if (err)
		return err;
	return put_user(a[1], &cur) ? -EFAULT : 0;
}

long sys_setitimer(const unsigned long *a)
{
	struct linux_itimerval nv = {0}, old;
	uint64_t set[2] = {0, 0};
	/* A NULL new value disarms, as Linux (with a warning) still allows. */
	if (a[1] && get_user(&nv, a[1]))
		return -EFAULT;
	if (timeval_ns(&nv.value, &set[0]) || timeval_ns(&nv.interval, &set[1]))
		return -EINVAL;
	int err = itimer_do((int)a[0], set, &old);
	if (err)
		return err;
	return a[2] && put_user(a[2], &old) ? -EFAULT : 0;
}

long sys_alarm(const unsigned long *a)
{
	unsigned secs = (unsigned)a[0];
	uint64_t set[2] = {clamp_ns(secs, 0), 0};
	struct linux_itimerval old;
	int err = itimer_do(ITIMER_REAL, set, &old);
	if (err)
		return err;
	/* Linux rounds the old value to the nearest second, and a remaining fraction of a
	 * second up to one (so a pending alarm never reads 0). */
	long ret = (long)old.value.tv_sec;
	if ((!ret && old.value.tv_usec) || old.value.tv_usec >= 500000)
		ret++;
	return ret;
}

/* ---- ITIMER_VIRTUAL and ITIMER_PROF ---------------------------------------------------------- */

/* Take one tick off it; true if it ran out (then reloaded from its interval). */
static bool cpu_itimer_charge(struct cpu_itimer *it)
{
	if (!it->left)
		return false;
	if (it->left > CPUTIME_TICK_NS) {
		it->left -= CPUTIME_TICK_NS;
		return false;
	}
	it->left = it->interval;
	return true;
}

void timers_cpu_tick(struct thread *t, bool user)
{
	struct proc *p = t->proc;
	struct proc_timers *pt = p ? __atomic_load_n(&p->timers, __ATOMIC_ACQUIRE) : NULL;
	if (!pt)
		return;
	unsigned long s = spin_lock_irqsave(&pt->cpu_lock);
	bool vt = user && cpu_itimer_charge(&pt->cpu[ITIMER_VIRTUAL - 1]);
	bool prof = cpu_itimer_charge(&pt->cpu[ITIMER_PROF - 1]);
	spin_unlock_irqrestore(&pt->cpu_lock, s);
	if (vt)
		send_kernel_signal(p, SIGVTALRM);
	if (prof)
		send_kernel_signal(p, SIGPROF);
}

/* ---- POSIX timers: expiry and signals -------------------------------------------------------- */

/* The queue our signal goes to (p->lock held): the target thread's, or the process's. */
static struct sigqueue *target_queue_locked(struct ptimer *tm)
{
	if (tm->notify != SIGEV_THREAD_ID)
		return tm->p->sigq;
	for (struct thread *t = tm->p->threads; t; t = t->proc_next)
		if (t->tid == tm->tid)
			return t->sigq;
	return NULL;
}

/* Our record still queued (p->lock held), or NULL. */
static struct sigqueue *queued_record_locked(struct ptimer *tm)
{
	for (struct sigqueue *q = target_queue_locked(tm); q; q = q->next)
		if (q->info.signo == tm->signo && q->info.code == SI_TIMER &&
		    q->info.timer.tid == tm->id)
			return q;
	return NULL;
}

static int sat_add(int a, uint64_t b)
{
	uint64_t sum = (uint64_t)a + b;
	return sum > INT32_MAX ? INT32_MAX : (int)sum;
}

/* One expiry of tm, plus `skipped` periods missed: signal it, or count it as an overrun of
 * the record still queued. p->lock not held. */
static void ptimer_signal(struct ptimer *tm, uint64_t skipped)
{
	struct proc *p = tm->p;
	unsigned long s = spin_lock_irqsave(&p->lock);
	struct sigqueue *q = queued_record_locked(tm);
	if (q) {
		q->info.timer.overrun = sat_add(q->info.timer.overrun, 1 + skipped);
		tm->overrun_cur = q->info.timer.overrun;
		spin_unlock_irqrestore(&p->lock, s);
		return;
	}
	if (tm->queued)
		tm->overrun_last = tm->overrun_cur; /* it was delivered */
	tm->overrun_cur = sat_add(0, skipped);
	tm->queued = true;
	spin_unlock_irqrestore(&p->lock, s);

	struct ksiginfo info = {.signo = tm->signo, .code = SI_TIMER};
	info.timer.tid = tm->id;
	info.timer.overrun = tm->overrun_cur;
	info.timer.value = tm->value;
	if (signal_send(p, tm->notify == SIGEV_THREAD_ID ? tm->tid : 0, &info) != 0) {
		s = spin_lock_irqsave(&p->lock);
		tm->queued = false; /* the thread is gone, or the queue is full */
		spin_unlock_irqrestore(&p->lock, s);
	}
}

static uint64_t ptimer_fn(struct ktimer_cb *kt, uint64_t expired, uint64_t now)
{
	struct ptimer *tm = kt->arg;
	uint64_t skipped = 0, next = 0;
	if (tm->interval)
		next = next_period(expired, tm->interval, now, &skipped);
	if (tm->notify != SIGEV_NONE)
		ptimer_signal(tm, skipped);
	return next;
}

/* timer_getoverrun's value (p->lock taken here). */
static int ptimer_overrun(struct ptimer *tm)
{
	unsigned long s = spin_lock_irqsave(&tm->p->lock);
	if (tm->queued && !queued_record_locked(tm)) {
		tm->overrun_last = tm->overrun_cur;
		tm->queued = false;
	}
	int n = tm->overrun_last;
	spin_unlock_irqrestore(&tm->p->lock, s);
	return n;
}

static void ptimer_free(struct ptimer *tm)
{
	ktimer_cb_cancel(&tm->kt);
	kfree(tm);
}

/* ---- POSIX timers: syscalls ------------------------------------------------------------------ */

/* Check a sigevent as Linux's good_sigevent does and fill tm's notification from it. */
static int ptimer_notify_from(struct ptimer *tm, const struct linux_sigevent *ev)
{
	tm->notify = ev->notify;
	tm->signo = ev->signo;
	tm->value = ev->value;
	switch (ev->notify) {
	case SIGEV_THREAD_ID: {
		unsigned long s = spin_lock_irqsave(&tm->p->lock);
		bool ours = false;
		for (struct thread *t = tm->p->threads; t; t = t->proc_next)
			ours |= t->tid == ev->tid;
		spin_unlock_irqrestore(&tm->p->lock, s);
		if (!ours)
			return -EINVAL;
		tm->tid = ev->tid;
	}
		/* fallthrough */
	case SIGEV_SIGNAL:
	case SIGEV_THREAD: /* a library's business: for the kernel, a signal */
		if (ev->signo <= 0 || ev->signo > NSIG)
			return -EINVAL;
		if (ev->notify == SIGEV_THREAD)
			tm->notify = SIGEV_SIGNAL;
		return 0;
	case SIGEV_NONE:
		return 0;
	default:
		return -EINVAL;
	}
}

/* A free slot of pt (mu held), or -EAGAIN. */
static int ptimer_slot(struct proc_timers *pt)
{
	for (int i = 0; i < PTIMER_MAX; i++)
		if (!pt->ptimers[i])
			return i;
	return -EAGAIN;
}

long sys_timer_create(const unsigned long *a)
{
	int clock = (int)a[0];
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME)
		return -EINVAL;
	struct linux_sigevent ev = {.signo = SIGALRM, .notify = SIGEV_SIGNAL};
	if (a[1] && get_user(&ev, a[1]))
		return -EFAULT;
	struct proc *p = proc_current();
	struct proc_timers *pt = timers_of(p, true);
	struct ptimer *tm = pt ? kzalloc(sizeof(*tm)) : NULL;
	if (!tm)
		return -ENOMEM;
	tm->p = p;
	tm->clock = clock;
	ktimer_cb_init(&tm->kt, ptimer_fn, tm);
	mutex_lock(&pt->mu);
	int id = ptimer_slot(pt);
	if (id >= 0) {
		tm->id = id;
		if (!a[1])
			ev.value = (uint64_t)id; /* Linux: sival_int is the timer id */
		int err = ptimer_notify_from(tm, &ev);
		if (err)
			id = err;
		else if (put_user(a[2], &id))
			id = -EFAULT;
		else
			pt->ptimers[id] = tm;
	}
	mutex_unlock(&pt->mu);
	if (id < 0) {
		kfree(tm);
		return id;
	}
	return 0;
}

/* The running process's timer id, with pt->mu locked (the caller unlocks *ptp's mu), or NULL
 * if there is no such timer (-EINVAL for the caller). */
static struct ptimer *ptimer_get(unsigned long id, struct proc_timers **ptp)
{
	struct proc_timers *pt = timers_of(proc_current(), false);
	if (!pt || id >= PTIMER_MAX)
		return NULL;
	mutex_lock(&pt->mu);
	if (!pt->ptimers[id]) {
		mutex_unlock(&pt->mu);
		return NULL;
	}
	*ptp = pt;
	return pt->ptimers[id];
}

static struct linux_itimerspec ptimer_read(struct ptimer *tm)
{
	uint64_t left = remaining(ktimer_cb_expires(&tm->kt), tm->notify == SIGEV_NONE ? 0 : 1);
	return (struct linux_itimerspec){.interval = ns_timespec(tm->interval),
					 .value = ns_timespec(left)};
}

/* The monotonic expiry for a new value of tm (0: disarm). */
static uint64_t ptimer_expiry(struct ptimer *tm, uint64_t value, bool abs)
{
	uint64_t now = time_ns();
	if (!value)
		return 0;
	if (!abs)
		return now + value;
	if (tm->clock == CLOCK_REALTIME) {
		uint64_t offset = time_realtime_ns() - time_ns();
		value = value > offset ? value - offset : 0;
	}
	return value > now ? value : now; /* already past: fires at the next tick */
}

long sys_timer_settime(const unsigned long *a)
{
	struct linux_itimerspec nv, old;
	uint64_t value, interval;
	if (!a[2])
		return -EINVAL;
	if (get_user(&nv, a[2]))
		return -EFAULT;
	if (timespec_ns(&nv.value, &value) || timespec_ns(&nv.interval, &interval))
		return -EINVAL;
	struct proc_timers *pt;
	struct ptimer *tm = ptimer_get(a[0], &pt);
	if (!tm)
		return -EINVAL;
	old = ptimer_read(tm);
	ktimer_cb_cancel(&tm->kt);
	tm->interval = value ? interval : 0;
	unsigned long s = spin_lock_irqsave(&tm->p->lock);
	tm->overrun_last = 0;
	tm->overrun_cur = 0;
	tm->queued = false;
	spin_unlock_irqrestore(&tm->p->lock, s);
	uint64_t e = ptimer_expiry(tm, value, a[1] & TIMER_ABSTIME);
	if (e)
		ktimer_cb_arm(&tm->kt, e);
	mutex_unlock(&pt->mu);
	return a[3] && put_user(a[3], &old) ? -EFAULT : 0;
}

long sys_timer_gettime(const unsigned long *a)
{
	struct proc_timers *pt;
	struct ptimer *tm = ptimer_get(a[0], &pt);
	if (!tm)
		return -EINVAL;
	struct linux_itimerspec cur = ptimer_read(tm);
	mutex_unlock(&pt->mu);
	return put_user(a[1], &cur) ? -EFAULT : 0;
}

long sys_timer_getoverrun(const unsigned long *a)
{
	struct proc_timers *pt;
	struct ptimer *tm = ptimer_get(a[0], &pt);
	if (!tm)
		return -EINVAL;
	int n = ptimer_overrun(tm);
	mutex_unlock(&pt->mu);
	return n;
}

long sys_timer_delete(const unsigned long *a)
{
	struct proc_timers *pt;
	struct ptimer *tm = ptimer_get(a[0], &pt);
	if (!tm)
		return -EINVAL;
	pt->ptimers[a[0]] = NULL;
	mutex_unlock(&pt->mu);
	ptimer_free(tm);
	return 0;
}

/* ---- Exec and exit --------------------------------------------------------------------------- */

static void delete_ptimers(struct proc_timers *pt)
{
	for (int i = 0; i < PTIMER_MAX; i++) {
		if (pt->ptimers[i]) {
			ptimer_free(pt->ptimers[i]);
			pt->ptimers[i] = NULL;
		}
	}
}

void timers_exec(struct proc *p)
{
	struct proc_timers *pt = __atomic_load_n(&p->timers, __ATOMIC_ACQUIRE);
	if (!pt)
		return;
	mutex_lock(&pt->mu);
	delete_ptimers(pt);
	mutex_unlock(&pt->mu);
}

void timers_exit(struct proc *p)
{
	struct proc_timers *pt = __atomic_exchange_n(&p->timers, NULL, __ATOMIC_ACQ_REL);
	if (!pt)
		return;
	ktimer_cb_cancel(&pt->real);
	delete_ptimers(pt);
	kfree(pt);
}
