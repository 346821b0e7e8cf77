/*
 * core/sched.c: kernel threads, and a preemptive time-slice scheduler with one run queue
 * shared by every CPU.
 *
 * Threads. A thread is a kernel stack (kstack_alloc, guarded), the stack pointer saved when it
 * is switched out, and a state: RUNNABLE (on the run queue), RUNNING (some CPU's
 * cpu->current), SLEEPING (waiting on a wait queue, core/waitq.c) or DEAD. Each CPU also has
 * an idle thread, never on the run queue, that it runs when nothing else may run there; it
 * serves smp_call_on requests and waits for interrupts. Two threads are not created but
 * adopted: on the boot CPU, kmain_late's context becomes "main" (pinned to CPU 0, where the
 * boot flow and device interrupts live), and on each secondary CPU, secondary_main's context
 * becomes its idle thread. CPU 0's idle thread is created with a stack of its own.
 *
 * Scheduling. One run queue for all CPUs; a CPU takes the first thread it may run (affinity:
 * any CPU, or one). Each thread has a slice of SCHED_SLICE_NS of CPU time; switch_to charges
 * the time a thread ran to its slice_used. The timer tick (sched_tick, 100 Hz) asks for a
 * switch when anything is waiting and the running thread has used its slice, so a thread
 * that never yields gets 10-20 ms turns; the switch itself happens at the end of the
 * interrupt (sched_preempt_check, called by the port after end-of-interrupt) if the
 * interrupted code held no spinlock, or at the next return to user mode (sched_preempt). A
 * thread that used its slice goes to the back of the queue with a fresh one. A thread with
 * time left goes to the front: when it wakes up (and then it also asks the waking CPU for a
 * switch, so a reader whose disk request completes does not wait behind CPU-bound threads),
 * and when it is preempted early for such a one. Since every run is charged, threads that
 * sleep and wake often (a pipe ping-pong) use up their slices like any other and cannot
 * starve the queue. A wake-up meant for another, idle, CPU is picked up at that CPU's next
 * tick (there is no reschedule IPI yet).
 *
 * The one lock that crosses a context switch: sched_lock. It guards the run queue, every
 * thread's state, on_cpu, sp and run_next, and each CPU's current/switched_from/exited. It is
 * acquired (masking interrupts) before arch_context_switch and released by the thread that
 * runs next on that CPU: by the old thread that resumes, right after its own
 * arch_context_switch call returns (finish_switch, then sched_unlock), or for a new thread
 * by sched_thread_start, the first function the port's trampoline calls. Every other lock
 * must be released before a switch: switch_to checks that sched_lock is the only lock this
 * CPU holds. The interrupt state is per thread: each thread releases sched_lock with the state
 * its own acquire saved, and a new thread starts with interrupts enabled. Holding sched_lock
 * across the switch is what makes a global run queue safe on SMP: a thread put back on the
 * queue (preempted, yielding) can be taken by another CPU only after the lock is released,
 * that is after its registers and sp are saved.
 *
 * Sleeping without losing a wake-up. prepare_to_wait marks the running thread SLEEPING under
 * the wait queue's lock while it is still running; the thread then re-checks its condition
 * and calls sched_sleep, which switches away only if the state is still SLEEPING. A waker
 * (sched_wake, under sched_lock) that finds a SLEEPING thread still on its CPU (on_cpu) just
 * sets it RUNNING, so the coming sched_sleep returns at once; one that has switched away is
 * put on the run queue. on_cpu is cleared by the next thread only once the switch is done, so
 * a thread is never queued while its stack is in use. A thread preempted while marked
 * SLEEPING is queued as runnable (its wait loop treats that as a spurious wake-up): it may be
 * past its last check of the condition, and nobody else would wake it.
 *
 * Exit. thread_exit marks the thread DEAD and switches away for good. The next thread on that
 * CPU, once off the dead thread's stack, completes its `exited` completion (after releasing
 * sched_lock); thread_join waits for that and frees the stack and the struct.
 *
 * Lock order: a wait queue's lock, then sched_lock. Nothing is taken while holding sched_lock
 * except by panic.
 */
