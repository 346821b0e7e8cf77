// covers: PROC-019 PROC-025
//
// Stop and continue as a parent sees them through waitpid (PROC-019), SIGCONT to a zombie and
// to a reaped pid, and two CLONE_VM processes without CLONE_THREAD (PROC-025): SIGKILL ends
// one of them only, while the other's heartbeat in the memory they share keeps rising.
// (qemu-user refuses CLONE_VM without CLONE_THREAD, see linux-known.txt.)
#define _GNU_SOURCE
#include "jtest.h"

#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void msleep(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* PROC-019 */
static void test_stop_cont(void)
{
	jt_mark();
	int p[2];
	JT_EQ(pipe(p), 0);
	pid_t c = fork();
	if (c == 0) {
		close(p[1]);
		char b;
		ssize_t n;
		while ((n = read(p[0], &b, 1)) < 0 && errno == EINTR)
			;
		_exit(n == 1 && b == 'q' ? 7 : 1);
	}
	close(p[0]);
	int st = 0;
	JT_EQ(kill(c, SIGSTOP), 0);
	JT_EQV(waitpid(c, &st, WUNTRACED), c);
	JT_OKV(WIFSTOPPED(st), "waitpid(WUNTRACED) reports WIFSTOPPED", "status %#x", st);
	JT_EQ(WIFSTOPPED(st) ? WSTOPSIG(st) : -1, 19);
	JT_EQ(kill(c, SIGCONT), 0);
	st = 0;
	JT_EQV(waitpid(c, &st, WCONTINUED), c);
	JT_OKV(WIFCONTINUED(st), "waitpid(WCONTINUED) reports WIFCONTINUED", "status %#x", st);
	JT_EQ(write(p[1], "q", 1), 1);
	st = 0;
	JT_EQV(waitpid(c, &st, 0), c);
	JT_OKV(WIFEXITED(st) && WEXITSTATUS(st) == 7, "the continued child exits normally (7)",
	       "status %#x", st);
	close(p[1]);

	/* A zombie: waitid(WNOWAIT) sees it exit without reaping it. */
	pid_t z = fork();
	if (z == 0)
		_exit(0);
	siginfo_t si = {0};
	JT_EQ(waitid(P_PID, (id_t)z, &si, WEXITED | WNOWAIT), 0);
	JT_EQV(si.si_pid, z);
	JT_EQ(kill(z, SIGCONT), 0);
	JT_EQV(waitpid(z, &st, 0), z);
	JT_ERRNO(kill(z, SIGCONT), ESRCH);
	jt_behaviour("PROC-019", jt_failures_since_mark() == 0,
		     "WSTOPSIG 19, WIFCONTINUED, exit; SIGCONT zombie 0, reaped ESRCH");
}

/* PROC-025: the two siblings' heartbeats, in the memory all three share. */
static volatile unsigned long beat[2];

static int beater(void *arg)
{
	volatile unsigned long *b = arg;
	for (;;) {
		(*b)++;
		if ((*b & 0xfff) == 0)
			sched_yield();
	}
	return 0;
}

/* The heartbeat of b rises within 2 s. */
static bool rising(volatile unsigned long *b)
{
	unsigned long start = *b;
	for (int i = 0; i < 200 && *b == start; i++)
		msleep(10);
	return *b != start;
}

static void test_clonevm_kill(void)
{
	jt_mark();
	const size_t size = 64 * 1024;
	char *stack_a = malloc(size), *stack_b = malloc(size);
	pid_t a = clone(beater, stack_a + size, CLONE_VM | SIGCHLD, (void *)&beat[0]);
	pid_t b = clone(beater, stack_b + size, CLONE_VM | SIGCHLD, (void *)&beat[1]);
	JT_OK(a > 0 && b > 0, "two clone(CLONE_VM | SIGCHLD) processes");
	if (a <= 0 || b <= 0) {
		jt_diag("  clone: %s", jt_errname(errno));
		jt_behaviour("PROC-025", false, "clone(CLONE_VM | SIGCHLD) failed");
		return;
	}
	JT_OK(a != b && a != getpid() && b != getpid(), "each has a pid of its own");
	JT_OK(rising(&beat[0]) && rising(&beat[1]), "both heartbeats rise in shared memory");
	JT_EQ(kill(a, SIGKILL), 0);
	int st = 0;
	JT_EQV(waitpid(a, &st, 0), a);
	JT_OKV(WIFSIGNALED(st) && WTERMSIG(st) == 9, "the killed one reports WTERMSIG 9",
	       "status %#x", st);
	JT_OK(rising(&beat[1]), "the other's heartbeat keeps rising");
	JT_EQ(waitpid(b, &st, WNOHANG), 0);
	JT_EQ(kill(b, 0), 0);
	unsigned long frozen = beat[0];
	msleep(50);
	JT_OK(beat[0] == frozen, "the killed one's heartbeat has stopped");
	JT_EQ(kill(b, SIGKILL), 0);
	JT_EQV(waitpid(b, &st, 0), b);
	JT_OK(WIFSIGNALED(st) && WTERMSIG(st) == 9, "then the other one too (status %#x)", st);
	free(stack_a);
	free(stack_b);
	jt_behaviour("PROC-025", jt_failures_since_mark() == 0,
		     "CLONE_VM siblings: SIGKILL ends one (WTERMSIG 9), the other beats on");
}

int main(void)
{
	test_stop_cont();
	test_clonevm_kill();
	return jt_done();
}
