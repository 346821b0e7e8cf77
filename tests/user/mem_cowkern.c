// covers: MEM-018
//
// Kernel writes into copy-on-write memory. A freshly forked child has the kernel write into
// pages it shares with its parent and has not written itself: a signal frame on an inherited
// alternate stack (and one on its ordinary stack), read() into an inherited buffer, waitpid's
// status into an inherited int, clock_gettime (the syscall, not the vDSO), poll's revents
// and epoll_wait's events. Each result must land in the child's private copy: the child
// checks what it got, and the parent, after the child has exited, checks that its own copies
// of those pages are untouched. An alarm turns a deadlock into a failure.
#define _GNU_SOURCE
#include "jtest.h"

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define PATTERN 0x5A
#define ALT_PAGES 4

/* One page per kernel write, each page-aligned, so the first write to it in the child is
 * the kernel's. */
enum { PG_READ, PG_WAIT, PG_CLOCK, PG_POLL, PG_EPOLL, PG_ALT, NPAGES = PG_ALT + ALT_PAGES };
static unsigned char area[NPAGES][PAGE] __attribute__((aligned(PAGE)));

static volatile sig_atomic_t alt_handled, stack_handled;
static volatile uintptr_t alt_sp;

static void on_alt(int sig)
{
	(void)sig;
	int local;
	alt_sp = (uintptr_t)&local;
	alt_handled = 1;
}

static void on_stack(int sig)
{
	(void)sig;
	stack_handled = 1;
}

/* The parent's setup before the fork: every page holds the pattern, with a pollfd at the
 * start of PG_POLL (revents 0). */
static void fill(int pollfd_fd)
{
	memset(area, PATTERN, sizeof area);
	struct pollfd pf = {pollfd_fd, POLLIN, 0};
	memcpy(area[PG_POLL], &pf, sizeof pf);
}

/* Whether page pg holds what fill() left there. */
static int untouched(int pg, int pollfd_fd)
{
	unsigned char want[PAGE];
	memset(want, PATTERN, sizeof want);
	if (pg == PG_POLL) {
		struct pollfd pf = {pollfd_fd, POLLIN, 0};
		memcpy(want, &pf, sizeof pf);
	}
	return memcmp(area[pg], want, PAGE) == 0;
}

/* The child's checks: a bit per failure (0: all good). */
static int child(int rfd, int wfd, int ep)
{
	int bad = 0;
	alarm(10);
	/* A signal frame on the inherited alternate stack, and one on the ordinary stack. */
	raise(SIGUSR1);
	if (!alt_handled || alt_sp < (uintptr_t)area[PG_ALT] ||
	    alt_sp >= (uintptr_t)area[PG_ALT] + ALT_PAGES * PAGE)
		bad |= 1;
	raise(SIGUSR2);
	if (!stack_handled)
		bad |= 2;
	/* read() into an inherited buffer. */
	if (write(wfd, "child", 5) != 5 || read(rfd, area[PG_READ], 5) != 5 ||
	    memcmp(area[PG_READ], "child", 5) != 0)
		bad |= 4;
	/* waitpid's status into an inherited int. */
	pid_t g = fork();
	if (g == 0)
		_exit(7);
	int *st = (int *)area[PG_WAIT];
	if (waitpid(g, st, 0) != g || !WIFEXITED(*st) || WEXITSTATUS(*st) != 7)
		bad |= 8;
	/* clock_gettime through the syscall (musl may use the vDSO). */
	struct timespec *ts = (struct timespec *)area[PG_CLOCK];
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, ts) != 0 || ts->tv_nsec < 0 ||
	    ts->tv_nsec >= 1000000000L)
		bad |= 16;
	/* poll's revents and epoll_wait's events (the pipe holds data again). */
	if (write(wfd, "p", 1) != 1)
		bad |= 32;
	struct pollfd *pf = (struct pollfd *)area[PG_POLL];
	if (poll(pf, 1, 1000) != 1 || pf->revents != POLLIN)
		bad |= 32;
	struct epoll_event *ev = (struct epoll_event *)area[PG_EPOLL];
	if (epoll_wait(ep, ev, 1, 1000) != 1 || ev->events != EPOLLIN || ev->data.u64 != 0x18)
		bad |= 64;
	return bad;
}

static void test_mem018(void)
{
	jt_mark();
	int p[2];
	JT_EQ(pipe(p), 0);
	int ep = epoll_create1(0);
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = 0x18};
	JT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e), 0);
	stack_t ss = {.ss_sp = area[PG_ALT], .ss_size = ALT_PAGES * PAGE, .ss_flags = 0};
	JT_EQ(sigaltstack(&ss, NULL), 0);
	struct sigaction sa = {.sa_handler = on_alt, .sa_flags = SA_ONSTACK};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_stack;
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	fill(p[0]);

	pid_t c = fork();
	if (c == 0)
		_exit(child(p[0], p[1], ep));
	int st = -1;
	JT_EQV(waitpid(c, &st, 0), c);
	JT_OKV(WIFEXITED(st), "the child exited (no deadlock)", "status %#x", st);
	int bad = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
	JT_OK(!(bad & 1), "child: the handler ran on the inherited alternate stack");
	JT_OK(!(bad & 2), "child: the handler ran on the ordinary stack");
	JT_OK(!(bad & 4), "child: read() filled its buffer");
	JT_OK(!(bad & 8), "child: waitpid wrote the status");
	JT_OK(!(bad & 16), "child: clock_gettime wrote the time");
	JT_OK(!(bad & 32), "child: poll wrote revents");
	JT_OK(!(bad & 64), "child: epoll_wait wrote the event");
	static const char *const names[NPAGES] = {"read", "waitpid", "clock_gettime", "poll",
						  "epoll_wait", "sigaltstack", "sigaltstack",
						  "sigaltstack", "sigaltstack"};
	for (int pg = 0; pg < NPAGES; pg++)
		JT_OK(untouched(pg, p[0]), "parent: its %s page %d is unchanged", names[pg], pg);
	/* The pipe: the child left one byte ("p") that nobody read. */
	char b[8];
	JT_EQ(read(p[0], b, sizeof b), 1);
	stack_t off = {.ss_flags = SS_DISABLE};
	sigaltstack(&off, NULL);
	close(ep);
	close(p[0]);
	close(p[1]);
	jt_behaviour("MEM-018", jt_failures_since_mark() == 0,
		     "signal frames, read, waitpid, clock_gettime, poll and epoll_wait write the "
		     "child's copies only");
}

int main(void)
{
	test_mem018();
	return jt_done();
}
