// covers: POLL-006 POLL-007
//
// select and pselect6 on pipes: readiness, counts, EOF, nfds, EBADF, the timeout and the time
// left written back, and pselect6's atomic mask. select and pselect6 are also called by number
// (x86_64 has select; both ports have pselect6), since musl's select copies the timeout.
#define _GNU_SOURCE
#include "jtest.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int sel0(int n, fd_set *r, fd_set *w)
{
	struct timeval tv = {0, 0};
	return select(n, r, w, NULL, &tv);
}

/* POLL-006: select on pipes. */
static void test_poll006(void)
{
	jt_mark();
	int p[2];
	JT_EQ(pipe(p), 0);
	fd_set r, w;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	JT_EQ(sel0(p[0] + 1, &r, NULL), 0);
	JT_OK(!FD_ISSET(p[0], &r), "empty read end not set");
	JT_EQ(write(p[1], "x", 1), 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	JT_EQ(sel0(p[0] + 1, &r, NULL), 1);
	JT_OK(FD_ISSET(p[0], &r), "read end set after a write");
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	JT_EQ(sel0(p[1] + 1, NULL, &w), 1);
	JT_OK(FD_ISSET(p[1], &w), "write end writable");
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	FD_SET(1, &w);
	int max = p[0] > p[1] ? p[0] : p[1];
	int n = sel0(max + 1, &r, &w);
	JT_OKV(n >= 2, "read and write sets together", "%d", n);
	JT_OK(FD_ISSET(1, &w), "stdout writable");
	/* An fd at or above nfds is not looked at (nor cleared). */
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	JT_EQ(sel0(p[0], &r, NULL), 0);
	char b[4];
	JT_EQ(read(p[0], b, sizeof b), 1);
	close(p[1]);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	JT_EQ(sel0(p[0] + 1, &r, NULL), 1);
	JT_OK(FD_ISSET(p[0], &r), "EOF is readable");
	close(p[0]);
	jt_behaviour("POLL-006", jt_failures_since_mark() == 0,
		     "pipe readiness, counts, EOF, stdout, nfds");
}

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
	got++;
}

/* POLL-007: EBADF, the timeout and the time left, pselect6's mask. */
static void test_poll007(void)
{
	jt_mark();
	int p[2];
	JT_EQ(pipe(p), 0);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	FD_SET(p[0] + 5, &r); /* not open */
	JT_ERRNO(sel0(p[0] + 6, &r, NULL), EBADF);

	struct timeval tv = {0, 200000};
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	long long t0 = jt_now_ms();
#ifdef SYS_select
	long n = syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv);
#else
	struct timespec ts6 = {0, 200000000};
	long n = syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts6, NULL);
	tv.tv_sec = ts6.tv_sec;
	tv.tv_usec = ts6.tv_nsec / 1000;
#endif
	long long dt = jt_now_ms() - t0;
	JT_EQ(n, 0);
	JT_OKV(dt >= 200 && dt < 400, "200 ms timeout", "took %lld ms", dt);
	JT_OK(tv.tv_sec == 0 && tv.tv_usec == 0, "time left written back: %ld.%06ld",
	      (long)tv.tv_sec, (long)tv.tv_usec);
	JT_OK(!FD_ISSET(p[0], &r), "nothing set after the timeout");

	/* pselect6 with a mask letting in a pending, blocked SIGUSR1: EINTR, handler ran, the
	 * old mask back. Also: a large timeout is written back smaller. */
	struct sigaction sa = {.sa_handler = on_usr1};
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t block, old, after;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	kill(getpid(), SIGUSR1);
	sigset_t none;
	sigemptyset(&none);
	struct { const sigset_t *ss; size_t len; } pack = {&none, 8};
	struct timespec ts = {10, 0};
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	JT_ERRNO(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, &pack), EINTR);
	JT_EQ(got, 1);
	sigprocmask(SIG_BLOCK, NULL, &after);
	JT_OK(sigismember(&after, SIGUSR1), "mask restored");
	JT_OKV(ts.tv_sec <= 10 && ts.tv_sec >= 9, "time left written back: 9 or 10 s",
	       "%ld s", (long)ts.tv_sec);
	/* Ready at once with the mask: no signal taken, the count returned. */
	JT_EQ(write(p[1], "x", 1), 1);
	kill(getpid(), SIGUSR1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	JT_EQ(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, NULL, &pack), 1);
	JT_OK(got == 1 || got == 2, "at most the pending signal taken");
	sigprocmask(SIG_SETMASK, &old, NULL); /* delivers it if it is still pending */
	JT_EQ(got, 2);
	pack.len = 4;
	JT_ERRNO(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, NULL, &pack), EINVAL);
	JT_ERRNO(syscall(SYS_pselect6, -1, NULL, NULL, NULL, NULL, NULL), EINVAL);
	close(p[0]);
	close(p[1]);
	jt_behaviour("POLL-007", jt_failures_since_mark() == 0,
		     "EBADF, timeout with the time left, pselect6's mask");
}

int main(void)
{
	test_poll006();
	test_poll007();
	return jt_done();
}
