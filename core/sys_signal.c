/*
 * core/sys_signal.c: the signal state calls that need no delivery: rt_sigaction stores a
 * process's actions, rt_sigprocmask a thread's blocked set, rt_sigpending reports pending
 * signals. Generating and delivering signals (kill, tgkill, handlers, sigreturn, default
 * actions) is the signals issue; it reads the state kept here.
 *
 * The kernel's struct sigaction is { handler, flags, restorer, mask } on both ports, with a
 * 64-bit mask (sigsetsize must be 8, as Linux requires).
 */
#include "core/errno.h"
#include "core/proc.h"
#include "core/signal.h"
#include "core/syscall.h"
#include "core/uaccess.h"

SYSCALL_DECLARE(rt_sigaction);
SYSCALL_DECLARE(rt_sigprocmask);
SYSCALL_DECLARE(rt_sigpending);

struct k_sigaction_abi {
	uint64_t handler, flags, restorer, mask;
};

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
	if (a[1])
		*k = (struct sigaction_k){act.handler, act.flags, act.restorer,
					  act.mask & ~SIG_UNBLOCKABLE};
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
		set &= ~SIG_UNBLOCKABLE;
		t->sigmask = a[0] == SIG_BLOCK ? old | set : a[0] == SIG_UNBLOCK ? old & ~set : set;
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
	uint64_t pending = (t->sigpending | t->proc->sigpending) & t->sigmask;
	return copy_to_user(a[0], &pending, sizeof(pending));
}
