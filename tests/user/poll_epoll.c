// covers: POLL-009 POLL-010 POLL-011
//
// epoll: basics and the struct layout (POLL-009), an inherited events buffer written in a
// forked child only (POLL-010), and the rules (POLL-011): EEXIST, ENOENT, MOD, EPOLLET,
// EPOLLONESHOT, removal at the last close, the error cases, nesting, epoll_pwait's mask and
// the timeouts. musl's epoll_wait is epoll_pwait on aarch64; the test also calls epoll_pwait
// and epoll_pwait2 by number.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

#if defined(__x86_64__)
#define EVENT_SIZE 12
#else
#define EVENT_SIZE 16
#endif

/* uname's version names Janus on Janus (its sysname is Linux). */
static bool on_janus(void)
{
	struct utsname u;
	return uname(&u) == 0 && strstr(u.version, "Janus") != NULL;
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* epoll_wait with a zero timeout: the number of events, the first in *out. */
static int poll0(int ep, struct epoll_event *out)
{
	struct epoll_event evs[4];
	int n = epoll_wait(ep, evs, 4, 0);
	if (n > 0 && out)
		*out = evs[0];
	return n;
}

static pid_t reap(pid_t c)
{
	int st = -1;
	waitpid(c, &st, 0);
	return st;
}

/* POLL-009 */
static void test_basics(void)
{
	jt_mark();
	JT_OK(sizeof(struct epoll_event) == EVENT_SIZE,
	      "struct epoll_event is the port's size (12 bytes on x86_64, 16 on aarch64)");
	int ep = epoll_create1(0);
	JT_OK(ep >= 0, "epoll_create1(0) gives a descriptor");
	int p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(add(ep, p[0], EPOLLIN, 0xE9010001u), 0);
	struct epoll_event evs[4];
	memset(evs, 0, sizeof evs);
	JT_EQ(syscall(SYS_epoll_pwait, ep, evs, 4, 0, NULL, 8), 0);
	JT_EQ(write(p[1], "x", 1), 1);
	JT_EQ(syscall(SYS_epoll_pwait, ep, evs, 4, 0, NULL, 8), 1);
	JT_EQ(evs[0].events, EPOLLIN);
	JT_EQ(evs[0].data.u64, 0xE9010001u);
	/* The raw layout: data right after the 4-byte events on x86_64, at 8 on aarch64. */
	unsigned char raw[2 * EVENT_SIZE];
	memset(raw, 0xff, sizeof raw);
	JT_EQ(syscall(SYS_epoll_pwait, ep, raw, 2, 0, NULL, 8), 1);
	uint32_t e32;
	uint64_t d64;
	memcpy(&e32, raw, 4);
	memcpy(&d64, raw + EVENT_SIZE - 8, 8);
	JT_EQ(e32, EPOLLIN);
	JT_EQ(d64, 0xE9010001u);
	JT_EQ(raw[EVENT_SIZE], 0xff); /* the second slot untouched */
	close(p[0]);
	close(p[1]);
	close(ep);
	jt_behaviour("POLL-009", jt_failures_since_mark() == 0,
		     "one EPOLLIN event with data 0xE9010001; struct epoll_event is 12 bytes "
		     "on x86_64, 16 on aarch64");
}

/* POLL-010: the events buffer is a page of the parent's stack that the child has not
 * written before the call, so the kernel's write breaks the copy-on-write sharing. */
static void test_fork(void)
{
	jt_mark();
	unsigned char area[3 * 4096];
	memset(area, 0, sizeof area);
	struct epoll_event *buf =
		(struct epoll_event *)(((uintptr_t)area + 4095) & ~(uintptr_t)4095);
	int ep = epoll_create1(0), p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(add(ep, p[0], EPOLLIN, 0xC0FFEE68u), 0);
	JT_EQ(write(p[1], "f", 1), 1);
	pid_t c = fork();
	if (c == 0) {
		alarm(10);
		int n = epoll_wait(ep, buf, 4, 1000);
		_exit(n == 1 && buf[0].events == EPOLLIN && buf[0].data.u64 == 0xC0FFEE68u ? 0 : 1);
	}
	int st = reap(c);
	JT_OKV(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child got the event", "status %#x", st);
	int zero = 1;
	for (size_t i = 0; i < sizeof area; i++)
		zero &= area[i] == 0;
	JT_OK(zero, "the parent's copy of the buffer is still zero");
	/* The parent still gets it too: level-triggered and the data is still there. */
	struct epoll_event ev;
	JT_EQ(poll0(ep, &ev), 1);
	JT_EQ(ev.data.u64, 0xC0FFEE68u);
	close(p[0]);
	close(p[1]);
	close(ep);
	jt_behaviour("POLL-010", jt_failures_since_mark() == 0,
		     "the child's epoll_wait fills its copy only (data 0xC0FFEE68)");
}

/* EEXIST, ENOENT, MOD, and the error cases. */
static void test_ctl_rules(void)
{
	int ep = epoll_create1(0), p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(add(ep, p[0], EPOLLIN, 1), 0);
	JT_ERRNO(add(ep, p[0], EPOLLIN, 1), EEXIST);
	JT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), ENOENT);
	JT_ERRNO(mod(ep, p[1], EPOLLIN, 1), ENOENT);
	JT_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	JT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);

	/* MOD changes the mask: the write end watched for EPOLLIN is never ready, for
	 * EPOLLOUT at once; the new data comes with it. */
	JT_EQ(add(ep, p[1], EPOLLIN, 2), 0);
	JT_EQ(poll0(ep, NULL), 0);
	JT_EQ(mod(ep, p[1], EPOLLOUT, 3), 0);
	struct epoll_event ev;
	JT_EQ(poll0(ep, &ev), 1);
	JT_EQ(ev.events, EPOLLOUT);
	JT_EQ(ev.data.u64, 3);
	JT_EQ(mod(ep, p[1], EPOLLIN, 4), 0);
	JT_EQ(poll0(ep, NULL), 0);

	/* A dup'd descriptor of the same file is a registration of its own. */
	int d = dup(p[1]);
	JT_EQ(add(ep, d, EPOLLOUT, 5), 0);
	JT_EQ(poll0(ep, &ev), 1);
	JT_EQ(ev.data.u64, 5);
	close(d);
	close(p[0]);
	close(p[1]);
	close(ep);
}

