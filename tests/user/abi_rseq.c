// covers:
//
// Restartable sequences (rseq(2), Linux 6.1 rules: the 32-byte struct rseq only).
// Registration: a length other than 32, an area not 32-byte aligned and unknown flags give
// EINVAL; registering the same area again gives EBUSY (EPERM with another signature, EINVAL
// for another area); unregistering needs the same area and length (EINVAL) and signature
// (EPERM). Registration writes the CPU (0: one CPU) to cpu_id_start and cpu_id; unregistering
// sets cpu_id back to RSEQ_CPU_ID_UNINITIALIZED (-1). Critical sections: a tiny per-arch
// assembly section that spins until a flag is set. A SIGALRM arriving inside it makes the
// kernel move the PC to abort_ip before the handler's frame is built (rseq_run returns 1, not
// the commit's 0; the frame's saved PC is abort_ip) and clear rseq_cs; a preemption by a spinning child aborts it the same way
// with no signal at all; a signal outside a section clears a stale rseq_cs (the lazy clear);
// a section whose abort_ip is not preceded by the registered signature gets SIGSEGV; four
// threads incrementing a per-CPU counter inside a section (load, delay, store) lose no
// increment and see aborts. fork keeps the registration, a new thread starts without one,
// exec drops it.
//
// Registered with the 'kernel' need: qemu-user does not implement rseq for its guest
// (qemu-x86_64 7.2, the reference runner's, logs "Unknown syscall 334" and answers ENOSYS to
// every call, measured), and the preemption case needs a kernel scheduler under the test;
// so it runs on the two Janus ports only.
#define _GNU_SOURCE
#include "jtest.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

struct rseq_area {
	uint32_t cpu_id_start;
	uint32_t cpu_id;
	uint64_t rseq_cs;
	uint32_t flags;
	uint32_t pad[3];
} __attribute__((aligned(32)));

struct rseq_cs_desc {
	uint32_t version, flags;
	uint64_t start_ip, post_commit_offset, abort_ip;
} __attribute__((aligned(32)));

#define RSEQ_FLAG_UNREGISTER 1

/* rseq_run(area, cs, stop): store cs in area->rseq_cs, then, inside the critical section
 * [rseq_start, rseq_post), spin until *stop. 0 if the section ran to its end (committed), 1
 * if the kernel sent it to rseq_abort. The signature word sits just before rseq_abort, where
 * the kernel checks it; it is never executed (it follows a return). */
#if defined(__x86_64__)
#define SIG 0x53053053u
__asm__(".text\n.globl rseq_run, rseq_start, rseq_post, rseq_abort\n"
	"rseq_run:\n  movq %rsi, 8(%rdi)\n"
	"rseq_start:\n  movl (%rdx), %eax\n  testl %eax, %eax\n  jz rseq_start\n"
	"rseq_post:\n  xorl %eax, %eax\n  ret\n"
	"  .long 0x53053053\n"
	"rseq_abort:\n  movl $1, %eax\n  ret\n");
/* inc_run(area, cs, counters): counters[cpu]++ for the CPU read from cpu_id_start, with a
 * short delay between the load and the committing store. */
__asm__(".text\n.globl inc_run, inc_start, inc_post, inc_abort\n"
	"inc_run:\n  movl (%rdi), %eax\n  movq %rsi, 8(%rdi)\n"
	"inc_start:\n  cmpl 4(%rdi), %eax\n  jne inc_abort\n"
	"  movq (%rdx,%rax,8), %rcx\n  movl $200, %r8d\n1:\n  decl %r8d\n  jnz 1b\n"
	"  addq $1, %rcx\n  movq %rcx, (%rdx,%rax,8)\n"
	"inc_post:\n  xorl %eax, %eax\n  ret\n"
	"  .long 0x53053053\n"
	"inc_abort:\n  movl $1, %eax\n  ret\n");
