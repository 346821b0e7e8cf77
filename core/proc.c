/*
 * core/proc.c: the process tree, pids, exit and wait, and the return-to-user path.
 *
 * Design (core/proc.h has the structures and the lock order):
 * - pids and tids come from one bitmap (PID_MAX), handed out cyclically so a number is not
 *   reused soon after it was freed. A pid stays taken until its process is reaped; a tid
 *   (other than the pid) until its thread exits.
 * - Every process is on proc_table (for proc_find and proc_count) until it is reaped.
 * - A thread leaves through proc_thread_exit: it wakes its clear_child_tid futex, unlinks
 *   itself, and if it was the last thread it tears the process down (descriptors, cwd, the
 *   address space: everything but the struct and its exit status), reparents the children to
 *   init, becomes a zombie and wakes the parent's waiters. Dead threads are freed by the
 *   reaper kernel thread (a thread cannot free its own stack).
 * - Zombies are reaped by proc_wait in the parent; init's exit is reported to kmain instead
 *   (proc_wait_init), which powers the machine off.
 * - user_return is the one place every return to user mode passes: a group exit in
 *   progress makes the thread leave there, a pending reschedule happens there, and signals
 *   are delivered there (core/signal_deliver.c).
 */
#include "core/proc.h"
#include "core/timer.h"

#include "arch/arch.h"
#include "core/cpu.h"
#include "core/errno.h"
#include "core/futex.h"
#include "core/kheap.h"
#include "core/kprintf.h"
#include "core/mm.h"
#include "core/panic.h"
#include "core/rseq.h"
#include "core/signal.h"
#include "core/tty.h"
#include "core/string.h"
#include "core/time.h"
#include "core/uaccess.h"

struct spinlock proc_tree_lock = SPINLOCK_INIT("proc_tree");
/* Every process, linked via all_next; guarded by proc_tree_lock. Global for the debugger
 * (tools/gdb/janus.py's janus-ps walks it). */
struct proc *proc_table;
static uint64_t pid_bitmap[PID_MAX / 64]; /* guarded by proc_tree_lock; pid 0 never used */
static int pid_cursor;                  /* guarded by proc_tree_lock */
static unsigned nprocs;                 /* guarded by proc_tree_lock */
struct proc *init_proc;
struct completion init_done;
int init_status;

/* ---- pids ---------------------------------------------------------------------------------- */

static int pid_alloc_locked(void)
{
	for (int n = 0; n < PID_MAX; n++) {
		int pid = (pid_cursor + n) % PID_MAX;
		if (pid == 0 || pid_bitmap[pid / 64] & (1ull << (pid % 64)))
			continue;
		pid_bitmap[pid / 64] |= 1ull << (pid % 64);
		pid_cursor = pid + 1;
		return pid;
	}
	return -EAGAIN;
}

int pid_alloc(void)
{
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	int pid = pid_alloc_locked();
	spin_unlock_irqrestore(&proc_tree_lock, s);
	return pid;
}

void pid_free(int pid)
{
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	pid_bitmap[pid / 64] &= ~(1ull << (pid % 64));
	spin_unlock_irqrestore(&proc_tree_lock, s);
}

/* ---- Process structures --------------------------------------------------------------------- */

static void rlimits_default(struct rlimit64 *r)
{
	for (unsigned i = 0; i < RLIM_NLIMITS; i++)
		r[i] = (struct rlimit64){RLIM_INFINITY, RLIM_INFINITY};
	r[RLIMIT_STACK] = (struct rlimit64){MM_STACK_MAX, RLIM_INFINITY};
	r[RLIMIT_CORE] = (struct rlimit64){0, RLIM_INFINITY};
	r[RLIMIT_NOFILE] = (struct rlimit64){1024, 4096};
	r[RLIMIT_NPROC] = (struct rlimit64){4096, 4096};
	r[RLIMIT_MEMLOCK] = (struct rlimit64){8ull << 20, 8ull << 20};
	r[RLIMIT_SIGPENDING] = (struct rlimit64){4096, 4096};
	r[RLIMIT_MSGQUEUE] = (struct rlimit64){819200, 819200};
}

