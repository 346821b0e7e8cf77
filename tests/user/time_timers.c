// covers: TIME-008 TIME-009 TIME-010 TIME-011 SIG-028
//
// Timers that send signals: alarm (TIME-008), setitimer/getitimer ITIMER_REAL (TIME-009),
// ITIMER_VIRTUAL and ITIMER_PROF counting CPU time (TIME-010), what fork and exec keep
// (TIME-011: itimers are not inherited by a fork child but survive execve; POSIX timers die
// at exec), POSIX timers (timer_create/settime/gettime/getoverrun/delete: SI_TIMER siginfo,
// intervals, TIMER_ABSTIME, overruns, SIGEV_NONE, SIGEV_THREAD_ID, errors), and SIG-028: two
// processes with their own itimers each count only their own SIGALRMs.
// alarm exists on x86_64 only (aarch64 has no such syscall): there it is setitimer's job.
#define _GNU_SOURCE
#include "jtest.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000ll

static int64_t mono_ns(void)
{
	struct timespec t;
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t cpu_ns(void)
{
	struct timespec t;
	syscall(SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static volatile int n_alrm, n_vt, n_prof, n_rt;
static volatile int64_t alrm_at;
static siginfo_t rt_info;
static volatile pid_t rt_tid;

static void on_alrm(int sig)
{
	(void)sig;
	if (!n_alrm)
		alrm_at = mono_ns();
	n_alrm++;
}
static void on_vt(int sig)
{
	(void)sig;
	n_vt++;
}
static void on_prof(int sig)
{
	(void)sig;
	n_prof++;
}
static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	rt_info = *si;
	rt_tid = (pid_t)syscall(SYS_gettid);
	n_rt++;
}

static void handle(int sig, void (*fn)(int))
{
	struct sigaction sa = {0};
	sa.sa_handler = fn;
	sigaction(sig, &sa, NULL);
}

/* Sleep ns of monotonic time, through signals. */
static void nap(int64_t ns)
{
	int64_t end = mono_ns() + ns;
	for (int64_t now = mono_ns(); now < end; now = mono_ns()) {
		struct timespec ts = {(end - now) / 1000000000, (end - now) % 1000000000};
		nanosleep(&ts, NULL);
	}
}

/* Wait until *counter reaches n or ns pass; true if it did. */
static bool wait_count(volatile int *counter, int n, int64_t ns)
{
	int64_t end = mono_ns() + ns;
	while (*counter < n && mono_ns() < end) {
		struct timespec ts = {0, 5 * MS};
		nanosleep(&ts, NULL);
	}
	return *counter >= n;
}

static long sys_alarm(unsigned s)
{
#ifdef SYS_alarm
	return syscall(SYS_alarm, s);
#else
	/* aarch64: what libc's alarm does */
	struct itimerval nv = {{0, 0}, {s, 0}}, old;
	setitimer(ITIMER_REAL, &nv, &old);
	return old.it_value.tv_sec + ((!old.it_value.tv_sec && old.it_value.tv_usec) ||
				     old.it_value.tv_usec >= 500000);
#endif
}

/* TIME-008 */
static void test_alarm(void)
{
	jt_mark();
	handle(SIGALRM, on_alrm);
	n_alrm = 0;
	int64_t t0 = mono_ns();
	JT_EQ(sys_alarm(1), 0);
	JT_OK(wait_count(&n_alrm, 1, 2000 * MS), "alarm(1) delivers SIGALRM");
	int64_t late = alrm_at - t0;
	JT_OKV(late >= 900 * MS && late <= 1500 * MS, "SIGALRM between 0.9 and 1.5 s",
	       "%lld ms", (long long)(late / MS));
	nap(300 * MS);
	JT_EQ(n_alrm, 1);

	n_alrm = 0;
	JT_EQ(sys_alarm(5), 0);
	JT_EQ(sys_alarm(0), 5);
	nap(2000 * MS);
	JT_EQ(n_alrm, 0);

	JT_EQ(sys_alarm(10), 0);
	nap(100 * MS);
	JT_EQ(sys_alarm(5), 10); /* 9.9 s left rounds up */
	JT_EQ(sys_alarm(0), 5);

	n_alrm = 0;
	JT_EQ(sys_alarm(10), 0);
	JT_EQ(sys_alarm(1), 10);
	nap(2500 * MS);
	JT_EQ(n_alrm, 1);
	JT_EQ(sys_alarm(0), 0);
	jt_behaviour("TIME-008", jt_failures_since_mark() == 0,
		     "one SIGALRM on time; cancel, replace and rounding");
}

/* TIME-009 */
static void test_itimer_real(void)
{
	jt_mark();
	handle(SIGALRM, on_alrm);
	n_alrm = 0;
	struct itimerval nv = {{0, 50000}, {0, 100000}}, old, cur;
	memset(&old, 0xff, sizeof old);
	JT_EQ(setitimer(ITIMER_REAL, &nv, &old), 0);
	JT_OK(!old.it_value.tv_sec && !old.it_value.tv_usec && !old.it_interval.tv_sec &&
	      !old.it_interval.tv_usec, "old value all zero");
	nap(500 * MS);
	JT_OKV(n_alrm >= 4, "at least 4 SIGALRMs in 500 ms", "%d", n_alrm);
	JT_EQ(getitimer(ITIMER_REAL, &cur), 0);
	JT_EQ(cur.it_interval.tv_sec, 0);
	JT_EQ(cur.it_interval.tv_usec, 50000);
	JT_OKV(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 &&
	       cur.it_value.tv_usec <= 50000, "0 < it_value <= 50000 us", "%ld.%06ld",
	       (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);
	struct itimerval zero = {{0, 0}, {0, 0}};
	JT_EQ(setitimer(ITIMER_REAL, &zero, &old), 0);
	JT_EQ(old.it_interval.tv_usec, 50000);
	int before = n_alrm;
	nap(200 * MS);
	JT_EQ(n_alrm, before);
	JT_EQ(getitimer(ITIMER_REAL, &cur), 0);
	JT_OK(!cur.it_value.tv_sec && !cur.it_value.tv_usec && !cur.it_interval.tv_usec,
	      "getitimer reads 0 after disarming");
	struct itimerval bad = {{0, 0}, {0, 1000000}};
	JT_ERRNO(setitimer(ITIMER_REAL, &bad, NULL), EINVAL);
	JT_ERRNO(syscall(SYS_getitimer, ITIMER_REAL, (void *)8), EFAULT);
	jt_behaviour("TIME-009", jt_failures_since_mark() == 0,
		     "periodic SIGALRM, getitimer, old value, disarm");
}

/* Spin until *counter moves or ns of CPU time pass; the CPU time spent. */
static int64_t spin_for(volatile int *counter, int64_t ns)
{
	int start = *counter;
	int64_t c0 = cpu_ns(), w0 = mono_ns();
	while (*counter == start && cpu_ns() - c0 < ns && mono_ns() - w0 < 20 * ns)
		for (volatile int i = 0; i < 10000; i++)
			;
	return cpu_ns() - c0;
}

/* TIME-010 */
static void test_itimer_cpu(void)
{
	jt_mark();
	static const struct { int which, sig; volatile int *n; void (*fn)(int); const char *name; }
	kinds[] = {{ITIMER_VIRTUAL, SIGVTALRM, &n_vt, on_vt, "ITIMER_VIRTUAL"},
		   {ITIMER_PROF, SIGPROF, &n_prof, on_prof, "ITIMER_PROF"}};
	for (int k = 0; k < 2; k++) {
		handle(kinds[k].sig, kinds[k].fn);
		*kinds[k].n = 0;
		struct itimerval nv = {{0, 0}, {0, 100000}}, cur;
		JT_EQ(setitimer(kinds[k].which, &nv, NULL), 0);
		nap(300 * MS);
		JT_OK(*kinds[k].n == 0, "%s: no signal during a 300 ms sleep", kinds[k].name);
		JT_EQ(getitimer(kinds[k].which, &cur), 0);
		JT_OKV(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 50000,
		       "the sleep used (almost) none of it", "%s %ld us left", kinds[k].name,
		       (long)cur.it_value.tv_usec);
		int64_t used = spin_for(kinds[k].n, 3000 * MS);
		JT_OK(*kinds[k].n == 1, "%s: one signal from a busy loop", kinds[k].name);
		JT_OKV(used >= 60 * MS && used <= 1000 * MS, "after about 100 ms of CPU time",
		       "%s: %lld ms", kinds[k].name, (long long)(used / MS));
		JT_EQ(getitimer(kinds[k].which, &cur), 0);
		JT_OK(!cur.it_value.tv_sec && !cur.it_value.tv_usec, "%s: one-shot, now disarmed",
		      kinds[k].name);
	}
	/* A periodic ITIMER_PROF keeps firing. */
	n_prof = 0;
	struct itimerval per = {{0, 20000}, {0, 20000}};
	JT_EQ(setitimer(ITIMER_PROF, &per, NULL), 0);
	spin_for(&n_prof, 3000 * MS);
	spin_for(&n_prof, 3000 * MS);
	spin_for(&n_prof, 3000 * MS);
	struct itimerval zero = {{0, 0}, {0, 0}};
	setitimer(ITIMER_PROF, &zero, NULL);
	JT_OKV(n_prof >= 3, "a periodic ITIMER_PROF fires again and again", "%d", n_prof);
	struct itimerval v;
	JT_ERRNO(getitimer(5, &v), EINVAL);
	JT_ERRNO(setitimer(5, &zero, NULL), EINVAL);
	JT_ERRNO(getitimer(-1, &v), EINVAL);
	jt_behaviour("TIME-010", jt_failures_since_mark() == 0,
		     "VIRTUAL and PROF count CPU time, not sleep; EINVAL");
}

/* ---- POSIX timers (raw syscalls: the kernel's int ids) ------------------------------------- */

static long tcreate(clockid_t c, struct sigevent *ev, int *id)
{
	return syscall(SYS_timer_create, c, ev, id);
}
static long tset(int id, int flags, const struct itimerspec *nv, struct itimerspec *old)
{
	return syscall(SYS_timer_settime, id, flags, nv, old);
}
static long tget(int id, struct itimerspec *cur)
{
	return syscall(SYS_timer_gettime, id, cur);
}

static void handle_rt(int sig)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_SIGINFO;
	sigaction(sig, &sa, NULL);
}

static void test_posix_basic(void)
{
	handle_rt(SIGRTMIN);
	struct sigevent ev = {0};
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGRTMIN;
	ev.sigev_value.sival_ptr = (void *)0x1234567890ull;
	int id = -1;
	JT_EQ(tcreate(CLOCK_MONOTONIC, &ev, &id), 0);
	JT_OK(id >= 0, "timer_create gives an id");
	struct itimerspec cur;
	memset(&cur, 0xff, sizeof cur);
	JT_EQ(tget(id, &cur), 0);
	JT_OK(!cur.it_value.tv_sec && !cur.it_value.tv_nsec && !cur.it_interval.tv_nsec,
	      "a new timer is disarmed");
	n_rt = 0;
	int64_t t0 = mono_ns();
	struct itimerspec one = {{0, 0}, {0, 50 * MS}}, old;
	JT_EQ(tset(id, 0, &one, &old), 0);
	JT_EQ(tget(id, &cur), 0);
	JT_OK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
	      cur.it_value.tv_nsec <= 50 * MS, "timer_gettime shows the time left");
	JT_OK(wait_count(&n_rt, 1, 2000 * MS), "a one-shot relative timer fires");
	JT_OKV(mono_ns() - t0 >= 50 * MS, "not before 50 ms", "%lld ms",
	       (long long)((mono_ns() - t0) / MS));
	JT_EQ(rt_info.si_signo, SIGRTMIN);
	JT_EQ(rt_info.si_code, SI_TIMER);
	int first_timerid = rt_info.si_timerid;
	JT_EQ(rt_info.si_overrun, 0);
	JT_OK(rt_info.si_value.sival_ptr == (void *)0x1234567890ull, "si_value is sigev_value");
	nap(100 * MS);
	JT_EQ(n_rt, 1);
	JT_EQ(tget(id, &cur), 0);
	JT_OK(!cur.it_value.tv_sec && !cur.it_value.tv_nsec, "an expired one-shot reads 0");

	/* Absolute on CLOCK_MONOTONIC, with an interval. */
	n_rt = 0;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	struct itimerspec abs = {{0, 30 * MS}, now};
	abs.it_value.tv_nsec += 40 * MS;
	if (abs.it_value.tv_nsec >= 1000000000) {
		abs.it_value.tv_sec++;
		abs.it_value.tv_nsec -= 1000000000;
	}
	JT_EQ(tset(id, TIMER_ABSTIME, &abs, &old), 0);
	JT_OK(wait_count(&n_rt, 3, 3000 * MS), "an absolute periodic timer fires 3 times");
	JT_EQ(tget(id, &cur), 0);
	JT_EQ(cur.it_interval.tv_nsec, 30 * MS);
	JT_OK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 30 * MS,
	      "the next expiry is within one interval");
	struct itimerspec zero = {{0, 0}, {0, 0}};
	JT_EQ(tset(id, 0, &zero, &old), 0);
	JT_EQ(old.it_interval.tv_nsec, 30 * MS);
	int seen = n_rt;
	nap(100 * MS);
	JT_EQ(n_rt, seen);
	JT_EQ(tget(id, &cur), 0);
	JT_OK(!cur.it_value.tv_nsec && !cur.it_interval.tv_nsec, "disarmed: all zero");

	/* CLOCK_REALTIME absolute in the past: fires at once. */
	int rid = -1;
	JT_EQ(tcreate(CLOCK_REALTIME, &ev, &rid), 0);
	n_rt = 0;
	struct itimerspec past = {{0, 0}, {1, 0}};
	JT_EQ(tset(rid, TIMER_ABSTIME, &past, NULL), 0);
	JT_OK(wait_count(&n_rt, 1, 1000 * MS), "an absolute REALTIME time in the past fires");
	/* si_timerid is the kernel's id, which qemu-user's translated ids hide: check only that
	 * two timers have two. */
	JT_OK(rt_info.si_timerid != first_timerid, "two timers, two si_timerid");
	JT_EQ(syscall(SYS_timer_delete, rid), 0);

	/* Errors. */
	JT_ERRNO(tset(id, 0, NULL, NULL), EINVAL);
	struct itimerspec badns = {{0, 0}, {0, 1000000000}};
	JT_ERRNO(tset(id, 0, &badns, NULL), EINVAL);
	JT_ERRNO(tset(id, 0, (void *)8, NULL), EFAULT);
	JT_ERRNO(tget(id, (void *)8), EFAULT);
	JT_ERRNO(tget(id + 100, &cur), EINVAL);
	JT_ERRNO(syscall(SYS_timer_getoverrun, id + 100), EINVAL);
	JT_ERRNO(tcreate(1234, &ev, &rid), EINVAL);
	struct sigevent badsig = ev;
	badsig.sigev_signo = 65;
	JT_ERRNO(tcreate(CLOCK_MONOTONIC, &badsig, &rid), EINVAL);
	struct sigevent badnotify = ev;
	badnotify.sigev_notify = 77;
	JT_ERRNO(tcreate(CLOCK_MONOTONIC, &badnotify, &rid), EINVAL);
	JT_ERRNO(tcreate(CLOCK_MONOTONIC, (void *)8, &rid), EFAULT);
	JT_EQ(syscall(SYS_timer_delete, id), 0);
	JT_ERRNO(syscall(SYS_timer_delete, id), EINVAL);
}

