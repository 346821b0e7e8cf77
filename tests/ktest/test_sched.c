/*
 * tests/ktest/test_sched.c: kernel threads, wait queues, completions, mutexes, preemption.
 *
 * The tests run in thread "main" (pinned to CPU 0) and start threads of their own, which run
 * on any CPU unless pinned. Each waits for its threads with thread_join; where a bug would
 * show as a thread that never wakes, the test instead waits with a deadline (wait_flag) and
 * reports the lost wake-up rather than hanging the run. The -smp 2 run (ktest-smp2) is where
 * the SMP ones do their real work; on one CPU they skip or run everything on CPU 0.
 */
#include "arch/arch.h"
#include "core/cpu.h"
#include "core/kheap.h"
#include "core/ktest.h"
#include "core/pmm.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/sync.h"
#include "core/time.h"
#include "core/waitq.h"

#define MSEC 1000000ull

static unsigned cpu_now(void)
{
	unsigned long s = arch_irq_save();
	unsigned id = arch_cpu_id();
	arch_irq_restore(s);
	return id;
}

/* Yield until *flag is set or ns have passed: true if it was set. */
static bool wait_flag(const int *flag, uint64_t ns)
{
	uint64_t deadline = time_ns() + ns;
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE) && time_ns() < deadline)
		sched_yield();
	return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

static void set_flag(void *arg)
{
	__atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
}

static void exit_early(void *arg)
{
	set_flag(arg);
	thread_exit();
	__atomic_store_n((int *)arg, 2, __ATOMIC_RELEASE); /* never reached */
}

static void nothing(void *arg)
{
}

/* ---- Threads --------------------------------------------------------------------------------- */

KTEST(sched_threads_run_and_join)
{
	int ran[8] = {0};
	struct thread *t[8];

	KT_EXPECT(thread_current() != NULL);
	KT_EXPECT_STREQ(thread_current()->name, "main");
	for (unsigned i = 0; i < 8; i++) {
		t[i] = thread_create("kt_run", i % 2 ? set_flag : exit_early, &ran[i]);
		KT_EXPECT(t[i] != NULL);
	}
	for (unsigned i = 0; i < 8; i++)
		if (t[i])
			thread_join(t[i]);
	for (unsigned i = 0; i < 8; i++)
		KT_EXPECT_EQ(ran[i], 1);
	KT_EXPECT(thread_create_on(MAX_CPUS, "kt_nowhere", nothing, NULL) == NULL);
}

/* Every create/exit/join gives back its stack pages, page-table pages aside (the first stack
 * in a slot maps them for good, hence the warm-up) and its struct. */
KTEST(sched_create_join_no_leak)
{
	thread_join(thread_create("kt_warm", nothing, NULL));
	kheap_release_free_pages();
	uint64_t before = pmm_free_frames(), t0 = time_ns();

	for (unsigned i = 0; i < 1000; i++) {
		struct thread *t = thread_create("kt_cycle", nothing, NULL);
		if (!t) {
			ktest_fail(__FILE__, __LINE__, "thread_create failed at cycle %u", i);
			break;
		}
		thread_join(t);
	}
	kheap_release_free_pages();
	KT_EXPECT_EQ(pmm_free_frames(), before);
	kprintf("# 1000 create/exit/join cycles in %lu ms\n", (unsigned long)((time_ns() - t0) / MSEC));
}

/* ---- Wait queues -------------------------------------------------------------------------- */

#define PINGPONG_ROUNDS 10000

static struct {
	struct waitq wq;
	int turn; /* whose move: 0 or 1 */
	unsigned moves[2];
} pp = {.wq = WAITQ_INIT("kt_pingpong")};

static void pingpong_player(void *arg)
{
	int me = (int)(uintptr_t)arg;
	for (unsigned i = 0; i < PINGPONG_ROUNDS; i++) {
		wait_event(&pp.wq, __atomic_load_n(&pp.turn, __ATOMIC_ACQUIRE) == me);
		pp.moves[me]++;
		__atomic_store_n(&pp.turn, 1 - me, __ATOMIC_RELEASE);
		wake_up_all(&pp.wq);
	}
}

KTEST(sched_waitq_pingpong)
{
	uint64_t t0 = time_ns();
	pp.turn = 0;
	pp.moves[0] = pp.moves[1] = 0;
	struct thread *a = thread_create("kt_ping", pingpong_player, (void *)0);
	struct thread *b = thread_create("kt_pong", pingpong_player, (void *)1);
	KT_EXPECT(a && b);
	thread_join(a);
	thread_join(b);
	KT_EXPECT_EQ(pp.moves[0], PINGPONG_ROUNDS);
	KT_EXPECT_EQ(pp.moves[1], PINGPONG_ROUNDS);
	KT_EXPECT_EQ(pp.turn, 0);
	kprintf("# %u round trips in %lu ms\n", PINGPONG_ROUNDS,
		(unsigned long)((time_ns() - t0) / MSEC));
}

