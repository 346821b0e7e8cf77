// covers: ABI-007 ABI-008
//
// Thread-local storage and the raw clone ABI. x86_64: arch_prctl(ARCH_SET_FS/GET_FS) and
// %fs:0; aarch64: a TPIDR_EL0 value written by user code survives yields, blocking calls, a
// signal handler and time sliced against another process using a different value. Both:
// fork copies the TLS pointer, clone(CLONE_SETTLS) sets it, and the clone argument order
// (x86_64: flags, stack, ptid, ctid, tls; aarch64: flags, stack, ptid, tls, ctid) with
// CLONE_PARENT_SETTID, CLONE_CHILD_SETTID and CLONE_CHILD_CLEARTID. While a foreign TLS value
// is installed, only raw system calls are made (musl itself uses TLS).
#define _GNU_SOURCE
#include "jtest.h"
#include "jsys.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NR_CLONE 56
#define NR_EXIT 60
#define NR_SCHED_YIELD 24
#define NR_NANOSLEEP 35
#define NR_GETTID 186
#define NR_TGKILL 234
#define NR_GETPID 39
#define NR_ARCH_PRCTL 158
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#elif defined(__aarch64__)
#define NR_CLONE 220
#define NR_EXIT 93
#define NR_SCHED_YIELD 124
#define NR_NANOSLEEP 101
#define NR_GETTID 178
#define NR_TGKILL 131
#define NR_GETPID 172
#endif

#define sys0(n) jt_sys6((n), 0, 0, 0, 0, 0, 0)
#define sys2(n, a, b) jt_sys6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) jt_sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* The thread pointer as the CPU holds it. */
static inline uintptr_t tp_read(void)
{
	uintptr_t v;
#if defined(__x86_64__)
	sys2(NR_ARCH_PRCTL, ARCH_GET_FS, &v);
#else
	__asm__ volatile("mrs %0, tpidr_el0" : "=r"(v));
#endif
	return v;
}

static inline void tp_write(uintptr_t v)
{
#if defined(__x86_64__)
	sys2(NR_ARCH_PRCTL, ARCH_SET_FS, v);
#else
	__asm__ volatile("msr tpidr_el0, %0" ::"r"(v) : "memory");
#endif
}

static void raw_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	sys2(NR_NANOSLEEP, &ts, NULL);
}

/* Functions that run with a foreign thread pointer are built without a stack protector,
 * whose canary lives in TLS. */

/* A fake TLS block: on x86_64 its first word points to itself, as musl's does. */
static uintptr_t block_a[8] __attribute__((aligned(64)));
static uintptr_t block_b[8] __attribute__((aligned(64)));

static volatile int handler_ran;
static volatile uintptr_t tp_in_handler;

static void on_usr1(int sig)
{
	(void)sig;
	tp_in_handler = 1; /* no TLS use in here */
	handler_ran = 1;
}

/* In a child: install block_a, then check it survives yields, sleeps, a signal handler
 * and spinning against a second process that installs block_b. Exit code: 0 on success,
 * else the number of the first check that failed. */
__attribute__((no_stack_protector)) static int tls_survives(void)
{
	uintptr_t mine = (uintptr_t)block_a;
	block_a[0] = mine;
	tp_write(mine);
#if defined(__x86_64__)
	uintptr_t via_fs;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(via_fs));
	if (via_fs != mine)
		return 2;
#endif
	if (tp_read() != mine)
		return 3;
	for (int i = 0; i < 20; i++) {
		sys0(NR_SCHED_YIELD);
		if (tp_read() != mine)
			return 4;
	}
	raw_sleep_ms(30);
	if (tp_read() != mine)
		return 5;
	/* A signal handler runs and returns (the kernel must restore the value). */
	sys3(NR_TGKILL, sys0(NR_GETPID), sys0(NR_GETTID), SIGUSR1);
	if (!handler_ran)
		return 6;
	if (tp_read() != mine)
		return 7;
	/* Time slicing against another process with a different value. */
	struct timespec t0, t1;
	sys2(SYS_clock_gettime, CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (volatile int k = 0; k < 10000; k++)
			;
		if (tp_read() != mine)
			return 8;
		sys2(SYS_clock_gettime, CLOCK_MONOTONIC, &t1);
		if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 > 300)
			break;
	}
	return 0;
}

