// covers: SIG-001 SIG-002 SIG-008 SIG-011 SIG-014 SIG-015
//
// Handlers and masks: delivery to self before kill returns (SIG-001), resuming after the
// handler with writes from both sides intact (SIG-002), blocking, pending and unblocking
// (SIG-008), masks inside handlers with sa_mask, SA_NODEFER and SA_RESETHAND (SIG-011),
// pause (SIG-014) and sigsuspend (SIG-015).
#define _GNU_SOURCE
#include "jtest.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int got_sig, count1, count2, countprof, depth, max_depth;
static volatile int before_flag, after_flag, seen_before, seen_after;
static volatile int usr2_nested, mask_had_usr1, mask_had_prof, prof_during;

static void set_handler(int sig, void (*fn)(int), int flags, int masked)
{
	struct sigaction sa = {0};
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (masked)
		sigaddset(&sa.sa_mask, masked);
	sigaction(sig, &sa, NULL);
}

static void msleep(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* A child that sends sig to the parent after ms, then exits. */
static pid_t send_later(int sig, int ms)
{
	pid_t parent = getpid(), c = fork();
	if (c == 0) {
		msleep(ms);
		kill(parent, sig);
		_exit(0);
	}
	return c;
}

static void on_simple(int sig)
{
	got_sig = sig;
	seen_before = before_flag;
	seen_after = after_flag;
}

/* SIG-001 and the first half of SIG-002 */
static void test_self(void)
{
	jt_mark();
	set_handler(SIGUSR1, on_simple, 0, 0);
	got_sig = 0;
	before_flag = 1;
	JT_EQ(kill(getpid(), SIGUSR1), 0);
	int got = got_sig; /* read right after kill returns */
	after_flag = 1;
	JT_EQ(got, SIGUSR1);
	jt_behaviour("SIG-001", jt_failures_since_mark() == 0,
		     "the handler ran with 10 before kill returned");
	JT_EQ(seen_before, 1);
	JT_EQ(seen_after, 0);
	JT_EQ(after_flag, 1);
}

/* SIG-002: writes to one pipe from the main flow and from handlers that interrupt them. */
static int pipe_w;
static void on_write(int sig)
{
	(void)sig;
	count1++;
	write(pipe_w, "HHHH", 4);
}

#define WBYTES (192 * 1024)

static void test_return_path(void)
{
	jt_mark();
	int fds[2];
	JT_EQ(pipe(fds), 0);
	pipe_w = fds[1];
	count1 = 0;
	set_handler(SIGUSR1, on_write, SA_RESTART, 0);
	pid_t parent = getpid(), reader = fork();
	if (reader == 0) {
		close(fds[1]);
		static char buf[4096];
		long total = 0, data = 0, marks = 0, bad = 0, next_kill = 8192;
		ssize_t n;
		while ((n = read(fds[0], buf, sizeof buf)) > 0) {
			for (ssize_t i = 0; i < n; i++) {
				if (buf[i] == 'H') {
					marks++;
				} else {
					if (buf[i] != (char)('a' + data % 26))
						bad++;
					data++;
				}
			}
			total += n;
			if (total >= next_kill) {
				kill(parent, SIGUSR1);
				next_kill += 16384;
				struct timespec ts = {0, 2000000};
				nanosleep(&ts, NULL);
			}
		}
		/* exit: 0 if all data in order and whole 4-byte marks */
		_exit(bad || data != WBYTES || marks % 4 ? 1 : 0);
	}
	close(fds[0]);
	static char out[WBYTES];
	for (long i = 0; i < WBYTES; i++)
		out[i] = (char)('a' + i % 26);
	long done = 0;
	int errs = 0;
	while (done < WBYTES) {
		ssize_t n = write(fds[1], out + done, WBYTES - done);
		if (n < 0)
			errs++;
		else
			done += n;
		if (errs > 100)
			break;
	}
	close(fds[1]);
	int st = -1;
	waitpid(reader, &st, 0);
	JT_EQ(errs, 0);
	JT_OKV(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "the pipe holds every byte in order and every handler's write whole",
	       "status %#x, %d handlers", st, count1);
	JT_OKV(count1 >= 1, "handlers ran during the writes", "%d", count1);
	set_handler(SIGUSR1, SIG_DFL, 0, 0);
	jt_behaviour("SIG-002", jt_failures_since_mark() == 0,
		     "resumes after the handler; interleaved writes intact");
}

static bool in_mask(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, sig);
}

/* SIG-008 */
static void test_masks(void)
{
	jt_mark();
	set_handler(SIGUSR1, on_simple, 0, 0);
	sigset_t s, pend;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	JT_EQ(sigprocmask(SIG_BLOCK, &s, NULL), 0);
	JT_OK(in_mask(SIGUSR1), "the mask read back shows SIGUSR1");
	got_sig = 0;
	kill(getpid(), SIGUSR1);
	JT_EQ(got_sig, 0);
	sigpending(&pend);
	JT_OK(sigismember(&pend, SIGUSR1), "SIGUSR1 is pending");
	JT_EQ(sigprocmask(SIG_UNBLOCK, &s, NULL), 0);
	JT_EQ(got_sig, SIGUSR1); /* before sigprocmask returned */
	sigpending(&pend);
	JT_OK(!sigismember(&pend, SIGUSR1), "no longer pending");
	sigset_t ks;
	sigemptyset(&ks);
	sigaddset(&ks, SIGKILL);
	sigaddset(&ks, SIGSTOP);
	JT_EQ(sigprocmask(SIG_BLOCK, &ks, NULL), 0);
	JT_OK(!in_mask(SIGKILL) && !in_mask(SIGSTOP), "SIGKILL and SIGSTOP dropped from the mask");
	uint64_t raw = 0;
	JT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &raw, NULL, 4), EINVAL);
	JT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &raw, NULL, 16), EINVAL);
	set_handler(SIGUSR1, SIG_DFL, 0, 0);
	jt_behaviour("SIG-008", jt_failures_since_mark() == 0,
		     "block, pending, delivery at unblock, unblockable bits, sigsetsize");
}

