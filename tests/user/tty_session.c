// covers: TTY-010 TTY-011
//
// Sessions and process groups without a terminal: getpgid/getpgrp/getsid agree, setpgid(0,0),
// setsid in a child and by a group leader, the errors, and setpgid's rules between a parent
// and its child (idempotent from both sides, EPERM across sessions, ESRCH for a stranger,
// EACCES once the child has exec'd; a fork child starts in its parent's group and session).
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* TTY-010 */
static void test_session(void)
{
	jt_mark();
	pid_t g = getpgid(0);
	JT_OK(g > 0 && g == getpgid(getpid()) && g == getpgrp(), "getpgid/getpgrp agree");
	pid_t s = getsid(0);
	JT_OK(s > 0 && s == getsid(getpid()), "getsid agrees");
	JT_ERRNO(getpgid(-1), ESRCH);
	JT_ERRNO(getsid(-1), ESRCH);
	pid_t c = fork();
	if (c == 0) {
		int ok = setsid() == getpid() && getsid(0) == getpid() && getpgid(0) == getpid();
		ok &= setsid() == -1 && errno == EPERM; /* now a group leader */
		_exit(ok ? 0 : 1);
	}
	int st;
	waitpid(c, &st, 0);
	JT_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child setsid (status %#x)", st);
	c = fork();
	if (c == 0) {
		int ok = setpgid(0, 0) == 0 && getpgrp() == getpid();
		ok &= setsid() == -1 && errno == EPERM; /* a group leader */
		_exit(ok ? 0 : 1);
	}
	waitpid(c, &st, 0);
	JT_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "setpgid(0,0), then setsid EPERM (%#x)", st);
	jt_behaviour("TTY-010", jt_failures_since_mark() == 0, "sessions and groups");
}

/* A grandchild's pid (it exits at once; its parent waits for it, so the pid stays valid until
 * the parent's own exit, which happens after the pipe closes). */
static int gc_hold[2]; /* the grandchild lives until its write end closes */

static pid_t grandchild(void)
{
	int report[2];
	pid_t gc_pid = -1;
	pipe(gc_hold);
	pipe(report);
	if (fork() == 0) {
		pid_t g = fork();
		if (g == 0) {
			char b;
			close(gc_hold[1]);
			read(gc_hold[0], &b, 1);
			_exit(0);
		}
		close(gc_hold[1]);
		write(report[1], &g, sizeof g);
		waitpid(g, NULL, 0);
		_exit(0);
	}
	close(report[1]);
	read(report[0], &gc_pid, sizeof gc_pid);
	close(report[0]);
	return gc_pid;
}

static void grandchild_done(void)
{
	close(gc_hold[0]);
	close(gc_hold[1]);
	while (wait(NULL) > 0 || errno == EINTR)
		;
}

/* TTY-011 */
static void test_setpgid(void)
{
	jt_mark();
	JT_ERRNO(setpgid(grandchild(), getpgrp()), ESRCH); /* not ours */
	grandchild_done();
	int p[2];
	JT_EQ(pipe(p), 0);
	pid_t c = fork();
	if (c == 0) {
		int ok = getsid(0) == getsid(getppid());
		ok &= setpgid(getpid(), getpid()) == 0;
		char b;
		close(p[1]);
		read(p[0], &b, 1);
		_exit(ok ? 0 : 1);
	}
	JT_EQ(setpgid(c, c), 0);
	JT_EQ(setpgid(c, c), 0);
	close(p[0]);
	close(p[1]);
	int st;
	waitpid(c, &st, 0);
	JT_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child side (status %#x)", st);
	/* Another session's group: EPERM. */
	JT_EQ(pipe(p), 0);
	c = fork();
	if (c == 0) {
		setsid();
		char b;
		close(p[1]);
		read(p[0], &b, 1);
		_exit(0);
	}
	for (int i = 0; i < 200 && getsid(c) != c; i++)
		usleep(5000);
	pid_t c2 = fork();
	if (c2 == 0) {
		char b;
		close(p[1]);
		read(p[0], &b, 1);
		_exit(0);
	}
	JT_ERRNO(setpgid(c2, c), EPERM);
	close(p[0]);
	close(p[1]);
	waitpid(c, NULL, 0);
	waitpid(c2, NULL, 0);
	/* A child that has exec'd: EACCES. */
	JT_EQ(pipe(p), 0);
	c = fork();
	if (c == 0) {
		close(p[0]);
		fcntl(p[1], F_SETFD, FD_CLOEXEC);
		execl("/bin/sh", "sh", "-c", "sleep 2", (char *)0);
		_exit(127);
	}
	close(p[1]);
	char b;
	JT_EQ(read(p[0], &b, 1), 0); /* closed by exec */
	close(p[0]);
	JT_ERRNO(setpgid(c, c), EACCES);
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	/* A fork child starts in its parent's group and session. */
	c = fork();
	if (c == 0)
		_exit(getpgrp() == getpgid(getppid()) && getsid(0) == getsid(getppid()) ? 0 : 1);
	waitpid(c, &st, 0);
	JT_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "inherited group and session (%#x)", st);
	jt_behaviour("TTY-011", jt_failures_since_mark() == 0, "setpgid rules");
}

int main(void)
{
	/* As pid 1 (the test as init) the test is in session 0 and group 0, like Linux's init;
	 * its own session gives the positive ids the checks expect. */
	if (getpgrp() == 0 && setsid() < 0)
		jt_diag("setsid: %s", jt_errname(errno));
	test_session();
	test_setpgid();
	return jt_done();
}
