/*
 * core/proc.h: processes (Linux thread groups) and the user-mode life cycle of their threads.
 *
 * A struct proc is what Linux calls a thread group: one pid, one address space (struct mm),
 * one descriptor table, one cwd/root, one set of credentials, limits and signal actions,
 * shared by its threads (struct thread, core/sched.h, linked through proc_next). The first
 * thread's tid is the pid; pids and tids come from one number space, as on Linux.
 *
 * Life cycle: init is started by proc_start_init from kmain. New processes and threads come
 * from proc_clone (fork, vfork, posix_spawn, pthread_create). A thread leaves through
 * proc_thread_exit; the last one to leave makes the process a zombie, reparents its children
 * to init, and wakes the parent's wait4/waitid (proc_wait), which reaps it. A fatal signal or
 * exit_group makes every other thread leave at its next return to user mode (user_return).
 *
 * Locking (order: proc_tree_lock before proc->lock; both spinlocks):
 * - proc_tree_lock guards the pid table, every parent/children/sibling link, each process's
 *   state and exit status, and the zombie list.
 * - proc->lock guards the thread list, nthreads and group_exit.
 * - proc->fs_lock (a mutex) guards root, cwd and umask.
 * - mm, fdtable and cred are replaced only by exec, with one thread left; mm and fdt are
 *   changed under fs_lock too, so another process (procfs) can take a reference to them
 *   (proc_get_mm, proc_get_fdt).
 */
#ifndef CORE_PROC_H
#define CORE_PROC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sched.h"
#include "core/spinlock.h"
#include "core/sync.h"
#include "core/waitq.h"
#include "fs/vfs.h"

#define PID_MAX 32768
#define NGROUPS_MAX 32
#define NSIG 64
#define PROC_COMM_MAX 16

/* Resource limits (the generic numbering, the same on both ports). */
enum {
	RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CORE, RLIMIT_RSS,
	RLIMIT_NPROC, RLIMIT_NOFILE, RLIMIT_MEMLOCK, RLIMIT_AS, RLIMIT_LOCKS, RLIMIT_SIGPENDING,
	RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_RTPRIO, RLIMIT_RTTIME, RLIM_NLIMITS
};
#define RLIM_INFINITY (~0ull)
struct rlimit64 {
	uint64_t cur, max;
};

/* Credentials, Linux's set. fsuid/fsgid are what the VFS checks (struct vfs_cred). */
struct cred {
	uint32_t uid, euid, suid, fsuid;
	uint32_t gid, egid, sgid, fsgid;
	unsigned ngroups;
	uint32_t groups[NGROUPS_MAX];
};

/* A signal action as rt_sigaction stores it (the kernel's struct k_sigaction layout is the
 * syscall layer's business). [signals issue delivers them] */
struct sigaction_k {
	uintptr_t handler;   /* SIG_DFL 0, SIG_IGN 1, or a user address */
	uint64_t flags;      /* SA_* */
	uintptr_t restorer;
	uint64_t mask;
};

enum proc_state {
	PROC_ALIVE,
	PROC_ZOMBIE, /* every thread has exited; exit_status is final; waiting to be reaped */
};

struct mm;
struct proc_timers;

struct proc {
	int pid;
	char comm[PROC_COMM_MAX]; /* basename of the last exec'd file (exec writes it) */

	/* Guarded by proc_tree_lock. */
	enum proc_state state;
	int exit_status;          /* wait status word, Linux encoding, once a zombie */
	struct proc *parent;      /* init for orphans; NULL only for init */
	struct proc *children;    /* first child */
	struct proc *sibling;     /* next child of the same parent */
	int pgid, sid;            /* process group and session; the session's controlling
	                           * terminal is the one whose session is sid (core/tty.c) */
	bool did_exec;            /* exec'd since fork (__atomic): the parent's setpgid on it
	                           * gives EACCES */

	/* Guarded by lock. */
	struct spinlock lock;
	struct thread *threads;   /* every live thread, linked through proc_next */
	unsigned nthreads;
	bool group_exit;          /* exit_group or a fatal signal: every thread is leaving */
	struct thread *exec_survivor; /* exec in progress: every other thread is leaving */
	int group_exit_status;    /* the wait status the process will report */

	struct waitq child_wait;  /* wait4/waitid of this process's threads sleep here */
	struct completion *vfork_done; /* CLONE_VFORK: completed at exec or exit, then NULL */

