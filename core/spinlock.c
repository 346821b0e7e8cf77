/*
 * core/spinlock.c: test-and-test-and-set spinlocks with interrupt state saved by the caller.
 *
 * Acquire masks interrupts first (so the holder is never interrupted into code that wants the
 * same lock), then spins reading the lock word before trying the atomic exchange, which keeps
 * the cache line shared while waiting. Acquire/release ordering comes from the __atomic
 * builtins; no architecture-specific code is needed here.
 */
#include "core/spinlock.h"

#include "arch/arch.h"
#include "core/panic.h"

unsigned long spin_lock_irqsave(struct spinlock *l)
{
	unsigned long state = arch_irq_save();
	int me = (int)arch_cpu_id();

	if (__atomic_load_n(&l->locked, __ATOMIC_RELAXED) &&
	    __atomic_load_n(&l->owner_cpu, __ATOMIC_RELAXED) == me)
		panic("spinlock %s: recursive acquire on CPU %d", l->name, me);
	for (;;) {
		if (!__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
			break;
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			arch_cpu_relax();
	}
	__atomic_store_n(&l->owner_cpu, me, __ATOMIC_RELAXED);
	return state;
}

void spin_unlock_irqrestore(struct spinlock *l, unsigned long state)
{
	if (!spin_held_by_me(l))
		panic("spinlock %s: released by CPU %u, which does not hold it", l->name,
		      arch_cpu_id());
	__atomic_store_n(&l->owner_cpu, -1, __ATOMIC_RELAXED);
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	arch_irq_restore(state);
}

bool spin_held_by_me(const struct spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&l->owner_cpu, __ATOMIC_RELAXED) == (int)arch_cpu_id();
}
