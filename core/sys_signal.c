/*
 * core/sys_signal.c: the signal syscalls. Actions and masks (rt_sigaction, rt_sigprocmask,
 * rt_sigpending), sending (kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo), waiting
 * (pause, rt_sigsuspend, rt_sigtimedwait), the alternate stack (sigaltstack) and the return
 * from a handler (rt_sigreturn). Generation and delivery are core/signal.c and
 * core/signal_deliver.c; this file checks arguments and permissions, as Linux, and copies.
 *
 * The kernel's struct sigaction is { handler, flags, restorer, mask } on both ports, with a
 * 64-bit mask (sigsetsize must be 8, as Linux requires). stack_t is { sp, int flags, size }.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/kprintf.h"
#include "core/ktimer.h"
#include "core/proc.h"
#include "core/signal.h"
#include "core/syscall.h"
#include "core/time.h"
#include "core/uaccess.h"

SYSCALL_DECLARE(rt_sigaction);
SYSCALL_DECLARE(rt_sigprocmask);
SYSCALL_DECLARE(rt_sigpending);
SYSCALL_DECLARE(kill);
SYSCALL_DECLARE(tkill);
SYSCALL_DECLARE(tgkill);
SYSCALL_DECLARE(rt_sigqueueinfo);
SYSCALL_DECLARE(rt_tgsigqueueinfo);
SYSCALL_DECLARE(pause);
SYSCALL_DECLARE(rt_sigsuspend);
SYSCALL_DECLARE(rt_sigtimedwait);
SYSCALL_DECLARE(sigaltstack);
SYSCALL_DECLARE(rt_sigreturn);

struct k_sigaction_abi {
	uint64_t handler, flags, restorer, mask;
};

/* ---- Actions and masks ---------------------------------------------------------------------- */

