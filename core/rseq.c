/*
 * core/rseq.c: restartable sequences (rseq(2)), to Linux 6.1's semantics.
 *
 * A thread registers a 32-byte, 32-aligned struct rseq in its own memory. The kernel keeps
 * its cpu_id_start and cpu_id fields equal to the CPU the thread runs on whenever it is in
 * user mode, and watches its rseq_cs field: user code stores there the address of a
 * descriptor { version, flags, start_ip, post_commit_offset, abort_ip } before it enters a
 * critical section [start_ip, start_ip + post_commit_offset). If the thread is preempted,
 * migrated or gets a signal while its PC is inside that range, it must not resume there: on
 * the way back to user mode the kernel checks that the 4 bytes just before abort_ip hold the
 * registration's signature (so an attacker cannot make the kernel jump anywhere) and moves
 * the PC to abort_ip. Either way rseq_cs is cleared (lazily: a stale one outside any section
 * is cleared at the next check). A descriptor that is invalid, a signature that does not
 * match, or any fault on the area or the descriptor gets the thread SIGSEGV.
 *
 * When the work happens: the scheduler marks a registered thread (rseq_events) each time it
 * switches it out, which also covers migration since a thread only changes CPU through a
 * switch. user_return sees the mark (one test on the syscall path, zero when unregistered)
 * and calls rseq_notify_resume with interrupts enabled, since the user copies may fault and
 * sleep; the mark is cleared first, so a preemption during the work marks it again and
 * user_return runs it once more, and the CPU written is the one the thread returns on.
 * Signal delivery calls rseq_signal_deliver before building a handler's frame, so the frame
 * saves the abort address and sigreturn resumes there. Registration marks the thread with
 * RSEQ_EV_REFRESH, which writes the CPU fields but aborts nothing, as Linux's empty event
 * mask does.
 *
 * The registration is per thread: a new thread (CLONE_VM) starts without one, a forked child
 * keeps it, exec drops it. Linux 6.1 has no node_id/mm_cid and no extensible size, so the
 * length must be exactly 32 and the rest of the area is the user's.
 */
#include "core/rseq.h"

#include "arch/arch.h"
#include "core/errno.h"
#include "core/kprintf.h"
#include "core/layout.h"
#include "core/proc.h"
#include "core/signal.h"
#include "core/spinlock.h"
#include "core/syscall.h"
#include "core/uaccess.h"

SYSCALL_DECLARE(rseq);

/* Linux's uapi layouts (include/uapi/linux/rseq.h), the same on both ports. */
struct rseq_area {
	uint32_t cpu_id_start;
	uint32_t cpu_id;
	uint64_t rseq_cs;
	uint32_t flags;
	uint32_t pad[3];
};
struct rseq_cs_desc {
	uint32_t version;
	uint32_t flags;
	uint64_t start_ip;
	uint64_t post_commit_offset;
	uint64_t abort_ip;
};
_Static_assert(sizeof(struct rseq_area) == 32, "struct rseq is 32 bytes");
_Static_assert(sizeof(struct rseq_cs_desc) == 32, "struct rseq_cs is 32 bytes");

#define RSEQ_SIZE 32u
#define RSEQ_FLAG_UNREGISTER 1
#define RSEQ_CPU_ID_UNINITIALIZED ((uint32_t)-1)
#define OFF_CPU_ID_START 0
#define OFF_RSEQ_CS 8
#define OFF_FLAGS 16

/* Read and check the descriptor at ptr (non-zero) as Linux does, whether or not the PC is in
 * it: 0, -EFAULT, or -EINVAL for a descriptor outside user space, a version other than 0, a
 * range that wraps or holds abort_ip, or a signature that does not match. */
static int rseq_get_cs(struct thread *t, uint64_t ptr, struct rseq_cs_desc *cs)
{
	if (!user_range_ok(ptr, sizeof(*cs)))
		return -EINVAL;
	if (copy_from_user(cs, ptr, sizeof(*cs)))
		return -EFAULT;
	uint64_t end = cs->start_ip + cs->post_commit_offset;
	if (cs->start_ip >= USER_TOP || end >= USER_TOP || end < cs->start_ip ||
	    cs->abort_ip >= USER_TOP || cs->version > 0)
		return -EINVAL;
	if (cs->abort_ip - cs->start_ip < cs->post_commit_offset)
		return -EINVAL; /* abort_ip inside the section */
	uint32_t sig;
	if (cs->abort_ip < sizeof(sig) || get_user(&sig, cs->abort_ip - sizeof(sig)))
		return -EFAULT;
	if (sig != t->rseq_sig) {
		pr_info("pid %d (%s): rseq signature %#x at %#lx, expected %#x\n", t->proc->pid,
			t->proc->comm, sig, (unsigned long)(cs->abort_ip - sizeof(sig)), t->rseq_sig);
		return -EINVAL;
	}
	return 0;
}

/* The abort check on the user PC in tf (may_abort: a preemption or signal happened; only then
 * may the section be left). 0 or -errno. */
static int rseq_ip_fixup(struct thread *t, struct trapframe *tf, bool may_abort)
{
	uint64_t ptr, zero = 0;
	if (get_user(&ptr, t->rseq + OFF_RSEQ_CS))
		return -EFAULT;
	if (!ptr)
		return 0;
	struct rseq_cs_desc cs;
	int err = rseq_get_cs(t, ptr, &cs);
	if (err)
		return err;
	uintptr_t pc = arch_tf_pc(tf);
	if (pc - cs.start_ip >= cs.post_commit_offset)
		return put_user(t->rseq + OFF_RSEQ_CS, &zero); /* not in it: the lazy clear */
	/* Linux 6.1 deprecated the RSEQ_CS_FLAG_NO_RESTART_ON_* flags: any flag is an error. */
	uint32_t flags;
	if (get_user(&flags, t->rseq + OFF_FLAGS))
		return -EFAULT;
	if (cs.flags || flags)
		return -EINVAL;
	if (!may_abort)
		return 0; /* nothing happened that the section could have missed */
	if (put_user(t->rseq + OFF_RSEQ_CS, &zero))
		return -EFAULT;
	arch_tf_set_pc(tf, (uintptr_t)cs.abort_ip);
	return 0;
}

