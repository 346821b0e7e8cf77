/*
 * core/sys_proc.c: the process syscalls: clone and its legacy forms, execve, exit, wait4,
 * waitid, the id calls, set_tid_address, process groups and sessions, prctl's names.
 *
 * Handlers only translate between the user ABI and core/proc.h / core/exec.h. execve copies
 * every string into the kernel before exec_program touches anything, with Linux's limits
 * (MAX_ARG_STRLEN per string, EXEC_ARG_MAX in all: -E2BIG).
 */
#include "core/errno.h"
#include "core/exec.h"
#include "core/exec_stack.h"
#include "core/kheap.h"
#include "core/proc.h"
#include "core/signal.h"
#include "core/string.h"
#include "core/syscall.h"
#include "core/uaccess.h"

SYSCALL_DECLARE(clone);
SYSCALL_DECLARE(fork);
SYSCALL_DECLARE(vfork);
SYSCALL_DECLARE(execve);
SYSCALL_DECLARE(exit);
SYSCALL_DECLARE(exit_group);
SYSCALL_DECLARE(wait4);
SYSCALL_DECLARE(waitid);
SYSCALL_DECLARE(getpid);
SYSCALL_DECLARE(getppid);
SYSCALL_DECLARE(gettid);
SYSCALL_DECLARE(set_tid_address);
SYSCALL_DECLARE(getpgid);
SYSCALL_DECLARE(setpgid);
SYSCALL_DECLARE(getpgrp);
SYSCALL_DECLARE(getsid);
SYSCALL_DECLARE(setsid);
SYSCALL_DECLARE(prctl);

long sys_clone(const unsigned long *a)
{
	return proc_clone(a[0], a[1], a[2], a[3], a[4]);
}

long sys_fork(const unsigned long *a)
{
	(void)a;
	return proc_clone(SIGCHLD, 0, 0, 0, 0);
}

long sys_vfork(const unsigned long *a)
{
	(void)a;
	return proc_clone(0x4000 /* CLONE_VFORK */ | 0x100 /* CLONE_VM */ | SIGCHLD, 0, 0, 0, 0);
}

/* ---- execve ---------------------------------------------------------------------------------- */

struct strvec {
	char **v;
	size_t n, cap;
	size_t bytes; /* strings plus one pointer each, against EXEC_ARG_MAX */
};

static void strvec_free(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		kfree(sv->v[i]);
	kfree(sv->v);
}

static int strvec_push(struct strvec *sv, char *s)
{
	if (sv->n + 1 >= sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 16;
		char **v = kmalloc(cap * sizeof(char *));
		if (!v)
			return -ENOMEM;
		if (sv->n)
			memcpy(v, sv->v, sv->n * sizeof(char *));
		kfree(sv->v);
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return 0;
}

/* Copy one user string (at most MAX_ARG_STRLEN bytes with its NUL). */
static int copy_arg(uintptr_t ustr, char **out, size_t *len)
{
	char *buf = kmalloc(MAX_ARG_STRLEN);
	if (!buf)
		return -ENOMEM;
	long n = strncpy_from_user(buf, ustr, MAX_ARG_STRLEN);
	if (n < 0) {
		kfree(buf);
		return n == -ENAMETOOLONG ? -E2BIG : (int)n;
	}
	char *s = kmalloc((size_t)n + 1);
	if (s)
		memcpy(s, buf, (size_t)n + 1);
	kfree(buf);
	*out = s;
	*len = (size_t)n + 1;
	return s ? 0 : -ENOMEM;
}

/* Copy a NULL-terminated user array of strings (NULL array: empty). */
static int copy_strings(uintptr_t uvec, struct strvec *sv, size_t *total)
{
	for (size_t i = 0; uvec; i++) {
		uintptr_t ustr;
		if (get_user(&ustr, uvec + i * sizeof(uintptr_t)))
			return -EFAULT;
		if (!ustr)
			break;
		char *s;
		size_t len;
		int err = copy_arg(ustr, &s, &len);
		if (err)
			return err;
		*total += len + sizeof(char *);
		if (*total > EXEC_ARG_MAX || (err = strvec_push(sv, s)) != 0) {
			kfree(s);
			return err ? err : -E2BIG;
		}
	}
	return 0;
}

long sys_execve(const unsigned long *a)
{
	char *path;
	int err = user_path_get(a[0], &path, false);
	if (err)
		return err;
	struct strvec argv = {0}, envp = {0};
	size_t total = strlen(path) + 1;
	err = copy_strings(a[1], &argv, &total);
	if (!err)
		err = copy_strings(a[2], &envp, &total);
	if (!err) {
		static const char *const empty[] = {NULL};
		struct exec_args ea = {path, argv.v ? (const char *const *)argv.v : empty, argv.n,
				       envp.v ? (const char *const *)envp.v : empty, envp.n};
		err = exec_program(&ea);
	}
	strvec_free(&argv);
	strvec_free(&envp);
	kfree(path);
	return err;
}

/* ---- exit and wait --------------------------------------------------------------------------- */

long sys_exit(const unsigned long *a)
{
	proc_thread_exit(wstatus_exited((int)a[0]));
}

long sys_exit_group(const unsigned long *a)
{
	proc_group_exit(wstatus_exited((int)a[0]));
}

#define WAIT_OPTIONS_OK (WNOHANG | WUNTRACED | WCONTINUED | 0x20000000 /* __WNOTHREAD */ |  \
			 0x40000000 /* __WALL */ | 0x80000000u /* __WCLONE */)

