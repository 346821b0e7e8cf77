/*
 * core/spinlock.c: test-and-test-and-set spinlocks with interrupt state saved by the caller.
 *
 * Acquire masks interrupts first (so the holder is never interrupted into code that wants the
 * same lock), then spins reading the lock word before trying the atomic exchange, which keeps
 * the cache line shared while waiting. Acquire/release ordering comes from the __atomic
 * builtins; no architecture-specific code is needed here.
 *
 * Each CPU keeps the locks it holds (struct cpu: lock_depth, held[]) with the address of the
 * acquiring call, so a recursive acquire, a release by the wrong CPU, and holding a lock where
 * none may be held (assert_no_locks_held: return to user mode, exec, sleep) are caught and
 * reported by name and place instead of deadlocking later.
 */
#include "core/spinlock.h"

#include "arch/arch.h"
#include "core/cpu.h"
#include "core/panic.h"

static void record_acquire(const struct spinlock *l, uintptr_t where)
{
	struct cpu *c = arch_this_cpu();
	if (c->lock_depth < HELD_LOCKS_MAX) {
		c->held[c->lock_depth].lock = l;
		c->held[c->lock_depth].where = where;
	}
	c->lock_depth++;
}

static void record_release(const struct spinlock *l)
{
	struct cpu *c = arch_this_cpu();
	unsigned n = c->lock_depth < HELD_LOCKS_MAX ? c->lock_depth : HELD_LOCKS_MAX;
	for (unsigned i = n; i-- > 0;) {
		if (c->held[i].lock == l) {
			for (unsigned j = i; j + 1 < n; j++)
				c->held[j] = c->held[j + 1];
			break;
		}
	}
	c->lock_depth--;
}

__attribute__((noinline)) unsigned long spin_lock_irqsave(struct spinlock *l)
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
	record_acquire(l, (uintptr_t)__builtin_return_address(0));
	return state;
}

void spin_unlock_irqrestore(struct spinlock *l, unsigned long state)
{
	if (!spin_held_by_me(l))
		panic("spinlock %s: released by CPU %u, which does not hold it", l->name,
		      arch_cpu_id());
	record_release(l);
	__atomic_store_n(&l->owner_cpu, -1, __ATOMIC_RELAXED);
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	arch_irq_restore(state);
}

bool spin_held_by_me(const struct spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&l->owner_cpu, __ATOMIC_RELAXED) == (int)arch_cpu_id();
}

void assert_no_locks_held(const char *where)
{
	/* Spinlocks are only taken with interrupts masked (spin_lock_irqsave), and a switch with
	 * one held panics (sched.c): with interrupts enabled this thread holds none. That common
	 * case (every mutex_lock) returns without masking them: under TCG the unmask costs an
	 * exit to QEMU's main loop (docs/performance.md). */
	if (arch_irq_enabled())
		return;
	/* Interrupts off for the read, so a preemption cannot move this thread to another CPU
	 * between finding its struct cpu and reading the count; holding a lock keeps them off. */
	unsigned long s = arch_irq_save();
	struct cpu *c = arch_this_cpu();
	unsigned depth = c->lock_depth;
	arch_irq_restore(s);
	if (depth == 0)
		return;
	unsigned n = c->lock_depth < HELD_LOCKS_MAX ? c->lock_depth : HELD_LOCKS_MAX;
	for (unsigned i = 0; i < n; i++)
		kprintf("held: spinlock %s taken at %#lx\n", c->held[i].lock->name,
			(unsigned long)c->held[i].where);
	panic("%s with %u spinlock%s held (first: %s, taken at %#lx)", where, c->lock_depth,
	      c->lock_depth == 1 ? "" : "s", c->held[0].lock->name,
	      (unsigned long)c->held[0].where);
}