#include "core/sched.h"

#include "core/mm.h"
#include "core/proc.h"

#include "arch/arch.h"
#include "core/cpu.h"
#include "core/kheap.h"
#include "core/kprintf.h"
#include "core/kstack.h"
#include "core/panic.h"
#include "core/rseq.h"
#include "core/smp.h"
#include "core/string.h"
#include "core/time.h"
#include "core/time.h"

/* Held across arch_context_switch and released by the next thread: see the header. */
static struct spinlock sched_lock = SPINLOCK_INIT("sched");
static struct thread *runq_head, *runq_tail; /* guarded by sched_lock */
/* Length of the run queue: written under sched_lock, read without it as a hint (sched_tick). */
static unsigned nr_runnable;
static unsigned next_thread_id; /* __atomic */

/* ---- The run queue (sched_lock held) ------------------------------------------------------ */

static bool may_run_on(const struct thread *t, unsigned cpu)
{
	return t->affinity == THREAD_ANY_CPU || t->affinity == (int)cpu;
}

/* Queue t: at the back with a fresh slice once it has used its own, else in front. */
static void runq_add(struct thread *t)
{
	t->state = THREAD_RUNNABLE;
	t->run_next = NULL;
	if (t->slice_used < SCHED_SLICE_NS) {
		t->run_next = runq_head;
		runq_head = t;
		if (!runq_tail)
			runq_tail = t;
	} else {
		t->slice_used = 0;
		if (runq_tail)
			runq_tail->run_next = t;
		else
			runq_head = t;
		runq_tail = t;
	}
	__atomic_store_n(&nr_runnable, nr_runnable + 1, __ATOMIC_RELAXED);
}

/* Charge the running thread t for its time on the CPU since ran_at. */
static void charge(struct thread *t, uint64_t now)
{
	t->slice_used += now - t->ran_at;
	t->ran_at = now;
}

/* Take the first runnable thread this CPU may run off the queue; NULL if there is none. */
static struct thread *runq_take(unsigned cpu)
{
	struct thread *prev = NULL;
	for (struct thread *t = runq_head; t; prev = t, t = t->run_next) {
		if (!may_run_on(t, cpu))
			continue;
		if (prev)
			prev->run_next = t->run_next;
		else
			runq_head = t->run_next;
		if (runq_tail == t)
			runq_tail = prev;
		t->run_next = NULL;
		__atomic_store_n(&nr_runnable, nr_runnable - 1, __ATOMIC_RELAXED);
		return t;
	}
	return NULL;
}

/* Queue a woken thread and, if this CPU is idling or the thread has time left in its slice
 * (it goes in front), switch at the end of the current interrupt, at the next return to
 * user mode, or at the idle loop's next turn. */
static void make_runnable(struct thread *t)
{
	struct cpu *c = arch_this_cpu();
	if (t->on_cpu)
		panic("thread %s queued while its stack is in use", t->name);
	bool front = t->slice_used < SCHED_SLICE_NS;
	runq_add(t);
	if (c->current && (c->current->idle || front))
		c->need_resched = true;
}

/* ---- Switching (sched_lock held, interrupts masked) --------------------------------------- */

/* First thing a thread does once switched to: the thread this CPU left is off its stack. A
 * dead one is announced after the lock is released (sched_unlock). */
static void finish_switch(void)
{
	struct cpu *c = arch_this_cpu();
	struct thread *prev = c->switched_from;

	c->switched_from = NULL;
	prev->on_cpu = false;
	if (prev->state == THREAD_DEAD)
		c->exited = prev;
}

