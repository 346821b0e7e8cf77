// covers: TIME-001 TIME-002 TIME-003 TIME-006 TIME-007 TIME-012
//
// Clocks and sleeps that need no timers or signals: clock_gettime and its resolution,
// monotonicity (across fork and CPUs), nanosleep and clock_nanosleep, and CPU-time clocks.
#define _GNU_SOURCE
#include "jtest.h"

#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* The raw syscall: Janus has no vDSO, and a vDSO must not hide a kernel bug on Linux. */
static long raw_gettime(clockid_t id, struct timespec *ts)
{
	return syscall(SYS_clock_gettime, id, ts);
}

static int64_t mono_ns(void)
{
	struct timespec t;
	raw_gettime(CLOCK_MONOTONIC, &t);
	return ns_of(&t);
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec t;
	if (raw_gettime(id, &t) != 0)
		return -1;
	return ns_of(&t);
}

/* TIME-001 */
static void test_time001(void)
{
	jt_mark();
	struct timespec t = {-1, -1};
	JT_EQ(raw_gettime(CLOCK_MONOTONIC, &t), 0);
	JT_OKV(t.tv_sec >= 0, "tv_sec >= 0", "%lld", (long long)t.tv_sec);
	JT_OKV(t.tv_nsec >= 0 && t.tv_nsec < 1000000000, "0 <= tv_nsec < 1e9", "%ld", t.tv_nsec);
	struct timespec u = {-1, -1};
	JT_EQ(clock_gettime(CLOCK_MONOTONIC, &u), 0); /* through libc too */
	JT_OK(u.tv_sec >= 0 && u.tv_nsec >= 0 && u.tv_nsec < 1000000000,
	      "libc clock_gettime fills both fields");
	struct timespec r = {-1, -1};
	JT_EQ(raw_gettime(CLOCK_REALTIME, &r), 0);
	JT_OK(r.tv_nsec >= 0 && r.tv_nsec < 1000000000, "CLOCK_REALTIME fills tv_nsec in range");
	jt_behaviour("TIME-001", jt_failures_since_mark() == 0,
		     "both fields overwritten and in range");
}

/* TIME-002 */
static void test_time002(void)
{
	jt_mark();
	int64_t prev = mono_ns();
	int backwards = 0;
	for (int i = 0; i < 10000; i++) {
		int64_t now = mono_ns();
		if (now < prev)
			backwards++;
		prev = now;
	}
	JT_EQ(backwards, 0);
	int p[2];
	JT_EQ(pipe(p), 0);
	int64_t before = mono_ns();
	pid_t c = fork();
	if (c == 0) {
		int64_t first = mono_ns();
		_exit(write(p[1], &first, sizeof first) == sizeof first ? 0 : 1);
	}
	int64_t child_first = 0;
	JT_EQ(read(p[0], &child_first, sizeof child_first), (long)sizeof child_first);
	JT_OK(child_first >= before, "the child's first read is >= the parent's last before fork");
	waitpid(c, NULL, 0);
	close(p[0]);
	close(p[1]);
	/* Across CPUs, when there are several. */
	cpu_set_t all;
	CPU_ZERO(&all);
	int ncpu = 0;
	if (sched_getaffinity(0, sizeof all, &all) == 0)
		ncpu = CPU_COUNT(&all);
	if (ncpu >= 2) {
		int cpus[2], k = 0;
		for (int i = 0; i < CPU_SETSIZE && k < 2; i++)
			if (CPU_ISSET(i, &all))
				cpus[k++] = i;
		int hops_bad = 0;
		prev = mono_ns();
		for (int i = 0; i < 50; i++) {
			cpu_set_t one;
			CPU_ZERO(&one);
			CPU_SET(cpus[i & 1], &one);
			sched_setaffinity(0, sizeof one, &one);
			int64_t now = mono_ns();
			if (now < prev)
				hops_bad++;
			prev = now;
		}
		sched_setaffinity(0, sizeof all, &all);
		JT_EQ(hops_bad, 0);
	}
	jt_behaviour("TIME-002", jt_failures_since_mark() == 0,
		     "10000 reads, fork and %d CPUs: never backwards", ncpu);
}

/* TIME-003 */
static void test_time003(void)
{
	jt_mark();
	int64_t best = INT64_MAX;
	for (int i = 0; i < 10; i++) {
		int64_t a = mono_ns(), b = mono_ns();
		if (b - a < best)
			best = b - a;
	}
	JT_OKV(best < 1000000, "back-to-back reads differ by < 1 ms", "%lld ns", (long long)best);
	int round = 0;
	for (int i = 0; i < 10; i++) {
		struct timespec t;
		raw_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_nsec % 1000000 == 0)
			round++;
		for (volatile int k = 0; k < 20000; k++)
			;
	}
	JT_OKV(round < 8, "fewer than 8 of 10 samples are whole milliseconds", "%d", round);
	struct timespec res = {-1, -1};
	JT_EQ(clock_getres(CLOCK_MONOTONIC, &res), 0);
	JT_OKV(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000, "clock_getres <= 1 ms",
	       "%ld ns", res.tv_nsec);
	jt_behaviour("TIME-003", jt_failures_since_mark() == 0,
		     "sub-millisecond resolution, getres %ld ns", res.tv_nsec);
}

/* Sleep 100 ms with nanosleep; the elapsed monotonic ms, or -1 if it failed. */
static int64_t sleep100(void)
{
	struct timespec ts = {0, 100 * 1000000L};
	int64_t t0 = mono_ns();
	if (nanosleep(&ts, NULL) != 0)
		return -1;
	return (mono_ns() - t0) / 1000000;
}

