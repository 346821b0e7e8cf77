// covers: SIG-012 SIG-013
//
// Interrupted system calls. SIG-012: a read blocked on an empty pipe, interrupted by a
// handled signal, restarts with SA_RESTART (returning the data written later) and fails with
// EINTR without it; a read that finds data is never interrupted. SIG-013: nanosleep gives
// EINTR with the time left; poll, select and epoll_wait give EINTR even with SA_RESTART; a
// regular-file read never gives EINTR.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void set_handler(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = {0};
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void msleep(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* A child: SIGUSR1 to the parent after 100 ms, and (if wfd >= 0) "data" into wfd at 300 ms. */
static pid_t helper(int wfd)
{
	pid_t parent = getpid(), c = fork();
	if (c == 0) {
		msleep(100);
		kill(parent, SIGUSR1);
		msleep(200);
		if (wfd >= 0)
			write(wfd, "data", 4);
		_exit(0);
	}
	return c;
}

/* SIG-012 */
static void test_pipe_restart(void)
{
	jt_mark();
	int fds[2];
	char buf[16];
	JT_EQ(pipe(fds), 0);
	set_handler(SIGUSR1, on_usr1, SA_RESTART);
	handled = 0;
	pid_t c = helper(fds[1]);
	memset(buf, 0, sizeof buf);
	JT_EQ(read(fds[0], buf, sizeof buf), 4);
	JT_STREQ(buf, "data");
	JT_EQ(handled, 1);
	waitpid(c, NULL, 0);

	set_handler(SIGUSR1, on_usr1, 0);
	handled = 0;
	c = helper(fds[1]);
	JT_ERRNO(read(fds[0], buf, sizeof buf), EINTR);
	JT_EQ(handled, 1);
	waitpid(c, NULL, 0);
	JT_EQ(read(fds[0], buf, sizeof buf), 4); /* the data came later */

	/* Reads that find data: a 1 ms SIGALRM storm without SA_RESTART interrupts none. */
	set_handler(SIGALRM, on_usr1, 0);
	char many[200];
	memset(many, 'x', sizeof many);
	JT_EQ(write(fds[1], many, sizeof many), (long)sizeof many);
	struct itimerval it = {{0, 1000}, {0, 1000}}, zero = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &it, NULL);
	int eintr = 0, got = 0;
	for (int i = 0; i < 200; i++) {
		ssize_t n = read(fds[0], buf, 1);
		if (n == 1)
			got++;
		else if (n < 0 && errno == EINTR)
			eintr++;
		for (volatile int k = 0; k < 20000; k++)
			;
	}
	setitimer(ITIMER_REAL, &zero, NULL);
	JT_EQ(got, 200);
	JT_EQ(eintr, 0);
	close(fds[0]);
	close(fds[1]);
	jt_behaviour("SIG-012", jt_failures_since_mark() == 0,
		     "SA_RESTART resumes a pipe read; EINTR without it");
}

/* SIG-013 */
static void test_no_restart(const char *self)
{
	jt_mark();
	set_handler(SIGUSR1, on_usr1, SA_RESTART);
	handled = 0;
	pid_t c = helper(-1);
	struct timespec req = {1, 0}, rem = {-1, -1};
	JT_ERRNO(nanosleep(&req, &rem), EINTR);
	JT_OK(rem.tv_sec >= 0 && (rem.tv_sec > 0 || rem.tv_nsec > 0) &&
	      (rem.tv_sec < 1 || (rem.tv_sec == 1 && rem.tv_nsec == 0)),
	      "nanosleep: 0 < rem <= the requested time");
	waitpid(c, NULL, 0);

	int fds[2];
	JT_EQ(pipe(fds), 0);
	for (int flags = 0; flags <= SA_RESTART; flags += SA_RESTART) {
		set_handler(SIGUSR1, on_usr1, flags);
		c = helper(-1);
		struct pollfd pfd = {fds[0], POLLIN, 0};
		JT_ERRNO(poll(&pfd, 1, 2000), EINTR);
		waitpid(c, NULL, 0);
		c = helper(-1);
		fd_set rs;
		FD_ZERO(&rs);
		FD_SET(fds[0], &rs);
		struct timeval tv = {2, 0};
		JT_ERRNO(select(fds[0] + 1, &rs, NULL, NULL, &tv), EINTR);
		waitpid(c, NULL, 0);
		int ep = epoll_create1(0);
		struct epoll_event ev = {.events = EPOLLIN}, out;
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev);
		c = helper(-1);
		JT_ERRNO(epoll_wait(ep, &out, 1, 2000), EINTR);
		waitpid(c, NULL, 0);
		close(ep);
	}
	close(fds[0]);
	close(fds[1]);

	/* Regular-file reads in a 1 ms SIGALRM storm, no SA_RESTART: never EINTR. */
	set_handler(SIGALRM, on_usr1, 0);
	struct itimerval it = {{0, 1000}, {0, 1000}}, zero = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &it, NULL);
	int eintr = 0, reads = 0;
	static char buf[4096];
	for (int round = 0; round < 20; round++) {
		int fd = open(self, O_RDONLY);
		if (fd < 0)
			break;
		ssize_t n;
		while ((n = read(fd, buf, sizeof buf)) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					eintr++;
				break;
			}
			reads++;
		}
		close(fd);
	}
	setitimer(ITIMER_REAL, &zero, NULL);
	JT_OKV(reads > 20, "regular-file reads happened", "%d", reads);
	JT_EQ(eintr, 0);
	set_handler(SIGUSR1, SIG_DFL, 0);
	jt_behaviour("SIG-013", jt_failures_since_mark() == 0,
		     "nanosleep, poll, select, epoll_wait give EINTR; file reads never");
}

int main(int argc, char **argv)
{
	const char *self = argc > 0 && argv[0][0] == '/' ? argv[0] : "/bin/sig_restart";
	test_pipe_restart();
	test_no_restart(self);
	return jt_done();
}