__attribute__((no_stack_protector)) static int spin_other(void)
{
	uintptr_t other = (uintptr_t)block_b;
	block_b[0] = other;
	tp_write(other);
	struct timespec t0, t1;
	sys2(SYS_clock_gettime, CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (volatile int k = 0; k < 10000; k++)
			;
		if (tp_read() != other)
			return 1;
		sys2(SYS_clock_gettime, CLOCK_MONOTONIC, &t1);
		if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 > 300)
			return 0;
	}
}

static void *errno_thread(void *arg)
{
	errno = 77;
	*(pthread_t *)arg = pthread_self();
	return errno == 77 ? (void *)1 : NULL;
}

/* The port's own view of the thread pointer. x86_64: arch_prctl(ARCH_GET_FS) returns it,
 * %fs:0 reads through it (musl's TLS variant II keeps a self pointer there), and an unknown
 * arch_prctl code is EINVAL. aarch64: TPIDR_EL0 holds it, and a value written to the register
 * reads back (restored at once; nothing in between uses TLS). */
__attribute__((no_stack_protector)) static bool tp_interface_ok(uintptr_t orig)
{
#if defined(__x86_64__)
	uintptr_t got = 0, self0;
	if (sys2(NR_ARCH_PRCTL, ARCH_GET_FS, &got) != 0 || got != orig)
		return false;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(self0));
	return self0 == orig && sys2(NR_ARCH_PRCTL, 0x9999, 0) == -EINVAL;
#else
	uintptr_t now;
	__asm__ volatile("mrs %0, tpidr_el0" : "=r"(now));
	tp_write(0x1234567890abcdefull);
	uintptr_t probe = tp_read();
	tp_write(orig);
	return now == orig && probe == 0x1234567890abcdefull && tp_read() == orig;
#endif
}

static void test_abi007(void)
{
	jt_mark();
	uintptr_t orig = tp_read();
	JT_OKV(orig != 0, "musl installed a thread pointer", "%#lx", (unsigned long)orig);
	JT_OK(tp_interface_ok(orig), "the thread pointer reads back through the port's interface");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	pid_t other = fork();
	if (other == 0)
		_exit(spin_other());
	pid_t c = fork();
	if (c == 0)
		_exit(tls_survives());
	JT_EQ(jt_reap(c), 0);
	JT_EQ(jt_reap(other), 0);
	JT_EQV(tp_read(), orig);

	/* fork copies the thread pointer. */
	c = fork();
	if (c == 0)
		_exit(tp_read() == orig ? 0 : 1);
	JT_EQ(jt_reap(c), 0);
	/* musl's errno and pthread_self work in threads. */
	pthread_t t, seen;
	void *ret = NULL;
	errno = 5;
	JT_EQ(pthread_create(&t, NULL, errno_thread, &seen), 0);
	JT_EQ(pthread_join(t, &ret), 0);
	JT_EQ((long)ret, 1);
	JT_OK(pthread_equal(seen, t), "pthread_self in the thread equals its pthread_t");
	JT_EQ(errno, 5);
	JT_OK(pthread_equal(pthread_self(), pthread_self()) && !pthread_equal(pthread_self(), t),
	      "pthread_self in main differs from the thread's");
	jt_behaviour("ABI-007", jt_failures_since_mark() == 0,
		     "TLS pointer kept across yield, sleep, handler, time slicing and fork; errno "
		     "per thread");
}

/* --- ABI-008: raw clone --- */

struct clone_report {
	volatile long tid;
	volatile uintptr_t tp;
	volatile int go;
	volatile int done;
};

static struct clone_report rep;

/* Runs on the clone's own stack with the requested TLS: raw calls only. */
__attribute__((no_stack_protector)) static int clone_child(void *arg)
{
	(void)arg;
	rep.tp = tp_read();
	__atomic_store_n(&rep.tid, sys0(NR_GETTID), __ATOMIC_RELEASE); /* publishes tp too */
	while (!rep.go)
		sys0(NR_SCHED_YIELD);
	raw_sleep_ms(50); /* let the parent block in FUTEX_WAIT on ctid */
	rep.done = 1;
	return 0;
}

