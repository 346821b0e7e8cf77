// covers: TIME-005
//
// clock_settime(CLOCK_REALTIME) by root moves REALTIME but not MONOTONIC (TIME-005's last
// sentence; time_host covers the rest): a step of one hour forward shows in REALTIME,
// gettimeofday and time(), MONOTONIC goes on as before, an unprivileged caller gets EPERM,
// and settimeofday steps back. Janus only ('kernel'): under qemu-user the call would reach the
// host, whose clock no test may touch.
#define _GNU_SOURCE
#include "jtest.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOUR 3600LL
#define NS 1000000000LL

static int64_t clock_ns(clockid_t id)
{
	struct timespec t;
	if (syscall(SYS_clock_gettime, id, &t) != 0)
		return -1;
	return (int64_t)t.tv_sec * NS + t.tv_nsec;
}

static void as_user(void)
{
	pid_t c = fork();
	if (c == 0) {
		struct timespec ts = {0, 0};
		if (setuid(1000) != 0)
			_exit(2);
		_exit(clock_settime(CLOCK_REALTIME, &ts) == -1 && errno == EPERM ? 0 : 1);
	}
	int st = 0;
	waitpid(c, &st, 0);
	JT_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "clock_settime by a non-root user fails with EPERM (status %#x)", st);
}

int main(void)
{
	jt_mark();
	int64_t r0 = clock_ns(CLOCK_REALTIME), m0 = clock_ns(CLOCK_MONOTONIC);
	struct timespec ts = {.tv_sec = (time_t)(r0 / NS + HOUR), .tv_nsec = r0 % NS};
	JT_EQ(clock_settime(CLOCK_REALTIME, &ts), 0);
	int64_t r1 = clock_ns(CLOCK_REALTIME), m1 = clock_ns(CLOCK_MONOTONIC);
	JT_OKV(llabs(r1 - r0 - HOUR * NS) < NS, "REALTIME moved by one hour",
	       "moved %lld ns", (long long)(r1 - r0));
	JT_OKV(m1 - m0 >= 0 && m1 - m0 < NS, "MONOTONIC did not move",
	       "moved %lld ns", (long long)(m1 - m0));
	struct timeval tv;
	JT_EQ(gettimeofday(&tv, NULL), 0);
	JT_OK(llabs(tv.tv_sec - r1 / NS) <= 1, "gettimeofday follows the step");
	JT_OK(llabs((long long)time(NULL) - r1 / NS) <= 1, "time() follows the step");
	as_user();
	struct timeval back = {.tv_sec = (time_t)(r0 / NS), .tv_usec = (suseconds_t)(r0 % NS / 1000)};
	JT_EQ(settimeofday(&back, NULL), 0);
	int64_t r2 = clock_ns(CLOCK_REALTIME);
	JT_OKV(llabs(r2 - r0) < NS, "settimeofday stepped back", "%lld ns from the start",
	       (long long)(r2 - r0));
	jt_behaviour("TIME-005", jt_failures_since_mark() == 0,
		     "clock_settime by root moves REALTIME, not MONOTONIC");
	return jt_done();
}
