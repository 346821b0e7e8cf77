/*
 * core/sched.h: kernel threads and the scheduler (the design and the lock contract are in
 * core/sched.c's header).
 *
 *   struct thread *t = thread_create("flusher", flush_main, sb);
 *   ...
 *   thread_join(t);            // waits for it to exit, then frees its stack and struct
 *
 * Threads are preempted on the timer tick (10 ms slices) and may run on any CPU unless pinned
 * with thread_create_on. Sleeping goes through wait queues (core/waitq.h) or the primitives
 * built on them (core/sync.h).
 */
#ifndef CORE_SCHED_H
#define CORE_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/arch.h"
#include "core/signal.h"
#include "core/sync.h"

enum thread_state {
	THREAD_RUNNABLE, /* on the run queue, waiting for a CPU */
	THREAD_RUNNING,  /* some CPU's current thread */
	THREAD_SLEEPING, /* waiting to be woken (still running until it switches away) */
	THREAD_DEAD,     /* exited; thread_join frees it */
};

#define THREAD_NAME_MAX 24
#define THREAD_ANY_CPU (-1)
#define SCHED_SLICE_NS 10000000ull /* 10 ms of CPU per turn (core/sched.c) */

struct proc;

struct thread {
	/* Guarded by sched_lock. */
	uintptr_t sp;             /* saved stack pointer while switched out */
	enum thread_state state;
	bool on_cpu;              /* its stack is in use: running, or not yet switched away */
	bool idle;                /* a CPU's idle thread: never on the run queue */
	int cpu;                  /* the CPU it runs on, or last ran on */
	int affinity;             /* THREAD_ANY_CPU or the one CPU it may run on */
	struct thread *run_next;  /* run queue link */
	uint64_t slice_used;      /* ns of CPU used of its current slice (SCHED_SLICE_NS) */
	uint64_t ran_at;          /* time_ns() when last switched in or charged */

	/* Guarded by the lock of the wait queue in wq. */
	struct waitq *wq;         /* the queue it waits on, NULL if none */
	struct thread *wq_next, *wq_prev;

	/* Set at creation, then read-only. */
	uintptr_t stack_top;      /* from kstack_alloc */
	bool adopted;             /* a boot context (its CPU's stack): never exits or is freed */
	void (*entry)(void *);
	void *arg;
	unsigned id;
	char name[THREAD_NAME_MAX];
	struct completion exited; /* completed once its stack is no longer in use */
	struct proc *proc;        /* owning process; NULL for kernel threads */

	/* User threads (core/proc.c). tid is set at creation; the rest belong to the thread
	 * itself except where noted. */
	int tid;                  /* Linux thread id; == proc->pid for the first thread */
	uintptr_t clear_child_tid; /* set_tid_address / CLONE_CHILD_CLEARTID: zeroed and
	                           * futex-woken when the thread exits */
	uintptr_t set_child_tid;  /* CLONE_CHILD_SETTID: the new thread writes its tid there */
	uintptr_t robust_list;    /* set_robust_list: walked at exit (core/futex_robust.c) */
	int exit_status;          /* wait status it left with */
	struct thread *proc_next; /* next thread of proc (guarded by proc->lock) */
	uint64_t utime, stime;    /* CPU time in ticks (core/cputime.c; __atomic) */
	bool in_user;             /* set as it leaves for user mode, cleared on entry */
	bool sleep_spin;          /* in ktimer's last-stretch spin: not charged CPU time */
	uint64_t sigmask;         /* blocked signals, bit (n-1) for signal n */
	uint64_t sigpending;      /* thread-directed pending signals (guarded by proc->lock) */
	struct sigqueue *sigq;    /* their siginfo records (guarded by proc->lock) */
	struct sigaltstack_k altstack; /* sigaltstack; the thread's own */
	uint64_t saved_sigmask;   /* rt_sigsuspend: the mask to restore once a signal is taken */
	bool restore_sigmask;     /* saved_sigmask is valid */
	bool sigreturned;         /* rt_sigreturn restored tf: syscall_handle leaves it alone */
	long syscall_restart;     /* a restart code for signal_deliver to resolve, or 0 */
	/* Restartable sequences (core/rseq.c), the thread's own: its registered struct rseq (0:
	 * none) and signature, and RSEQ_EV_* bits set when it is switched out (by the scheduler,
	 * on its own stack: __atomic) and consumed by user_return. */
	uintptr_t rseq;
	uint32_t rseq_sig;
	uint8_t rseq_events;
	struct arch_thread arch;  /* the port's user state (TLS, FP/SIMD) */
};