/* Write the CPU the thread runs on into cpu_id_start and cpu_id. If it moves right after the
 * read, the switch marks it again and user_return comes back here. */
static int rseq_update_cpu(struct thread *t)
{
	unsigned long s = arch_irq_save(); /* a consistent read of this CPU's id */
	uint32_t id = arch_cpu_id();
	arch_irq_restore(s);
	uint32_t cpu[2] = {id, id}; /* cpu_id_start, cpu_id */
	return copy_to_user(t->rseq + OFF_CPU_ID_START, cpu, sizeof(cpu));
}

/* The work of both hooks. sig: the signal being delivered, or 0. */
static void rseq_handle(struct trapframe *tf, bool may_abort, int sig)
{
	struct thread *t = thread_current();
	if (!t->rseq)
		return;
	if (rseq_ip_fixup(t, tf, may_abort) == 0 && rseq_update_cpu(t) == 0)
		return;
	/* Linux's force_sigsegv(sig): a SIGSEGV that fails while its own frame is being built
	 * must not recurse into the same handler. */
	struct proc *p = t->proc;
	if (sig == SIGSEGV) {
		unsigned long s = spin_lock_irqsave(&p->lock);
		p->sigactions[SIGSEGV - 1].handler = SIG_DFL;
		spin_unlock_irqrestore(&p->lock, s);
	}
	signal_force_fault(SIGSEGV, SI_KERNEL, 0);
}

void rseq_notify_resume(struct trapframe *tf)
{
	struct thread *t = thread_current();
	uint8_t ev = __atomic_exchange_n(&t->rseq_events, 0, __ATOMIC_RELAXED);
	rseq_handle(tf, (ev & RSEQ_EV_PREEMPT) != 0, 0);
}

void rseq_signal_deliver(struct trapframe *tf, int sig)
{
	rseq_handle(tf, true, sig);
}

void rseq_fork(struct thread *child, bool share_vm)
{
	struct thread *self = thread_current();
	if (share_vm || !self->rseq) {
		child->rseq = 0;
		child->rseq_sig = 0;
		child->rseq_events = 0;
		return;
	}
	child->rseq = self->rseq;
	child->rseq_sig = self->rseq_sig;
	/* Its first return writes the CPU it starts on; a section the parent was in when it
	 * called fork cannot exist (fork is a syscall, outside any section). */
	child->rseq_events = RSEQ_EV_REFRESH;
}

void rseq_exec(struct thread *t)
{
	t->rseq = 0;
	t->rseq_sig = 0;
	__atomic_store_n(&t->rseq_events, 0, __ATOMIC_RELAXED);
}

/* RSEQ_FLAG_UNREGISTER: the same area, length and signature as registered. */
static long rseq_unregister(struct thread *t, uintptr_t u, uint32_t len, uint32_t sig)
{
	if (!t->rseq || t->rseq != u || len != RSEQ_SIZE)
		return -EINVAL;
	if (sig != t->rseq_sig)
		return -EPERM;
	/* cpu_id goes back to "uninitialised", so a later user knows to register again. */
	uint32_t ids[2] = {0, RSEQ_CPU_ID_UNINITIALIZED};
	if (copy_to_user(u + OFF_CPU_ID_START, ids, sizeof(ids)))
		return -EFAULT;
	t->rseq = 0;
	t->rseq_sig = 0;
	__atomic_store_n(&t->rseq_events, 0, __ATOMIC_RELAXED);
	return 0;
}

/* rseq(struct rseq *rseq, u32 rseq_len, int flags, u32 sig). */
long sys_rseq(const unsigned long *a)
{
	struct thread *t = thread_current();
	uintptr_t u = a[0];
	uint32_t len = (uint32_t)a[1], sig = (uint32_t)a[3];
	int flags = (int)a[2];
	if (flags & RSEQ_FLAG_UNREGISTER) {
		if (flags & ~RSEQ_FLAG_UNREGISTER)
			return -EINVAL;
		return rseq_unregister(t, u, len, sig);
	}
	if (flags)
		return -EINVAL;
	if (t->rseq) {
		if (t->rseq != u || len != RSEQ_SIZE)
			return -EINVAL;
		return sig == t->rseq_sig ? -EBUSY : -EPERM;
	}
	if (len != RSEQ_SIZE || (u & (RSEQ_SIZE - 1)))
		return -EINVAL;
	if (!user_range_ok(u, len))
		return -EFAULT;
	/* A stale rseq_cs (a libc reusing an area for a new thread) is cleared rather than
	 * checked on the way out, as later Linux releases do. */
	uint64_t cs, zero = 0;
	if (get_user(&cs, u + OFF_RSEQ_CS) || (cs && put_user(u + OFF_RSEQ_CS, &zero)))
		return -EFAULT;
	t->rseq = u;
	t->rseq_sig = sig;
	/* The CPU fields are written on the way out (user_return), like every later update. */
	__atomic_or_fetch(&t->rseq_events, RSEQ_EV_REFRESH, __ATOMIC_RELAXED);
	return 0;
}