	/* Shared by the threads; replaced only by exec (then single-threaded). */
	struct mm *mm;
	struct fdtable *fdt;
	struct cred cred;
	struct vfs_cred vfs_cred; /* the VFS's view of cred (fsuid, fsgid, groups): kept in step
	                           * by whoever changes cred (proc_cred_changed) */
	struct rlimit64 rlim[RLIM_NLIMITS];
	struct sigaction_k sigactions[NSIG]; /* index n-1 for signal n (guarded by lock) */

	/* Signals (core/signal.h), guarded by lock. */
	uint64_t sigpending;      /* process-directed pending signals, bit n-1 for signal n */
	struct sigqueue *sigq;    /* their siginfo records, oldest first */
	unsigned sigq_count;      /* records queued to p and its threads (RLIMIT_SIGPENDING) */
	bool stopped;             /* job-control stop: threads park in signal_deliver */
	int stop_sig;             /* the signal that stopped it */
	struct waitq stop_wait;   /* stopped threads sleep here until SIGCONT or SIGKILL */
	int jobctl_report;        /* guarded by proc_tree_lock: a stop (0x7f | sig << 8) or
	                           * continue (0xffff) not yet reported to the parent's wait */

	/* Guarded by fs_lock. */
	struct mutex fs_lock;
	struct path root, cwd;
	struct path exe;          /* the running program's file (/proc/<pid>/exe), set by exec */
	uint32_t umask;

	uint64_t start_ns;        /* time_ns() at creation (/proc/<pid>/stat starttime) */
	int exit_signal;          /* sent to the parent at exit (clone's CSIGNAL bits); SIGCHLD
				   * once reparented (proc_tree_lock) */
	/* Linux's self_exec_id/parent_exec_id: a non-SIGCHLD exit signal is sent only to the
	 * image that asked for it; if the parent has exec'd since, it gets SIGCHLD. */
	uint32_t self_exec_id;    /* bumped by each exec */
	uint32_t parent_exec_id;  /* the parent's self_exec_id at clone */
	uint64_t dead_utime, dead_stime; /* CPU ticks of exited threads (guarded by lock) */
	uint64_t cutime, cstime;  /* CPU ticks of reaped children (__atomic) */
	struct proc_timers *timers; /* alarm, itimers, POSIX timers (core/sys_timer.c); NULL
	                           * until first used; __atomic */
	struct proc *all_next;    /* every process, guarded by proc_tree_lock */
	int refs;                 /* __atomic: the tree's + one per thread + proc_find's */
};

/* Guards the process tree and the pid table (see the header). */
extern struct spinlock proc_tree_lock;
extern struct proc *proc_table;

/* The running thread's process; NULL in a kernel thread. */
static inline struct proc *proc_current(void)
{
	struct thread *t = thread_current();
	return t ? t->proc : 0;
}

/* Boot, once, before any process: start the reaper of dead user threads. */
void proc_init(void);

/* Start init: the program `path` (default /sbin/init) with argv/envp (kernel strings) as pid 1
 * with stdin/stdout/stderr on /dev/console. 0 once it is running, or -errno (nothing started)
 * if the program cannot be executed. Called once by kmain_late. */
int proc_start_init(const char *path, const char *const *argv, const char *const *envp);

/* Wait until init exits; returns its wait status word (for kmain to report and power off). */
int proc_wait_init(void);
/* After init's end: "janus: first user instruction at N us" and the kernel's counters
 * (tools/bench, docs/performance.md). */
void init_report(void);

/* clone(2) in the x86_64 argument order (flags, newsp, parent_tid, child_tid, tls); the
 * aarch64 port's shim reorders. The child's tid, or -errno. */
long proc_clone(unsigned long flags, uintptr_t newsp, uintptr_t ptid, uintptr_t ctid,
		uintptr_t tls);

/* The running thread leaves (exit(2)): clear_child_tid is zeroed and woken, and if it was the
 * last thread the process becomes a zombie with exit_status. Never returns. */
_Noreturn void proc_thread_exit(int wait_status);

/* exit_group(2) and fatal signals: mark the group exiting with wait_status (only the first
 * caller's status counts), tell every other thread, then leave. Never returns. */
_Noreturn void proc_group_exit(int wait_status);

