// covers: ABI-010
//
// FP/SIMD state belongs to each process. Parent and child run different scalar double and
// vector (compiler vector extensions: SSE on x86_64, NEON on aarch64, one source) chains,
// round after round, with sched_yield, short sleeps and signal handlers that do FP work of
// their own in between, and each compares every round bit for bit with the result it computed
// once before the other started. The child sets the rounding mode to upward (MXCSR and the
// x87 control word on x86_64, FPCR on aarch64); the parent keeps to-nearest and checks that it
// stays so, and that its results keep their to-nearest bits. Any SIGILL (FP/SIMD at EL0 trapped
// on aarch64) would kill a process, which the parent sees in the wait status.
#define _GNU_SOURCE
#include "jtest.h"

#include <fenv.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef double v2d __attribute__((vector_size(16)));
typedef float v4f __attribute__((vector_size(16)));

struct result {
	double s;
	v2d d;
	v4f f;
};

static volatile double seed_a = 1.0 / 3.0, seed_b = 2.0 / 7.0;
static volatile int handler_runs;
static volatile double handler_sink;

/* A chain whose last bits depend on every rounding step. */
__attribute__((noinline)) static struct result compute(double seed, int n)
{
	struct result r;
	double x = seed;
	v2d d = {seed, seed * 1.5};
	v4f f = {(float)seed, 0.1f, (float)(seed / 3), 1.7f};
	const v2d dm = {1.0000001, 0.9999997}, da = {0.3, 1.0 / 9.0};
	const v4f fm = {1.001f, 0.999f, 1.0003f, 0.9997f}, fa = {0.1f, 0.2f, 0.3f, 0.7f};
	for (int i = 0; i < n; i++) {
		x = x * 1.0000003 + 1.0 / 3.0;
		x = x / 1.0000001 - 0.1;
		d = d * dm + da;
		d = d / (dm + da);
		f = f * fm + fa;
		f = f / (fm + fa) + fa;
	}
	r.s = x;
	r.d = d;
	r.f = f;
	return r;
}

static bool same(const struct result *a, const struct result *b)
{
	return memcmp(&a->s, &b->s, sizeof a->s) == 0 && memcmp(&a->d, &b->d, sizeof a->d) == 0 &&
	       memcmp(&a->f, &b->f, sizeof a->f) == 0;
}

/* Eight independent scalar chains: they occupy (and so clobber) eight FP/SIMD registers. */
__attribute__((noinline)) static double scalar_work(double x)
{
	double a = x, b = x + 1, c = x + 2, d = x + 3, e = x * 2, f = x * 3, g = x / 3, h = x / 7;
	for (int i = 0; i < 50; i++) {
		a = a * 1.01 + 0.5;
		b = b * 0.99 + 0.25;
		c = c / 1.03 + 0.125;
		d = d * 1.07 - 0.3;
		e = e / 0.97 + 0.1;
		f = f * 0.93 + 0.7;
		g = g * 1.11 - 0.2;
		h = h / 1.13 + 0.9;
	}
	return a + b + c + d + e + f + g + h;
}

/* A handler that clobbers the FP/SIMD registers with other work. Scalar work only: qemu-user
 * 7.2's x86_64 signal frames leave the handler's stack 8 bytes off the ABI's 16-byte alignment,
 * so 16-byte vector spills in a handler would fault there (not on Linux or Janus). */
static void on_usr1(int sig)
{
	(void)sig;
	handler_sink = scalar_work(0.123456789);
	handler_runs++;
}

static void nap(void)
{
	struct timespec ts = {0, 1000000};
	nanosleep(&ts, NULL);
}

/* ROUNDS rounds, each checked bit for bit against want; the number of mismatches (+1000 if
 * the rounding mode was ever not mode). Signals go to peer every few rounds. */
enum { ROUNDS = 150, STEPS = 2000 };
static int run(double seed, const struct result *want, int mode, pid_t peer)
{
	int bad = 0;
	for (int i = 0; i < ROUNDS; i++) {
		struct result r = compute(seed, STEPS);
		if (!same(&r, want))
			bad++;
		if (fegetround() != mode)
			bad = 1000 + bad;
		if (i % 3 == 0)
			sched_yield();
		if (i % 10 == 0)
			nap();
		if (i % 7 == 0)
			kill(getpid(), SIGUSR1);
		if (peer > 0 && i % 5 == 0)
			kill(peer, SIGUSR1);
	}
	return bad;
}

/* The child: upward rounding on seed_a; upward is what the parent computed that way. */
static _Noreturn void child(const int *ready, pid_t parent, const struct result *upward)
{
	if (fesetround(FE_UPWARD) != 0)
		_exit(100);
	struct result want = compute(seed_a, STEPS);
	close(ready[0]);
	write(ready[1], "r", 1); /* the parent starts its rounds once our mode is set */
	close(ready[1]);
	int bad = run(seed_a, &want, FE_UPWARD, parent);
	if (!same(&want, upward))
		bad += 2000; /* upward in the child differs from upward in the parent */
	_exit(bad > 250 ? 250 : bad);
}

int main(void)
{
	jt_mark();
	struct sigaction sa = {0};
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	JT_EQ(fegetround(), FE_TONEAREST);
	struct result nearest = compute(seed_a, STEPS);
	JT_EQ(fesetround(FE_UPWARD), 0);
	struct result upward = compute(seed_a, STEPS);
	JT_EQ(fesetround(FE_TONEAREST), 0);
	JT_OK(!same(&nearest, &upward), "the rounding mode changes the chain's bits");
	struct result mine = compute(seed_b, STEPS);

	int ready[2];
	JT_EQ(pipe(ready), 0);
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0)
		child(ready, parent, &upward);
	close(ready[1]);
	char b;
	JT_EQ(read(ready[0], &b, 1), 1); /* the child has set its rounding mode */
	close(ready[0]);
	JT_EQ(fegetround(), FE_TONEAREST);
	int bad = run(seed_b, &mine, FE_TONEAREST, c);
	JT_OKV(bad == 0, "the parent's results are bit-exact, its mode to-nearest",
	       "parent: %d bad", bad);
	struct result again = compute(seed_a, STEPS);
	JT_OK(same(&again, &nearest), "the parent's seed_a chain still has its to-nearest bits");
	int st = 0;
	pid_t w;
	while ((w = waitpid(c, &st, 0)) < 0 && errno == EINTR)
		;
	JT_EQV(w, c);
	JT_OKV(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "the child's results are bit-exact, its mode upward throughout, no SIGILL",
	       "child status %#x", st);
	JT_OKV(handler_runs > 0, "signal handlers ran in between", "%d handler runs",
	       handler_runs);
	jt_behaviour("ABI-010", jt_failures_since_mark() == 0,
		     "per-process FP/SIMD state and rounding mode across switches and signals");
	return jt_done();
}
