/*
 * fs/procfs_pid.c: the per-process files of /proc/<pid>/: stat, status, cmdline, comm, maps,
 * and the targets of the exe, cwd and fd/N links.
 *
 * Formats are Linux's (fs/proc/array.c, fs/proc/task_mmu.c), field for field, because
 * busybox ps and top parse stat by position. Times are in USER_HZ (100 Hz) ticks. What Janus
 * does not track reads as Linux shows it for a task without it: no controlling tty (tty_nr 0,
 * tpgid -1), nice 0 (priority 20), no page-fault counts per process, SCHED_OTHER.
 *
 * Another process's memory (cmdline) is read through its page tables under its mm->lock,
 * page by page into a kernel buffer; a page never touched reads as the zeros it would hold.
 * Names of open files come from procfs_path_name: a directory's by climbing "..", any other
 * file's by searching its mount from the mount's root for its inode number (bounded), as
 * Janus keeps no dentries.
 */
#include "fs/procfs.h"

#include "arch/arch.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/mm.h"
#include "core/proc.h"
#include "core/string.h"
#include "core/sys_path.h"
#include "core/time.h"
#include "fs/vfs_internal.h"


/* ---- Process state ----------------------------------------------------------------------- */

struct pinfo {
	char state;
	int ppid, pgid, sid, nthreads, cpu, exit_code;
	uint64_t sigpnd, shdpnd, sigblk, sigign, sigcgt;
};

static void get_pinfo(struct proc *p, struct pinfo *pi)
{
	*pi = (struct pinfo){.state = 'S'};
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	pi->ppid = p->parent ? p->parent->pid : 0;
	pi->pgid = p->pgid;
	pi->sid = p->sid;
	bool zombie = p->state == PROC_ZOMBIE;
	pi->exit_code = zombie ? p->exit_status : 0;
	spin_unlock_irqrestore(&proc_tree_lock, s);
	s = spin_lock_irqsave(&p->lock);
	pi->nthreads = (int)p->nthreads;
	pi->shdpnd = p->sigpending;
	for (struct thread *t = p->threads; t; t = t->proc_next) {
		enum thread_state st = __atomic_load_n(&t->state, __ATOMIC_RELAXED);
		if (st == THREAD_RUNNING || st == THREAD_RUNNABLE)
			pi->state = 'R';
		if (t->tid == p->pid) {
			pi->sigblk = t->sigmask;
			pi->sigpnd = t->sigpending;
			pi->cpu = t->cpu;
		}
	}
	for (int i = 0; i < NSIG; i++) {
		uintptr_t h = p->sigactions[i].handler;
		if (h == SIG_IGN)
			pi->sigign |= 1ull << i;
		else if (h != SIG_DFL)
			pi->sigcgt |= 1ull << i;
	}
	if (p->stopped)
		pi->state = 'T';
	spin_unlock_irqrestore(&p->lock, s);
	if (zombie)
		pi->state = 'Z';
	pi->nthreads = zombie ? 1 : pi->nthreads;
}

void procfs_proc_times(struct proc *p, uint64_t *utime, uint64_t *stime)
{
	unsigned long s = spin_lock_irqsave(&p->lock);
	uint64_t u = p->dead_utime, k = p->dead_stime;
	for (struct thread *t = p->threads; t; t = t->proc_next) {
		u += __atomic_load_n(&t->utime, __ATOMIC_RELAXED);
		k += __atomic_load_n(&t->stime, __ATOMIC_RELAXED);
	}
	spin_unlock_irqrestore(&p->lock, s);
	*utime = u * 100 / TICK_HZ;
	*stime = k * 100 / TICK_HZ;
}

struct mminfo {
	uint64_t vsize, rss, start_code, end_code, start_stack, brk_start, brk;
	uint64_t arg_start, arg_end, env_start, env_end, data_start, data_end;
};

static void get_mminfo(struct proc *p, struct mminfo *mi)
{
	*mi = (struct mminfo){0};
	struct mm *mm = proc_get_mm(p);
	if (!mm)
		return;
	mutex_lock(&mm->lock);
	for (struct vma *v = mm->vmas; v; v = v->next) {
		mi->vsize += v->end - v->start;
		if ((v->prot & PROT_EXEC) && !mi->start_code && v->start != mm->sigtramp) {
			mi->start_code = v->start;
			mi->end_code = v->end;
		} else if ((v->prot & PROT_WRITE) && !(v->flags & (VMA_HEAP | VMA_STACK)) &&
			   !mi->data_start && mi->start_code) {
			mi->data_start = v->start;
			mi->data_end = v->end;
		}
	}
	mi->rss = mm->pages;
	mi->start_stack = mm->arg_start;
	mi->brk_start = mm->brk_start;
	mi->brk = mm->brk;
	mi->arg_start = mm->arg_start;
	mi->arg_end = mm->arg_end;
	mi->env_start = mm->env_start;
	mi->env_end = mm->env_end;
	mutex_unlock(&mm->lock);
	mm_put(mm);
}

/* ---- stat, status, comm -------------------------------------------------------------------- */