/* TIME-006 */
static void test_time006(void)
{
	jt_mark();
	int64_t ms = sleep100();
	JT_OKV(ms >= 100 && ms < 200, "nanosleep(100 ms) takes [100, 200) ms", "%lld ms",
	       (long long)ms);
	pid_t c = fork();
	if (c == 0) {
		int64_t m = sleep100();
		_exit(m >= 100 && m < 200 ? 0 : 1);
	}
	int st;
	JT_EQV(waitpid(c, &st, 0), c);
	JT_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the same in a forked child");
	struct timespec bad1 = {0, 1000000000}, bad2 = {0, -1}, bad3 = {-1, 0};
	JT_ERRNO(nanosleep(&bad1, NULL), EINVAL);
	JT_ERRNO(nanosleep(&bad2, NULL), EINVAL);
	JT_ERRNO(nanosleep(&bad3, NULL), EINVAL);
	struct timespec z = {0, 0};
	int64_t t0 = mono_ns();
	JT_EQ(nanosleep(&z, NULL), 0);
	int64_t zms = (mono_ns() - t0) / 1000000;
	JT_OKV(zms < 50, "nanosleep({0, 0}) returns promptly", "%lld ms", (long long)zms);
	jt_behaviour("TIME-006", jt_failures_since_mark() == 0,
		     "100 ms sleeps last [100, 200) ms; EINVAL; {0,0}");
}

/* TIME-007 */
static void test_time007(void)
{
	jt_mark();
	struct timespec ten = {0, 10 * 1000000L};
	int64_t t0 = mono_ns();
	for (int i = 0; i < 100; i++)
		nanosleep(&ten, NULL);
	int64_t ms = (mono_ns() - t0) / 1000000;
	JT_OKV(ms >= 1000 && ms <= 1500, "100 x 10 ms take 1.0-1.5 s", "%lld ms", (long long)ms);
	for (int i = 0; i < 5; i++) {
		struct timespec target;
		clock_gettime(CLOCK_MONOTONIC, &target);
		target.tv_nsec += 30 * 1000000L + i * 7000000L;
		if (target.tv_nsec >= 1000000000) {
			target.tv_sec++;
			target.tv_nsec -= 1000000000;
		}
		JT_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, NULL), 0);
		struct timespec now;
		raw_gettime(CLOCK_MONOTONIC, &now);
		JT_OK(ns_of(&now) >= ns_of(&target),
		      "TIMER_ABSTIME returns at or after the target");
	}
	struct timespec past = {0, 0};
	JT_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL), 0);
	jt_behaviour("TIME-007", jt_failures_since_mark() == 0,
		     "100 x 10 ms in %lld ms; absolute sleeps", (long long)ms);
}

/* TIME-012 */
static void test_time012(void)
{
	jt_mark();
	/* Busy until the thread has used 200 ms of CPU (for at most 10 s). On an idle machine that
	 * is a 200 ms busy loop; on a loaded host it takes longer, but the CPU clocks must still
	 * count the work and never run faster than the monotonic clock. */
	int64_t p0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	int64_t m0 = mono_ns();
	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0 < 200000000 && mono_ns() - m0 < 10000000000)
		for (volatile int k = 0; k < 20000; k++) /* mostly user time: few clock reads */
			;
	int64_t wall = (mono_ns() - m0) / 1000000;
	int64_t dp = (clock_ns(CLOCK_PROCESS_CPUTIME_ID) - p0) / 1000000;
	int64_t dt = (clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / 1000000;
	JT_OKV(dt >= 200 && dt <= wall + 10,
	       "thread CPU time counts a busy loop, no faster than time",
	       "%lld ms of CPU in %lld ms", (long long)dt, (long long)wall);
	JT_OKV(dp >= dt && dp <= wall + 10, "process CPU time counts it too",
	       "%lld ms of CPU in %lld ms", (long long)dp, (long long)wall);
	p0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	struct timespec ts = {0, 200 * 1000000L};
	nanosleep(&ts, NULL);
	dp = (clock_ns(CLOCK_PROCESS_CPUTIME_ID) - p0) / 1000000;
	dt = (clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / 1000000;
	JT_OKV(dp < 20, "process CPU time over a 200 ms sleep is under 20 ms", "%lld ms",
	       (long long)dp);
	JT_OKV(dt < 20, "thread CPU time over a 200 ms sleep is under 20 ms", "%lld ms",
	       (long long)dt);

	struct tms tm;
	JT_OK(times(&tm) != (clock_t)-1, "times()");
	long hz = sysconf(_SC_CLK_TCK);
	JT_OKV(tm.tms_utime * 1000 / hz >= 100, "times() shows the user time",
	       "%ld ticks at %ld Hz", (long)tm.tms_utime, hz);
	struct rusage ru;
	JT_EQ(getrusage(RUSAGE_SELF, &ru), 0);
	long ums = ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000;
	JT_OKV(ums >= 100, "getrusage shows the user time", "%ld ms", ums);

	int64_t mono = mono_ns(), boot = clock_ns(CLOCK_BOOTTIME);
	JT_OK(boot >= mono, "CLOCK_BOOTTIME >= CLOCK_MONOTONIC");
	struct timespec t;
	JT_ERRNO(raw_gettime(1234, &t), EINVAL);
	JT_ERRNO(raw_gettime(CLOCK_MONOTONIC, NULL), EFAULT);
	JT_ERRNO(syscall(SYS_clock_getres, 1234, &t), EINVAL);
	jt_behaviour("TIME-012", jt_failures_since_mark() == 0,
		     "CPU clocks count work, not sleep; BOOTTIME; EINVAL, EFAULT");
}

int main(void)
{
	test_time001();
	test_time002();
	test_time003();
	test_time006();
	test_time007();
	test_time012();
	return jt_done();
}
