// covers: ROBUST-005 ROBUST-006
//
// ROBUST-005, preemption: a child spinning with no syscalls cannot starve its parent, whose
// nanosleep(100 ms) still ends on time (within 50 ms) and which can then kill it; four
// spinning processes each get at least 15% of the CPU over 2 s (their own
// CLOCK_PROCESS_CPUTIME_ID, reported through a pipe), of what they got together.
// ROBUST-006, no lost wake-ups: two processes pass a byte back and forth over two pipes
// 100,000 times, and two threads hand a futex back and forth 100,000 times; neither run
// stalls for more than 1 s (the longest gap between two consecutive hand-offs).
#define _GNU_SOURCE
#include "jtest.h"

/* musl has no <linux/futex.h>: Linux's values. */
#define FUTEX_WAIT_PRIVATE (0 | 128)
#define FUTEX_WAKE_PRIVATE (1 | 128)
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 100000

static pid_t spinner(void)
{
	pid_t c = fork();
	if (c == 0)
		for (volatile unsigned long n = 0;; n++)
			;
	return c;
}

static void test_starve(void)
{
	pid_t c = spinner();
	usleep(20000); /* let it start spinning */
	long long t0 = jt_now_us();
	struct timespec req = {0, 100000000};
	JT_EQ(nanosleep(&req, NULL), 0);
	long long took = jt_now_us() - t0;
	JT_OKV(took >= 100000 && took <= 150000, "nanosleep(100 ms) beside a spinner ends on time",
	       "%lld us", took);
	JT_EQ(kill(c, SIGKILL), 0);
	int st;
	JT_EQV(waitpid(c, &st, 0), c);
	JT_OK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the spinner is killed");
}

/* A spinner that reports its own CPU time after 2 s of wall time. */
static pid_t timed_spinner(int report)
{
	pid_t c = fork();
	if (c)
		return c;
	long long end = jt_now_us() + 2000000;
	while (jt_now_us() < end)
		;
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	long long us = ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
	write(report, &us, sizeof us);
	_exit(0);
}

static void test_share(void)
{
	int p[2];
	JT_EQ(pipe(p), 0);
	pid_t kids[4];
	for (int i = 0; i < 4; i++)
		kids[i] = timed_spinner(p[1]);
	long long cpu[4], total = 0, least = -1;
	for (int i = 0; i < 4; i++) {
		JT_EQ(read(p[0], &cpu[i], sizeof cpu[i]), (long)sizeof cpu[i]);
		total += cpu[i];
		least = least < 0 || cpu[i] < least ? cpu[i] : least;
	}
	for (int i = 0; i < 4; i++)
		waitpid(kids[i], NULL, 0);
	JT_OKV(total > 0 && least * 100 >= total * 15, "four spinners each get >= 15%% of the CPU",
	       "%lld %lld %lld %lld us of CPU", cpu[0], cpu[1], cpu[2], cpu[3]);
	close(p[0]);
	close(p[1]);
}

static void test_pipes(void)
{
	int ab[2], ba[2];
	JT_EQ(pipe(ab), 0);
	JT_EQ(pipe(ba), 0);
	pid_t c = fork();
	if (c == 0) {
		char x;
		for (int i = 0; i < ROUNDS; i++)
			if (read(ab[0], &x, 1) != 1 || write(ba[1], &x, 1) != 1)
				_exit(1);
		_exit(0);
	}
	long long last = jt_now_us(), worst = 0;
	int done = 0;
	char x = 'x';
	for (; done < ROUNDS; done++) {
		if (write(ab[1], &x, 1) != 1 || read(ba[0], &x, 1) != 1)
			break;
		long long t = jt_now_us();
		worst = t - last > worst ? t - last : worst;
		last = t;
	}
	int st;
	waitpid(c, &st, 0);
	JT_OKV(done == ROUNDS && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "100,000 pipe round trips between two processes", "%d done", done);
	JT_OKV(worst < 1000000, "no round trip stalls for 1 s", "longest %lld us", worst);
}

static _Atomic int turn;
static long long futex_worst;

static void futex_wait_for(int me)
{
	int v;
	while ((v = atomic_load(&turn)) != me)
		syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

static void *futex_peer(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		futex_wait_for(1);
		atomic_store(&turn, 0);
		syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
	return NULL;
}

static void test_futex(void)
{
	pthread_t th;
	JT_EQ(pthread_create(&th, NULL, futex_peer, NULL), 0);
	long long last = jt_now_us();
	for (int i = 0; i < ROUNDS; i++) {
		atomic_store(&turn, 1);
		syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		futex_wait_for(0);
		long long t = jt_now_us();
		futex_worst = t - last > futex_worst ? t - last : futex_worst;
		last = t;
	}
	JT_EQ(pthread_join(th, NULL), 0);
	JT_OKV(futex_worst < 1000000, "100,000 futex hand-offs, none stalls for 1 s",
	       "longest %lld us", futex_worst);
}

int main(void)
{
	jt_mark();
	test_starve();
	test_share();
	jt_behaviour("ROBUST-005", jt_failures_since_mark() == 0,
		     "a spinner starves no one; four spinners share the CPU");
	jt_mark();
	test_pipes();
	test_futex();
	jt_behaviour("ROBUST-006", jt_failures_since_mark() == 0,
		     "100,000 pipe and futex hand-offs, no lost wake-up");
	return jt_done();
}