long sys_rt_sigaction(const unsigned long *a)
{
	int sig = (int)a[0];
	struct proc *p = proc_current();
	struct k_sigaction_abi act, old;
	if (a[3] != 8 || sig < 1 || sig > NSIG)
		return -EINVAL;
	if (a[1] && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (a[1] && copy_from_user(&act, a[1], sizeof(act)))
		return -EFAULT;
	unsigned long s = spin_lock_irqsave(&p->lock);
	struct sigaction_k *k = &p->sigactions[sig - 1];
	old = (struct k_sigaction_abi){k->handler, k->flags, k->restorer, k->mask};
	if (a[1]) {
		*k = (struct sigaction_k){act.handler, act.flags, act.restorer,
					  act.mask & ~SIG_UNBLOCKABLE};
		/* POSIX: setting a pending signal to be ignored discards it, in every thread. */
		if (act.handler == SIG_IGN ||
		    (act.handler == SIG_DFL && sig_default_action(sig) == SIGDFL_IGN))
			signal_discard_locked(p, sig_bit(sig));
	}
	spin_unlock_irqrestore(&p->lock, s);
	if (a[2] && copy_to_user(a[2], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigprocmask(const unsigned long *a)
{
	struct thread *t = thread_current();
	uint64_t set, old = t->sigmask;
	if (a[3] != 8)
		return -EINVAL;
	if (a[1]) {
		if (a[0] != SIG_BLOCK && a[0] != SIG_UNBLOCK && a[0] != SIG_SETMASK)
			return -EINVAL;
		if (copy_from_user(&set, a[1], sizeof(set)))
			return -EFAULT;
		signal_set_mask(a[0] == SIG_BLOCK ? old | set : a[0] == SIG_UNBLOCK ? old & ~set : set);
	}
	if (a[2] && copy_to_user(a[2], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigpending(const unsigned long *a)
{
	struct thread *t = thread_current();
	if (a[1] != 8)
		return -EINVAL;
	unsigned long s = spin_lock_irqsave(&t->proc->lock);
	uint64_t pending = (t->sigpending | t->proc->sigpending) & t->sigmask;
	spin_unlock_irqrestore(&t->proc->lock, s);
	return copy_to_user(a[0], &pending, sizeof(pending));
}

/* ---- Sending -------------------------------------------------------------------------------- */

/* Linux's kill permission: the sender is privileged, or its real or effective uid is the
 * target's real or saved uid; SIGCONT within the session is always allowed. */
static bool may_signal(const struct proc *p, int sig)
{
	const struct proc *self = proc_current();
	if (self == p || self->cred.euid == 0)
		return true;
	if (sig == SIGCONT && self->sid == p->sid)
		return true;
	uint32_t u = self->cred.uid, e = self->cred.euid;
	return u == p->cred.uid || u == p->cred.suid || e == p->cred.uid || e == p->cred.suid;
}

/* Send to one process (tid: one of its threads, 0 for the process) after the checks. */
static int send_checked(struct proc *p, int tid, const struct ksiginfo *info)
{
	if (!may_signal(p, info->signo))
		return -EPERM;
	return signal_send(p, tid, info);
}

/* kill(-1) and kill of a process group: every matching process, under proc_tree_lock. 0 if
 * one was signalled, -EPERM if all refused, -ESRCH if there was none. */
static long kill_many(int pgid, const struct ksiginfo *info)
{
	struct proc *self = proc_current();
	int found = 0, sent = 0;
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	for (struct proc *p = proc_first_locked(); p; p = p->all_next) {
		if (pgid ? p->pgid != pgid : (p->pid <= 1 || p == self))
			continue;
		found++;
		if (may_signal(p, info->signo) && signal_send_locked(p, 0, info) != -EAGAIN)
			sent++;
	}
	spin_unlock_irqrestore(&proc_tree_lock, s);
	return !found ? -ESRCH : sent ? 0 : -EPERM;
}

long sys_kill(const unsigned long *a)
{
	int pid = (int)a[0], sig = (int)a[1];
	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	struct ksiginfo info = signal_info_user(sig, SI_USER);
	if (pid == -1)
		return kill_many(0, &info);
	if (pid <= 0)
		return pid == (int)0x80000000 ? -ESRCH : kill_many(pid ? -pid : proc_current()->pgid, &info);
	struct proc *p = proc_find_any(pid);
	if (!p)
		return -ESRCH;
	int err = send_checked(p, 0, &info);
	proc_put(p);
	return err;
}

/* The process that has a thread tid (a reference), or NULL. */
static struct proc *proc_of_tid(int tid)
{
	struct proc *found = NULL;
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	for (struct proc *p = proc_first_locked(); p && !found; p = p->all_next) {
		unsigned long s2 = spin_lock_irqsave(&p->lock);
		for (struct thread *t = p->threads; t; t = t->proc_next)
			if (t->tid == tid) {
				proc_get(p);
				found = p;
				break;
			}
		spin_unlock_irqrestore(&p->lock, s2);
	}
	spin_unlock_irqrestore(&proc_tree_lock, s);
	return found;
}

/* tgkill/tkill/rt_tgsigqueueinfo: to thread tid of tgid (0: any process). */
static long send_to_thread(int tgid, int tid, const struct ksiginfo *info)
{
	if (tid <= 0 || info->signo < 0 || info->signo > NSIG)
		return -EINVAL;
	struct proc *p = tgid ? proc_find(tgid) : proc_of_tid(tid);
	if (!p)
		return -ESRCH;
	int err = send_checked(p, tid, info);
	proc_put(p);
	return err;
}

long sys_tkill(const unsigned long *a)
{
	struct ksiginfo info = signal_info_user((int)a[1], SI_TKILL);
	return send_to_thread(0, (int)a[0], &info);
}

long sys_tgkill(const unsigned long *a)
{
	if ((int)a[0] <= 0)
		return -EINVAL;
	struct ksiginfo info = signal_info_user((int)a[2], SI_TKILL);
	return send_to_thread((int)a[0], (int)a[1], &info);
}

/* A caller-made siginfo: a process may not pose as the kernel or kill() to another one. */
static int user_info(uintptr_t uinfo, int sig, int target_pid, struct ksiginfo *info)
{
	if (copy_from_user(info, uinfo, sizeof(*info)))
		return -EFAULT;
	if ((info->code >= 0 || info->code == SI_TKILL) && target_pid != proc_current()->pid)
		return -EPERM;
	info->signo = sig;
	return 0;
}

long sys_rt_sigqueueinfo(const unsigned long *a)
{
	int pid = (int)a[0], sig = (int)a[1];
	struct ksiginfo info;
	int err = user_info(a[2], sig, pid, &info);
	if (err)
		return err;
	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	struct proc *p = pid > 0 ? proc_find_any(pid) : NULL;
	if (!p)
		return -ESRCH;
	err = send_checked(p, 0, &info);
	proc_put(p);
	return err;
}

long sys_rt_tgsigqueueinfo(const unsigned long *a)
{
	int tgid = (int)a[0], tid = (int)a[1], sig = (int)a[2];
	struct ksiginfo info;
	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	int err = user_info(a[3], sig, tgid, &info);
	return err ? err : send_to_thread(tgid, tid, &info);
}

/* ---- Waiting -------------------------------------------------------------------------------- */

/* Sleep until a signal is pending or deadline (0: none) passes: true if a signal came. */
static bool sleep_for_signal(uint64_t deadline)
{
	struct waitq wq;
	bool sig;
	waitq_init(&wq, "sigwait");
	for (;;) {
		prepare_to_wait(&wq);
		sig = signal_pending();
		if (sig || (deadline && time_ns() >= deadline))
			break;
		if (deadline)
			sched_sleep_until(deadline);
		else
			sched_sleep();
	}
	finish_wait(&wq);
	return sig;
}

long sys_pause(const unsigned long *a)
{
	(void)a;
	sleep_for_signal(0);
	return -ERESTARTNOHAND;
}

long sys_rt_sigsuspend(const unsigned long *a)
{
	struct thread *t = thread_current();
	uint64_t mask;
	if (a[1] != 8)
		return -EINVAL;
	if (copy_from_user(&mask, a[0], sizeof(mask)))
		return -EFAULT;
	t->saved_sigmask = t->sigmask;
	t->restore_sigmask = true; /* signal_deliver puts it back (in the frame, or at once) */
	signal_set_mask(mask);
	sleep_for_signal(0);
	return -ERESTARTNOHAND;
}

struct linux_timespec {
	int64_t tv_sec, tv_nsec;
};

long sys_rt_sigtimedwait(const unsigned long *a)
{
	struct thread *t = thread_current();
	uint64_t set, deadline = 0;
	struct ksiginfo info;
	if (a[3] != 8)
		return -EINVAL;
	if (copy_from_user(&set, a[0], sizeof(set)))
		return -EFAULT;
	set &= ~SIG_UNBLOCKABLE;
	if (a[2]) {
		struct linux_timespec ts;
		if (get_user(&ts, a[2]))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
			return -EINVAL;
		uint64_t ns = (uint64_t)ts.tv_sec > UINT64_MAX / 2000000000u
				      ? UINT64_MAX / 2
				      : (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		if (!ns)
			deadline = 1; /* already passed: poll */
		else
			deadline = ns > UINT64_MAX - time_ns() ? 0 : time_ns() + ns;
	}
	int sig = signal_dequeue(~set, &info);
	if (!sig && deadline == 1)
		return -EAGAIN;
	if (!sig) {
		/* Linux unblocks the awaited signals for the wait, so that their sender wakes us. */
		uint64_t old = t->sigmask;
		signal_set_mask(old & ~set);
		bool woken = sleep_for_signal(deadline);
		sig = signal_dequeue(~set, &info);
		signal_set_mask(old);
		if (!sig)
			return woken ? -EINTR : -EAGAIN;
	}
	if (a[1] && copy_to_user(a[1], &info, sizeof(info)))
		return -EFAULT;
	return sig;
}

/* ---- The alternate stack and the return from a handler --------------------------------------- */

struct stack_abi {
	uint64_t sp;
	int32_t flags, pad;
	uint64_t size;
};

/* Install ss for t (running at sp). 0 or -errno, as Linux's do_sigaltstack. */
static int altstack_set(struct thread *t, const struct stack_abi *ss, uintptr_t sp)
{
	unsigned mode = (unsigned)ss->flags & ~SS_AUTODISARM;
	if (signal_on_altstack(t, sp))
		return -EPERM;
	if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
		return -EINVAL;
	if (mode == SS_DISABLE) {
		t->altstack = (struct sigaltstack_k){0};
		return 0;
	}
	if (ss->size < ABI_MINSIGSTKSZ)
		return -ENOMEM;
	t->altstack = (struct sigaltstack_k){ss->sp, ss->size, (unsigned)ss->flags & SS_AUTODISARM};
	return 0;
}

long sys_sigaltstack(const unsigned long *a)
{
	struct thread *t = thread_current();
	uintptr_t sp = arch_tf_sp(syscall_current_tf());
	struct stack_abi old = {t->altstack.sp, signal_altstack_flags(t, sp), 0, t->altstack.size};
	if (a[0]) {
		struct stack_abi ss;
		if (copy_from_user(&ss, a[0], sizeof(ss)))
			return -EFAULT;
		int err = altstack_set(t, &ss, sp);
		if (err)
			return err;
	}
	if (a[1] && copy_to_user(a[1], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigreturn(const unsigned long *a)
{
	(void)a;
	struct thread *t = thread_current();
	struct trapframe *tf = syscall_current_tf();
	uint64_t mask, ss_size;
	uintptr_t ss_sp;
	int ss_flags;
	if (arch_signal_frame_restore(tf, &mask, &ss_sp, &ss_size, &ss_flags) != 0) {
		struct proc *p = proc_current();
		pr_info("pid %d (%s): bad signal frame at sigreturn: killed by SIGSEGV\n", p->pid,
			p->comm);
		proc_group_exit(wstatus_signaled(SIGSEGV));
	}
	signal_set_mask(mask);
	/* The saved alternate stack comes back as sigaltstack would set it; errors are ignored,
	 * as Linux's restore_altstack does. */
	struct stack_abi ss = {ss_sp, ss_flags & ~SS_ONSTACK, 0, ss_size};
	altstack_set(t, &ss, arch_tf_sp(tf));
	t->sigreturned = true; /* the restored return register stays as it is */
	t->syscall_restart = 0;
	return 0;
}
