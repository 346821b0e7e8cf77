// covers: POLL-001 POLL-002 POLL-004 POLL-005
//
// poll and ppoll: pipe readiness, special entries (bad and negative fds, POLLHUP, POLLERR),
// files that are always ready (a regular file, /dev/null, /dev/zero), timing, EINTR, and
// ppoll's atomic signal mask. musl's poll is the poll syscall on x86_64 and ppoll on aarch64;
// the test also calls ppoll by number on both.
#define _GNU_SOURCE
#include "jtest.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The raw ppoll syscall (the kernel's sigset is 8 bytes). */
static long raw_ppoll(struct pollfd *fds, unsigned long n, struct timespec *ts,
		      const sigset_t *mask)
{
	return syscall(SYS_ppoll, fds, n, ts, mask, 8);
}

/* POLL-001: an empty pipe is not readable; after a write it is; the write end is writable. */
static void test_poll001(void)
{
	jt_mark();
	int p[2];
	JT_EQ(pipe(p), 0);
	struct pollfd pf = {p[0], POLLIN, 0};
	JT_EQ(poll(&pf, 1, 0), 0);
	JT_EQ(pf.revents, 0);
	JT_EQ(write(p[1], "x", 1), 1);
	JT_EQ(poll(&pf, 1, 0), 1);
	JT_EQ(pf.revents, POLLIN);
	struct pollfd wf = {p[1], POLLOUT, 0};
	JT_EQ(poll(&wf, 1, 0), 1);
	JT_EQ(wf.revents, POLLOUT);
	/* Both at once, through ppoll by number with a zero timeout. */
	struct pollfd both[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
	struct timespec zero = {0, 0};
	JT_EQ(raw_ppoll(both, 2, &zero, NULL), 2);
	JT_OK(both[0].revents == POLLIN && both[1].revents == POLLOUT, "ppoll: %#x %#x",
	      both[0].revents, both[1].revents);
	close(p[0]);
	close(p[1]);
	jt_behaviour("POLL-001", jt_failures_since_mark() == 0,
		     "empty: 0; after a write: POLLIN; write end POLLOUT");
}

/* POLL-002: POLLNVAL, negative fds, POLLHUP, POLLERR. */
static void test_poll002(void)
{
	jt_mark();
	int p[2];
	JT_EQ(pipe(p), 0);
	struct pollfd pf[3] = {{999, POLLIN, 0}, {-1, POLLIN, 0}, {p[1], POLLOUT, 0}};
	JT_EQ(poll(pf, 3, 0), 2);
	JT_EQ(pf[0].revents, POLLNVAL);
	JT_EQ(pf[1].revents, 0);
	JT_EQ(pf[2].revents, POLLOUT);
	JT_EQ(write(p[1], "ab", 2), 2);
	close(p[1]);
	struct pollfd rf = {p[0], POLLIN, 0};
	JT_EQ(poll(&rf, 1, 0), 1);
	JT_EQ(rf.revents, POLLIN | POLLHUP);
	char b[4];
	JT_EQ(read(p[0], b, sizeof b), 2);
	JT_EQ(poll(&rf, 1, 0), 1);
	JT_EQ(rf.revents, POLLHUP);
	rf.events = 0; /* POLLHUP is reported even when not asked for */
	JT_EQ(poll(&rf, 1, 0), 1);
	JT_EQ(rf.revents, POLLHUP);
	close(p[0]);

	JT_EQ(pipe(p), 0);
	close(p[0]);
	struct pollfd wf = {p[1], POLLOUT, 0};
	JT_EQ(poll(&wf, 1, 0), 1);
	JT_EQ(wf.revents, POLLOUT | POLLERR);
	close(p[1]);
	jt_behaviour("POLL-002", jt_failures_since_mark() == 0,
		     "999 POLLNVAL, -1 skipped, POLLHUP after the writer, POLLERR after the reader");
}

/* Regular files and memory devices are always readable and writable. */
static void test_always_ready(void)
{
	static const char *const paths[] = {"/hello.txt", "/dev/null", "/dev/zero", "/dev/full",
					    "/dev/urandom"};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		int fd = open(paths[i], i == 0 ? O_RDONLY : O_RDWR);
		JT_OKV(fd >= 0, "open", "%s", paths[i]);
		struct pollfd pf = {fd, POLLIN | POLLOUT | POLLPRI, 0};
		int n = poll(&pf, 1, 1000);
		JT_OK(n == 1 && pf.revents == (POLLIN | POLLOUT), "%s: poll %d revents %#x",
		      paths[i], n, pf.revents);
		close(fd);
	}
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* A child that writes to fd after ms milliseconds, then exits. */
static pid_t writer_after(int fd, int ms)
{
	pid_t c = fork();
	if (c == 0) {
		struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
		nanosleep(&d, NULL);
		_exit(write(fd, "w", 1) == 1 ? 0 : 1);
	}
	return c;
}

/* A child that sends SIGUSR1 to the parent after ms milliseconds. */
static pid_t signal_after(int ms)
{
	pid_t parent = getpid(), c = fork();
	if (c == 0) {
		struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
		nanosleep(&d, NULL);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	return c;
}

static void reap(pid_t c)
{
	int st;
	waitpid(c, &st, 0);
}

/* POLL-004: a 200 ms timeout; an infinite wait ended by a child's write; EINTR. */
static void test_poll004(void)
{
	jt_mark();
	int p[2];
	JT_EQ(pipe(p), 0);
	struct pollfd pf = {p[0], POLLIN, 0};
	long long t0 = jt_now_ms();
	JT_EQ(poll(&pf, 1, 200), 0);
	long long dt = jt_now_ms() - t0;
	JT_OKV(dt >= 200 && dt < 400, "200 ms timeout", "took %lld ms", dt);

	pid_t c = writer_after(p[1], 300);
	t0 = jt_now_ms();
	JT_EQ(poll(&pf, 1, -1), 1);
	dt = jt_now_ms() - t0;
	JT_EQ(pf.revents, POLLIN);
	JT_OKV(dt >= 250, "waited for the child's write", "took %lld ms", dt);
	reap(c);

	struct sigaction sa = {.sa_handler = on_usr1};
	sigaction(SIGUSR1, &sa, NULL);
	char b[4];
	JT_EQ(read(p[0], b, sizeof b), 1);
	c = signal_after(100);
	JT_ERRNO(poll(&pf, 1, 5000), EINTR);
	reap(c);
	c = signal_after(100);
	JT_ERRNO(poll(&pf, 1, -1), EINTR);
	reap(c);
	close(p[0]);
	close(p[1]);
	jt_behaviour("POLL-004", jt_failures_since_mark() == 0,
		     "timeout about 200 ms; -1 waits for the write; a handled signal gives EINTR");
}

static volatile sig_atomic_t usr1_count;
static volatile sig_atomic_t usr1_blocked_in_handler;

static void count_usr1(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	usr1_blocked_in_handler = sigismember(&cur, SIGUSR2);
	usr1_count++;
}

/* POLL-005: ppoll's mask lets a blocked signal in for the wait only; NULL waits forever. */
static void test_poll005(void)
{
	jt_mark();
	struct sigaction sa = {.sa_handler = count_usr1};
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t block, old, during, after;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, &old);

	/* SIGUSR1 pending before the call: the swapped mask lets it in at once. */
	kill(getpid(), SIGUSR1);
	JT_EQ(usr1_count, 0);
	sigemptyset(&during);
	sigaddset(&during, SIGUSR2);
	int p[2];
	JT_EQ(pipe(p), 0);
	struct pollfd pf = {p[0], POLLIN, 0};
	JT_ERRNO(raw_ppoll(&pf, 1, NULL, &during), EINTR);
	JT_EQ(usr1_count, 1);
	JT_EQ(usr1_blocked_in_handler, 1); /* the handler ran under the wait's mask */
	sigprocmask(SIG_BLOCK, NULL, &after);
	JT_OK(sigismember(&after, SIGUSR1) && sigismember(&after, SIGUSR2),
	      "the old mask is back after the call");

	/* A NULL timeout waits until the signal arrives 200 ms later. */
	pid_t c = signal_after(200);
	long long t0 = jt_now_ms();
	JT_ERRNO(raw_ppoll(&pf, 1, NULL, &during), EINTR);
	long long dt = jt_now_ms() - t0;
	JT_OKV(dt >= 150, "NULL timeout waits", "took %lld ms", dt);
	JT_EQ(usr1_count, 2);
	reap(c);

	/* Ready at once: the mask is restored without delivering anything. */
	JT_EQ(write(p[1], "r", 1), 1);
	kill(getpid(), SIGUSR2); /* stays pending: blocked in both masks */
	JT_EQ(raw_ppoll(&pf, 1, NULL, &during), 1);
	sigset_t pend;
	sigpending(&pend);
	JT_OK(sigismember(&pend, SIGUSR2), "SIGUSR2 still pending");
	sigprocmask(SIG_BLOCK, NULL, &after);
	JT_OK(sigismember(&after, SIGUSR1), "mask restored after a ready return");
	signal(SIGUSR2, SIG_IGN); /* discards the pending one */

	/* A bad sigsetsize. */
	JT_ERRNO(syscall(SYS_ppoll, &pf, 1, NULL, &during, 4), EINVAL);
	struct timespec bad = {0, 1000000000};
	JT_ERRNO(raw_ppoll(&pf, 1, &bad, NULL), EINVAL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[0]);
	close(p[1]);
	jt_behaviour("POLL-005", jt_failures_since_mark() == 0,
		     "ppoll's mask applies during the wait only; NULL timeout waits");
}

int main(void)
{
	test_poll001();
	test_poll002();
	test_always_ready();
	test_poll004();
	test_poll005();
	return jt_done();
}