/* A producer squeezed into the window between a consumer's false check and its sleep: it
 * produces and wakes the queue right there. */
static struct {
	struct waitq wq;
	int items;
	int provoke; /* produce from inside the next false check */
	int done;
} pc = {.wq = WAITQ_INIT("kt_pc")};

static bool have_item(void)
{
	bool ready = __atomic_load_n(&pc.items, __ATOMIC_ACQUIRE) > 0;
	if (!ready && pc.provoke) {
		pc.provoke = 0;
		__atomic_fetch_add(&pc.items, 1, __ATOMIC_RELEASE);
		wake_up_one(&pc.wq);
	}
	return ready;
}

/* The order wait_event uses: queued and SLEEPING, then the check, so the wake-up above finds
 * the thread on the queue and cancels the coming sleep. */
static void consumer_wait_event(void *arg)
{
	wait_event(&pc.wq, have_item());
	__atomic_fetch_sub(&pc.items, 1, __ATOMIC_RELAXED);
	set_flag(&pc.done);
}

/* The naive order, check then queue and sleep without a re-check: the wake-up comes while
 * nobody is on the queue, and the item sits there while the consumer sleeps. */
static void consumer_naive(void *arg)
{
	if (!have_item()) {
		prepare_to_wait(&pc.wq);
		sched_sleep();
		finish_wait(&pc.wq);
	}
	__atomic_fetch_sub(&pc.items, 1, __ATOMIC_RELAXED);
	set_flag(&pc.done);
}

static bool run_consumer(void (*fn)(void *))
{
	pc.items = 0;
	pc.done = 0;
	pc.provoke = 1;
	struct thread *t = thread_create("kt_consumer", fn, NULL);
	KT_EXPECT(t != NULL);
	bool finished = wait_flag(&pc.done, 200 * MSEC);
	if (!finished)
		wake_up_all(&pc.wq); /* rescue it, so it can be joined */
	thread_join(t);
	KT_EXPECT_EQ(pc.items, 0);
	return finished;
}

KTEST(sched_waitq_no_lost_wakeup)
{
	KT_EXPECT(run_consumer(consumer_wait_event));
	/* The control: the same race loses the wake-up without the re-check. */
	KT_EXPECT(!run_consumer(consumer_naive));
}

/* Producer and consumer through a one-slot buffer, 5000 items, each side sleeping on its own
 * queue: on two CPUs both sides race for real. */
#define PC_ITEMS 5000

static struct {
	struct waitq not_empty, not_full;
	int full;
	unsigned slot;
	uint64_t sum;
	int done;
} buf = {.not_empty = WAITQ_INIT("kt_not_empty"), .not_full = WAITQ_INIT("kt_not_full")};

static void producer(void *arg)
{
	for (unsigned i = 1; i <= PC_ITEMS; i++) {
		wait_event(&buf.not_full, !__atomic_load_n(&buf.full, __ATOMIC_ACQUIRE));
		buf.slot = i;
		__atomic_store_n(&buf.full, 1, __ATOMIC_RELEASE);
		wake_up_one(&buf.not_empty);
	}
}

static void consumer(void *arg)
{
	for (unsigned i = 1; i <= PC_ITEMS; i++) {
		wait_event(&buf.not_empty, __atomic_load_n(&buf.full, __ATOMIC_ACQUIRE));
		buf.sum += buf.slot;
		__atomic_store_n(&buf.full, 0, __ATOMIC_RELEASE);
		wake_up_one(&buf.not_full);
	}
	set_flag(&buf.done);
}

KTEST(sched_producer_consumer)
{
	buf.full = 0;
	buf.sum = 0;
	buf.done = 0;
	struct thread *c = thread_create("kt_consumer", consumer, NULL);
	struct thread *p = thread_create("kt_producer", producer, NULL);
	KT_EXPECT(c && p);
	if (!wait_flag(&buf.done, 20 * NSEC_PER_SEC)) {
		ktest_fail(__FILE__, __LINE__, "lost wake-up: consumer stuck after %lu",
			   (unsigned long)buf.sum);
		return; /* the threads are left behind */
	}
	thread_join(c);
	thread_join(p);
	KT_EXPECT_EQ(buf.sum, (uint64_t)PC_ITEMS * (PC_ITEMS + 1) / 2);
}