long sys_wait4(const unsigned long *a)
{
	int which = (int)a[0], options = (int)a[2], status = 0;
	if ((unsigned)options & ~(unsigned)WAIT_OPTIONS_OK)
		return -EINVAL;
	if (which == (int)0x80000000)
		return -ESRCH; /* INT_MIN: Linux refuses to negate it */
	long pid = proc_wait(which, &status,
			     (options & (WNOHANG | WUNTRACED | WCONTINUED)) | WEXITED);
	if (pid > 0 && a[1] && put_user(a[1], &status))
		return -EFAULT;
	if (pid >= 0 && a[3] && clear_user(a[3], 144 /* struct rusage: no accounting yet */))
		return -EFAULT;
	return pid;
}

#define P_ALL 0
#define P_PID 1
#define P_PGID 2
/* struct siginfo for SIGCHLD (128 bytes; the fields at the same offsets on both ports). */
static int put_child_info(uintptr_t infop, int pid, uint32_t uid, int status)
{
	int32_t si[32] = {0};
	if (pid > 0) {
		bool exited = (status & 0x7f) == 0;
		si[0] = SIGCHLD;
		si[2] = exited ? CLD_EXITED : CLD_KILLED;
		si[4] = pid;
		si[5] = (int32_t)uid;
		si[6] = exited ? (status >> 8) & 0xff : status & 0x7f;
		if (status == 0xffff) {
			si[2] = CLD_CONTINUED;
			si[6] = SIGCONT;
		} else if ((status & 0xff) == 0x7f) {
			si[2] = CLD_STOPPED;
			si[6] = (status >> 8) & 0xff;
		}
	}
	return copy_to_user(infop, si, sizeof(si));
}

long sys_waitid(const unsigned long *a)
{
	int idtype = (int)a[0], id = (int)a[1], options = (int)a[3], status = 0;
	if (!(options & (WEXITED | WUNTRACED | WCONTINUED)) ||
	    (unsigned)options & ~(unsigned)(WAIT_OPTIONS_OK | WEXITED | WNOWAIT | 2 /* WSTOPPED */))
		return -EINVAL;
	int which = idtype == P_ALL ? -1 : idtype == P_PID ? id : idtype == P_PGID ? -id : 0;
	if ((idtype != P_ALL && idtype != P_PID && idtype != P_PGID) || (idtype != P_ALL && id <= 0))
		return -EINVAL;
	long pid = proc_wait(which, &status,
			     options & (WNOHANG | WNOWAIT | WEXITED | WUNTRACED | WCONTINUED));
	if (pid < 0)
		return pid;
	if (a[2] && put_child_info(a[2], (int)pid, 0, status))
		return -EFAULT;
	if (a[4] && clear_user(a[4], 144))
		return -EFAULT;
	return 0;
}

/* ---- ids ----------------------------------------------------------------------------------- */

long sys_getpid(const unsigned long *a)
{
	(void)a;
	return proc_current()->pid;
}