#elif defined(__aarch64__)
#define SIG 0xd428bc00u
__asm__(".text\n.globl rseq_run, rseq_start, rseq_post, rseq_abort\n"
	"rseq_run:\n  str x1, [x0, #8]\n"
	"rseq_start:\n  ldr w3, [x2]\n  cbz w3, rseq_start\n"
	"rseq_post:\n  mov x0, #0\n  ret\n"
	"  .long 0xd428bc00\n"
	"rseq_abort:\n  mov x0, #1\n  ret\n");
__asm__(".text\n.globl inc_run, inc_start, inc_post, inc_abort\n"
	"inc_run:\n  ldr w3, [x0]\n  str x1, [x0, #8]\n"
	"inc_start:\n  ldr w4, [x0, #4]\n  cmp w3, w4\n  b.ne inc_abort\n"
	"  ldr x5, [x2, x3, lsl #3]\n  mov w6, #200\n1:\n  subs w6, w6, #1\n  b.ne 1b\n"
	"  add x5, x5, #1\n  str x5, [x2, x3, lsl #3]\n"
	"inc_post:\n  mov x0, #0\n  ret\n"
	"  .long 0xd428bc00\n"
	"inc_abort:\n  mov x0, #1\n  ret\n");
#else
#error "no critical section for this architecture"
#endif
long rseq_run(struct rseq_area *area, const struct rseq_cs_desc *cs, volatile int *stop);
extern char rseq_start[], rseq_post[], rseq_abort[];
long inc_run(struct rseq_area *area, const struct rseq_cs_desc *cs, long *counters);
extern char inc_start[], inc_post[], inc_abort[];

static struct rseq_area area, area2;
static struct rseq_cs_desc cs, inc_cs;
static volatile int stop, alarms;
static volatile uintptr_t saved_pc;

static long sys_rseq(void *a, uint32_t len, int flags, uint32_t sig)
{
	return syscall(SYS_rseq, a, len, flags, sig);
}

/* The PC the signal frame saved: where sigreturn resumes. */
static uintptr_t frame_pc(void *ucontext)
{
	ucontext_t *uc = ucontext;
#if defined(__x86_64__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#else
	return (uintptr_t)uc->uc_mcontext.pc;
#endif
}

static void on_alarm(int sig, siginfo_t *si, void *ucontext)
{
	(void)sig;
	(void)si;
	alarms++;
	saved_pc = frame_pc(ucontext);
	stop = 1;
}

