/*
 * tests/ktest/test_smp.c: every CPU reports in, and a spinlock keeps a counter exact while
 * all CPUs hammer it. Run at -smp 2 (meson test ktest-smp2); on one CPU they skip.
 */
#include "arch/arch.h"
#include "core/cpu.h"
#include "core/ktest.h"
#include "core/proc.h"
#include "core/smp.h"
#include "core/spinlock.h"
#include "core/time.h"

#define ROUNDS 100000

static struct spinlock counter_lock = SPINLOCK_INIT("ktest_counter");
static volatile uint64_t counter; /* guarded by counter_lock */

static void hammer(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		unsigned long s = spin_lock_irqsave(&counter_lock);
		counter = counter + 1; /* a non-atomic read-modify-write: only the lock saves it */
		spin_unlock_irqrestore(&counter_lock, s);
	}
}

KTEST(smp_all_cpus_online)
{
	const struct boot_info *bi = kernel_boot_info();
	KT_EXPECT_EQ(ncpus_online, bi->ncpus);
	for (unsigned i = 0; i < bi->ncpus; i++) {
		KT_EXPECT(cpus[i].online);
		KT_EXPECT_EQ(cpus[i].id, i);
	}
	uint64_t t0 = time_ns();
	while (time_ns() - t0 < 100000000ull)
		arch_cpu_relax();
	for (unsigned i = 0; i < bi->ncpus; i++)
		KT_EXPECT(time_ticks(i) > 0); /* every CPU takes its own timer interrupts */
}

KTEST(smp_spinlock_stress)
{
	if (ncpus_online < 2) {
		ktest_skip("needs -smp 2 or more");
		return;
	}
	counter = 0;
	for (unsigned i = 1; i < ncpus_online; i++)
		KT_EXPECT_EQ(smp_call_on(i, hammer, NULL), 0);
	hammer(NULL);
	uint64_t deadline = time_ns() + 60 * NSEC_PER_SEC;
	for (unsigned i = 1; i < ncpus_online; i++)
		while (!smp_call_done(i) && time_ns() < deadline)
			arch_cpu_relax();
	KT_EXPECT_EQ(counter, (uint64_t)ROUNDS * ncpus_online);
}

KTEST(lock_bookkeeping)
{
	static struct spinlock a = SPINLOCK_INIT("ktest_a"), b = SPINLOCK_INIT("ktest_b");
	struct cpu *c = arch_this_cpu();
	unsigned depth = c->lock_depth;
	unsigned long sa = spin_lock_irqsave(&a);
	unsigned long sb = spin_lock_irqsave(&b);
	KT_EXPECT_EQ(c->lock_depth, depth + 2);
	KT_EXPECT(spin_held_by_me(&a) && spin_held_by_me(&b));
	KT_EXPECT(!arch_irq_enabled());
	/* Out-of-order release is allowed; the interrupt states then swap, since the state saved
	 * by the first acquire is the one to restore last. */
	spin_unlock_irqrestore(&a, sb);
	KT_EXPECT_EQ(c->held[depth].lock, &b);
	KT_EXPECT(!arch_irq_enabled());
	spin_unlock_irqrestore(&b, sa);
	KT_EXPECT_EQ(c->lock_depth, depth);
	KT_EXPECT(arch_irq_enabled());
	assert_no_locks_held("lock_bookkeeping");
}

/* The seed's worst bug: returning to user mode with a spinlock held. user_return (the last
 * step of every port's path back to user mode) must panic naming the lock, not go on to a
 * later deadlock. */
KTEST_MANUAL_ONLY(selftest_lock_held)
{
	static struct spinlock leaked = SPINLOCK_INIT("leaked_lock");
	spin_lock_irqsave(&leaked);
	user_return(NULL);
}
