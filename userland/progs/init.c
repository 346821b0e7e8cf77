/*
 * /sbin/init: Janus's first process (pid 1) on the fixture image, a static musl program.
 *
 * It gives the system a sane environment (PATH, HOME=/root, SHELL, USER, LOGNAME, TERM; umask
 * 022; cwd HOME; its own session), runs /etc/rc with /bin/sh when that file exists, then an
 * interactive login shell `/bin/sh -l` on the console, and exits with the shell's status, which
 * the kernel turns into the machine's power-off status ("janus: init exited ...").
 *
 * Invariants: descriptors 0, 1 and 2 are /dev/console when the kernel starts init, and the
 * children inherit them. As pid 1 it is the parent of every orphan, so while it waits for the
 * rc script or the shell it reaps whatever child ends (wait4(-1)) and stops only when the pid
 * it started is the one reaped. A shell killed by signal N gives status 128 + N, as a shell
 * reports it. Nothing here needs signals: init installs no handlers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHELL "/bin/sh"
#define RC "/etc/rc"
#define HOME "/root"

/* PATH and TERM keep what the kernel command line gave; the rest are root's. */
static void set_environment(void)
{
	setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 0);
	setenv("TERM", "linux", 0);
	setenv("HOME", HOME, 1);
	setenv("SHELL", SHELL, 1);
	setenv("USER", "root", 1);
	setenv("LOGNAME", "root", 1);
	umask(022);
	if (chdir(HOME) != 0 && chdir("/") != 0)
		fprintf(stderr, "init: cannot chdir to %s or /: %s\n", HOME, strerror(errno));
	/* Session leader, so that a later controlling terminal belongs to this session; a
	 * failure (already a leader) changes nothing for the shell. The console becomes its
	 * controlling terminal (opening /dev/console never does that, as on Linux), so the shell
	 * gets job control: ^C, ^Z, fg and bg. */
	setsid();
	if (isatty(0) && ioctl(0, TIOCSCTTY, 0) != 0)
		fprintf(stderr, "init: TIOCSCTTY: %s\n", strerror(errno));
}

/* Reap children until `pid` ends; its wait status, or -1 if it cannot be waited for. */
static int wait_for(pid_t pid)
{
	for (;;) {
		int st;
		pid_t got = wait4(-1, &st, 0, NULL);
		if (got == pid)
			return st;
		if (got < 0 && errno != EINTR) {
			fprintf(stderr, "init: wait4: %s\n", strerror(errno));
			return -1;
		}
	}
}

/* Run argv (argv[0] is the program's path) as a child and wait for it; its wait status. */
static int run(char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "init: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execv(argv[0], argv);
		fprintf(stderr, "init: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	return wait_for(pid);
}

/* A wait status as a shell's exit status: the exit code, or 128 + the signal. */
static int exit_code(int st)
{
	if (st < 0)
		return 1;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

int main(void)
{
	set_environment();
	if (access(RC, R_OK) == 0) {
		int st = run((char *const[]){SHELL, RC, NULL});
		if (st != 0)
			fprintf(stderr, "init: %s ended with status %d\n", RC, exit_code(st));
	}
	return exit_code(run((char *const[]){SHELL, "-l", NULL}));
}