int procfs_show_pid_stat(struct proc *p, struct pbuf *b)
{
	struct pinfo pi;
	struct mminfo mi;
	uint64_t ut, st;
	get_pinfo(p, &pi);
	get_mminfo(p, &mi);
	procfs_proc_times(p, &ut, &st);
	uint64_t cut = __atomic_load_n(&p->cutime, __ATOMIC_RELAXED) * 100 / TICK_HZ;
	uint64_t cst = __atomic_load_n(&p->cstime, __ATOMIC_RELAXED) * 100 / TICK_HZ;
	uint64_t start = p->start_ns / (NSEC_PER_SEC / 100);
	const uint64_t m31 = 0x7fffffffull;
	pb_printf(b, "%d (%s) %c %d %d %d 0 -1 0 0 0 0 0 %llu %llu %lld %lld 20 0 %d 0 %llu",
		  p->pid, p->comm, pi.state, pi.ppid, pi.pgid, pi.sid, (unsigned long long)ut,
		  (unsigned long long)st, (long long)cut, (long long)cst, pi.nthreads,
		  (unsigned long long)start);
	pb_printf(b, " %llu %llu %llu %llu %llu %llu 0 0", (unsigned long long)mi.vsize,
		  (unsigned long long)mi.rss, (unsigned long long)p->rlim[RLIMIT_RSS].cur,
		  (unsigned long long)mi.start_code, (unsigned long long)mi.end_code,
		  (unsigned long long)mi.start_stack);
	pb_printf(b, " %llu %llu %llu %llu 0 0 0 %d %d 0 0 0 0 0",
		  (unsigned long long)(pi.sigpnd & m31), (unsigned long long)(pi.sigblk & m31),
		  (unsigned long long)(pi.sigign & m31), (unsigned long long)(pi.sigcgt & m31),
		  p->exit_signal, pi.cpu);
	pb_printf(b, " %llu %llu %llu %llu %llu %llu %llu %d\n", (unsigned long long)mi.data_start,
		  (unsigned long long)mi.data_end, (unsigned long long)mi.brk_start,
		  (unsigned long long)mi.arg_start, (unsigned long long)mi.arg_end,
		  (unsigned long long)mi.env_start, (unsigned long long)mi.env_end, pi.exit_code);
	return 0;
}

static const char *state_name(char s)
{
	switch (s) {
	case 'R': return "R (running)";
	case 'T': return "T (stopped)";
	case 'Z': return "Z (zombie)";
	default: return "S (sleeping)";
	}
}

static void show_fdsize_groups(struct proc *p, struct pbuf *b)
{
	struct fdtable *t = proc_get_fdt(p);
	unsigned size = 0;
	if (t) {
		mutex_lock(&t->lock);
		size = t->size;
		mutex_unlock(&t->lock);
		fdtable_put(t);
	}
	pb_printf(b, "FDSize:\t%u\nGroups:\t", size);
	for (unsigned i = 0; i < p->cred.ngroups && i < NGROUPS_MAX; i++)
		pb_printf(b, "%u ", p->cred.groups[i]);
	pb_printf(b, "\n");
}

int procfs_show_pid_status(struct proc *p, struct pbuf *b)
{
	struct pinfo pi;
	struct mminfo mi;
	get_pinfo(p, &pi);
	get_mminfo(p, &mi);
	const struct cred *c = &p->cred;
	pb_printf(b, "Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
		  "PPid:\t%d\nTracerPid:\t0\n", p->comm, p->umask, state_name(pi.state), p->pid,
		  p->pid, pi.ppid);
	pb_printf(b, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n", c->uid, c->euid, c->suid,
		  c->fsuid, c->gid, c->egid, c->sgid, c->fsgid);
	show_fdsize_groups(p, b);
	if (pi.state != 'Z')
		pb_printf(b, "VmSize:\t%8llu kB\nVmRSS:\t%8llu kB\n",
			  (unsigned long long)mi.vsize / 1024,
			  (unsigned long long)mi.rss * (PAGE_SIZE / 1024));
	pb_printf(b, "Threads:\t%d\nSigQ:\t%u/%llu\n", pi.nthreads, p->sigq_count,
		  (unsigned long long)p->rlim[RLIMIT_SIGPENDING].cur);
	pb_printf(b, "SigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\nSigIgn:\t%016llx\n"
		  "SigCgt:\t%016llx\n", (unsigned long long)pi.sigpnd,
		  (unsigned long long)pi.shdpnd, (unsigned long long)pi.sigblk,
		  (unsigned long long)pi.sigign, (unsigned long long)pi.sigcgt);
	return 0;
}

int procfs_show_pid_comm(struct proc *p, struct pbuf *b)
{
	pb_printf(b, "%s\n", p->comm);
	return 0;
}

/* ---- cmdline --------------------------------------------------------------------------- */

/* Copy [va, va + n) of mm into dst through its page tables (mm->lock held): a page not
 * present reads as zeros. -EFAULT if a page is outside every region. */
static int read_remote(struct mm *mm, uintptr_t va, char *dst, size_t n)
{
	while (n) {
		size_t off = va & (PAGE_SIZE - 1), chunk = PAGE_SIZE - off < n ? PAGE_SIZE - off : n;
		struct vma *v = mm->vmas;
		while (v && v->end <= va)
			v = v->next;
		if (!v || v->start > va)
			return -EFAULT;
		uint64_t pa;
		unsigned prot;
		if (arch_mmu_query(mm->as, va, &pa, &prot) == 0)
			memcpy(dst, phys_to_virt(pa), chunk);
		else
			memset(dst, 0, chunk);
		dst += chunk;
		va += chunk;
		n -= chunk;
	}
	return 0;
}

int procfs_show_pid_cmdline(struct proc *p, struct pbuf *b)
{
	struct mm *mm = proc_get_mm(p);
	if (!mm)
		return 0; /* a zombie's is empty, as on Linux */
	mutex_lock(&mm->lock);
	uint64_t start = mm->arg_start, end = mm->arg_end;
	size_t n = end > start && end - start <= 256 * 1024 ? end - start : 0;
	char *tmp = n ? kmalloc(n) : NULL;
	int err = n && !tmp ? -ENOMEM : n ? read_remote(mm, start, tmp, n) : 0;
	mutex_unlock(&mm->lock);
	mm_put(mm);
	if (!err && n)
		pb_write(b, tmp, n);
	kfree(tmp);
	return err == -EFAULT ? 0 : err;
}
