/*
 * core/signal.h: signals, to Linux semantics, once for both ports.
 *
 * State (core/proc.h, core/sched.h): each process has its actions (sigactions) and a
 * process-directed pending set (kill); each thread has its mask and a thread-directed pending
 * set (tgkill, faults). A pending set is a bit per signal plus a FIFO of siginfo records
 * (struct sigqueue): a standard signal has at most one record (later sends coalesce into the
 * bit), a real-time signal one per send, in order. Records are bounded by RLIMIT_SIGPENDING
 * (counted per receiving process, a simplification of Linux's per-user count). All of it is
 * guarded by the process's lock (proc->lock); a thread's mask is written only by the thread
 * itself, also under proc->lock, so a sender never misses a thread that just unblocked.
 *
 * Generation (core/signal.c): signal_send queues and wakes the threads that can take the
 * signal, so an interruptible sleep (wait_event_interruptible, or a loop that checks
 * signal_pending) ends with -ERESTARTSYS. SIGKILL ends the group at once; SIGCONT resumes a
 * stopped process at send time; ignored signals are dropped at send time unless blocked.
 *
 * Delivery (core/signal_deliver.c): user_return calls signal_deliver on every return to user
 * mode while signal_work says there is something to do. It resolves the restart code of an
 * interrupted syscall, applies default actions (terminate, ignore, stop), or has the port
 * build a frame (arch_signal_frame_setup) for a handler.
 */
#ifndef CORE_SIGNAL_H
#define CORE_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/waitq.h"

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGSTKFLT 16
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGWINCH 28
#define SIGIO 29
#define SIGPWR 30
#define SIGSYS 31
#define SIGRTMIN 32
#define SIGRTMAX 64

#define SIG_DFL 0ul
#define SIG_IGN 1ul

#define SA_NOCLDSTOP 0x00000001u
#define SA_NOCLDWAIT 0x00000002u
#define SA_SIGINFO 0x00000004u
#define SA_RESTORER 0x04000000u
#define SA_ONSTACK 0x08000000u
#define SA_RESTART 0x10000000u
#define SA_NODEFER 0x40000000u
#define SA_RESETHAND 0x80000000u

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

static inline unsigned long long sig_bit(int sig)
{
	return 1ull << (sig - 1);
}

/* Signals that can be neither caught, blocked nor ignored. */
#define SIG_UNBLOCKABLE (sig_bit(SIGKILL) | sig_bit(SIGSTOP))

/* Signals whose default action stops the process, ignores them, or terminates it (the rest). */
#define SIG_STOP_SET (sig_bit(SIGSTOP) | sig_bit(SIGTSTP) | sig_bit(SIGTTIN) | sig_bit(SIGTTOU))
#define SIG_IGNORE_SET (sig_bit(SIGCHLD) | sig_bit(SIGURG) | sig_bit(SIGWINCH) | sig_bit(SIGCONT))
/* Synchronous (fault) signals: taken before any other pending signal, as Linux does. */
#define SIG_SYNC_SET (sig_bit(SIGSEGV) | sig_bit(SIGBUS) | sig_bit(SIGILL) | sig_bit(SIGTRAP) | \
		      sig_bit(SIGFPE) | sig_bit(SIGSYS))

/* si_code values. */
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_QUEUE (-1)
#define SI_TIMER (-2)
#define SI_TKILL (-6)
#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3
#define CLD_STOPPED 5
#define CLD_CONTINUED 6
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRALN 1
#define BUS_ADRERR 2
#define ILL_ILLOPC 1
#define FPE_INTDIV 1
#define TRAP_BRKPT 1

/* sigaltstack flags. */
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1u << 31)

/* Linux's 64-bit siginfo_t: 128 bytes, the union at offset 16. */
struct ksiginfo {
	int32_t signo, errno_, code, pad0;
	union {
		struct { int32_t pid; uint32_t uid; uint64_t value; } kill; /* kill, sigqueue */
		struct { int32_t pid; uint32_t uid; int32_t status, pad; int64_t utime, stime; } chld;
		struct { uint64_t addr; } fault;
		struct { int32_t tid, overrun; uint64_t value; } timer; /* POSIX timers */
		uint8_t raw[112];
	};
};
_Static_assert(sizeof(struct ksiginfo) == 128, "siginfo_t is 128 bytes");

/* One queued siginfo record of a pending set. */
struct sigqueue {
	struct sigqueue *next;
	struct ksiginfo info;
};