struct proc *proc_alloc(void)
{
	struct proc *p = kzalloc(sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid_alloc();
	if (p->pid < 0) {
		kfree(p);
		return NULL;
	}
	p->lock = (struct spinlock)SPINLOCK_INIT("proc");
	mutex_init(&p->fs_lock, "proc_fs");
	waitq_init(&p->child_wait, "child_wait");
	waitq_init(&p->stop_wait, "stop_wait");
	p->refs = 1; /* the tree's, dropped when reaped */
	p->umask = 022;
	p->start_ns = time_ns();
	rlimits_default(p->rlim);
	return p;
}

void proc_abandon(struct proc *p)
{
	if (p->mm)
		mm_put(p->mm);
	if (p->fdt)
		fdtable_put(p->fdt);
	if (p->root.ino)
		path_put(&p->root);
	if (p->cwd.ino)
		path_put(&p->cwd);
	if (p->exe.ino)
		path_put(&p->exe);
	pid_free(p->pid);
	proc_put(p);
}

void proc_get(struct proc *p)
{
	__atomic_fetch_add(&p->refs, 1, __ATOMIC_RELAXED);
}

void proc_put(struct proc *p)
{
	if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(p);
}

void proc_cred_changed(struct proc *p)
{
	p->vfs_cred.uid = p->cred.fsuid;
	p->vfs_cred.gid = p->cred.fsgid;
	p->vfs_cred.ngroups = p->cred.ngroups;
	p->vfs_cred.groups = p->cred.groups;
}

static const struct vfs_cred root_cred = {0, 0, 0, NULL};

const struct vfs_cred *proc_vfs_cred(void)
{
	struct proc *p = proc_current();
	return p ? &p->vfs_cred : &root_cred;
}

/* Link p into the tree under parent (NULL for init). */
void proc_link(struct proc *p, struct proc *parent)
{
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	p->parent = parent;
	if (parent) {
		p->sibling = parent->children;
		parent->children = p;
	}
	p->all_next = proc_table;
	proc_table = p;
	nprocs++;
	spin_unlock_irqrestore(&proc_tree_lock, s);
}

struct proc *proc_find(int pid)
{
	struct proc *found = NULL;
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	for (struct proc *p = proc_table; p; p = p->all_next)
		if (p->pid == pid && p->state == PROC_ALIVE) {
			proc_get(p);
			found = p;
			break;
		}
	spin_unlock_irqrestore(&proc_tree_lock, s);
	return found;
}

struct proc *proc_find_any(int pid)
{
	struct proc *found = NULL;
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	for (struct proc *p = proc_table; p; p = p->all_next)
		if (p->pid == pid) {
			proc_get(p);
			found = p;
			break;
		}
	spin_unlock_irqrestore(&proc_tree_lock, s);
	return found;
}

struct proc *proc_first_locked(void)
{
	return proc_table;
}

void proc_unlist_locked(struct proc *p)
{
	struct proc **pp = &proc_table;
	while (*pp != p)
		pp = &(*pp)->all_next;
	*pp = p->all_next;
	nprocs--;
}

unsigned proc_count(void)
{
	return __atomic_load_n(&nprocs, __ATOMIC_RELAXED);
}

unsigned proc_user_tasks(uint32_t uid)
{
	unsigned n = 0;
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	for (struct proc *p = proc_table; p; p = p->all_next)
		if (p->cred.uid == uid) /* a zombie counts as one task until it is reaped */
			n += p->state == PROC_ALIVE ? __atomic_load_n(&p->nthreads, __ATOMIC_RELAXED) : 1;
	spin_unlock_irqrestore(&proc_tree_lock, s);
	return n;
}

/* ---- Threads of a process -------------------------------------------------------------------- */

void proc_add_thread(struct proc *p, struct thread *t)
{
	unsigned long s = spin_lock_irqsave(&p->lock);
	t->proc = p;
	t->proc_next = p->threads;
	p->threads = t;
	p->nthreads++;
	spin_unlock_irqrestore(&p->lock, s);
	proc_get(p);
}

/* Unlink the running thread t from p: true if it was the last. */
static bool proc_remove_thread(struct proc *p, struct thread *t)
{
	unsigned long s = spin_lock_irqsave(&p->lock);
	struct thread **pp = &p->threads;
	while (*pp != t)
		pp = &(*pp)->proc_next;
	*pp = t->proc_next;
	bool last = --p->nthreads == 0;
	p->dead_utime += t->utime;
	p->dead_stime += t->stime;
	if (last && !p->group_exit) {
		p->group_exit = true;
		p->group_exit_status = t->exit_status;
	}
	spin_unlock_irqrestore(&p->lock, s);
	return last;
}

/* Wake every other thread of p so that it notices group_exit (in user_return, or in a sleep
 * that checks proc_should_exit). */
void proc_kick_threads(struct proc *p)
{
	struct thread *self = thread_current();
	unsigned long s = spin_lock_irqsave(&p->lock);
	for (struct thread *t = p->threads; t; t = t->proc_next)
		if (t != self)
			sched_wake(t);
	spin_unlock_irqrestore(&p->lock, s);
}

bool proc_should_exit(void)
{
	struct thread *t = thread_current();
	struct proc *p = t->proc;
	if (!p)
		return false;
	struct thread *survivor = __atomic_load_n(&p->exec_survivor, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&p->group_exit, __ATOMIC_ACQUIRE) || (survivor && survivor != t);
}

/* ---- Exit ------------------------------------------------------------------------------------ */

/* Dead user threads, freed by the reaper (guarded by reap_lock). */
static struct spinlock reap_lock = SPINLOCK_INIT("reap");
static struct thread *reap_list;
static struct waitq reap_wq = WAITQ_INIT("reap");

static void reaper_main(void *unused)
{
	(void)unused;
	for (;;) {
		prepare_to_wait(&reap_wq);
		unsigned long s = spin_lock_irqsave(&reap_lock);
		struct thread *t = reap_list;
		reap_list = NULL;
		spin_unlock_irqrestore(&reap_lock, s);
		if (!t) {
			sched_sleep();
			continue;
		}
		finish_wait(&reap_wq);
		while (t) {
			struct thread *next = t->proc_next;
			arch_thread_release(t);
			thread_join(t);
			t = next;
		}
	}
}

void proc_init(void)
{
	if (!thread_create("reaper", reaper_main, NULL))
		panic("no memory for the reaper thread");
}

static void reap_later(struct thread *t)
{
	unsigned long s = spin_lock_irqsave(&reap_lock);
	t->proc_next = reap_list;
	reap_list = t;
	spin_unlock_irqrestore(&reap_lock, s);
	wake_up_one(&reap_wq);
}

/* Give every child of p to init; wake init if one of them is already a zombie. */
static void reparent_children(struct proc *p)
{
	bool zombie = false;
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	while (p->children) {
		struct proc *c = p->children;
		p->children = c->sibling;
		c->parent = init_proc;
		c->exit_signal = SIGCHLD; /* as Linux: "we don't want people slaying init" */
		c->sibling = init_proc->children;
		init_proc->children = c;
		zombie |= c->state == PROC_ZOMBIE;
	}
	if (zombie)
		wake_up_all(&init_proc->child_wait);
	spin_unlock_irqrestore(&proc_tree_lock, s);
}

/* The last thread of p has left: free what the process holds, become a zombie, tell the
 * parent. Runs on the last thread, still in p (its address space is already released). */
static void proc_become_zombie(struct proc *p)
{
	timers_exit(p); /* no timer may signal p from here on */
	mutex_lock(&p->fs_lock);
	struct fdtable *fdt = p->fdt;
	p->fdt = NULL; /* under fs_lock: procfs takes its reference under it (proc_get_fdt) */
	mutex_unlock(&p->fs_lock);
	fdtable_put(fdt);
	mutex_lock(&p->fs_lock);
	path_put(&p->root);
	path_put(&p->cwd);
	if (p->exe.ino)
		path_put(&p->exe);
	p->exe = (struct path){0};
	mutex_unlock(&p->fs_lock);
	if (p != init_proc)
		reparent_children(p);
	proc_vfork_release(p);
	signal_flush_proc(p);
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	p->exit_status = p->group_exit_status;
	p->state = PROC_ZOMBIE;
	bool autoreap = false;
	if (p->parent) { /* under the lock: the parent cannot be reaped meanwhile */
		autoreap = signal_notify_parent_exit_locked(p);
		if (autoreap) /* the parent ignores SIGCHLD: nobody will wait for p */
			proc_unlink_child_locked(p->parent, p);
		wake_up_all(&p->parent->child_wait);
	}
	spin_unlock_irqrestore(&proc_tree_lock, s);
	if (autoreap) {
		pid_free(p->pid);
		proc_put(p); /* the tree's reference; the caller still holds the thread's */
	}
	if (p == init_proc) {
		init_status = p->exit_status;
		complete(&init_done);
	}
}

/* The last thread leaves: drop the process's hold on its address space (a CLONE_VM sharer or
 * a vfork parent may keep it alive). */
static void release_mm(struct proc *p)
{
	struct mm *mm = p->mm;
	unsigned long s = arch_irq_save();
	mm_activate(NULL); /* never free the tables this CPU is using */
	arch_irq_restore(s);
	mutex_lock(&p->fs_lock);
	p->mm = NULL; /* under fs_lock: see proc_get_mm */
	mutex_unlock(&p->fs_lock);
	mm_put(mm);
}

struct mm *proc_get_mm(struct proc *p)
{
	mutex_lock(&p->fs_lock);
	struct mm *mm = p->mm;
	if (mm)
		mm_get(mm);
	mutex_unlock(&p->fs_lock);
	return mm;
}

struct fdtable *proc_get_fdt(struct proc *p)
{
	mutex_lock(&p->fs_lock);
	struct fdtable *t = p->fdt;
	if (t)
		fdtable_get(t);
	mutex_unlock(&p->fs_lock);
	return t;
}

void proc_vfork_release(struct proc *p)
{
	struct completion *c = __atomic_exchange_n(&p->vfork_done, NULL, __ATOMIC_ACQ_REL);
	if (c)
		complete(c);
}

_Noreturn void proc_thread_exit(int wait_status)
{
	struct thread *t = thread_current();
	struct proc *p = t->proc;

	assert_no_locks_held("proc_thread_exit");
	t->exit_status = wait_status;
	futex_robust_exit(t, p->mm);
	if (t->clear_child_tid) {
		uint32_t zero = 0;
		if (put_user(t->clear_child_tid, &zero) == 0)
			futex_wake_addr(p->mm, t->clear_child_tid, 1);
	}
	signal_flush_thread(t);
	/* From here on the thread is a kernel thread. Leaving p's thread list, dropping t->proc
	 * and leaving p's address space happen with interrupts off, as one step: preempted in
	 * between, the switch back would follow t->proc to an mm that p's last thread may have
	 * released meanwhile (seen on aarch64 at -smp 2), and this CPU would keep running on
	 * page tables that release frees. */
	unsigned long s = arch_irq_save();
	bool last = proc_remove_thread(p, t);
	t->proc = NULL;
	arch_aspace_activate(arch_kernel_aspace());
	arch_irq_restore(s);
	if (t->tid != p->pid)
		pid_free(t->tid);
	if (last) {
		tty_proc_exit(p); /* a session leader's exit hangs up its terminal */
		release_mm(p);
		proc_become_zombie(p);
	}
	proc_put(p);
	reap_later(t);
	thread_exit();
}

_Noreturn void proc_group_exit(int wait_status)
{
	struct proc *p = proc_current();
	unsigned long s = spin_lock_irqsave(&p->lock);
	if (!p->group_exit) {
		p->group_exit = true;
		p->group_exit_status = wait_status;
	}
	spin_unlock_irqrestore(&p->lock, s);
	proc_kick_threads(p);
	proc_thread_exit(wait_status);
}

_Noreturn void proc_fatal_signal(int sig, uintptr_t addr)
{
	struct proc *p = proc_current();
	pr_info("pid %d (%s): killed by signal %d (fault address %#lx)\n", p->pid, p->comm, sig,
		(unsigned long)addr);
	proc_group_exit(wstatus_signaled(sig));
}

/* ---- The return to user mode ---------------------------------------------------------------- */

void user_return(struct trapframe *tf)
{
	bool worked = false; /* the loop did some work (its step runs only after a pass that did) */

	assert_no_locks_held("return to user mode"); /* before anything could deadlock on it */
	arch_this_cpu()->current->in_user = false;    /* kernel work from here: system time */
	for (;; worked = true) {
		struct thread *t = arch_this_cpu()->current;
		struct proc *p = t->proc;
		struct thread *survivor = __atomic_load_n(&p->exec_survivor, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&p->group_exit, __ATOMIC_ACQUIRE) || (survivor && survivor != t)) {
			arch_irq_enable();
			proc_thread_exit(p->group_exit_status);
		}
		if (arch_this_cpu()->need_resched) {
			arch_irq_enable();
			sched_preempt();
			arch_irq_disable();
			continue;
		}
		if (t->rseq_events) { /* switched out since the last return (core/rseq.c) */
			arch_irq_enable();
			rseq_notify_resume(tf);
			arch_irq_disable();
			continue;
		}
		if (!signal_work(t))
			break;
		/* Signals (core/signal_deliver.c): one step at a time, then look at everything
		 * again, so a stop, an exit or a nested signal is never passed over. */
		arch_irq_enable();
		signal_deliver(tf);
		arch_irq_disable();
	}
	if (worked)
		assert_no_locks_held("return to user mode");
	arch_this_cpu()->current->in_user = true;
}
