/*
 * core/proc_clone.c: clone(2), which makes every new process and thread.
 *
 * The flag combinations musl uses are the ones that matter: fork (SIGCHLD), vfork and
 * posix_spawn (CLONE_VM | CLONE_VFORK | SIGCHLD), pthread_create (CLONE_VM | CLONE_FS |
 * CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |
 * CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED). The rule Linux enforces is kept:
 * CLONE_THREAD needs CLONE_SIGHAND, which needs CLONE_VM. Namespaces and the like are refused
 * with -EINVAL.
 *
 * The child is built completely before it may run (thread_create_stopped): its user frame is a
 * copy of the caller's with a return value of 0 (and the new stack and TLS if given), its
 * FP/SIMD state a copy of the caller's. It writes CLONE_CHILD_SETTID itself, in its own
 * address space, before its first user instruction (user_thread_entry). A vfork parent sleeps
 * until the child execs or exits.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/mm.h"
#include "core/proc.h"
#include "core/rseq.h"
#include "core/signal.h"
#include "core/string.h"
#include "core/syscall.h"
#include "core/uaccess.h"

#define CSIGNAL 0x000000ffu
#define CLONE_VM 0x00000100u
#define CLONE_FS 0x00000200u
#define CLONE_FILES 0x00000400u
#define CLONE_SIGHAND 0x00000800u
#define CLONE_PIDFD 0x00001000u
#define CLONE_PTRACE 0x00002000u
#define CLONE_VFORK 0x00004000u
#define CLONE_PARENT 0x00008000u
#define CLONE_THREAD 0x00010000u
#define CLONE_NEWNS 0x00020000u
#define CLONE_SYSVSEM 0x00040000u
#define CLONE_SETTLS 0x00080000u
#define CLONE_PARENT_SETTID 0x00100000u
#define CLONE_CHILD_CLEARTID 0x00200000u
#define CLONE_DETACHED 0x00400000u
#define CLONE_UNTRACED 0x00800000u
#define CLONE_CHILD_SETTID 0x01000000u

#define CLONE_SUPPORTED                                                                       \
	(CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_VFORK |           \
	 CLONE_PARENT | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |     \
	 CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_UNTRACED | CLONE_CHILD_SETTID)

static int clone_check_flags(unsigned long flags)
{
	if (flags & ~(unsigned long)CLONE_SUPPORTED)
		return -EINVAL;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & CLONE_THREAD) && (flags & CSIGNAL))
		return -EINVAL;
	if ((flags & CSIGNAL) > NSIG)
		return -EINVAL;
	return 0;
}

/* A new process for a non-thread clone: the parent's resources, shared or copied. */
static int clone_proc(struct proc *parent, unsigned long flags, struct proc **out)
{
	struct proc *p = proc_alloc();
	if (!p)
		return -EAGAIN;
	p->mm = (flags & CLONE_VM) ? parent->mm : mm_fork(parent->mm);
	if (flags & CLONE_VM)
		mm_get(p->mm);
	if (!(flags & CLONE_FILES))
		p->fdt = fdtable_clone(parent->fdt);
	else if ((p->fdt = parent->fdt) != NULL)
		fdtable_get(p->fdt);
	if (!p->mm || !p->fdt) {
		if (p->mm)
			mm_put(p->mm);
		if (p->fdt)
			fdtable_put(p->fdt);
		pid_free(p->pid);
		proc_put(p);
		return -ENOMEM;
	}
	memcpy(p->comm, parent->comm, sizeof(p->comm));
	p->cred = parent->cred;
	proc_cred_changed(p);
	memcpy(p->rlim, parent->rlim, sizeof(p->rlim));
	memcpy(p->sigactions, parent->sigactions, sizeof(p->sigactions));
	mutex_lock(&parent->fs_lock);
	p->root = parent->root;
	p->cwd = parent->cwd;
	path_get(&p->root);
	path_get(&p->cwd);
	p->exe = parent->exe;
	if (p->exe.ino)
		path_get(&p->exe);
	p->umask = parent->umask;
	mutex_unlock(&parent->fs_lock);
	p->pgid = parent->pgid;
	p->sid = parent->sid;
	p->exit_signal = (int)(flags & CSIGNAL);
	p->parent_exec_id = (flags & CLONE_PARENT) ? parent->parent_exec_id
						   : __atomic_load_n(&parent->self_exec_id,
								     __ATOMIC_RELAXED);
	*out = p;
	return 0;
}

