/*
 * tests/ktest/test_timer.c: callback timers (core/timer.h).
 *
 * Checks the contract: a timer never fires before its expiry, fires once (a one-shot) or
 * every period (a periodic one re-armed from its old expiry, so the n-th firing is not before
 * start + n * period), ordering of several timers, and cancel: a cancelled timer never fires,
 * and once cancel has returned the function is not running (the timers live on this stack).
 * Lateness is only checked against a loose limit (TCG on a loaded host may run a vCPU late).
 */
#include "core/ktest.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/timer.h"

#define MSEC 1000000ull
#define LATE_LIMIT (100 * (NSEC_PER_SEC / TICK_HZ))

struct probe {
	struct ktimer_cb kt;
	unsigned fired;      /* __atomic */
	uint64_t first_at;   /* `now` of the first firing */
	uint64_t expiry;     /* what it was armed for */
	uint64_t period;     /* 0: one-shot */
	unsigned max;        /* periodic: stop after this many */
	bool early;          /* fired with now < its expiry */
	int order;           /* global firing order of the first firing */
};

static int order_counter;

static uint64_t probe_fn(struct ktimer_cb *kt, uint64_t expired, uint64_t now)
{
	struct probe *pr = kt->arg;
	/* Told the wrong expiry? (A periodic timer's expiry that had passed already when the
	 * function returned it is moved to the next tick, so only the first is exact.) */
	if (now < expired || (!pr->fired && expired != pr->expiry))
		pr->early = true;
	struct probe *p = kt->arg;
	unsigned n = __atomic_add_fetch(&p->fired, 1, __ATOMIC_RELEASE);
	if (now < p->expiry)
		p->early = true;
	if (n == 1) {
		p->first_at = now;
		p->order = __atomic_add_fetch(&order_counter, 1, __ATOMIC_RELAXED);
	}
	if (!p->period || n >= p->max)
		return 0;
	p->expiry += p->period;
	return p->expiry;
}

static void probe_arm(struct probe *p, uint64_t expiry, uint64_t period, unsigned max)
{
	*p = (struct probe){.expiry = expiry, .period = period, .max = max};
	ktimer_cb_init(&p->kt, probe_fn, p);
	ktimer_cb_arm(&p->kt, expiry);
}

static void wait_fired(struct probe *p, unsigned n, uint64_t limit)
{
	while (__atomic_load_n(&p->fired, __ATOMIC_ACQUIRE) < n && time_ns() < limit)
		sched_yield();
}

KTEST(timer_oneshot_and_order)
{
	uint64_t now = time_ns();
	struct probe a, b, c;
	order_counter = 0;
	probe_arm(&c, now + 60 * MSEC, 0, 1);
	probe_arm(&a, now + 20 * MSEC, 0, 1);
	probe_arm(&b, now + 40 * MSEC, 0, 1);
	KT_EXPECT_EQ(ktimer_cb_expires(&a.kt), now + 20 * MSEC);
	wait_fired(&c, 1, now + 60 * MSEC + LATE_LIMIT);
	wait_fired(&b, 1, now + 60 * MSEC + LATE_LIMIT);
	wait_fired(&a, 1, now + 60 * MSEC + LATE_LIMIT);
	KT_EXPECT_EQ(a.fired, 1);
	KT_EXPECT_EQ(b.fired, 1);
	KT_EXPECT_EQ(c.fired, 1);
	KT_EXPECT(!a.early && !b.early && !c.early);
	KT_EXPECT(a.order < b.order && b.order < c.order);
	KT_EXPECT_EQ(ktimer_cb_expires(&a.kt), 0);
	KT_EXPECT_EQ(ktimer_cb_cancel(&a.kt), 0); /* cancelling a fired timer is harmless */
	KT_EXPECT_EQ(ktimer_cb_pending(), 0);
	kprintf("# first timer %lu us late\n", (unsigned long)((a.first_at - a.expiry) / 1000));
}

KTEST(timer_periodic)
{
	uint64_t start = time_ns();
	struct probe p;
	probe_arm(&p, start + 10 * MSEC, 10 * MSEC, 8);
	wait_fired(&p, 8, start + 90 * MSEC + LATE_LIMIT);
	KT_EXPECT_EQ(p.fired, 8);
	KT_EXPECT(!p.early);
	/* The 8th firing was for start + 80 ms: re-arming from the old expiry keeps the period. */
	KT_EXPECT_EQ(p.expiry, start + 80 * MSEC);
	KT_EXPECT(time_ns() >= start + 80 * MSEC);
	KT_EXPECT_EQ(ktimer_cb_expires(&p.kt), 0);
	KT_EXPECT_EQ(ktimer_cb_pending(), 0);
}

KTEST(timer_cancel)
{
	uint64_t now = time_ns();
	struct probe a, b, per;
	probe_arm(&a, now + 30 * MSEC, 0, 1);
	probe_arm(&b, now + 30 * MSEC, 0, 1);
	probe_arm(&per, now + 5 * MSEC, 5 * MSEC, 1000000);
	KT_EXPECT_EQ(ktimer_cb_pending(), 3);
	KT_EXPECT_EQ(ktimer_cb_cancel(&a.kt), now + 30 * MSEC);
	/* Re-arming an armed timer moves it. */
	ktimer_cb_arm(&b.kt, now + 10 * MSEC);
	KT_EXPECT_EQ(ktimer_cb_pending(), 2);
	wait_fired(&per, 3, now + 15 * MSEC + LATE_LIMIT);
	KT_EXPECT(ktimer_cb_cancel(&per.kt) != 0);
	unsigned seen = __atomic_load_n(&per.fired, __ATOMIC_ACQUIRE);
	KT_EXPECT(seen >= 3);
	wait_fired(&b, 1, now + 10 * MSEC + LATE_LIMIT);
	uint64_t until = time_ns() + 50 * MSEC;
	while (time_ns() < until)
		sched_yield();
	KT_EXPECT_EQ(a.fired, 0);
	KT_EXPECT_EQ(b.fired, 1);
	KT_EXPECT_EQ(per.fired, seen); /* never ran after cancel returned */
	/* A past expiry fires at the next tick; 0 disarms. */
	probe_arm(&a, 1, 0, 1);
	wait_fired(&a, 1, time_ns() + LATE_LIMIT);
	KT_EXPECT_EQ(a.fired, 1);
	ktimer_cb_arm(&a.kt, 0);
	KT_EXPECT_EQ(ktimer_cb_pending(), 0);
}
