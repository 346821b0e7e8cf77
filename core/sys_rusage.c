/*
 * core/sys_rusage.c: times(2) and getrusage(2) over the tick-sampled CPU time of
 * core/cputime.c. Linux's USER_HZ is 100 on both ports, the same as TICK_HZ, so clock_t values
 * are ticks. getrusage fills the CPU times and ru_maxrss (the process's resident size now,
 * in KiB: Janus keeps no peak); the other counters Janus does not keep are 0.
 */
#include "core/cputime.h"
#include "core/errno.h"
#include "core/mm.h"
#include "core/proc.h"
#include "core/syscall.h"
#include "core/time.h"
#include "core/uaccess.h"

SYSCALL_DECLARE(times);
SYSCALL_DECLARE(getrusage);

#define USER_HZ 100
#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD 1

_Static_assert(USER_HZ == TICK_HZ, "clock_t values are ticks");

struct linux_tms {
	int64_t utime, stime, cutime, cstime;
};

struct linux_rusage {
	struct {
		int64_t sec, usec;
	} utime, stime;
	int64_t maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd,
		msgrcv, nsignals, nvcsw, nivcsw;
};
_Static_assert(sizeof(struct linux_rusage) == 144, "struct rusage");

long sys_times(const unsigned long *a)
{
	struct linux_tms t;
	uint64_t u, s, cu, cs;
	cputime_self(&u, &s);
	cputime_children(&cu, &cs);
	t = (struct linux_tms){(int64_t)u, (int64_t)s, (int64_t)cu, (int64_t)cs};
	if (a[0] && put_user(a[0], &t))
		return -EFAULT;
	return (long)(time_ns() / (NSEC_PER_SEC / USER_HZ));
}

static void ticks_to_timeval(uint64_t ticks, int64_t *sec, int64_t *usec)
{
	uint64_t us = ticks * (1000000 / TICK_HZ);
	*sec = (int64_t)(us / 1000000);
	*usec = (int64_t)(us % 1000000);
}

long sys_getrusage(const unsigned long *a)
{
	int who = (int)a[0];
	uint64_t u, s;
	struct linux_rusage ru = {0};
	if (who == RUSAGE_SELF) {
		cputime_self(&u, &s);
		ru.maxrss = (int64_t)(proc_current()->mm->pages * 4);
	} else if (who == RUSAGE_CHILDREN) {
		cputime_children(&u, &s);
	} else if (who == RUSAGE_THREAD) {
		struct thread *t = thread_current();
		u = __atomic_load_n(&t->utime, __ATOMIC_RELAXED);
		s = __atomic_load_n(&t->stime, __ATOMIC_RELAXED);
	} else {
		return -EINVAL;
	}
	ticks_to_timeval(u, &ru.utime.sec, &ru.utime.usec);
	ticks_to_timeval(s, &ru.stime.sec, &ru.stime.usec);
	return put_user(a[1], &ru) ? -EFAULT : 0;
}