/* Wait status words, Linux encoding. */
static inline int wstatus_exited(int code)
{
	return (code & 0xff) << 8;
}
static inline int wstatus_signaled(int sig)
{
	return sig & 0x7f;
}

/* wait4/waitid core: wait for a child matching `which` (Linux's wait4 pid argument: > 0 that
 * pid, -1 any, 0 or < -1 a process group), honouring WNOHANG, WEXITED (exits are reported only
 * with it), WUNTRACED (stops), WCONTINUED and WNOWAIT. 0 if WNOHANG and nothing to report, the
 * child's pid with *status set (Linux's word: exit/kill, 0x7f | sig << 8 stopped, 0xffff
 * continued), or -ECHILD / -ERESTARTSYS. */
#define WNOHANG 1
#define WUNTRACED 2
#define WEXITED 4
#define WCONTINUED 8
#define WNOWAIT 0x01000000
long proc_wait(int which, int *status, int options);

/* The process with that pid (a reference: proc_put it), or NULL. proc_find_any finds
 * zombies too (kill(pid, 0) reports them as existing). */
struct proc *proc_find(int pid);
struct proc *proc_find_any(int pid);
void proc_put(struct proc *p);

/* Ports call this as the last step before restoring any user-mode frame (see arch.h, "User
 * mode"), with interrupts masked; it returns with them masked. It runs pending work: a group
 * exit (the thread leaves instead of returning), reschedule, signals [signals issue]; and it
 * asserts that no spinlock is held. */
void user_return(struct trapframe *tf);

/* A user-mode fault that cannot be resolved: end the process as if killed by sig (SIGSEGV,
 * SIGBUS, SIGILL, SIGFPE, SIGTRAP) [the signals issue delivers them to handlers first]. */
_Noreturn void proc_fatal_signal(int sig, uintptr_t addr);

/* The running process's file system credentials (installed as vfs_current_cred). */
const struct vfs_cred *proc_vfs_cred(void);

/* Recompute p->vfs_cred from p->cred after a setuid-family call or exec. */
void proc_cred_changed(struct proc *p);

/* Another process's address space or descriptor table with a new reference (mm_put /
 * fdtable_put it), or NULL once it has exited. Thread context (takes p->fs_lock). */
struct mm *proc_get_mm(struct proc *p);
struct fdtable *proc_get_fdt(struct proc *p);

/* Number of live processes (sysinfo's procs). */
unsigned proc_count(void);

/* Tasks (threads of live processes, and zombies) whose real uid is uid: RLIMIT_NPROC's count. */
unsigned proc_user_tasks(uint32_t uid);

/* ---- For the process code (core/proc*.c, core/exec.c, core/sys_proc.c) ---------------- */

/* A zeroed process with a fresh pid, default limits and umask, one reference (the tree's). */
struct proc *proc_alloc(void);
void proc_get(struct proc *p);
/* Undo proc_alloc and whatever resources were attached, for a process never linked. */
void proc_abandon(struct proc *p);
/* pid 1, its end and its wait status (core/init.c and core/proc.c). */
extern struct proc *init_proc;
extern struct completion init_done;
extern int init_status;
/* Put p into the tree as a child of parent (NULL: init) and on the list of all processes. */
void proc_link(struct proc *p, struct proc *parent);
/* The first of all processes (then ->all_next), proc_tree_lock held. */
struct proc *proc_first_locked(void);
/* Unlink child c from parent's children and from all_procs (proc_tree_lock held): the first
 * step of reaping it (then pid_free and the tree's proc_put). */
void proc_unlink_child_locked(struct proc *parent, struct proc *c);
/* Take p off the list of all processes (proc_tree_lock held; the reaper's job). */
void proc_unlist_locked(struct proc *p);
/* Make t (not yet started) a thread of p; takes a reference on p for it. */
void proc_add_thread(struct proc *p, struct thread *t);
/* Wake every other thread of the running one's process p, so each notices group_exit. */
void proc_kick_threads(struct proc *p);
/* True if the running thread's process is exiting: sleeps should give up (-EINTR). */
bool proc_should_exit(void);
/* Complete a waiting vfork parent, if any (exec and exit). */
void proc_vfork_release(struct proc *p);
int pid_alloc(void);
void pid_free(int pid);
/* The entry of every new user thread: finish clone's bookkeeping and enter user mode with the
 * frame at arch_user_tf(stack_top). */
void user_thread_entry(void *unused);

#endif
