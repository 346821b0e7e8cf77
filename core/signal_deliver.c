/*
 * core/signal_deliver.c: what happens to pending signals on the way back to user mode.
 *
 * user_return (core/proc.c) calls signal_deliver, with interrupts enabled, as long as
 * signal_work says there is something to do; each call does one step:
 *   1. a stopped process parks its thread here until SIGCONT (or SIGKILL);
 *   2. otherwise the next deliverable signal (thread-directed first, synchronous ones first,
 *      then the lowest number) is taken: an ignored one is dropped, a default action stops
 *      or ends the process, and a handler gets a frame built by the port
 *      (arch_signal_frame_setup) on the right stack, with the mask the handler runs under;
 *   3. with no signal left, an interrupted syscall is restarted and a mask saved by
 *      rt_sigsuspend is put back.
 * Restart codes (core/syscall.c leaves them in t->syscall_restart with -EINTR in the return
 * register): when a handler runs, ERESTARTSYS restarts only with SA_RESTART, ERESTARTNOINTR
 * always, ERESTARTNOHAND and ERESTART_RESTARTBLOCK never (-EINTR); when none runs, every code
 * restarts. The decision is taken before the frame is built, so the frame holds the final
 * registers and no restart code ever reaches user space. Several pending handlers nest: each
 * later one's frame is built on top of the previous one's, as on Linux.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/mm.h"
#include "core/kprintf.h"
#include "core/proc.h"
#include "core/rseq.h"
#include "core/sched.h"
#include "core/signal.h"

void signal_syscall_restart(struct thread *t, long code)
{
	t->syscall_restart = code;
}

bool signal_work(struct thread *t)
{
	struct proc *p = t->proc;
	if (t->syscall_restart || t->restore_sigmask || __atomic_load_n(&p->stopped, __ATOMIC_ACQUIRE))
		return true;
	uint64_t pend = __atomic_load_n(&t->sigpending, __ATOMIC_ACQUIRE) |
			__atomic_load_n(&p->sigpending, __ATOMIC_ACQUIRE);
	return (pend & ~t->sigmask) != 0;
}

/* Sleep while p is stopped (until SIGCONT, or an exit). True if it was stopped. */
static bool park_if_stopped(struct proc *p)
{
	if (!__atomic_load_n(&p->stopped, __ATOMIC_ACQUIRE))
		return false;
	for (;;) {
		prepare_to_wait(&p->stop_wait);
		if (!__atomic_load_n(&p->stopped, __ATOMIC_ACQUIRE) || proc_should_exit())
			break;
		sched_sleep();
	}
	finish_wait(&p->stop_wait);
	return true;
}

/* Take the next signal that needs action into *info, its action into *act (a handler's
 * SA_RESETHAND applied). 0 if none. Ignored signals are dropped on the way. */
static int take_signal(struct thread *t, struct ksiginfo *info, struct sigaction_k *act)
{
	struct proc *p = t->proc;
	for (;;) {
		int sig = signal_dequeue(t->sigmask, info);
		if (!sig)
			return 0;
		unsigned long s = spin_lock_irqsave(&p->lock);
		*act = p->sigactions[sig - 1];
		if (act->handler > SIG_IGN && (act->flags & SA_RESETHAND))
			p->sigactions[sig - 1].handler = SIG_DFL;
		spin_unlock_irqrestore(&p->lock, s);
		if (act->handler == SIG_IGN)
			continue;
		if (act->handler == SIG_DFL && sig_default_action(sig) == SIGDFL_IGN)
			continue;
		return sig;
	}
}

/* Resolve the running syscall's restart code (see the header) for a handler with flags, or
 * for no handler (flags ~0: restart). */
static void resolve_restart(struct trapframe *tf, struct thread *t, bool handler, uint64_t flags)
{
	long code = t->syscall_restart;
	if (!code)
		return;
	t->syscall_restart = 0;
	bool restart = !handler || code == -ERESTARTNOINTR ||
		       (code == -ERESTARTSYS && (flags & SA_RESTART));
	if (restart)
		arch_tf_restart_syscall(tf);
	else
		arch_tf_set_return(tf, (unsigned long)-EINTR);
}

