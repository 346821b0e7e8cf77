/*
 * core/sync.c: completions and mutexes before the scheduler exists.
 *
 * With one thread per CPU, waiting is a loop of "check, else wait for an interrupt" with
 * interrupts enabled, so the interrupt that completes the wait can arrive on this very CPU.
 * Waiting with a spinlock held would mask that interrupt forever, so it is asserted against.
 * The processes issue replaces these bodies with sleeping on wait queues.
 */
#include "core/sync.h"

#include "arch/arch.h"
#include "core/cpu.h"
#include "core/panic.h"

/* Wait with interrupts enabled. If the interrupt that sets the flag lands between the check
 * and the wait instruction, the wait lasts until the next interrupt: at worst one timer tick
 * (1/TICK_HZ), never forever, since every CPU takes its periodic tick. */
static void wait_until(int *flag, int want)
{
	assert_no_locks_held("waiting");
	while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) != want)
		arch_wait_for_interrupt();
}

void completion_init(struct completion *c)
{
	c->done = 0;
}

void complete(struct completion *c)
{
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
}

void wait_for_completion(struct completion *c)
{
	if (!arch_irq_enabled())
		panic("wait_for_completion with interrupts disabled");
	wait_until(&c->done, 1);
}

void mutex_init(struct mutex *m, const char *name)
{
	m->locked = 0;
	m->owner_cpu = -1;
	m->name = name;
}

void mutex_lock(struct mutex *m)
{
	if (mutex_held(m))
		panic("mutex %s: recursive lock on CPU %u", m->name, arch_cpu_id());
	while (__atomic_exchange_n(&m->locked, 1, __ATOMIC_ACQUIRE))
		wait_until(&m->locked, 0);
	m->owner_cpu = (int)arch_cpu_id();
}

void mutex_unlock(struct mutex *m)
{
	if (!mutex_held(m))
		panic("mutex %s: unlocked by CPU %u, which does not hold it", m->name, arch_cpu_id());
	m->owner_cpu = -1;
	__atomic_store_n(&m->locked, 0, __ATOMIC_RELEASE);
}

bool mutex_held(const struct mutex *m)
{
	return __atomic_load_n(&m->locked, __ATOMIC_RELAXED) && m->owner_cpu == (int)arch_cpu_id();
}
