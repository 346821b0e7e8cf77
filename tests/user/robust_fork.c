// covers: ROBUST-001
//
// A fork bomb is contained by RLIMIT_NPROC. A child running as uid 1000 with RLIMIT_NPROC 64
// forks in a loop (each bomb child just waits for its parent's death signal); fork must fail
// with EAGAIN once the uid has 64 tasks, within 10 s. Meanwhile a second, unrelated child
// computes and exits normally. Killing the bomb's process group ends it, and free memory
// (sysinfo) comes back within 64 pages. Needs the Janus kernel: the Linux reference's user
// namespace maps only uid 0, so setuid(1000) fails there, and root is exempt from the limit.
#define _GNU_SOURCE
#include "jtest.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LIMIT 64

/* The bomb: forks until fork fails; reports through the pipe how many it made, the errno of
 * the failure and how long it took, then waits to be killed. Its children just pause. */
static void bomb(int report)
{
	struct rlimit rl = {LIMIT, LIMIT};
	if (setrlimit(RLIMIT_NPROC, &rl) != 0 || setgid(1000) != 0 || setuid(1000) != 0)
		_exit(90);
	long long t0 = jt_now_ms();
	long msg[3] = {0, 0, 0};
	for (;;) {
		pid_t c = fork();
		if (c == 0) {
			for (;;)
				pause();
		}
		if (c < 0) {
			msg[1] = errno;
			break;
		}
		if (++msg[0] > 4 * LIMIT || jt_now_ms() - t0 > 20000)
			break; /* the limit did not hold: report what happened */
	}
	msg[2] = (long)(jt_now_ms() - t0);
	write(report, msg, sizeof msg);
	for (;;)
		pause();
}

static long fib(long n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(void)
{
	jt_mark();
	long long before = jt_free_bytes();
	int p[2];
	JT_EQ(pipe(p), 0);
	pid_t b = fork();
	if (b == 0) {
		setpgid(0, 0);
		close(p[0]);
		bomb(p[1]);
	}
	setpgid(b, b);
	close(p[1]);
	pid_t w = fork();
	if (w == 0)
		_exit(fib(20) == 6765 ? 0 : 1);
	long msg[3] = {0, 0, 0};
	JT_EQ(read(p[0], msg, sizeof msg), (long)sizeof msg);
	/* The bomb's own process counts as one of the uid's tasks: 63 children at most. */
	JT_OKV(msg[0] == LIMIT - 1, "the bomb made exactly the limit's worth of processes",
	       "%ld children", msg[0]);
	JT_EQ(msg[1], EAGAIN);
	JT_OKV(msg[2] < 10000, "fork failed within 10 s", "%ld ms", msg[2]);
	int st = -1;
	JT_EQV(waitpid(w, &st, 0), w);
	JT_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the other process completed meanwhile");
	JT_EQ(kill(-b, SIGKILL), 0);
	JT_EQV(waitpid(b, &st, 0), b);
	JT_OK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the bomb was killed");
	/* Its children were orphaned to us (we are init): reap them all. */
	int reaped = 0;
	while (waitpid(-1, &st, 0) > 0)
		reaped++;
	JT_OKV(reaped == msg[0], "every bomb child ended and was reaped", "%d reaped", reaped);
	long long after = jt_free_bytes_settled(before, 64 * 4096);
	JT_OKV(before - after <= 64 * 4096, "free memory back within 64 pages",
	       "before %lld after %lld bytes", before, after);
	jt_behaviour("ROBUST-001", jt_failures_since_mark() == 0,
		     "RLIMIT_NPROC 64 as uid 1000: EAGAIN at the limit, others unaffected");
	return jt_done();
}
