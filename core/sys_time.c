/*
 * core/sys_time.c: the clock and sleep syscalls, Linux semantics on both ports.
 *
 * Clocks. Every clock is read from core/time.h: time_ns() (monotonic since boot) and
 * time_realtime_ns() (the RTC's time at boot plus time_ns()). With no suspend, BOOTTIME and
 * MONOTONIC_RAW equal MONOTONIC; the COARSE clocks return the precise value (allowed: coarse
 * only promises cheapness), and TAI equals REALTIME, as on Linux before anyone sets the TAI
 * offset. Root steps REALTIME with clock_settime or settimeofday (MONOTONIC never moves); an
 * absolute REALTIME sleep is a monotonic deadline recomputed whenever the clock is stepped
 * (its sleepers wait on realtime_wq, which a step wakes). The calling process's and thread's CPU-time clocks read
 * the tick-sampled accounting of core/cputime.c (resolution one tick); the negative per-pid
 * clock ids are -EINVAL. The alarm clocks behave as on a
 * Linux with no alarm-capable RTC: -EINVAL to read, -EOPNOTSUPP to sleep on.
 *
 * Sleeps. A sleep is the loop core/ktimer.h documents, on a wait queue of its own that nobody
 * else knows: only the clock (ktimer_tick) wakes it. The signals issue adds the one other way
 * out, marked [signals] below.
 *
 * The user structures are LP64 on both ports: struct timespec {long tv_sec; long tv_nsec},
 * struct timeval {long tv_sec; long tv_usec}, struct timezone {int; int}.
 */
#include "arch/arch.h"
#include "core/cputime.h"
#include "core/errno.h"
#include "core/proc.h"
#include "core/ktimer.h"
#include "core/sched.h"
#include "core/signal.h"
#include "core/spinlock.h"
#include "core/syscall.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "core/waitq.h"

SYSCALL_DECLARE(clock_gettime);
SYSCALL_DECLARE(clock_getres);
SYSCALL_DECLARE(gettimeofday);
SYSCALL_DECLARE(time);
SYSCALL_DECLARE(nanosleep);
SYSCALL_DECLARE(clock_nanosleep);
SYSCALL_DECLARE(clock_settime);
SYSCALL_DECLARE(settimeofday);

/* Absolute REALTIME sleepers; a step of REALTIME wakes them to recompute their deadline. */
static struct waitq realtime_wq = WAITQ_INIT("realtime");

/* The time zone settimeofday stored (Linux's sys_tz), given back by gettimeofday. */
static struct spinlock tz_lock = SPINLOCK_INIT("sys_tz");

enum {
	CLOCK_REALTIME = 0,
	CLOCK_MONOTONIC = 1,
	CLOCK_PROCESS_CPUTIME_ID = 2,
	CLOCK_THREAD_CPUTIME_ID = 3,
	CLOCK_MONOTONIC_RAW = 4,
	CLOCK_REALTIME_COARSE = 5,
	CLOCK_MONOTONIC_COARSE = 6,
	CLOCK_BOOTTIME = 7,
	CLOCK_REALTIME_ALARM = 8,
	CLOCK_BOOTTIME_ALARM = 9,
	CLOCK_TAI = 11,
};

#define TIMER_ABSTIME 1

struct linux_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

struct linux_timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};

struct linux_timezone {
	int32_t tz_minuteswest;
	int32_t tz_dsttime;
};

static struct linux_timezone sys_tz; /* guarded by tz_lock */

enum clock_base { BASE_NONE, BASE_MONO, BASE_REAL, BASE_PROC_CPU, BASE_THREAD_CPU };

/* Which of the two kernel clocks a clock id reads; BASE_NONE for ids Janus cannot read. */
static enum clock_base clock_base_of(int id)
{
	switch (id) {
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		return BASE_MONO;
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_TAI:
		return BASE_REAL;
	case CLOCK_PROCESS_CPUTIME_ID:
		return BASE_PROC_CPU;
	case CLOCK_THREAD_CPUTIME_ID:
		return BASE_THREAD_CPU;
	default:
		return BASE_NONE; /* other processes' CPU clocks, alarm clocks, unknown ids */
	}
}

static uint64_t clock_read(enum clock_base b)
{
	uint64_t user, sys;
	switch (b) {
	case BASE_REAL:
		return time_realtime_ns();
	case BASE_PROC_CPU:
		cputime_self(&user, &sys);
		return (user + sys) * CPUTIME_TICK_NS;
	case BASE_THREAD_CPU: {
		struct thread *t = thread_current();
		return (__atomic_load_n(&t->utime, __ATOMIC_RELAXED) +
			__atomic_load_n(&t->stime, __ATOMIC_RELAXED)) * CPUTIME_TICK_NS;
	}
	default:
		return time_ns();
	}
}

static struct linux_timespec ns_to_timespec(uint64_t ns)
{
	return (struct linux_timespec){(int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC)};
}