/* NULL sigevent: SIGALRM with sival_int = the id. Overruns while the signal is blocked. */
static void test_posix_overrun(void)
{
	handle_rt(SIGALRM);
	int id = -1;
	JT_EQ(tcreate(CLOCK_MONOTONIC, NULL, &id), 0);
	sigset_t set, prev;
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, &prev);
	n_rt = 0;
	struct itimerspec per = {{0, 20 * MS}, {0, 20 * MS}};
	JT_EQ(tset(id, 0, &per, NULL), 0);
	nap(250 * MS);
	JT_EQ(n_rt, 0);
	sigprocmask(SIG_SETMASK, &prev, NULL);
	JT_OK(wait_count(&n_rt, 1, 1000 * MS), "the blocked timer signal arrives once unblocked");
	struct itimerspec zero = {{0, 0}, {0, 0}};
	tset(id, 0, &zero, NULL);
	JT_EQ(rt_info.si_code, SI_TIMER);
	/* (A NULL sigevent's sival_int is the timer id: qemu-user's id translation hides it.) */
	JT_OKV(rt_info.si_overrun >= 5, "si_overrun counts the expiries it stood for", "%d",
	       rt_info.si_overrun);
	long ov = syscall(SYS_timer_getoverrun, id);
	JT_OKV(ov >= 0, "timer_getoverrun after a settime", "%ld", ov);
	JT_EQ(syscall(SYS_timer_delete, id), 0);

	/* SIGEV_NONE: no signal, but timer_gettime counts down. */
	struct sigevent none = {0};
	none.sigev_notify = SIGEV_NONE;
	JT_EQ(tcreate(CLOCK_MONOTONIC, &none, &id), 0);
	n_rt = 0;
	struct itimerspec one = {{0, 0}, {0, 100 * MS}}, cur;
	int64_t armed = mono_ns();
	JT_EQ(tset(id, 0, &one, NULL), 0);
	nap(30 * MS);
	JT_EQ(tget(id, &cur), 0);
	int64_t waited = mono_ns() - armed; /* a loaded host may stretch the 30 ms */
	JT_OK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec < 100 * MS &&
	      (cur.it_value.tv_nsec > 0 || waited >= 100 * MS),
	      "SIGEV_NONE: timer_gettime counts down");
	nap(150 * MS);
	JT_EQ(n_rt, 0);
	JT_EQ(tget(id, &cur), 0);
	JT_OK(!cur.it_value.tv_nsec && !cur.it_value.tv_sec, "SIGEV_NONE: expired reads 0");
	JT_EQ(syscall(SYS_timer_delete, id), 0);
}