/* ---- Preemption ----------------------------------------------------------------------------- */

static struct {
	int other_ran;
	int spinner_saw;
} pre;

static void spinner(void *arg)
{
	uint64_t deadline = time_ns() + 5 * NSEC_PER_SEC;
	while (!__atomic_load_n(&pre.other_ran, __ATOMIC_ACQUIRE) && time_ns() < deadline)
		arch_cpu_relax();
	pre.spinner_saw = __atomic_load_n(&pre.other_ran, __ATOMIC_ACQUIRE);
}

/* Both on CPU 0: the spinner never yields, so only the tick can let the other one run. */
KTEST(sched_preemption)
{
	uint64_t preemptions = cpus[0].preemptions;
	pre.other_ran = pre.spinner_saw = 0;
	struct thread *s = thread_create_on(0, "kt_spinner", spinner, NULL);
	struct thread *o = thread_create_on(0, "kt_other", set_flag, &pre.other_ran);
	KT_EXPECT(s && o);
	thread_join(s);
	thread_join(o);
	KT_EXPECT(pre.spinner_saw);
	KT_EXPECT(cpus[0].preemptions > preemptions);
}

/* ---- SMP ------------------------------------------------------------------------------------ */

#define MUTEX_THREADS 4
#define MUTEX_ROUNDS 5000

static struct {
	struct mutex lock;
	uint64_t counter; /* guarded by lock */
	unsigned cpus_seen;
} mc = {.lock = MUTEX_INIT("kt_counter")};

static void mutex_worker(void *arg)
{
	for (unsigned i = 0; i < MUTEX_ROUNDS; i++) {
		mutex_lock(&mc.lock);
		uint64_t v = mc.counter;
		if (i % 256 == 0)
			sched_yield(); /* a mutex may be held across a switch: others queue up */
		mc.counter = v + 1;
		mutex_unlock(&mc.lock);
		__atomic_fetch_or(&mc.cpus_seen, 1u << cpu_now(), __ATOMIC_RELAXED);
	}
}

KTEST(sched_mutex_counter)
{
	struct thread *t[MUTEX_THREADS];
	uint64_t t0 = time_ns();

	mc.counter = 0;
	mc.cpus_seen = 0;
	for (unsigned i = 0; i < MUTEX_THREADS; i++) {
		t[i] = thread_create("kt_mutex", mutex_worker, NULL);
		KT_EXPECT(t[i] != NULL);
	}
	for (unsigned i = 0; i < MUTEX_THREADS; i++)
		if (t[i])
			thread_join(t[i]);
	KT_EXPECT_EQ(mc.counter, (uint64_t)MUTEX_THREADS * MUTEX_ROUNDS);
	KT_EXPECT(!mutex_held(&mc.lock));
	kprintf("# %u increments in %lu ms on CPUs %#x\n", MUTEX_THREADS * MUTEX_ROUNDS,
		(unsigned long)((time_ns() - t0) / MSEC), mc.cpus_seen);
}

static unsigned spread_seen;

static void spread_worker(void *arg)
{
	uint64_t end = time_ns() + 100 * MSEC;
	while (time_ns() < end)
		__atomic_fetch_or(&spread_seen, 1u << cpu_now(), __ATOMIC_RELAXED);
}

/* Twice as many busy threads as CPUs, 100 ms each: every CPU takes some. */
KTEST(sched_smp_spread)
{
	struct thread *t[2 * MAX_CPUS];
	unsigned n = 2 * ncpus_online, all = 0;

	if (ncpus_online < 2) {
		ktest_skip("needs -smp 2 or more");
		return;
	}
	spread_seen = 0;
	for (unsigned i = 0; i < n; i++)
		t[i] = thread_create("kt_spread", spread_worker, NULL);
	for (unsigned i = 0; i < n; i++)
		if (t[i])
			thread_join(t[i]);
	for (unsigned i = 0; i < ncpus_online; i++)
		all |= 1u << i;
	KT_EXPECT_EQ(spread_seen, all);
}

/* ---- Sleeping with a spinlock held (the runner expects the panic) ------------------------- */

static void sleep_with_spinlock(void *arg)
{
	static struct spinlock held = SPINLOCK_INIT("ktest_sleep_lock");
	unsigned long s = spin_lock_irqsave(&held);
	wait_for_completion(arg); /* panics: the unlock below is never reached */
	spin_unlock_irqrestore(&held, s);
}

KTEST_MANUAL_ONLY(selftest_sleep_locked)
{
	static struct completion never = COMPLETION_INIT;
	struct thread *t = thread_create("kt_sleeper", sleep_with_spinlock, &never);
	if (t)
		thread_join(t);
}
