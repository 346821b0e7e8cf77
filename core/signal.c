/*
 * core/signal.c: generating signals: pending sets, queueing, waking the receivers, job-control
 * stop and continue at send time, SIGCHLD to the parent, and taking a signal off a pending
 * set. Delivery (what happens on the way back to user mode) is core/signal_deliver.c.
 *
 * Invariants (core/signal.h has the state and its locks):
 * - A bit of a pending set is set iff the signal is pending there; every record on the set's
 *   queue has its bit set. A standard signal has at most one record; a real-time signal has
 *   one per send, oldest first. A signal may be pending with no record (the queue was full,
 *   or no memory): it is then taken with a bare SI_USER siginfo, as Linux does.
 * - p->sigq_count counts every record of p and its threads, against RLIMIT_SIGPENDING.
 * - A process whose threads have all left (nthreads 0) or that is exiting takes no signals.
 * - Senders wake every thread that might take the signal (sched_wake); a sleeper that sees
 *   signal_pending() leaves its sleep, so nothing is lost between a check and a sleep.
 */
#include "core/signal.h"

#include "core/errno.h"
#include "core/kheap.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/string.h"

static bool sig_is_rt(int sig)
{
	return sig >= SIGRTMIN;
}

bool signal_pending(void)
{
	struct thread *t = thread_current();
	struct proc *p = t ? t->proc : NULL;
	if (!p)
		return false;
	if (proc_should_exit() || __atomic_load_n(&p->stopped, __ATOMIC_ACQUIRE))
		return true;
	uint64_t pend = __atomic_load_n(&t->sigpending, __ATOMIC_ACQUIRE) |
			__atomic_load_n(&p->sigpending, __ATOMIC_ACQUIRE);
	return (pend & ~__atomic_load_n(&t->sigmask, __ATOMIC_ACQUIRE)) != 0;
}

struct ksiginfo signal_info_user(int sig, int code)
{
	struct proc *p = proc_current();
	struct ksiginfo info = {.signo = sig, .code = code};
	if (p) {
		info.kill.pid = p->pid;
		info.kill.uid = p->cred.uid;
	}
	return info;
}

/* ---- Pending sets (p->lock held) ------------------------------------------------------------ */

/* Drop every record of the signals in set from *q (freeing them) and return how many went. */
static unsigned queue_drop(struct sigqueue **q, uint64_t set)
{
	unsigned n = 0;
	while (*q) {
		struct sigqueue *e = *q;
		if (set & sig_bit(e->info.signo)) {
			*q = e->next;
			kfree(e);
			n++;
		} else {
			q = &e->next;
		}
	}
	return n;
}

void signal_discard_locked(struct proc *p, uint64_t set)
{
	p->sigpending &= ~set;
	p->sigq_count -= queue_drop(&p->sigq, set);
	for (struct thread *t = p->threads; t; t = t->proc_next) {
		t->sigpending &= ~set;
		p->sigq_count -= queue_drop(&t->sigq, set);
	}
}

void signal_flush_thread(struct thread *t)
{
	struct proc *p = t->proc;
	unsigned long s = spin_lock_irqsave(&p->lock);
	p->sigq_count -= queue_drop(&t->sigq, ~0ull);
	t->sigpending = 0;
	spin_unlock_irqrestore(&p->lock, s);
}

void signal_flush_proc(struct proc *p)
{
	unsigned long s = spin_lock_irqsave(&p->lock);
	p->sigq_count -= queue_drop(&p->sigq, ~0ull);
	p->sigpending = 0;
	spin_unlock_irqrestore(&p->lock, s);
}

/* Take sig off the set (*bits, *q): its oldest record into *info (or a bare SI_USER one). The
 * bit stays set while more records of a real-time signal remain. */
static void take(struct proc *p, uint64_t *bits, struct sigqueue **q, int sig,
		 struct ksiginfo *info)
{
	struct sigqueue **pp = q, *found = NULL;
	bool more = false;
	while (*pp && !more) {
		if ((*pp)->info.signo != sig) {
			pp = &(*pp)->next;
		} else if (found) {
			more = true;
		} else {
			found = *pp;
			*pp = found->next; /* pp now names the record after it */
		}
	}
	if (found) {
		*info = found->info;
		kfree(found);
		p->sigq_count--;
	} else {
		*info = (struct ksiginfo){.signo = sig, .code = SI_USER};
	}
	if (!more)
		*bits &= ~sig_bit(sig);
}

/* The signal to take from pend: a synchronous one first, else the lowest. 0 if none. */
static int next_signal(uint64_t pend)
{
	if (!pend)
		return 0;
	if (pend & SIG_SYNC_SET)
		pend &= SIG_SYNC_SET;
	return __builtin_ctzll(pend) + 1;
}

/* signal_dequeue with p->lock held. */
static int dequeue_locked(struct thread *t, uint64_t mask, struct ksiginfo *info)
{
	struct proc *p = t->proc;
	int sig = next_signal(t->sigpending & ~mask);
	if (sig) {
		take(p, &t->sigpending, &t->sigq, sig, info);
		return sig;
	}
	sig = next_signal(p->sigpending & ~mask);
	if (sig)
		take(p, &p->sigpending, &p->sigq, sig, info);
	return sig;
}