static volatile int thread_stop;
static void *idle_thread(void *arg)
{
	*(volatile pid_t *)arg = (pid_t)syscall(SYS_gettid);
	while (!thread_stop) {
		struct timespec ts = {0, 5 * MS};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* SIGEV_THREAD_ID: the signal goes to that thread. */
static void test_posix_thread_id(void)
{
	handle_rt(SIGRTMIN + 1);
	volatile pid_t tid = 0;
	pthread_t th;
	thread_stop = 0;
	JT_EQ(pthread_create(&th, NULL, idle_thread, (void *)&tid), 0);
	while (!tid)
		sched_yield();
	struct sigevent ev = {0};
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGRTMIN + 1;
	ev.sigev_notify_thread_id = tid;
	int id = -1;
	JT_EQ(tcreate(CLOCK_MONOTONIC, &ev, &id), 0);
	n_rt = 0;
	struct itimerspec one = {{0, 0}, {0, 20 * MS}};
	JT_EQ(tset(id, 0, &one, NULL), 0);
	JT_OK(wait_count(&n_rt, 1, 2000 * MS), "SIGEV_THREAD_ID: the signal arrives");
	JT_OK(rt_tid == tid, "in the named thread");
	JT_EQ(syscall(SYS_timer_delete, id), 0);
	ev.sigev_notify_thread_id = 999999;
	JT_ERRNO(tcreate(CLOCK_MONOTONIC, &ev, &id), EINVAL);
	thread_stop = 1;
	pthread_join(th, NULL);
}

/* TIME-011 in the exec'd image: the itimer is still armed, the POSIX timer is gone. */
static int exec_check(int timer_id)
{
	struct itimerval cur;
	getitimer(ITIMER_REAL, &cur);
	bool itimer_ok = cur.it_value.tv_sec > 0 && cur.it_value.tv_sec <= 10;
	struct itimerspec ps;
	bool ptimer_gone = tget(timer_id, &ps) == -1 && errno == EINVAL;
	return (itimer_ok ? 0 : 1) | (ptimer_gone ? 0 : 2);
}

/* TIME-011 */
static void test_fork_exec(const char *self)
{
	jt_mark();
	signal(SIGALRM, SIG_IGN);
	struct itimerval nv = {{0, 0}, {10, 0}};
	JT_EQ(setitimer(ITIMER_REAL, &nv, NULL), 0);
	struct itimerval vt = {{0, 0}, {20, 0}};
	JT_EQ(setitimer(ITIMER_VIRTUAL, &vt, NULL), 0);
	int id = -1;
	struct sigevent none = {0};
	none.sigev_notify = SIGEV_NONE;
	JT_EQ(tcreate(CLOCK_MONOTONIC, &none, &id), 0);
	struct itimerspec far = {{0, 0}, {100, 0}};
	JT_EQ(tset(id, 0, &far, NULL), 0);

	pid_t pid = fork();
	if (pid == 0) {
		struct itimerval r, v;
		getitimer(ITIMER_REAL, &r);
		getitimer(ITIMER_VIRTUAL, &v);
		struct itimerspec ps;
		bool no_ptimer = tget(id, &ps) == -1 && errno == EINVAL;
		_exit((r.it_value.tv_sec || r.it_value.tv_usec ? 1 : 0) |
		      (v.it_value.tv_sec || v.it_value.tv_usec ? 2 : 0) | (no_ptimer ? 0 : 4));
	}
	int st = -1;
	waitpid(pid, &st, 0);
	JT_OKV(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "a fork child has no itimers (REAL, VIRTUAL) and no POSIX timers", "status %#x", st);

	pid = fork();
	if (pid == 0) {
		/* The child's own itimer (fork did not pass the parent's on), then exec. */
		setitimer(ITIMER_REAL, &nv, NULL);
		char arg[32];
		snprintf(arg, sizeof arg, "%d", id);
		char *av[] = {(char *)self, "exec-check", arg, NULL};
		execv(self, av);
		_exit(99);
	}
	waitpid(pid, &st, 0);
	JT_OKV(WIFEXITED(st) && (WEXITSTATUS(st) & 1) == 0,
	       "ITIMER_REAL survives execve", "status %#x", st);
	JT_OKV(WIFEXITED(st) && (WEXITSTATUS(st) & 2) == 0,
	       "POSIX timers are deleted by execve", "status %#x", st);
	struct itimerval zero = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &zero, NULL);
	setitimer(ITIMER_VIRTUAL, &zero, NULL);
	syscall(SYS_timer_delete, id);
	jt_behaviour("TIME-011", jt_failures_since_mark() == 0,
		     "fork child starts without timers; itimers survive exec");
}

/* SIG-028: two processes, each with its own 10 ms ITIMER_REAL, count their own SIGALRMs; a
 * third period-less process gets none. Each reports its count through a pipe. */
static int count_own_alarms(int period_ms, int ms)
{
	n_alrm = 0;
	handle(SIGALRM, on_alrm);
	struct itimerval nv = {{0, period_ms * 1000}, {0, period_ms * 1000}};
	if (period_ms)
		setitimer(ITIMER_REAL, &nv, NULL);
	/* Sleep rather than spin: three spinners sharing one CPU would each see only the
	 * SIGALRMs of the ticks they ran on (standard signals coalesce). */
	nap(ms * MS);
	struct itimerval zero = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &zero, NULL);
	return n_alrm;
}