/* The error cases of epoll_ctl and epoll_wait, and the epoll file's own read and lseek. */
static void test_ctl_errors(void)
{
	int ep = epoll_create1(0), p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(add(ep, p[1], EPOLLIN, 4), 0);
	struct epoll_event ev = {0};
	int reg = open("/hello.txt", O_RDONLY);
	JT_ERRNO(add(ep, reg, EPOLLIN, 0), EPERM);
	JT_ERRNO(add(ep, ep, EPOLLIN, 0), EINVAL);
	JT_ERRNO(add(p[0], p[1], EPOLLIN, 0), EINVAL); /* epfd is no epoll instance */
	JT_ERRNO(add(ep, 999, EPOLLIN, 0), EBADF);
	JT_ERRNO(add(999, p[0], EPOLLIN, 0), EBADF);
	JT_ERRNO(epoll_ctl(ep, 77, p[0], &ev), EINVAL);
	JT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], (struct epoll_event *)8), EFAULT);
	JT_ERRNO(add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0), EINVAL);
	JT_EQ(add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 0), 0);
	JT_ERRNO(mod(ep, p[0], EPOLLIN, 0), EINVAL);
	JT_ERRNO(mod(ep, p[1], EPOLLIN | EPOLLEXCLUSIVE, 0), EINVAL);
	JT_ERRNO(epoll_wait(ep, &ev, 0, 0), EINVAL);
	JT_ERRNO(epoll_wait(ep, &ev, -1, 0), EINVAL);
	JT_ERRNO(epoll_wait(p[0], &ev, 1, 0), EINVAL);
	JT_ERRNO(epoll_wait(999, &ev, 1, 0), EBADF);
	JT_ERRNO(epoll_wait(ep, (struct epoll_event *)(uintptr_t)-4096, 1, 0), EFAULT);
	char b;
	JT_ERRNO(read(ep, &b, 1), EINVAL);
	JT_EQ(lseek(ep, 10, SEEK_SET), 0); /* Linux's noop_llseek */
	close(reg);
	close(p[0]);
	close(p[1]);
	close(ep);
}

/* EPOLLET: once per new arrival; level-triggered: as long as readable. EPOLLONESHOT: once
 * until re-armed with MOD. EPOLLHUP without asking. */