int signal_dequeue(uint64_t mask, struct ksiginfo *info)
{
	struct thread *t = thread_current();
	unsigned long s = spin_lock_irqsave(&t->proc->lock);
	int sig = dequeue_locked(t, mask, info);
	spin_unlock_irqrestore(&t->proc->lock, s);
	return sig;
}

/* ---- Sending --------------------------------------------------------------------------------- */

/* Whether p ignores sig in its current disposition (SIG_IGN, or SIG_DFL with an ignore
 * default). p->lock held. */
static bool sig_ignored_locked(struct proc *p, int sig)
{
	uintptr_t h = p->sigactions[sig - 1].handler;
	if (sig == SIGKILL || sig == SIGSTOP)
		return false;
	return h == SIG_IGN || (h == SIG_DFL && sig_default_action(sig) == SIGDFL_IGN);
}

/* Whether a signal sent to p (thread t, or NULL for the process) is dropped at once: ignored,
 * and not blocked where it would wait (Linux's sig_ignored). p->lock held, p has a thread. */
static bool sig_dropped_locked(struct proc *p, struct thread *t, int sig)
{
	uint64_t blocked = (t ? t : p->threads)->sigmask;
	return sig_ignored_locked(p, sig) && !(blocked & sig_bit(sig));
}

/* Wake every thread of p that may take sig (all for SIGKILL, SIGCONT and stops). */
static void wake_receivers_locked(struct proc *p, struct thread *only, int sig)
{
	for (struct thread *t = p->threads; t; t = t->proc_next) {
		if (only && t != only)
			continue;
		if ((sig_bit(sig) & (SIG_UNBLOCKABLE | sig_bit(SIGCONT))) ||
		    !(__atomic_load_n(&t->sigmask, __ATOMIC_RELAXED) & sig_bit(sig)))
			sched_wake(t);
	}
}

/* SIGCONT at send time: drop pending stops and resume p if it is stopped (true then). p->lock
 * held. */
static bool continue_locked(struct proc *p)
{
	signal_discard_locked(p, SIG_STOP_SET);
	if (!p->stopped)
		return false;
	__atomic_store_n(&p->stopped, false, __ATOMIC_RELEASE);
	p->jobctl_report = 0xffff;
	wake_up_all(&p->stop_wait);
	return true;
}

/* Queue info on the set (bits, q) of p: 0, or -EAGAIN (see signal_send). p->lock held. */
static int enqueue_locked(struct proc *p, uint64_t *bits, struct sigqueue **q,
			  const struct ksiginfo *info)
{
	int sig = info->signo;
	if (!sig_is_rt(sig) && (*bits & sig_bit(sig)))
		return 0; /* standard signals coalesce */
	bool override = !sig_is_rt(sig) && (info->code >= 0 || info->code == SI_KERNEL);
	struct sigqueue *e = NULL;
	if (override || p->sigq_count < p->rlim[RLIMIT_SIGPENDING].cur)
		e = kmalloc(sizeof(*e));
	if (e) {
		e->info = *info;
		e->next = NULL;
		while (*q)
			q = &(*q)->next;
		*q = e;
		p->sigq_count++;
	} else if (sig_is_rt(sig) && info->code != SI_USER) {
		return -EAGAIN;
	}
	__atomic_or_fetch(bits, sig_bit(sig), __ATOMIC_RELEASE);
	return 0;
}

/* The group ends with SIGKILL: mark it exiting and wake every thread. p->lock held. */
static void kill_group_locked(struct proc *p)
{
	if (!p->group_exit) {
		p->group_exit_status = wstatus_signaled(SIGKILL);
		__atomic_store_n(&p->group_exit, true, __ATOMIC_RELEASE);
	}
	for (struct thread *t = p->threads; t; t = t->proc_next)
		sched_wake(t);
	wake_up_all(&p->stop_wait);
}

static void notify_parent_jobctl(struct proc *p, int code, int sig);

/* The live thread of p with that tid (p->lock held), or NULL. */
static struct thread *thread_of_locked(struct proc *p, int tid)
{
	for (struct thread *t = p->threads; t; t = t->proc_next)
		if (t->tid == tid)
			return t;
	return NULL;
}

int signal_send_locked(struct proc *p, int tid, const struct ksiginfo *info)
{
	int sig = info->signo, err = 0;
	bool continued = false;
	unsigned long s = spin_lock_irqsave(&p->lock);
	struct thread *t = tid ? thread_of_locked(p, tid) : NULL;
	if (tid && !t) {
		err = -ESRCH;
		goto out;
	}
	if (sig == 0 || p->nthreads == 0 || p->group_exit || p->state != PROC_ALIVE)
		goto out;
	if (sig == SIGKILL) {
		kill_group_locked(p);
		goto out;
	}
	if (sig == SIGCONT)
		continued = continue_locked(p);
	else if (sig_bit(sig) & SIG_STOP_SET)
		signal_discard_locked(p, sig_bit(SIGCONT));
	if (sig_dropped_locked(p, t, sig))
		goto out;
	err = t ? enqueue_locked(p, &t->sigpending, &t->sigq, info)
		: enqueue_locked(p, &p->sigpending, &p->sigq, info);
	if (!err)
		wake_receivers_locked(p, t, sig);
out:
	spin_unlock_irqrestore(&p->lock, s);
	if (continued)
		notify_parent_jobctl(p, CLD_CONTINUED, SIGCONT);
	return err;
}

