/*
 * core/rseq.h: restartable sequences (rseq(2)), as Linux 6.1 defines them (the release uname
 * reports): the original 32-byte struct rseq, no extended fields (node_id, mm_cid) and so no
 * AT_RSEQ_FEATURE_SIZE in the auxiliary vector. The design is in core/rseq.c.
 *
 * The per-thread state lives in struct thread (core/sched.h): rseq (the registered user area,
 * 0 when none), rseq_sig and rseq_events. Everything else calls in here:
 * - the scheduler, as it switches a thread out (rseq_preempt): a migration always comes with
 *   a switch, so that one hook covers preemption and migration alike;
 * - user_return (core/proc.c), when rseq_events is non-zero (rseq_notify_resume);
 * - signal delivery, before it builds a handler's frame (rseq_signal_deliver);
 * - clone (rseq_fork) and exec (rseq_exec).
 */
#ifndef CORE_RSEQ_H
#define CORE_RSEQ_H

#include <stdbool.h>

#include "core/sched.h"

struct trapframe;

/* rseq_events bits: why the user area needs the kernel's attention on the way out. */
#define RSEQ_EV_PREEMPT 1u /* switched out (or migrated): a critical section must abort */
#define RSEQ_EV_REFRESH 2u /* registered or forked: only cpu_id_start/cpu_id need writing */

/* The scheduler's hook for prev, about to be switched out (sched_lock held). One test when
 * the thread has no registration. */
static inline void rseq_preempt(struct thread *prev)
{
	if (prev->rseq)
		__atomic_or_fetch(&prev->rseq_events, RSEQ_EV_PREEMPT, __ATOMIC_RELAXED);
}

/* user_return, interrupts enabled, rseq_events non-zero: abort an interrupted critical
 * section (the PC in tf moves to its abort_ip) and write the current CPU to cpu_id_start and
 * cpu_id. A fault or an invalid descriptor queues SIGSEGV. */
void rseq_notify_resume(struct trapframe *tf);

/* Signal delivery, before the frame for signal sig is built: the same, so that the frame
 * saves the abort address. On failure SIGSEGV is queued (and, when sig is SIGSEGV itself,
 * its handler reset first, as Linux's force_sigsegv). */
void rseq_signal_deliver(struct trapframe *tf, int sig);

/* clone: a child sharing the address space (threads, vfork) starts unregistered; a forked
 * child keeps its parent's registration (its copy of the area is at the same address). */
void rseq_fork(struct thread *child, bool share_vm);

/* exec: the registration dies with the old image. */
void rseq_exec(struct thread *t);

#endif