/* A thread's alternate signal stack (sigaltstack). flags: 0 or SS_DISABLE, | SS_AUTODISARM. */
struct sigaltstack_k {
	uintptr_t sp;
	uint64_t size;
	unsigned flags;
};

struct proc;
struct thread;
struct trapframe;

/* True if the running thread should leave an interruptible sleep: an unblocked signal is
 * pending for it or its process, its process is stopping, or it is exiting. */
bool signal_pending(void);

/* Send info->signo (0: only check that the thread exists) with info to process p (tid 0:
 * process-directed) or to its thread tid. 0 (also when the signal is dropped as ignored or p
 * is a zombie), -ESRCH if p has no thread tid, or -EAGAIN when a real-time signal sent by
 * other means than kill finds RLIMIT_SIGPENDING reached. No lock of p's held; p must stay
 * alive meanwhile (a reference, or proc_tree_lock held). Permission is the caller's check. */
int signal_send(struct proc *p, int tid, const struct ksiginfo *info);
/* The same with proc_tree_lock held (kill of a group or of every process). */
int signal_send_locked(struct proc *p, int tid, const struct ksiginfo *info);

/* The running thread's process stops with sig (a stop signal's default action): the parent
 * gets SIGCHLD CLD_STOPPED (unless SA_NOCLDSTOP) and wait WUNTRACED reports it. */
void signal_stop_self(int sig);

/* A kill-style siginfo (SI_USER or SI_TKILL) from the running process. */
struct ksiginfo signal_info_user(int sig, int code);

/* A synchronous fault of the running thread: deliver sig with code and si_addr to its handler,
 * or, if the signal is blocked or ignored, kill the process with it (force_sig_fault). */
void signal_force_fault(int sig, int code, uintptr_t addr);

/* Whether sp lies on t's alternate stack, and Linux's ss_flags for t at sp (SS_DISABLE,
 * SS_ONSTACK, | SS_AUTODISARM). */
bool signal_on_altstack(const struct thread *t, uintptr_t sp);
int signal_altstack_flags(const struct thread *t, uintptr_t sp);

/* For user_return (interrupts enabled): is there signal work, and do one step of it. */
bool signal_work(struct thread *t);
void signal_deliver(struct trapframe *tf);

/* A syscall returned restart code `code`: remember it for signal_deliver, which restarts it
 * or turns it into -EINTR (core/syscall.c). */
void signal_syscall_restart(struct thread *t, long code);

/* The child p's last thread left (proc_tree_lock held): send the parent p->exit_signal with
 * CLD_EXITED/CLD_KILLED. True if the child must reap itself (the parent ignores SIGCHLD or set
 * SA_NOCLDWAIT). */
bool signal_notify_parent_exit_locked(struct proc *p);

/* Free a thread's / a process's queued records (exit, reap). */
void signal_flush_thread(struct thread *t);
void signal_flush_proc(struct proc *p);

/* Drop set's pending signals from p and every thread (p->lock held). */
void signal_discard_locked(struct proc *p, uint64_t set);

/* Set the running thread's mask (SIGKILL/SIGSTOP removed). */
void signal_set_mask(uint64_t mask);

/* Take the lowest pending signal in ~mask of the running thread (thread-directed first) into
 * *info: its number, or 0 if none (rt_sigtimedwait). */
int signal_dequeue(uint64_t mask, struct ksiginfo *info);

/* The default action of sig when its handler is SIG_DFL. */
enum sig_default { SIGDFL_TERM, SIGDFL_IGN, SIGDFL_STOP };
static inline enum sig_default sig_default_action(int sig)
{
	if (sig <= 31 && (SIG_STOP_SET & sig_bit(sig)))
		return SIGDFL_STOP;
	if (sig <= 31 && (SIG_IGNORE_SET & sig_bit(sig)))
		return SIGDFL_IGN;
	return SIGDFL_TERM;
}

/* wait_event that also ends when a signal is pending: 0 once cond holds, else -ERESTARTSYS. */
#define wait_event_interruptible(wq, cond)                                                   \
	({                                                                                   \
		int wei_ret_ = 0;                                                            \
		for (;;) {                                                                   \
			prepare_to_wait(wq);                                                 \
			if (cond)                                                            \
				break;                                                       \
			if (signal_pending()) {                                              \
				wei_ret_ = -ERESTARTSYS;                                     \
				break;                                                       \
			}                                                                    \
			sched_sleep();                                                       \
		}                                                                            \
		finish_wait(wq);                                                             \
		wei_ret_;                                                                    \
	})

#endif
