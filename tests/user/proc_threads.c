// covers: PROC-023 PROC-024 PROC-027
//
// musl pthreads, exit versus exit_group in a threaded process, and futex (also after an
// exec: the program re-executes itself with JT_MODE=futex and checks again).
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The futex operations (musl has no <linux/futex.h>). */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | 128)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | 128)

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static long futex(volatile int *uaddr, int op, int val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

/* --- PROC-023 --- */

static int shared_counter;
static long thread_tids[4];

static void *worker(void *arg)
{
	long i = (long)arg;
	thread_tids[i] = syscall(SYS_gettid);
	__atomic_fetch_add(&shared_counter, 10, __ATOMIC_SEQ_CST);
	errno = 1000 + (int)i; /* errno is per thread */
	sleep_ms(10);
	if (errno != 1000 + (int)i)
		return (void *)-1L;
	if (getpid() != (pid_t)(long)thread_tids[3]) /* slot 3 holds the pid */
		return (void *)-2L;
	return (void *)(i * 100 + 7);
}

static void test_proc023(void)
{
	jt_mark();
	pthread_t t[3];
	thread_tids[3] = getpid();
	errno = 0;
	for (long i = 0; i < 3; i++)
		JT_EQ(pthread_create(&t[i], NULL, worker, (void *)i), 0);
	for (long i = 0; i < 3; i++) {
		void *ret = NULL;
		JT_EQ(pthread_join(t[i], &ret), 0);
		JT_EQ((long)ret, i * 100 + 7);
	}
	JT_EQ(shared_counter, 30);
	JT_EQ(errno, 0); /* the threads' errno values did not leak here */
	long me = syscall(SYS_gettid);
	JT_EQV(me, getpid());
	JT_OK(thread_tids[0] != me && thread_tids[1] != me && thread_tids[2] != me &&
		      thread_tids[0] != thread_tids[1] && thread_tids[1] != thread_tids[2] &&
		      thread_tids[0] > 0,
	      "gettid differs in every thread");
	jt_behaviour("PROC-023", jt_failures_since_mark() == 0,
		     "threads share memory; join returns values; one pid, distinct tids");
}

/* --- PROC-024 --- */

static int report_fd = -1;

static void *exit_group_thread(void *arg)
{
	(void)arg;
	sleep_ms(20);
	exit(33); /* exit_group from a non-main thread */
}

static void *raw_exit_thread(void *arg)
{
	(void)arg;
	if (write(report_fd, "bye", 3) != 3)
		_exit(1);
	syscall(SYS_exit, 0); /* this thread only (musl's bookkeeping is bypassed: no join) */
	return NULL;
}

static void *survivor_thread(void *arg)
{
	(void)arg;
	sleep_ms(50); /* the main thread has exited by now */
	if (write(report_fd, "alive", 5) != 5)
		_exit(1);
	syscall(SYS_exit_group, 44);
	return NULL;
}

static int child_status(void (*body)(void))
{
	pid_t c = fork();
	if (c == 0) {
		body();
		_exit(99);
	}
	int st = -1;
	waitpid(c, &st, 0);
	return st;
}

static void body_exit_group(void)
{
	pthread_t t;
	pthread_create(&t, NULL, exit_group_thread, NULL);
	for (;;)
		pause(); /* ended by the other thread's exit_group */
}

static int report_rd = -1;

static void body_raw_exit(void)
{
	pthread_t t;
	char b[4];
	pthread_create(&t, NULL, raw_exit_thread, NULL);
	if (read(report_rd, b, 3) != 3)
		_exit(2);
	sleep_ms(50); /* the thread is gone by now; this thread carries on */
	_exit(0);
}

static void body_main_exits(void)
{
	pthread_t t;
	pthread_create(&t, NULL, survivor_thread, NULL);
	syscall(SYS_exit, 0); /* the main thread alone */
}

static void test_proc024(void)
{
	jt_mark();
	int st = child_status(body_exit_group);
	JT_OKV(WIFEXITED(st) && WEXITSTATUS(st) == 33,
	       "exit(33) in a thread ends the process with 33", "status %#x", st);
	int p[2];
	JT_EQ(pipe(p), 0);
	report_fd = p[1];
	report_rd = p[0];
	st = child_status(body_raw_exit);
	JT_OKV(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "SYS_exit in a thread: the main thread goes on", "status %#x", st);
	close(p[0]);
	close(p[1]);
	JT_EQ(pipe(p), 0);
	report_fd = p[1];
	st = child_status(body_main_exits);
	close(p[1]);
	char b[8] = {0};
	JT_EQ(read(p[0], b, sizeof b), 5);
	JT_STREQ(b, "alive");
	close(p[0]);
	JT_OKV(WIFEXITED(st) && WEXITSTATUS(st) == 44,
	       "SYS_exit of the main thread leaves the other, whose exit_group(44) is reported",
	       "status %#x", st);
	jt_behaviour("PROC-024", jt_failures_since_mark() == 0,
		     "exit_group ends all threads; SYS_exit ends one");
}

/* --- PROC-027 --- */

static volatile int fword;

/* Waits on fword until it becomes nonzero; wake-ups while it is still 0 send it back to
 * sleep, so the main thread can probe with FUTEX_WAKE until one finds it blocked. */
static void *futex_waiter(void *arg)
{
	(void)arg;
	struct timespec ts = {5, 0};
	while (__atomic_load_n(&fword, __ATOMIC_SEQ_CST) == 0)
		futex(&fword, FUTEX_WAIT, 0, &ts);
	return (void *)1L;
}

/* The futex checks; returns the number of failures (run both before and after exec). */
static int futex_checks(void)
{
	int before = jt_failures();
	volatile int w = 5;
	JT_EQ(futex(&w, FUTEX_WAKE, 1, NULL), 0);
	JT_EQ(futex(&w, FUTEX_WAKE_PRIVATE, INT_MAX, NULL), 0);
	JT_ERRNO(futex(&w, FUTEX_WAIT, 6, NULL), EAGAIN);
	JT_ERRNO(futex(&w, FUTEX_WAIT_PRIVATE, 4, NULL), EAGAIN);
	struct timespec ts = {0, 100 * 1000000L};
	long long t0 = jt_now_ms();
	JT_ERRNO(futex(&w, FUTEX_WAIT, 5, &ts), ETIMEDOUT);
	long long dt = jt_now_ms() - t0;
	JT_OKV(dt >= 100, "a 100 ms wait times out after >= 100 ms", "%lld", dt);
	JT_OKV(dt < 2000, "... and not much later", "%lld", dt);

	/* Wake a waiter in another thread: FUTEX_WAKE returns 1 once it is blocked (until then,
	 * 0; probe every millisecond for up to 5 s). */
	fword = 0;
	pthread_t t;
	JT_EQ(pthread_create(&t, NULL, futex_waiter, NULL), 0);
	long woken = 0;
	for (int i = 0; i < 5000 && woken == 0; i++) {
		sleep_ms(1);
		woken = futex(&fword, FUTEX_WAKE, 1, NULL);
	}
	JT_EQ(woken, 1);
	__atomic_store_n(&fword, 1, __ATOMIC_SEQ_CST);
	futex(&fword, FUTEX_WAKE, 1, NULL); /* it may have gone back to sleep meanwhile */
	void *ret = NULL;
	JT_EQ(pthread_join(t, &ret), 0);
	JT_EQ((long)ret, 1);
	return jt_failures() - before;
}

static void test_proc027(const char *self)
{
	jt_mark();
	futex_checks();
	/* Again in a freshly exec'd image. */
	pid_t c = fork();
	if (c == 0) {
		char *av[] = {(char *)"proc_threads", NULL};
		char *ev[] = {(char *)"JT_MODE=futex", NULL};
		int nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1); /* the exec'd image reports through its exit status only */
		execve(self, av, ev);
		_exit(127);
	}
	int st = -1;
	JT_EQV(waitpid(c, &st, 0), c);
	JT_OKV(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the futex checks pass after an exec",
	       "status %#x", st);
	jt_behaviour("PROC-027", jt_failures_since_mark() == 0,
		     "WAKE 0, EAGAIN, ETIMEDOUT after 100 ms, WAKE 1; after exec too");
}

int main(int argc, char **argv)
{
	const char *mode = getenv("JT_MODE");
	if (mode && strcmp(mode, "futex") == 0)
		return futex_checks() == 0 ? 0 : 1;
	const char *self = argc > 0 && argv[0][0] == '/' ? argv[0] : "/bin/proc_threads";
	test_proc023();
	test_proc024();
	test_proc027(self);
	return jt_done();
}