/* The child thread, ready to run but not started: NULL when out of memory. */
static struct thread *clone_thread(struct proc *p, unsigned long flags, uintptr_t newsp,
				   uintptr_t tls)
{
	struct thread *t = thread_create_stopped(p->comm, user_thread_entry, NULL);
	if (!t)
		return NULL;
	if (arch_thread_user_init(t) != 0) {
		arch_thread_release(t);
		thread_free_stopped(t);
		return NULL;
	}
	arch_thread_fork(t);
	struct trapframe *tf = arch_user_tf(t->stack_top);
	arch_tf_copy(tf, syscall_current_tf());
	arch_tf_set_return(tf, 0);
	if (newsp)
		arch_tf_set_sp(tf, newsp);
	if (flags & CLONE_SETTLS)
		arch_thread_set_tls(t, tls);
	t->sigmask = thread_current()->sigmask;
	/* Pending signals are not inherited; the alternate stack is, unless the child shares the
	 * address space without vfork (a new thread must not run handlers on its creator's). */
	if ((flags & (CLONE_VM | CLONE_VFORK)) != CLONE_VM)
		t->altstack = thread_current()->altstack;
	rseq_fork(t, (flags & CLONE_VM) != 0);
	return t;
}

/* RLIMIT_NPROC as Linux applies it at fork: the tasks of the caller's real uid, threads
 * included, may not exceed the limit; root (real or effective uid 0, Linux's
 * CAP_SYS_RESOURCE) is exempt. The count and the creation are not one atomic step, so racing
 * clones may overshoot by the number of racers. */
static int clone_nproc_check(const struct proc *parent)
{
	uint64_t lim = __atomic_load_n(&parent->rlim[RLIMIT_NPROC].cur, __ATOMIC_RELAXED);
	if (parent->cred.uid == 0 || parent->cred.euid == 0 || lim == RLIM_INFINITY)
		return 0;
	return proc_user_tasks(parent->cred.uid) >= lim ? -EAGAIN : 0;
}

long proc_clone(unsigned long flags, uintptr_t newsp, uintptr_t ptid, uintptr_t ctid,
		uintptr_t tls)
{
	struct proc *parent = proc_current(), *p = parent;
	int err = clone_check_flags(flags);
	if (!err)
		err = clone_nproc_check(parent);
	if (err)
		return err;
	if (!(flags & CLONE_THREAD) && (err = clone_proc(parent, flags, &p)) != 0)
		return err;
	struct thread *t = clone_thread(p, flags, newsp, tls);
	int tid = (flags & CLONE_THREAD) ? pid_alloc() : p->pid;
	if (!t || tid < 0) {
		if (t) {
			arch_thread_release(t);
			thread_free_stopped(t);
		}
		if (tid >= 0 && p == parent)
			pid_free(tid);
		if (p != parent)
			proc_abandon(p);
		return t ? -EAGAIN : -ENOMEM;
	}
	t->tid = tid;
	if (flags & CLONE_CHILD_SETTID)
		t->set_child_tid = ctid;
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = ctid;
	if (flags & CLONE_PARENT_SETTID)
		put_user(ptid, &tid); /* a bad pointer is ignored, as on Linux */
	if (p != parent)
		proc_link(p, (flags & CLONE_PARENT) && parent->parent ? parent->parent : parent);
	proc_add_thread(p, t);
	struct completion vfork_done;
	if (flags & CLONE_VFORK) {
		completion_init(&vfork_done);
		p->vfork_done = &vfork_done;
	}
	thread_start(t);
	if (flags & CLONE_VFORK)
		wait_for_completion(&vfork_done);
	return tid;
}

void user_thread_entry(void *unused)
{
	(void)unused;
	struct thread *t = thread_current();
	if (t->set_child_tid)
		put_user(t->set_child_tid, &t->tid);
	arch_irq_disable();
	struct trapframe *tf = arch_user_tf(t->stack_top);
	user_return(tf);
	arch_enter_user(tf);
}