static void switch_to(struct cpu *c, struct thread *prev, struct thread *next)
{
	if (c->lock_depth != 1 || c->held[0].lock != &sched_lock)
		panic("context switch from %s with %u locks held (first: %s): only sched_lock may "
		      "cross a switch", prev->name, c->lock_depth, c->held[0].lock->name);
	if (next == prev || next->on_cpu)
		panic("switch from %s to %s, which is running", prev->name, next->name);
	next->state = THREAD_RUNNING;
	next->on_cpu = true;
	next->cpu = (int)c->id;
	c->current = next;
	next->ran_at = prev->ran_at; /* charged up to now by reschedule */
	c->switched_from = prev;
	c->switches++;
	rseq_preempt(prev); /* a preempted or migrated critical section must abort */
	/* Per-thread port state (entry stack, TLS, FP/SIMD) and the user address space follow the
	 * thread; kernel threads run on the kernel's own (empty user half). */
	arch_thread_switch(prev, next);
	struct arch_aspace *as = next->proc ? next->proc->mm->as : arch_kernel_aspace();
	if (!prev->proc || !next->proc || prev->proc->mm != next->proc->mm)
		arch_aspace_activate(as);
	arch_context_switch(&prev->sp, next->sp);
	/* prev again, resumed by some CPU (not necessarily c) that holds sched_lock for us. */
	finish_switch();
}

/* Give this CPU to the next thread it may run. The running thread goes back on the queue if
 * it can still run (when preempted, even if marked SLEEPING: see the header), else it sleeps
 * or has exited and stays off. True if a switch happened (and this thread has since resumed). */
static bool reschedule(bool preempt)
{
	struct cpu *c = arch_this_cpu();
	struct thread *prev = c->current;
	bool can_run = prev->state == THREAD_RUNNING || (preempt && prev->state == THREAD_SLEEPING);
	struct thread *next = runq_take(c->id);

	charge(prev, time_ns());
	if (can_run && !preempt)
		prev->slice_used = SCHED_SLICE_NS; /* a yield gives up the rest of the slice */
	c->need_resched = false;
	if (!next) {
		if (can_run)
			return false;
		next = c->idle;
	}
	if (can_run && !prev->idle)
		runq_add(prev);
	else if (prev->idle)
		prev->state = THREAD_RUNNABLE; /* not queued: picked when nothing else may run */
	if (preempt)
		c->preemptions++;
	switch_to(c, prev, next);
	return true;
}

/* Release sched_lock with the state this thread's own acquire saved, then announce a thread
 * that exited on this CPU (its stack is free now). */
static void sched_unlock(unsigned long state)
{
	struct cpu *c = arch_this_cpu();
	struct thread *dead = c->exited;

	c->exited = NULL;
	spin_unlock_irqrestore(&sched_lock, state);
	if (dead)
		complete(&dead->exited);
}

/* The port's thread trampoline calls this first, with sched_lock held for the new thread. */
void sched_thread_start(void)
{
	finish_switch();
	sched_unlock(arch_irq_save());
	arch_irq_enable();
}

void sched_yield(void)
{
	if (!thread_current())
		return;
	assert_no_locks_held("sched_yield");
	unsigned long s = spin_lock_irqsave(&sched_lock);
	reschedule(false);
	sched_unlock(s);
}

void sched_sleep(void)
{
	assert_no_locks_held("sleeping");
	unsigned long s = spin_lock_irqsave(&sched_lock);
	struct thread *t = arch_this_cpu()->current;
	if (t->idle)
		panic("the idle thread of CPU %d tried to sleep", t->cpu);
	if (t->state == THREAD_SLEEPING)
		reschedule(false);
	sched_unlock(s);
}

void sched_preempt(void)
{
	assert_no_locks_held("sched_preempt");
	unsigned long s = spin_lock_irqsave(&sched_lock);
	reschedule(true);
	sched_unlock(s);
}

void sched_preempt_check(void)
{
	struct cpu *c = arch_this_cpu();
	if (!c->need_resched || !c->current || c->lock_depth != 0)
		return;
	unsigned long s = spin_lock_irqsave(&sched_lock);
	reschedule(true);
	sched_unlock(s);
}