static void test_triggers(void)
{
	int ep = epoll_create1(0), p[2], q[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(pipe(q), 0);
	JT_EQ(add(ep, p[0], EPOLLIN | EPOLLET, 10), 0);
	JT_EQ(poll0(ep, NULL), 0);
	JT_EQ(write(p[1], "a", 1), 1);
	JT_EQ(poll0(ep, NULL), 1);
	JT_EQ(poll0(ep, NULL), 0); /* still readable, but nothing new */
	JT_EQ(write(p[1], "b", 1), 1);
	JT_EQ(poll0(ep, NULL), 1);
	JT_EQ(poll0(ep, NULL), 0);
	JT_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);

	JT_EQ(add(ep, p[0], EPOLLIN, 11), 0); /* level-triggered: reported every time */
	JT_EQ(poll0(ep, NULL), 1);
	JT_EQ(poll0(ep, NULL), 1);
	char buf[8];
	JT_EQ(read(p[0], buf, sizeof buf), 2);
	JT_EQ(poll0(ep, NULL), 0);
	JT_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);

	JT_EQ(add(ep, q[0], EPOLLIN | EPOLLONESHOT, 12), 0);
	JT_EQ(write(q[1], "c", 1), 1);
	JT_EQ(poll0(ep, NULL), 1);
	JT_EQ(poll0(ep, NULL), 0);
	JT_EQ(write(q[1], "d", 1), 1);
	JT_EQ(poll0(ep, NULL), 0); /* disarmed */
	JT_EQ(mod(ep, q[0], EPOLLIN | EPOLLONESHOT, 13), 0);
	struct epoll_event ev;
	JT_EQ(poll0(ep, &ev), 1);
	JT_EQ(ev.data.u64, 13);
	JT_EQ(poll0(ep, NULL), 0);
	JT_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL), 0);

	JT_EQ(add(ep, p[0], EPOLLIN, 14), 0);
	close(p[1]);
	JT_EQ(poll0(ep, &ev), 1);
	JT_EQ(ev.events, EPOLLHUP);
	close(p[0]);
	close(q[0]);
	close(q[1]);
	close(ep);
}

/* Closing one of two descriptors of a file keeps the registration; the last close drops it. */
static void test_close(void)
{
	int ep = epoll_create1(0), p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(add(ep, p[0], EPOLLIN, 20), 0);
	JT_EQ(write(p[1], "x", 1), 1);
	int d = dup(p[0]);
	close(p[0]);
	struct epoll_event ev;
	JT_EQ(poll0(ep, &ev), 1);
	JT_EQ(ev.data.u64, 20);
	JT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), EBADF);
	close(d);
	JT_EQ(poll0(ep, NULL), 0);
	/* A new file on the same descriptor number is not registered. */
	int r = dup2(p[1], p[0]);
	JT_EQV(r, p[0]);
	JT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
	close(p[0]);
	close(p[1]);
	close(ep);
}

/* epoll_create1's flags and epoll_create's size. */
static void test_create(void)
{
	JT_ERRNO(epoll_create1(1), EINVAL);
	JT_ERRNO(epoll_create1(O_NONBLOCK), EINVAL);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	JT_OK(ep >= 0, "epoll_create1(EPOLL_CLOEXEC)");
	JT_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC);
	JT_EQ(fcntl(ep, F_GETFL) & O_ACCMODE, O_RDWR);
	close(ep);
	/* x86_64's legacy epoll_create, by number (musl's wrapper may not check the size);
	 * aarch64 has no such call, and musl's epoll_create is epoll_create1 there. */
#ifdef SYS_epoll_create
	bool legacy = syscall(SYS_epoll_create, 0) == -1 && errno == EINVAL &&
		      syscall(SYS_epoll_create, -1) == -1 && errno == EINVAL;
	ep = (int)syscall(SYS_epoll_create, 1);
#else
	bool legacy = true;
	ep = epoll_create(1);
#endif
	JT_OK(legacy, "epoll_create: a size <= 0 is EINVAL (x86_64)");
	JT_OK(ep >= 0, "epoll_create(1)");
	JT_EQ(fcntl(ep, F_GETFD), 0);
	close(ep);
}

