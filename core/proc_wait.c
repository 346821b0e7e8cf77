/*
 * core/proc_wait.c: wait4 and waitid's core: finding and reaping zombie children.
 *
 * A parent's threads all sleep on the parent's child_wait; an exiting child wakes it (with
 * proc_tree_lock held, so the parent cannot be freed in between). The check runs after
 * prepare_to_wait, under proc_tree_lock, so an exit between the check and the sleep is never
 * lost (core/waitq.h). Reaping unlinks the zombie from the tree and frees its pid; the struct
 * goes when its last reference does.
 */
#include "core/cputime.h"
#include "core/errno.h"
#include "core/proc.h"

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

/* Unlink c from its parent's children and from all_procs (proc_tree_lock held). */
static void unlink_child_locked(struct proc *parent, struct proc *c)
{
	struct proc **pp = &parent->children;
	while (*pp != c)
		pp = &(*pp)->sibling;
	*pp = c->sibling;
	proc_unlist_locked(c);
}

/* Look for a matching child: a zombie (returned, unlinked unless WNOWAIT), or NULL with *any
 * telling whether some matching child exists at all. */
static struct proc *find_zombie(struct proc *self, int which, int options, bool *any)
{
	struct proc *found = NULL;
	*any = false;
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	for (struct proc *c = self->children; c; c = c->sibling) {
		if (!wait_matches(self, c, which))
			continue;
		*any = true;
		if (c->state == PROC_ZOMBIE) {
			found = c;
			break;
		}
	}
	if (found && !(options & WNOWAIT))
		unlink_child_locked(self, found);
	spin_unlock_irqrestore(&proc_tree_lock, s);
	return found;
}

long proc_wait(int which, int *status, int options)
{
	struct proc *self = proc_current();
	bool any;
	for (;;) {
		prepare_to_wait(&self->child_wait);
		struct proc *c = find_zombie(self, which, options, &any);
		if (c || !any || (options & WNOHANG) || proc_should_exit()) {
			finish_wait(&self->child_wait);
			if (!c)
				return !any ? -ECHILD : (options & WNOHANG) ? 0 : -EINTR;
			int pid = c->pid;
			*status = c->exit_status;
			if (!(options & WNOWAIT)) {
				cputime_reap(self, c);
				pid_free(pid);
				proc_put(c); /* the tree's reference */
			}
			return pid;
		}
		sched_sleep();
	}
}