void sched_tick(void)
{
	struct cpu *c = arch_this_cpu();
	struct thread *t = c->current;
	if (!t || __atomic_load_n(&nr_runnable, __ATOMIC_RELAXED) == 0)
		return;
	if (t->idle || t->slice_used + (time_ns() - t->ran_at) >= SCHED_SLICE_NS)
		c->need_resched = true;
}

/* ---- Sleep and wake-up (for core/waitq.c) ------------------------------------------------- */

void sched_set_sleeping(struct thread *t)
{
	unsigned long s = spin_lock_irqsave(&sched_lock);
	t->state = THREAD_SLEEPING;
	spin_unlock_irqrestore(&sched_lock, s);
}

void sched_set_running(struct thread *t)
{
	unsigned long s = spin_lock_irqsave(&sched_lock);
	if (t->state == THREAD_SLEEPING)
		t->state = THREAD_RUNNING;
	spin_unlock_irqrestore(&sched_lock, s);
}

bool sched_wake(struct thread *t)
{
	unsigned long s = spin_lock_irqsave(&sched_lock);
	bool sleeping = t->state == THREAD_SLEEPING;
	if (sleeping && t->on_cpu)
		t->state = THREAD_RUNNING; /* not switched away yet: its sched_sleep returns */
	else if (sleeping)
		make_runnable(t);
	spin_unlock_irqrestore(&sched_lock, s);
	return sleeping;
}

/* ---- Threads ------------------------------------------------------------------------------ */

/* The owner of the stack this runs on (core/kstack.h): one table load, no interrupt masking,
 * which under TCG ends a translation block on every unmask and is the costliest part of a
 * trivial syscall. A thread keeps its stack wherever it runs, so migration cannot make the
 * answer wrong. Only code on a stack outside the slots (a CPU's boot stack, before sched_init
 * adopts it) takes the per-CPU way. */
struct thread *thread_current(void)
{
	struct thread *owner = kstack_owner(arch_frame_pointer());
	if (owner)
		return owner;
	unsigned long s = arch_irq_save(); /* no migration between the two loads */
	struct thread *t = arch_this_cpu()->current;
	arch_irq_restore(s);
	return t;
}

static struct thread *thread_alloc(const char *name, int cpu)
{
	struct thread *t = kzalloc(sizeof(*t));
	if (!t)
		return NULL;
	strlcpy(t->name, name, sizeof(t->name));
	t->id = __atomic_fetch_add(&next_thread_id, 1, __ATOMIC_RELAXED);
	t->affinity = cpu;
	t->cpu = cpu;
	completion_init(&t->exited);
	return t;
}

/* Give t a fresh stack whose first switch runs fn(arg). false when out of memory. */
static bool thread_new_stack(struct thread *t, void (*fn)(void *), void *arg)
{
	t->stack_top = kstack_alloc();
	if (!t->stack_top)
		return false;
	kstack_set_owner(t->stack_top, t);
	t->sp = arch_thread_stack_init((void *)t->stack_top, fn, arg);
	return true;
}

/* Make the running context on CPU c into thread t (boot only, interrupts masked). */
static void adopt(struct cpu *c, struct thread *t)
{
	t->stack_top = c->stack_top;
	kstack_set_owner(t->stack_top, t);
	t->adopted = true;
	t->state = THREAD_RUNNING;
	t->on_cpu = true;
	c->current = t;
}

static void thread_main(void *arg)
{
	struct thread *t = arg;
	t->entry(t->arg);
	thread_exit();
}

struct thread *thread_create_on(int cpu, const char *name, void (*entry)(void *), void *arg)
{
	if (cpu != THREAD_ANY_CPU &&
	    (cpu < 0 || cpu >= MAX_CPUS || !__atomic_load_n(&cpus[cpu].idle, __ATOMIC_ACQUIRE)))
		return NULL; /* no such CPU running the scheduler */
	struct thread *t = thread_alloc(name, cpu);
	if (!t)
		return NULL;
	t->entry = entry;
	t->arg = arg;
	if (!thread_new_stack(t, thread_main, t)) {
		kfree(t);
		return NULL;
	}
	thread_start(t);
	return t;
}