/* Copy in a timespec and check it as Linux's timespec64_valid does: 0, -EFAULT or -EINVAL.
 * *ns is its value in nanoseconds, saturated at UINT64_MAX. */
static int timespec_from_user(uintptr_t u, uint64_t *ns)
{
	struct linux_timespec ts;
	if (get_user(&ts, u))
		return -EFAULT;
	if (ts.tv_sec < 0 || (uint64_t)ts.tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	uint64_t sec = (uint64_t)ts.tv_sec;
	if (sec > (UINT64_MAX - (uint64_t)ts.tv_nsec) / NSEC_PER_SEC)
		*ns = UINT64_MAX;
	else
		*ns = sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	return 0;
}

long sys_clock_gettime(const unsigned long *a)
{
	enum clock_base b = clock_base_of((int)a[0]);
	if (b == BASE_NONE)
		return -EINVAL;
	struct linux_timespec ts = ns_to_timespec(clock_read(b));
	return put_user(a[1], &ts) ? -EFAULT : 0;
}

/* What one count of the port's counter is worth, rounded up to whole nanoseconds: the finest
 * step any of these clocks can show. */
static uint64_t clock_resolution_ns(void)
{
	uint64_t freq = arch_counter_freq();
	uint64_t res = freq ? (NSEC_PER_SEC + freq - 1) / freq : 1;
	return res ? res : 1;
}

long sys_clock_getres(const unsigned long *a)
{
	if (clock_base_of((int)a[0]) == BASE_NONE)
		return -EINVAL;
	if (!a[1])
		return 0; /* Linux: a NULL res only validates the clock id */
	enum clock_base b = clock_base_of((int)a[0]);
	uint64_t res = b == BASE_PROC_CPU || b == BASE_THREAD_CPU ? CPUTIME_TICK_NS
								  : clock_resolution_ns();
	struct linux_timespec ts = ns_to_timespec(res);
	return put_user(a[1], &ts) ? -EFAULT : 0;
}

long sys_gettimeofday(const unsigned long *a)
{
	if (a[0]) {
		uint64_t ns = time_realtime_ns();
		struct linux_timeval tv = {(int64_t)(ns / NSEC_PER_SEC),
					   (int64_t)(ns % NSEC_PER_SEC / 1000)};
		if (put_user(a[0], &tv))
			return -EFAULT;
	}
	if (a[1]) {
		struct linux_timezone tz;
		unsigned long f = spin_lock_irqsave(&tz_lock);
		tz = sys_tz;
		spin_unlock_irqrestore(&tz_lock, f);
		if (put_user(a[1], &tz))
			return -EFAULT;
	}
	return 0;
}

long sys_time(const unsigned long *a)
{
	int64_t now = (int64_t)(time_realtime_ns() / NSEC_PER_SEC);
	if (a[0] && put_user(a[0], &now))
		return -EFAULT;
	return now;
}

/* An absolute time on the REALTIME base as a monotonic deadline. REALTIME is read first, so
 * the offset errs low by the time between the reads and the deadline errs late, never early. */
static uint64_t realtime_to_mono(uint64_t abs_ns)
{
	uint64_t real = time_realtime_ns();
	uint64_t mono = time_ns();
	uint64_t offset = real > mono ? real - mono : 0;
	return abs_ns > offset ? abs_ns - offset : 0;
}

enum sleep_kind { SLEEP_REL, SLEEP_ABS_MONO, SLEEP_ABS_REAL };

/* Sleep until target (a monotonic deadline, or for SLEEP_ABS_REAL a REALTIME instant whose
 * deadline is recomputed after every wake-up, since clock_settime may have stepped it) or a
 * signal. Interrupted, a relative sleep writes the time left to rem (if not 0) and gives
 * -ERESTART_RESTARTBLOCK (-EINTR when a handler runs; otherwise it runs again, simplified:
 * with its whole time), an absolute one -ERESTARTNOHAND. */
static long sleep_until(uint64_t target, enum sleep_kind kind, uintptr_t rem)
{
	struct waitq own, *wq = kind == SLEEP_ABS_REAL ? &realtime_wq : &own;
	uint64_t deadline = target;
	bool intr = false;
	waitq_init(&own, "nanosleep");
	for (;;) {
		prepare_to_wait(wq);
		if (kind == SLEEP_ABS_REAL)
			deadline = realtime_to_mono(target);
		if (time_ns() >= deadline)
			break;
		if ((intr = signal_pending()))
			break;
		sched_sleep_until(deadline);
	}
	finish_wait(wq);
	if (!intr)
		return 0;
	if (kind != SLEEP_REL)
		return -ERESTARTNOHAND;
	uint64_t now = time_ns(), left = deadline > now ? deadline - now : 0;
	struct linux_timespec ts = {(int64_t)(left / NSEC_PER_SEC), (int64_t)(left % NSEC_PER_SEC)};
	if (rem && put_user(rem, &ts))
		return -EFAULT;
	return -ERESTART_RESTARTBLOCK;
}

static uint64_t deadline_after(uint64_t rel_ns)
{
	uint64_t now = time_ns();
	return rel_ns > UINT64_MAX - now ? UINT64_MAX : now + rel_ns;
}

/* nanosleep(req, rem): a relative sleep on CLOCK_MONOTONIC. rem (a[1]) is written only when
 * a signal interrupts the sleep. */
long sys_nanosleep(const unsigned long *a)
{
	uint64_t ns;
	int err = timespec_from_user(a[0], &ns);
	if (err)
		return err;
	return sleep_until(deadline_after(ns), SLEEP_REL, a[1]);
}

/* clock_nanosleep(clock, flags, req, rem): returns 0 or -errno (libc turns it into the
 * positive error number the function returns). Linux checks in this order: the clock, whether
 * it can be slept on, the copy, the value; unknown flag bits are ignored. */
long sys_clock_nanosleep(const unsigned long *a)
{
	int id = (int)a[0];
	enum clock_base b = clock_base_of(id);
	if (b == BASE_THREAD_CPU)
		return -EINVAL; /* Linux: no sleeping on the calling thread's own CPU clock */
	if (b == BASE_PROC_CPU)
		return -EOPNOTSUPP; /* [timers, signals issue] */
	if (b == BASE_NONE)
		return id == CLOCK_REALTIME_ALARM || id == CLOCK_BOOTTIME_ALARM ? -EOPNOTSUPP
										   : -EINVAL;
	if (id == CLOCK_MONOTONIC_RAW || id == CLOCK_REALTIME_COARSE ||
	    id == CLOCK_MONOTONIC_COARSE)
		return -EOPNOTSUPP; /* Linux has no timers on these */
	uint64_t ns;
	int err = timespec_from_user(a[2], &ns);
	if (err)
		return err;
	if (!((unsigned)a[1] & TIMER_ABSTIME))
		return sleep_until(deadline_after(ns), SLEEP_REL, a[3]);
	return sleep_until(ns, b == BASE_REAL ? SLEEP_ABS_REAL : SLEEP_ABS_MONO, 0);
}

/* ---- Setting the clock ---------------------------------------------------------------------- */

static bool may_set_time(void)
{
	return thread_current()->proc->cred.euid == 0; /* Linux: CAP_SYS_TIME */
}

/* Linux's TIME_SETTOD_SEC_MAX: KTIME_SEC_MAX less 30 years of uptime. */
#define SETTOD_SEC_MAX (9223372036ull - 30ull * 365 * 86400)

/* Step REALTIME to ns (already checked as a valid timespec) as Linux's do_settimeofday64
 * does: -EPERM without privilege, -EINVAL past SETTOD_SEC_MAX or before boot. Absolute
 * REALTIME sleepers then recompute their deadlines. */
static long set_realtime(uint64_t ns)
{
	if (!may_set_time())
		return -EPERM;
	if (ns / NSEC_PER_SEC >= SETTOD_SEC_MAX || time_set_realtime_ns(ns))
		return -EINVAL;
	wake_up_all(&realtime_wq);
	return 0;
}

/* clock_settime(clock, tp): only CLOCK_REALTIME can be set; Linux gives -EINVAL for clocks
 * with no setter (checked before the copy) and -EPERM for the CPU-time clocks. */
long sys_clock_settime(const unsigned long *a)
{
	enum clock_base b = clock_base_of((int)a[0]);
	if (b == BASE_NONE || b == BASE_MONO || (b == BASE_REAL && (int)a[0] != CLOCK_REALTIME))
		return -EINVAL;
	uint64_t ns;
	int err = timespec_from_user(a[1], &ns);
	if (err == -EFAULT)
		return err;
	if (b != BASE_REAL)
		return -EPERM; /* the CPU-time clocks: copied, never checked, refused */
	return err ? err : set_realtime(ns);
}

/* settimeofday(tv, tz): either may be NULL. Linux checks the timeval, copies the zone, then
 * the privilege, then the zone's range (±15 hours), stores the zone, and steps the clock. */
long sys_settimeofday(const unsigned long *a)
{
	struct linux_timeval tv;
	struct linux_timezone tz;
	if (a[0] && get_user(&tv, a[0]))
		return -EFAULT;
	if (a[0] && (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000))
		return -EINVAL;
	if (a[1] && get_user(&tz, a[1]))
		return -EFAULT;
	if ((a[0] || a[1]) && !may_set_time())
		return -EPERM;
	if (a[1]) {
		if (tz.tz_minuteswest > 15 * 60 || tz.tz_minuteswest < -15 * 60)
			return -EINVAL;
		unsigned long f = spin_lock_irqsave(&tz_lock);
		sys_tz = tz;
		spin_unlock_irqrestore(&tz_lock, f);
	}
	if (!a[0])
		return 0;
	if ((uint64_t)tv.tv_sec >= SETTOD_SEC_MAX)
		return -EINVAL;
	return set_realtime((uint64_t)tv.tv_sec * NSEC_PER_SEC + (uint64_t)tv.tv_usec * 1000);
}