/* Boot CPU, once, before interrupts are enabled: the running context (kmain_late on its
 * guarded stack) becomes thread "main", pinned to CPU 0, and CPU 0 gets its idle thread. */
void sched_init(void);

/* A secondary CPU, once, before it enables interrupts: the running context becomes this
 * CPU's idle thread. Then call sched_idle_loop. */
void sched_init_cpu(void);

/* The idle thread's body: run smp_call_on requests, give the CPU to any runnable thread,
 * otherwise wait for an interrupt. */
_Noreturn void sched_idle_loop(void);

/* A new thread running entry(arg), runnable at once on any CPU (thread_create) or only on
 * `cpu` (thread_create_on; THREAD_ANY_CPU for any). When entry returns the thread exits. NULL
 * when out of memory. Thread context or boot. */
struct thread *thread_create(const char *name, void (*entry)(void *), void *arg);
struct thread *thread_create_on(int cpu, const char *name, void (*entry)(void *), void *arg);

/* For user threads (core/proc.c): a thread that does not run until thread_start(t), whose
 * stack leaves room for its user trapframe (arch_user_tf(t->stack_top)) above the first switch
 * frame. thread_free_stopped undoes it if it never started. NULL when out of memory. */
struct thread *thread_create_stopped(const char *name, void (*entry)(void *), void *arg);
void thread_start(struct thread *t);
void thread_free_stopped(struct thread *t);

/* End the running thread. Its stack stays in use until the switch away; thread_join frees it
 * afterwards. Not for the main or idle threads. */
_Noreturn void thread_exit(void);

/* Wait for t to exit, then free its stack and struct. Exactly once per thread created. */
void thread_join(struct thread *t);

/* The running thread; NULL before sched_init on this CPU. */
struct thread *thread_current(void);

/* Give the CPU to the next runnable thread, if there is one this CPU may run; the caller
 * goes to the back of the queue. */
void sched_yield(void);

/* The same for a thread being preempted (user_return, at need_resched): it goes back in
 * front of the queue if it has time left in its slice. */
void sched_preempt(void);

/* Called by the port at the very end of interrupt handling (after end-of-interrupt), with
 * interrupts still masked: if the tick or a wake-up asked for it and no spinlock is held
 * (cpu->lock_depth == 0), switch to the next runnable thread. Interrupts are only taken
 * where they were enabled, so the interrupted context could be switched anyway. Declared
 * for the ports in core/irq.h as well. */
void sched_preempt_check(void);

/* From timer_tick, interrupts masked: ask for a switch at the end of this interrupt if any
 * thread is waiting for a CPU and the running one has used its slice. */
void sched_tick(void);

/* The first function a new thread runs (the port's trampoline calls it): finish the switch,
 * release sched_lock, enable interrupts. */
void sched_thread_start(void);

/* For core/waitq.c. The running thread t: mark it SLEEPING / back to RUNNING. */
void sched_set_sleeping(struct thread *t);
void sched_set_running(struct thread *t);
/* Make a SLEEPING t runnable (or, if it has not switched away yet, cancel its sleep): true if
 * it was sleeping. Any context; takes sched_lock. */
bool sched_wake(struct thread *t);

#endif