/* clone(flags, stack, ptid, <tls/ctid in the port's order>) with fn run by the child, which
 * then calls exit. Returns the child's tid or -errno. */
static long raw_clone(unsigned long flags, void *stack, int *ptid, int *ctid, uintptr_t tls,
		      int (*fn)(void *), void *arg)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = (long)ctid;
	register long r8 __asm__("r8") = (long)tls;
	register long r12 __asm__("r12") = (long)fn;
	register long r13 __asm__("r13") = (long)arg;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r13, %%rdi\n\t"
			 "call *%%r12\n\t"
			 "mov %%eax, %%edi\n\t"
			 "mov $60, %%eax\n\t"
			 "syscall\n\t"
			 "hlt\n"
			 "1:"
			 : "=a"(ret)
			 : "a"(NR_CLONE), "D"(flags), "S"(stack), "d"(ptid), "r"(r10), "r"(r8),
			   "r"(r12), "r"(r13)
			 : "rcx", "r11", "memory");
	return ret;
#else
	register long x8 __asm__("x8") = NR_CLONE;
	register long x0 __asm__("x0") = (long)flags;
	register long x1 __asm__("x1") = (long)stack;
	register long x2 __asm__("x2") = (long)ptid;
	register long x3 __asm__("x3") = (long)tls;
	register long x4 __asm__("x4") = (long)ctid;
	register long x10 __asm__("x10") = (long)fn;
	register long x11 __asm__("x11") = (long)arg;
	__asm__ volatile("svc #0\n\t"
			 "cbnz x0, 1f\n\t"
			 "mov x29, #0\n\t"
			 "mov x0, x11\n\t"
			 "blr x10\n\t"
			 "mov x8, #93\n\t"
			 "svc #0\n\t"
			 "brk #0\n"
			 "1:"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x10), "r"(x11)
			 : "x30", "memory");
	return x0;
#endif
}

static void test_abi008(void)
{
	jt_mark();
	static int ptid = -1, ctid = -1;
	size_t ss = 64 * 1024;
	char *stack = mmap(NULL, ss, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	JT_OK(stack != MAP_FAILED, "child stack");
	block_a[0] = (uintptr_t)block_a;
	uintptr_t want_tp = (uintptr_t)block_a;
	unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			      CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
			      CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
	memset((void *)&rep, 0, sizeof rep);
	long tid = raw_clone(flags, stack + ss, &ptid, &ctid, want_tp, clone_child, NULL);
	JT_OKV(tid > 0, "clone returns the child's tid", "%ld", tid);
	if (tid <= 0)
		return;
	/* Wait (up to 5 s) until the child has run: CLONE_CHILD_SETTID is written when it first
	 * runs, and it then reports its tid and thread pointer. */
	for (int i = 0; i < 5000 && __atomic_load_n(&rep.tid, __ATOMIC_ACQUIRE) == 0; i++) {
		struct timespec ms1 = {0, 1000000};
		nanosleep(&ms1, NULL);
	}
	JT_EQV(rep.tid, tid);
	JT_EQV(ptid, tid);
	JT_EQV(ctid, tid); /* the child is still waiting for go */
	JT_EQV(rep.tp, want_tp);
	/* Wait on ctid: the kernel must zero it and wake us when the child exits. */
	rep.go = 1;
	struct timespec ts = {3, 0};
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long r = 0;
	int v;
	while ((v = __atomic_load_n(&ctid, __ATOMIC_SEQ_CST)) != 0) {
		r = syscall(SYS_futex, &ctid, 0 /* FUTEX_WAIT */, v, &ts, NULL, 0);
		if (r != 0 && errno == ETIMEDOUT)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	JT_EQ(ctid, 0);
	JT_OKV(r == 0 || errno != ETIMEDOUT, "the futex wait on ctid was woken", "%ld ms", ms);
	JT_EQ(rep.done, 1);
	munmap(stack, ss);
	jt_behaviour("ABI-008", jt_failures_since_mark() == 0,
		     "tid in ptid and ctid, TLS as requested, ctid cleared and woken (%s order)",
#if defined(__x86_64__)
		     "flags, stack, ptid, ctid, tls"
#else
		     "flags, stack, ptid, tls, ctid"
#endif
	);
}

int main(void)
{
	test_abi007();
	test_abi008();
	return jt_done();
}