/* An epoll descriptor inside poll and inside another epoll set; loops are refused. */
static void test_nested(void)
{
	int inner = epoll_create1(0), outer = epoll_create1(0), p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(add(inner, p[0], EPOLLIN, 30), 0);
	JT_EQ(add(outer, inner, EPOLLIN, 31), 0);
	JT_ERRNO(add(inner, outer, EPOLLIN, 32), ELOOP);
	struct pollfd pf = {inner, POLLIN, 0};
	JT_EQ(poll(&pf, 1, 0), 0);
	JT_EQ(poll0(outer, NULL), 0);
	JT_EQ(write(p[1], "n", 1), 1);
	JT_EQ(poll(&pf, 1, 0), 1);
	JT_EQ(pf.revents, POLLIN);
	struct epoll_event ev;
	JT_EQ(poll0(outer, &ev), 1);
	JT_EQ(ev.events, EPOLLIN);
	JT_EQ(ev.data.u64, 31);
	JT_EQ(poll0(inner, &ev), 1); /* looking from outside consumed nothing */
	JT_EQ(ev.data.u64, 30);
	close(inner); /* the last reference: it leaves the outer set */
	JT_EQ(poll0(outer, NULL), 0);
	close(outer);
	close(p[0]);
	close(p[1]);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* A child that writes to fd (or signals the parent, fd < 0) after ms milliseconds. */
static pid_t after(int fd, int ms)
{
	pid_t parent = getpid(), c = fork();
	if (c == 0) {
		struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
		nanosleep(&d, NULL);
		if (fd < 0)
			kill(parent, SIGUSR1);
		else if (write(fd, "w", 1) != 1)
			_exit(1);
		_exit(0);
	}
	return c;
}

/* Timeouts, a wake-up by a write, epoll_pwait's mask, epoll_pwait2's timespec. */
static void test_waits(void)
{
	int ep = epoll_create1(0), p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(add(ep, p[0], EPOLLIN, 40), 0);
	struct epoll_event ev;
	long long t0 = jt_now_ms();
	JT_EQ(epoll_wait(ep, &ev, 1, 100), 0);
	long long dt = jt_now_ms() - t0;
	JT_OKV(dt >= 100 && dt < 2000, "a 100 ms timeout waits 100 ms", "took %lld ms", dt);

	pid_t c = after(p[1], 150);
	t0 = jt_now_ms();
	JT_EQ(epoll_wait(ep, &ev, 1, -1), 1);
	dt = jt_now_ms() - t0;
	JT_OKV(dt >= 100, "-1 waits for the child's write", "took %lld ms", dt);
	JT_EQ(ev.data.u64, 40);
	reap(c);
	char b[4];
	JT_EQ(read(p[0], b, sizeof b), 1);

	/* epoll_pwait2: qemu-user 7.2 lacks it (ENOSYS), so only Janus must have it. */
	struct timespec ts = {0, 100 * 1000000L}, bad = {0, 1000000000L};
	t0 = jt_now_ms();
	long r = syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, NULL, 8);
	int e = errno;
	dt = jt_now_ms() - t0;
	long r2 = syscall(SYS_epoll_pwait2, ep, &ev, 1, &bad, NULL, 8);
	int e2 = errno;
	bool missing_ok = r == -1 && e == ENOSYS && !on_janus();
	JT_OKV((r == 0 && dt >= 100 && dt < 2000) || missing_ok, "epoll_pwait2: a 100 ms timespec",
	       "returned %ld (errno %d) after %lld ms", r, e, dt);
	JT_OKV((r2 == -1 && e2 == EINVAL) || missing_ok, "epoll_pwait2: tv_nsec 1e9 is EINVAL",
	       "returned %ld (errno %d)", r2, e2);
	close(p[0]);
	close(p[1]);
	close(ep);
}

/* SIGUSR1 blocked and pending: epoll_pwait's empty mask lets it in, EINTR, and the old mask
 * is back afterwards; a handled signal ends an endless epoll_wait with EINTR. */
static void test_signals(void)
{
	int ep = epoll_create1(0), p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(add(ep, p[0], EPOLLIN, 41), 0);
	struct epoll_event ev;
	struct sigaction sa = {.sa_handler = on_usr1};
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t block, old, empty, now;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &block, &old);
	kill(getpid(), SIGUSR1);
	JT_ERRNO(epoll_pwait(ep, &ev, 1, 1000, &empty), EINTR);
	sigprocmask(SIG_BLOCK, NULL, &now);
	JT_OK(sigismember(&now, SIGUSR1), "the old mask is back after epoll_pwait");
	JT_ERRNO(syscall(SYS_epoll_pwait, ep, &ev, 1, 0, &empty, 4), EINVAL);
	sigprocmask(SIG_SETMASK, &old, NULL);

	pid_t c = after(-1, 100);
	JT_ERRNO(epoll_wait(ep, &ev, 1, -1), EINTR);
	reap(c);
	close(p[0]);
	close(p[1]);
	close(ep);
}

int main(void)
{
	test_basics();
	test_fork();
	jt_mark();
	test_ctl_rules();
	test_ctl_errors();
	test_triggers();
	test_close();
	test_create();
	test_nested();
	test_waits();
	test_signals();
	jt_behaviour("POLL-011", jt_failures_since_mark() == 0,
		     "EEXIST, ENOENT, MOD, EPOLLET once per arrival, last close removes, EINVAL, "
		     "100 ms timeout");
	return jt_done();
}
