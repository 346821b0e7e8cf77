// covers: TIME-004 TIME-005
//
// The clocks against the host's. TIME-004: over a 2 s sleep CLOCK_MONOTONIC and
// CLOCK_REALTIME advance by the same amount within 2% (checked here), and the host's
// timestamps of the two serial markers around the sleep agree with the guest's measure within
// 10% (checked by tools/usertest from tests/user/time_host.checks: the END marker carries the
// guest's nanoseconds). TIME-005: CLOCK_REALTIME at start is within 5 s of the host's UTC at
// launch (JANUS_HOST_EPOCH, given to 'hostclock' tests by tools/usertest on the kernel command
// line and by tools/linux-ref in the environment), and gettimeofday and time() agree with it
// within 1 s. The clock_settime half of TIME-005 is time_settime (Janus only: under qemu-user
// it would set the host's clock). The markers are TAP comments, so their run-specific numbers
// never make an output difference.
#define _GNU_SOURCE
#include "jtest.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int64_t clock_ns(clockid_t id)
{
	struct timespec t;
	/* The raw syscall: Janus has no vDSO, and a vDSO must not hide a kernel bug on Linux. */
	if (syscall(SYS_clock_gettime, id, &t) != 0)
		return -1;
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void host_epoch(void)
{
	jt_mark();
	const char *s = getenv("JANUS_HOST_EPOCH");
	JT_OK(s != NULL, "the runner gave JANUS_HOST_EPOCH");
	int64_t host = s ? strtoll(s, NULL, 10) : 0;
	int64_t real = clock_ns(CLOCK_REALTIME) / 1000000000;
	JT_OKV(real >= host - 5 && real <= host + 5, "REALTIME within 5 s of the host's UTC",
	       "REALTIME %lld s, host at launch %lld s", (long long)real, (long long)host);
	struct timeval tv;
	JT_EQ(gettimeofday(&tv, NULL), 0);
	int64_t now = clock_ns(CLOCK_REALTIME) / 1000000000;
	JT_OKV(llabs(tv.tv_sec - now) <= 1, "gettimeofday agrees with REALTIME within 1 s",
	       "gettimeofday %lld, REALTIME %lld", (long long)tv.tv_sec, (long long)now);
	time_t t = time(NULL);
	JT_OKV(llabs((long long)t - now) <= 1, "time() agrees with REALTIME within 1 s",
	       "time() %lld, REALTIME %lld", (long long)t, (long long)now);
	jt_behaviour("TIME-005", jt_failures_since_mark() == 0,
		     "REALTIME from the RTC near the host's UTC; gettimeofday and time() agree");
}

static void rate(void)
{
	jt_mark();
	jt_diag("JTEST-SERIAL-BEGIN span");
	int64_t m0 = clock_ns(CLOCK_MONOTONIC), r0 = clock_ns(CLOCK_REALTIME);
	struct timespec two = {2, 0};
	while (nanosleep(&two, &two) != 0)
		;
	int64_t m1 = clock_ns(CLOCK_MONOTONIC), r1 = clock_ns(CLOCK_REALTIME);
	jt_diag("JTEST-SERIAL-END span %lld", (long long)(m1 - m0));
	int64_t dm = m1 - m0, dr = r1 - r0;
	JT_OKV(dm >= 2000000000, "MONOTONIC advanced at least 2 s over the sleep",
	       "MONOTONIC %lld ns", (long long)dm);
	JT_OKV(llabs(dm - dr) * 50 <= dm, "MONOTONIC and REALTIME advance alike within 2%%",
	       "MONOTONIC %lld ns, REALTIME %lld ns", (long long)dm, (long long)dr);
	jt_behaviour("TIME-004", jt_failures_since_mark() == 0,
		     "MONOTONIC and REALTIME agree over 2 s (host markers: the runner)");
}

int main(void)
{
	host_epoch();
	rate();
	return jt_done();
}
