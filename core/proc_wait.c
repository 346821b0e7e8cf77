/*
 * core/proc_wait.c: wait4 and waitid's core: finding and reaping zombie children.
 *
 * A parent's threads all sleep on the parent's child_wait; an exiting child wakes it (with
 * proc_tree_lock held, so the parent cannot be freed in between). The check runs after
 * prepare_to_wait, under proc_tree_lock, so an exit between the check and the sleep is never
 * lost (core/waitq.h). Reaping unlinks the zombie from the tree and frees its pid; the struct
 * goes when its last reference does. Stops and continues (WUNTRACED, WCONTINUED) are reported
 * once each from the child's jobctl_report, which core/signal.c sets under proc_tree_lock. A
 * signal ends the wait with -ERESTARTSYS.
 */
#include "core/cputime.h"
#include "core/errno.h"
#include "core/proc.h"
#include "core/signal.h"

static bool wait_matches(const struct proc *self, const struct proc *c, int which)
{
	if (which > 0)
		return c->pid == which;
	if (which == -1)
		return true;
	if (which == 0)
		return c->pgid == self->pgid;
	return c->pgid == -which;
}

/* Unlink c from its parent's children and from proc_table (proc_tree_lock held). */
void proc_unlink_child_locked(struct proc *parent, struct proc *c)
{
	struct proc **pp = &parent->children;
	while (*pp != c)
		pp = &(*pp)->sibling;
	*pp = c->sibling;
	proc_unlist_locked(c);
}

/* What a matching child has to report under options: its wait status in *status and true;
 * a zombie is unlinked into *reap unless WNOWAIT, a stop or continue report is consumed
 * (proc_tree_lock held). */
static bool child_report_locked(struct proc *self, struct proc *c, int options, int *status,
				struct proc **reap)
{
	if (c->state == PROC_ZOMBIE) {
		if (!(options & WEXITED))
			return false;
		*status = c->exit_status;
		if (!(options & WNOWAIT)) {
			proc_unlink_child_locked(self, c);
			*reap = c;
		}
		return true;
	}
	int r = c->jobctl_report;
	bool stop = (r & 0xff) == 0x7f && (options & WUNTRACED);
	if (!stop && !(r == 0xffff && (options & WCONTINUED)))
		return false;
	*status = r;
	if (!(options & WNOWAIT))
		c->jobctl_report = 0;
	return true;
}

/* Look for a matching child with something to report: its pid (status set; a reaped zombie in
 * *reap), or 0 with *any telling whether some matching child exists at all. */
static int find_child(struct proc *self, int which, int options, bool *any, int *status,
		      struct proc **reap)
{
	int pid = 0;
	*any = false;
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	for (struct proc *c = self->children; c; c = c->sibling) {
		if (!wait_matches(self, c, which))
			continue;
		*any = true;
		if (child_report_locked(self, c, options, status, reap)) {
			pid = c->pid;
			break;
		}
	}
	spin_unlock_irqrestore(&proc_tree_lock, s);
	return pid;
}

long proc_wait(int which, int *status, int options)
{
	struct proc *self = proc_current();
	bool any;
	for (;;) {
		struct proc *reap = NULL;
		prepare_to_wait(&self->child_wait);
		int pid = find_child(self, which, options, &any, status, &reap);
		if (pid || !any || (options & WNOHANG) || signal_pending()) {
			finish_wait(&self->child_wait);
			if (reap) {
				cputime_reap(self, reap);
				pid_free(pid);
				proc_put(reap); /* the tree's reference */
			}
			if (pid)
				return pid;
			return !any ? -ECHILD : (options & WNOHANG) ? 0 : -ERESTARTSYS;
		}
		sched_sleep();
	}
}