static void test_sig028(void)
{
	jt_mark();
	int fds[2];
	JT_EQ(pipe(fds), 0);
	static const int periods[3] = {10, 25, 0};
	pid_t kids[3];
	for (int k = 0; k < 3; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			int n = count_own_alarms(periods[k], 500);
			int rec[2] = {k, n}; /* one write: the children's records never interleave */
			write(fds[1], rec, sizeof rec);
			_exit(0);
		}
	}
	close(fds[1]);
	int got[3] = {-1, -1, -1};
	for (int k = 0; k < 3; k++) {
		int rec[2];
		if (read(fds[0], rec, sizeof rec) == sizeof rec && rec[0] >= 0 && rec[0] < 3)
			got[rec[0]] = rec[1];
	}
	close(fds[0]);
	for (int k = 0; k < 3; k++)
		waitpid(kids[k], NULL, 0);
	/* 500 ms at 10 ms and at 25 ms: about 50 and 20, never the sum of both. */
	JT_OKV(got[0] >= 10 && got[0] <= 55, "the 10 ms process counts its own SIGALRMs", "%d",
	       got[0]);
	JT_OKV(got[1] >= 4 && got[1] <= 22, "the 25 ms process counts its own SIGALRMs", "%d",
	       got[1]);
	JT_OKV(got[2] == 0, "a process without a timer gets no SIGALRM", "%d", got[2]);
	jt_behaviour("SIG-028", jt_failures_since_mark() == 0,
		     "itimer signals reach only their own process");
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "exec-check") == 0)
		return exec_check(atoi(argv[2]));
	const char *self = argc > 0 && argv[0][0] == '/' ? argv[0] : "/bin/time_timers";
	test_itimer_real();
	test_itimer_cpu();
	test_posix_basic();
	test_posix_overrun();
	test_posix_thread_id();
	test_fork_exec(self);
	test_sig028();
	test_alarm();
	return jt_done();
}