long sys_getppid(const unsigned long *a)
{
	(void)a;
	struct proc *p = proc_current();
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	int ppid = p->parent ? p->parent->pid : 0;
	spin_unlock_irqrestore(&proc_tree_lock, s);
	return ppid;
}

long sys_gettid(const unsigned long *a)
{
	(void)a;
	return thread_current()->tid;
}

long sys_set_tid_address(const unsigned long *a)
{
	struct thread *t = thread_current();
	t->clear_child_tid = a[0];
	return t->tid;
}

/* ---- Process groups and sessions (the terminal side comes with the signals issue) -------- */

/* The process pid names for the caller (0: itself): a reference, or NULL. Only the caller and
 * its children may be named by setpgid; getpgid/getsid may name anyone. */
static struct proc *proc_lookup_self(int pid)
{
	struct proc *self = proc_current();
	if (pid == 0 || pid == self->pid) {
		proc_get(self);
		return self;
	}
	return pid < 0 ? NULL : proc_find(pid);
}

long sys_getpgid(const unsigned long *a)
{
	struct proc *p = proc_lookup_self((int)a[0]);
	if (!p)
		return -ESRCH;
	int pgid = p->pgid;
	proc_put(p);
	return pgid;
}

long sys_getpgrp(const unsigned long *a)
{
	(void)a;
	return proc_current()->pgid;
}

long sys_getsid(const unsigned long *a)
{
	struct proc *p = proc_lookup_self((int)a[0]);
	if (!p)
		return -ESRCH;
	int sid = p->sid;
	proc_put(p);
	return sid;
}

/* Is there a process group pgid in session sid? (proc_tree_lock held) */
static bool pgrp_in_session_locked(int pgid, int sid)
{
	for (struct proc *p = proc_first_locked(); p; p = p->all_next)
		if (p->state == PROC_ALIVE && p->pgid == pgid && p->sid == sid)
			return true;
	return false;
}

static long setpgid_locked(struct proc *self, struct proc *p, int pgid)
{
	if (p != self && p->parent != self)
		return -ESRCH;
	if (p->sid != self->sid)
		return -EPERM;
	if (p != self && __atomic_load_n(&p->did_exec, __ATOMIC_RELAXED))
		return -EACCES;
	if (p->sid == p->pid)
		return -EPERM; /* a session leader keeps its group */
	if (pgid != p->pid && !pgrp_in_session_locked(pgid, self->sid))
		return -EPERM;
	p->pgid = pgid;
	return 0;
}

long sys_setpgid(const unsigned long *a)
{
	struct proc *self = proc_current();
	int pid = (int)a[0], pgid = (int)a[1];
	if (pgid < 0)
		return -EINVAL;
	struct proc *p = proc_lookup_self(pid);
	if (!p)
		return -ESRCH;
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	long err = setpgid_locked(self, p, pgid ? pgid : p->pid);
	spin_unlock_irqrestore(&proc_tree_lock, s);
	proc_put(p);
	return err;
}

long sys_setsid(const unsigned long *a)
{
	(void)a;
	struct proc *p = proc_current();
	long ret = p->pid;
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	bool leader = false;
	for (struct proc *q = proc_first_locked(); q; q = q->all_next)
		leader |= q->state == PROC_ALIVE && q->pgid == p->pid;
	if (leader)
		ret = -EPERM;
	else
		p->pgid = p->sid = p->pid;
	spin_unlock_irqrestore(&proc_tree_lock, s);
	return ret;
}

#define PR_SET_NAME 15
#define PR_GET_NAME 16

long sys_prctl(const unsigned long *a)
{
	struct proc *p = proc_current();
	char name[PROC_COMM_MAX];
	switch (a[0]) {
	case PR_SET_NAME: {
		long n = strncpy_from_user(name, a[1], sizeof(name));
		if (n == -ENAMETOOLONG) {
			if (copy_from_user(name, a[1], sizeof(name) - 1))
				return -EFAULT;
			name[sizeof(name) - 1] = 0;
		} else if (n < 0) {
			return n;
		}
		strlcpy(p->comm, name, sizeof(p->comm));
		return 0;
	}
	case PR_GET_NAME:
		memcpy(name, p->comm, sizeof(name));
		return copy_to_user(a[1], name, sizeof(name));
	default:
		return -EINVAL;
	}
}