struct thread *thread_create_stopped(const char *name, void (*entry)(void *), void *arg)
{
	struct thread *t = thread_alloc(name, THREAD_ANY_CPU);
	if (!t)
		return NULL;
	t->entry = entry;
	t->arg = arg;
	t->stack_top = kstack_alloc();
	if (!t->stack_top) {
		kfree(t);
		return NULL;
	}
	kstack_set_owner(t->stack_top, t);
	/* The first switch frame goes below the user trapframe's place (arch_user_tf), which the
	 * creator fills before thread_start. */
	t->sp = arch_thread_stack_init(arch_user_tf(t->stack_top), thread_main, t);
	return t;
}

void thread_start(struct thread *t)
{
	unsigned long s = spin_lock_irqsave(&sched_lock);
	t->slice_used = SCHED_SLICE_NS; /* a new thread queues at the back, as before slices */
	make_runnable(t);
	spin_unlock_irqrestore(&sched_lock, s);
}

void thread_free_stopped(struct thread *t)
{
	kstack_free(t->stack_top);
	kfree(t);
}

struct thread *thread_create(const char *name, void (*entry)(void *), void *arg)
{
	return thread_create_on(THREAD_ANY_CPU, name, entry, arg);
}

_Noreturn void thread_exit(void)
{
	assert_no_locks_held("thread_exit");
	spin_lock_irqsave(&sched_lock); /* released by the next thread, never by this one */
	struct thread *t = arch_this_cpu()->current;
	if (t->adopted || t->idle)
		panic("thread_exit: thread %s may not exit", t->name);
	t->state = THREAD_DEAD;
	reschedule(false);
	panic("thread_exit: thread %s ran again after exiting", t->name);
}

void thread_join(struct thread *t)
{
	if (t == thread_current())
		panic("thread_join: thread %s joins itself", t->name);
	wait_for_completion(&t->exited);
	kstack_free(t->stack_top);
	kfree(t);
}

/* ---- Per-CPU start-up and the idle loop --------------------------------------------------- */

static void idle_main(void *unused)
{
	sched_idle_loop();
}

void sched_init(void)
{
	struct cpu *c = arch_this_cpu();
	struct thread *main = thread_alloc("main", (int)c->id);
	struct thread *idle = thread_alloc("idle0", (int)c->id);

	if (!main || !idle || !thread_new_stack(idle, idle_main, NULL))
		panic("sched_init: no memory for the first threads");
	idle->idle = true;
	adopt(c, main);
	__atomic_store_n(&c->idle, idle, __ATOMIC_RELEASE);
	pr_info("sched: thread %s on CPU %u, preemptive, %u Hz tick\n", main->name, c->id, TICK_HZ);
}

void sched_init_cpu(void)
{
	struct cpu *c = arch_this_cpu();
	char name[THREAD_NAME_MAX];

	ksnprintf(name, sizeof(name), "idle%u", c->id);
	struct thread *t = thread_alloc(name, (int)c->id);
	if (!t)
		panic("sched: no memory for CPU %u's idle thread", c->id);
	t->idle = true;
	adopt(c, t);
	__atomic_store_n(&c->idle, t, __ATOMIC_RELEASE);
}

/* Interrupts enabled throughout, except inside the scheduler. A wake-up that lands between
 * the check and the wait, from an interrupt on this CPU, is switched to by that interrupt's
 * sched_preempt_check; one from another CPU waits for this CPU's next tick. */
_Noreturn void sched_idle_loop(void)
{
	for (;;) {
		if (smp_mailbox_poll())
			continue;
		unsigned long s = spin_lock_irqsave(&sched_lock);
		bool switched = reschedule(false);
		sched_unlock(s);
		if (!switched)
			arch_wait_for_interrupt();
	}
}