static void arm_timer(long usec)
{
	struct itimerval it = {{0, 0}, {usec / 1000000, usec % 1000000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static void check_registration(void)
{
	JT_ERRNO(sys_rseq(&area, 16, 0, SIG), EINVAL);
	JT_ERRNO(sys_rseq(&area, 64, 0, SIG), EINVAL); /* 6.1: exactly 32 */
	JT_ERRNO(sys_rseq((char *)&area + 8, 32, 0, SIG), EINVAL);
	JT_ERRNO(sys_rseq(&area, 32, 2, SIG), EINVAL);
	JT_ERRNO(sys_rseq(&area, 32, RSEQ_FLAG_UNREGISTER | 2, SIG), EINVAL);
	JT_ERRNO(sys_rseq(&area, 32, RSEQ_FLAG_UNREGISTER, SIG), EINVAL); /* not registered */
	area.cpu_id_start = 77;
	area.cpu_id = (uint32_t)-1;
	area.rseq_cs = (uintptr_t)&cs; /* a stale pointer: registration clears it */
	JT_EQ(sys_rseq(&area, 32, 0, SIG), 0);
	JT_EQ(area.cpu_id_start, 0);
	JT_EQ(area.cpu_id, 0);
	JT_EQ(area.rseq_cs, 0);
	JT_ERRNO(sys_rseq(&area, 32, 0, SIG), EBUSY);
	JT_ERRNO(sys_rseq(&area, 32, 0, SIG + 1), EPERM);
	JT_ERRNO(sys_rseq(&area2, 32, 0, SIG), EINVAL);
	JT_ERRNO(sys_rseq(&area, 32, RSEQ_FLAG_UNREGISTER, SIG + 1), EPERM);
	JT_ERRNO(sys_rseq(&area2, 32, RSEQ_FLAG_UNREGISTER, SIG), EINVAL);
}

/* A SIGALRM inside the section: aborted, rseq_cs cleared, and the handler's frame saved
 * abort_ip, not a PC inside the section. A preemption (some kernel thread) may abort an
 * attempt before the alarm does; a few attempts make sure the signal path is seen. */
static void check_signal_abort(void)
{
	int via_signal = 0, inside = 0, committed = 0, not_cleared = 0;
	for (int i = 0; i < 5 && !via_signal; i++) {
		stop = 0;
		alarms = 0;
		saved_pc = 0;
		arm_timer(20000);
		committed += rseq_run(&area, &cs, &stop) != 1;
		arm_timer(0);
		not_cleared += area.rseq_cs != 0;
		via_signal += alarms == 1 && saved_pc == (uintptr_t)rseq_abort;
		inside += saved_pc - (uintptr_t)rseq_start < (uintptr_t)(rseq_post - rseq_start);
	}
	JT_OK(via_signal == 1, "a signal inside the section aborts it before the frame is built");
	JT_EQ(committed, 0); /* every attempt ended at abort_ip, none at the commit */
	JT_EQ(not_cleared, 0);
	JT_EQ(inside, 0);    /* no frame ever saved a PC inside the section */
	/* Outside a section: the commit leaves rseq_cs set; the next signal clears it. */
	stop = 1;
	JT_EQ(rseq_run(&area, &cs, &stop), 0);
	JT_EQV(area.rseq_cs, (uintptr_t)&cs); /* an address: differs between the ports */
	raise(SIGALRM);
	JT_EQ(area.rseq_cs, 0);
}

/* A spinning child takes the CPU away: the section is aborted with no signal (a 3 s alarm
 * only keeps a broken kernel from hanging the test). */
static void check_preempt_abort(void)
{
	pid_t c = fork();
	if (c == 0) {
		for (;;)
			;
	}
	stop = 0;
	alarms = 0;
	arm_timer(3000000);
	long r = rseq_run(&area, &cs, &stop);
	arm_timer(0);
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	JT_OKV(r == 1 && alarms == 0, "a preemption inside the section aborts it",
	       "result %ld after %d alarms", r, alarms);
	JT_EQ(area.cpu_id, 0);
}

/* The registration with another signature: the kernel finds SIG, not it, before abort_ip. */
static void check_bad_signature(void)
{
	pid_t c = fork();
	if (c == 0) {
		if (sys_rseq(&area, 32, RSEQ_FLAG_UNREGISTER, SIG) != 0 ||
		    sys_rseq(&area, 32, 0, 0x12345678) != 0)
			_exit(2);
		stop = 0;
		arm_timer(20000);
		rseq_run(&area, &cs, &stop);
		_exit(3);
	}
	int st;
	JT_EQ(waitpid(c, &st, 0), c);
	JT_OKV(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "a wrong signature gets SIGSEGV",
	       "status %#x", st);
}

/* Per-CPU counters: threads sharing the CPU increment counters[cpu] only inside a critical
 * section. A preemption between the load and the store that did not abort would let the
 * preempted thread store a stale value over the others' increments; with aborts the sum is
 * exact. */
#define INC_THREADS 4
#define INC_EACH 20000
static long counters[64];
static long inc_aborts, inc_done;

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* At least INC_EACH increments, then more until some thread has seen an abort (a fast host
 * may finish the first ones between two ticks), for at most 5 s. */
static void *inc_main(void *arg)
{
	(void)arg;
	static __thread struct rseq_area my;
	if (sys_rseq(&my, 32, 0, SIG) != 0)
		return NULL;
	long done = 0, aborts = 0, end = now_ms() + 5000;
	while (done < INC_EACH ||
	       (!__atomic_load_n(&inc_aborts, __ATOMIC_RELAXED) && (done % 1000 || now_ms() < end))) {
		if (inc_run(&my, &inc_cs, counters) == 0)
			done++;
		else if (!aborts++)
			__atomic_add_fetch(&inc_aborts, 1, __ATOMIC_RELAXED);
	}
	__atomic_add_fetch(&inc_done, done, __ATOMIC_RELAXED);
	return &my;
}

static void check_percpu_counters(void)
{
	pthread_t th[INC_THREADS];
	int started = 0, registered = 0;
	for (int i = 0; i < INC_THREADS; i++)
		started += pthread_create(&th[i], NULL, inc_main, NULL) == 0;
	for (int i = 0; i < started; i++) {
		void *r = NULL;
		pthread_join(th[i], &r);
		registered += r != NULL;
	}
	JT_EQ(registered, INC_THREADS);
	long sum = 0;
	for (int i = 0; i < 64; i++)
		sum += counters[i];
	JT_EQV(sum, inc_done); /* no increment lost */
	JT_OKV(inc_aborts > 0, "preempted increments were aborted", "%ld threads saw aborts",
	       inc_aborts);
}

static void *thread_main(void *arg)
{
	(void)arg;
	/* Unregistered: the area is free for this thread, and the creator's is not its own. */
	long a = sys_rseq(&area, 32, RSEQ_FLAG_UNREGISTER, SIG);
	long b = sys_rseq(&area2, 32, 0, SIG);
	long u = sys_rseq(&area2, 32, RSEQ_FLAG_UNREGISTER, SIG);
	return (void *)(intptr_t)(a == -1 && errno == EINVAL && b == 0 && u == 0);
}

static void check_inheritance(const char *self)
{
	pid_t c = fork();
	if (c == 0)
		_exit(sys_rseq(&area, 32, 0, SIG) == -1 && errno == EBUSY ? 0 : 1);
	int st;
	JT_EQ(waitpid(c, &st, 0), c);
	JT_OKV(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork keeps the registration",
	       "status %#x", st);
	pthread_t th;
	void *ok = NULL;
	JT_EQ(pthread_create(&th, NULL, thread_main, NULL), 0);
	JT_EQ(pthread_join(th, &ok), 0);
	JT_OK(ok != NULL, "a new thread starts unregistered");
	c = fork();
	if (c == 0) {
		execl(self, self, "--after-exec", (char *)NULL);
		_exit(4);
	}
	JT_EQ(waitpid(c, &st, 0), c);
	JT_OKV(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exec drops the registration",
	       "status %#x", st);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--after-exec") == 0)
		return sys_rseq(&area, 32, RSEQ_FLAG_UNREGISTER, SIG) == -1 && errno == EINVAL ? 0 : 1;
	struct sigaction sa = {0};
	sa.sa_sigaction = on_alarm;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	cs.start_ip = (uintptr_t)rseq_start;
	cs.post_commit_offset = (uintptr_t)rseq_post - (uintptr_t)rseq_start;
	cs.abort_ip = (uintptr_t)rseq_abort;
	inc_cs.start_ip = (uintptr_t)inc_start;
	inc_cs.post_commit_offset = (uintptr_t)inc_post - (uintptr_t)inc_start;
	inc_cs.abort_ip = (uintptr_t)inc_abort;

	check_registration();
	check_signal_abort();
	check_preempt_abort();
	check_bad_signature();
	check_inheritance(argv[0]);
	check_percpu_counters();

	area.cpu_id_start = 5;
	JT_EQ(sys_rseq(&area, 32, RSEQ_FLAG_UNREGISTER, SIG), 0);
	JT_EQ(area.cpu_id, (uint32_t)-1);
	JT_EQ(area.cpu_id_start, 0);
	JT_ERRNO(sys_rseq(&area, 32, RSEQ_FLAG_UNREGISTER, SIG), EINVAL);
	return jt_done();
}