static void on_prof(int sig)
{
	(void)sig;
	countprof++;
	prof_during = depth;
}
static void on_usr2(int sig)
{
	(void)sig;
	count2++;
	usr2_nested = depth;
}
static void on_usr1_nest(int sig)
{
	(void)sig;
	count1++;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (count1 == 1) {
		mask_had_usr1 = in_mask(SIGUSR1);
		mask_had_prof = in_mask(SIGPROF);
		kill(getpid(), SIGUSR1); /* deferred unless SA_NODEFER */
		kill(getpid(), SIGPROF); /* in sa_mask: deferred */
		kill(getpid(), SIGUSR2); /* nests */
	}
	depth--;
}

/* SIG-011 */
static void test_handler_masks(void)
{
	jt_mark();
	set_handler(SIGPROF, on_prof, 0, 0);
	set_handler(SIGUSR2, on_usr2, 0, 0);
	set_handler(SIGUSR1, on_usr1_nest, 0, SIGPROF);
	count1 = count2 = countprof = depth = max_depth = 0;
	usr2_nested = -1;
	prof_during = -1;
	kill(getpid(), SIGUSR1);
	JT_OK(mask_had_usr1 && mask_had_prof, "inside: SIGUSR1 and sa_mask blocked");
	JT_EQ(count1, 2);       /* the nested one ran after the first returned */
	JT_EQ(max_depth, 1);    /* never inside itself */
	JT_EQ(count2, 1);
	JT_EQ(usr2_nested, 1);  /* SIGUSR2 nested inside the SIGUSR1 handler */
	JT_EQ(countprof, 1);
	JT_EQ(prof_during, 0);  /* SIGPROF waited for the handler to return */
	JT_OK(!in_mask(SIGUSR1) && !in_mask(SIGPROF), "the old mask is back");

	set_handler(SIGUSR1, on_usr1_nest, SA_NODEFER, 0);
	count1 = count2 = countprof = depth = max_depth = 0;
	kill(getpid(), SIGUSR1);
	JT_EQ(count1, 2);
	JT_EQ(max_depth, 2); /* SA_NODEFER: the nested kill ran inside */

	pid_t c = fork();
	if (c == 0) {
		set_handler(SIGUSR1, on_simple, SA_RESETHAND, 0);
		got_sig = 0;
		kill(getpid(), SIGUSR1);
		if (got_sig != SIGUSR1)
			_exit(3);
		kill(getpid(), SIGUSR1);
		_exit(4);
	}
	int st = -1;
	waitpid(c, &st, 0);
	JT_OKV(WIFSIGNALED(st) && WTERMSIG(st) == SIGUSR1,
	       "SA_RESETHAND: once, then SIGUSR1 terminates", "status %#x", st);
	set_handler(SIGUSR1, SIG_DFL, 0, 0);
	set_handler(SIGUSR2, SIG_DFL, 0, 0);
	set_handler(SIGPROF, SIG_DFL, 0, 0);
	jt_behaviour("SIG-011", jt_failures_since_mark() == 0,
		     "handler masks, nesting, SA_NODEFER, SA_RESETHAND");
}

/* SIG-014 */
static void test_pause(void)
{
	jt_mark();
	set_handler(SIGUSR1, on_simple, 0, 0);
	got_sig = 0;
	pid_t c = send_later(SIGUSR1, 100);
	int r = got_sig ? -1 : pause(); /* racy by design: the signal may come first */
	int e = errno;
	if (r == -1 && got_sig && e != EINTR)
		e = EINTR; /* delivered before pause was entered: accepted */
	JT_EQ(r, -1);
	JT_EQ(e, EINTR);
	JT_EQ(got_sig, SIGUSR1);
	waitpid(c, NULL, 0);
	set_handler(SIGUSR1, SIG_DFL, 0, 0);
	jt_behaviour("SIG-014", jt_failures_since_mark() == 0, "pause returns EINTR after the handler");
}

/* SIG-015 */
static void test_sigsuspend(void)
{
	jt_mark();
	set_handler(SIGUSR1, on_simple, 0, 0);
	sigset_t s, empty;
	sigemptyset(&s);
	sigemptyset(&empty);
	sigaddset(&s, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	got_sig = 0;
	pid_t c = send_later(SIGUSR1, 100);
	errno = 0;
	int r = sigsuspend(&empty);
	JT_EQ(r, -1);
	JT_EQ(errno, EINTR);
	JT_EQ(got_sig, SIGUSR1);
	JT_OK(in_mask(SIGUSR1), "SIGUSR1 blocked again afterwards");
	waitpid(c, NULL, 0);
	got_sig = 0;
	kill(getpid(), SIGUSR1); /* pending before the call */
	JT_EQ(got_sig, 0);
	errno = 0;
	r = sigsuspend(&empty);
	JT_EQ(r, -1);
	JT_EQ(errno, EINTR);
	JT_EQ(got_sig, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	set_handler(SIGUSR1, SIG_DFL, 0, 0);
	jt_behaviour("SIG-015", jt_failures_since_mark() == 0,
		     "sigsuspend returns EINTR after the handler; no lost wake-up");
}

int main(void)
{
	test_self();
	test_return_path();
	test_masks();
	test_handler_masks();
	test_pause();
	test_sigsuspend();
	return jt_done();
}
