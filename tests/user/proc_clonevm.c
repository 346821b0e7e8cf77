// covers: PROC-026
//
// execve in a process whose address space is shared with a live CLONE_VM sibling: the caller
// gets a fresh address space (the program runs and exits 42), and the sibling keeps running on
// the old one, its memory intact.
#define _GNU_SOURCE
#include "jtest.h"

#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int shared_value = 1234;
static volatile int child_started;

static int child_fn(void *arg)
{
	(void)arg;
	child_started = 1; /* seen by the parent: the memory is shared until the exec */
	char *argv[] = {"exit42", NULL};
	execve("/bin/exit42", argv, argv + 1);
	return 99; /* exec failed */
}

int main(void)
{
	jt_mark();
	size_t size = 64 * 1024;
	char *stack = malloc(size);
	pid_t c = clone(child_fn, stack + size, CLONE_VM | SIGCHLD, NULL);
	JT_OK(c > 0, "clone(CLONE_VM | SIGCHLD) gives a pid");
	int st = 0;
	JT_EQV(waitpid(c, &st, 0), c);
	JT_OK(WIFEXITED(st) && WEXITSTATUS(st) == 42, "the sibling's exec ran exit42 (status %#x)",
	      st);
	JT_EQ(child_started, 1);
	JT_EQ(shared_value, 1234); /* our address space survived the sibling's exec */
	shared_value = 5678;
	JT_EQ(shared_value, 5678);
	free(stack);
	jt_behaviour("PROC-026", jt_failures_since_mark() == 0,
		     "exec beside a live CLONE_VM sibling: fresh space for it, ours intact");
	return jt_done();
}