bool signal_on_altstack(const struct thread *t, uintptr_t sp)
{
	const struct sigaltstack_k *ss = &t->altstack;
	if (ss->flags & SS_AUTODISARM)
		return false;
	return ss->size && sp > ss->sp && sp - ss->sp <= ss->size;
}

/* Linux's ss_flags as a query or a frame reports them for a thread at sp. */
int signal_altstack_flags(const struct thread *t, uintptr_t sp)
{
	if (!t->altstack.size)
		return SS_DISABLE;
	return (signal_on_altstack(t, sp) ? SS_ONSTACK : 0) | (int)(t->altstack.flags & SS_AUTODISARM);
}

/* A frame could not be written: the process dies of SIGSEGV (Linux's force_sigsegv). */
static _Noreturn void frame_failed(int sig)
{
	struct proc *p = proc_current();
	pr_info("pid %d (%s): cannot write the frame for signal %d: killed by SIGSEGV\n", p->pid,
		p->comm, sig);
	proc_group_exit(wstatus_signaled(SIGSEGV));
}

static void run_handler(struct trapframe *tf, struct thread *t, int sig,
			const struct ksiginfo *info, const struct sigaction_k *act)
{
	resolve_restart(tf, t, true, act->flags);
	uintptr_t usp = arch_tf_sp(tf), sp = usp;
	if ((act->flags & SA_ONSTACK) && t->altstack.size && !signal_on_altstack(t, usp))
		sp = t->altstack.sp + t->altstack.size;
	struct sigframe_info fi = {
		.sig = sig,
		.siginfo = info,
		.handler = act->handler,
		.restorer = (act->flags & SA_RESTORER) ? act->restorer : proc_current()->mm->sigtramp,
		.mask = t->restore_sigmask ? t->saved_sigmask : t->sigmask,
		.sp = sp,
		.ss_sp = t->altstack.sp,
		.ss_size = t->altstack.size,
		.ss_flags = signal_altstack_flags(t, usp),
		.fault_addr = (sig_bit(sig) & SIG_SYNC_SET) && info->code > 0 &&
					      info->code != SI_KERNEL ? info->fault.addr : 0,
	};
	rseq_signal_deliver(tf, sig); /* the frame must save a critical section's abort_ip */
	if (arch_signal_frame_setup(tf, &fi) != 0)
		frame_failed(sig);
	t->restore_sigmask = false;
	if (t->altstack.flags & SS_AUTODISARM)
		t->altstack = (struct sigaltstack_k){0};
	uint64_t mask = t->sigmask | act->mask;
	if (!(act->flags & SA_NODEFER))
		mask |= sig_bit(sig);
	signal_set_mask(mask);
}

/* A fault signal's death is worth a line on the console, as before signals existed. */
static void report_fault(int sig, const struct ksiginfo *info)
{
	struct proc *p = proc_current();
	if ((sig_bit(sig) & SIG_SYNC_SET) && info->code > 0 && info->code != SI_KERNEL)
		pr_info("pid %d (%s): killed by signal %d (fault address %#lx)\n", p->pid, p->comm,
			sig, (unsigned long)info->fault.addr);
}

void signal_deliver(struct trapframe *tf)
{
	struct thread *t = thread_current();
	struct proc *p = t->proc;
	if (park_if_stopped(p))
		return; /* user_return looks again: an exit may be pending now */
	struct ksiginfo info;
	struct sigaction_k act;
	int sig = take_signal(t, &info, &act);
	if (sig && act.handler == SIG_DFL) {
		if (sig_default_action(sig) == SIGDFL_STOP) {
			signal_stop_self(sig);
			return;
		}
		report_fault(sig, &info);
		proc_group_exit(wstatus_signaled(sig));
	}
	if (sig) {
		run_handler(tf, t, sig, &info, &act);
		return;
	}
	resolve_restart(tf, t, false, 0);
	if (t->restore_sigmask) {
		t->restore_sigmask = false;
		signal_set_mask(t->saved_sigmask);
	}
}
