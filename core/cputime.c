/*
 * core/cputime.c: tick-sampled CPU time (core/cputime.h has the design).
 */
#include "core/cputime.h"

#include "arch/arch.h"
#include "core/cpu.h"
#include "core/proc.h"

void cputime_tick(void)
{
	struct cpu *c = arch_this_cpu();
	struct thread *t = c->current;
	if (!t || t->idle || t->sleep_spin) {
		c->idle_ticks++;
		return;
	}
	if (t->in_user) {
		__atomic_fetch_add(&t->utime, 1, __ATOMIC_RELAXED);
		c->user_ticks++;
	} else {
		__atomic_fetch_add(&t->stime, 1, __ATOMIC_RELAXED);
		c->sys_ticks++;
	}
}

void cputime_self(uint64_t *user, uint64_t *sys)
{
	struct proc *p = proc_current();
	unsigned long s = spin_lock_irqsave(&p->lock);
	uint64_t u = p->dead_utime, k = p->dead_stime;
	for (struct thread *t = p->threads; t; t = t->proc_next) {
		u += __atomic_load_n(&t->utime, __ATOMIC_RELAXED);
		k += __atomic_load_n(&t->stime, __ATOMIC_RELAXED);
	}
	spin_unlock_irqrestore(&p->lock, s);
	*user = u;
	*sys = k;
}

void cputime_children(uint64_t *user, uint64_t *sys)
{
	struct proc *p = proc_current();
	*user = __atomic_load_n(&p->cutime, __ATOMIC_RELAXED);
	*sys = __atomic_load_n(&p->cstime, __ATOMIC_RELAXED);
}

void cputime_reap(struct proc *parent, const struct proc *child)
{
	__atomic_fetch_add(&parent->cutime, child->dead_utime + child->cutime, __ATOMIC_RELAXED);
	__atomic_fetch_add(&parent->cstime, child->dead_stime + child->cstime, __ATOMIC_RELAXED);
}
