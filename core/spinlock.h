/*
 * core/spinlock.h: spinlocks that save and restore interrupt state.
 *
 *   unsigned long s = spin_lock_irqsave(&l);  ...  spin_unlock_irqrestore(&l, s);
 *
 * Interrupts stay masked while a spinlock is held, so an interrupt handler on the same CPU can
 * never spin on a lock its own CPU holds. Every lock has a name and records its owner CPU, so
 * recursion is caught (panic naming the lock) instead of deadlocking silently. The memory and
 * SMP issue adds the per-CPU nesting count and the "no lock held here" assertion.
 */
#ifndef CORE_SPINLOCK_H
#define CORE_SPINLOCK_H

#include <stdbool.h>

struct spinlock {
	int locked;       /* 0 free, 1 held; touched only with __atomic builtins */
	int owner_cpu;    /* CPU holding it, -1 when free (for assertions and panics) */
	const char *name;
};

#define SPINLOCK_INIT(n) {0, -1, (n)}

unsigned long spin_lock_irqsave(struct spinlock *l);
void spin_unlock_irqrestore(struct spinlock *l, unsigned long state);
bool spin_held_by_me(const struct spinlock *l);

#endif