int signal_send(struct proc *p, int tid, const struct ksiginfo *info)
{
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	int err = signal_send_locked(p, tid, info);
	spin_unlock_irqrestore(&proc_tree_lock, s);
	return err;
}

/* ---- Job control and SIGCHLD ------------------------------------------------------------------ */

/* Tell p's parent that p stopped or continued: SIGCHLD with code, and wake its wait
 * (proc_tree_lock held, p->lock not). */
static void notify_parent_jobctl(struct proc *p, int code, int sig)
{
	struct proc *parent = p->parent;
	if (!parent)
		return;
	struct ksiginfo info = {.signo = SIGCHLD, .code = code};
	info.chld.pid = p->pid;
	info.chld.uid = p->cred.uid;
	info.chld.status = sig;
	wake_up_all(&parent->child_wait);
	unsigned long s = spin_lock_irqsave(&parent->lock);
	if (!(parent->sigactions[SIGCHLD - 1].flags & SA_NOCLDSTOP) && parent->nthreads &&
	    !parent->group_exit && !sig_dropped_locked(parent, NULL, SIGCHLD) &&
	    enqueue_locked(parent, &parent->sigpending, &parent->sigq, &info) == 0)
		wake_receivers_locked(parent, NULL, SIGCHLD);
	spin_unlock_irqrestore(&parent->lock, s);
}

void signal_stop_self(int sig)
{
	struct proc *p = proc_current();
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	unsigned long s2 = spin_lock_irqsave(&p->lock);
	bool now = !p->stopped && !p->group_exit;
	if (now) {
		__atomic_store_n(&p->stopped, true, __ATOMIC_RELEASE);
		p->stop_sig = sig;
		p->jobctl_report = 0x7f | sig << 8;
		for (struct thread *t = p->threads; t; t = t->proc_next)
			sched_wake(t);
	}
	spin_unlock_irqrestore(&p->lock, s2);
	if (now)
		notify_parent_jobctl(p, CLD_STOPPED, sig);
	spin_unlock_irqrestore(&proc_tree_lock, s);
}

bool signal_notify_parent_exit_locked(struct proc *p)
{
	struct proc *parent = p->parent;
	int sig = p->exit_signal, st = p->exit_status;
	if (!parent)
		return false;
	if (sig != SIGCHLD && p->parent_exec_id != __atomic_load_n(&parent->self_exec_id,
								    __ATOMIC_RELAXED))
		sig = SIGCHLD; /* the image that chose the signal is gone (Linux) */
	unsigned long s = spin_lock_irqsave(&parent->lock);
	struct sigaction_k *act = &parent->sigactions[SIGCHLD - 1];
	bool autoreap = sig == SIGCHLD && (act->handler == SIG_IGN || (act->flags & SA_NOCLDWAIT));
	if (sig > 0 && sig <= NSIG && parent->nthreads && !parent->group_exit &&
	    !sig_dropped_locked(parent, NULL, sig)) {
		struct ksiginfo info = {.signo = sig, .code = (st & 0x7f) ? CLD_KILLED : CLD_EXITED};
		info.chld.pid = p->pid;
		info.chld.uid = p->cred.uid;
		info.chld.status = (st & 0x7f) ? (st & 0x7f) : (st >> 8) & 0xff;
		if (enqueue_locked(parent, &parent->sigpending, &parent->sigq, &info) == 0)
			wake_receivers_locked(parent, NULL, sig);
	}
	spin_unlock_irqrestore(&parent->lock, s);
	return autoreap;
}

/* ---- Masks ---------------------------------------------------------------------------------- */

void signal_set_mask(uint64_t mask)
{
	struct thread *t = thread_current();
	unsigned long s = spin_lock_irqsave(&t->proc->lock);
	__atomic_store_n(&t->sigmask, mask & ~SIG_UNBLOCKABLE, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&t->proc->lock, s);
}

void signal_force_fault(int sig, int code, uintptr_t addr)
{
	struct thread *t = thread_current();
	struct proc *p = t->proc;
	struct ksiginfo info = {.signo = sig, .code = code};
	info.fault.addr = addr;
	unsigned long s = spin_lock_irqsave(&p->lock);
	struct sigaction_k *act = &p->sigactions[sig - 1];
	if (act->handler == SIG_IGN || (t->sigmask & sig_bit(sig))) {
		/* A fault cannot be blocked or ignored away: the default action (death) it is. */
		act->handler = SIG_DFL;
		__atomic_and_fetch(&t->sigmask, ~sig_bit(sig), __ATOMIC_RELEASE);
	}
	enqueue_locked(p, &t->sigpending, &t->sigq, &info);
	spin_unlock_irqrestore(&p->lock, s);
}
