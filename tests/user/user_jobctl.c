// covers: USER-012
//
// Interactive job control in busybox ash on the console. Every key the shell reads is typed
// into the serial port by the runner (tests/user/user_jobctl.input, one chunk per step): once
// the shell's previous output has appeared, this prints a JTEST-INPUT-READY line and the
// runner types the next chunk. The shell's stdout and stderr go to a pipe this test reads,
// while its stdin is the console, its controlling terminal. In the .input file a chunk with
// no newline of its own (^C, ^Z) runs straight into its "#!input-next" separator, which the
// runner finds as a byte string. ^C or ^Z is typed once the job owns the terminal
// (tcgetpgrp) and has had half a second to start. Steps: `sleep 100` then ^C gives $? 130;
// `sleep 100`, ^Z stops it, `bg` resumes it, `jobs` shows it Running, `fg` brings it back
// and ^C ends it; the shell prints a fresh prompt after each; DEL and ^U edit the line.
// Needs the console.
#define _GNU_SOURCE
#include "jtest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int out_fd;
static char out[65536];
static size_t out_len, cursor;

/* Read the shell's output until want appears after the cursor; the cursor moves past it. */
static bool expect(const char *want)
{
	for (;;) {
		out[out_len] = 0;
		char *hit = strstr(out + cursor, want);
		if (hit) {
			cursor = (size_t)(hit - out) + strlen(want);
			return true;
		}
		if (out_len + 1 >= sizeof out)
			return false;
		long r = read(out_fd, out + out_len, sizeof out - 1 - out_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			jt_diag("reading the shell's output: %ld %s", r, r ? jt_errname(errno) : "EOF");
			return false;
		}
		out_len += (size_t)r;
	}
}

/* The runner types the next chunk of user_jobctl.input when it sees this line. */
static void ready(void)
{
	jt_diag("JTEST-INPUT-READY");
}

/* keys names the chunk the runner types next (the .input file holds the bytes). */
static void step(const char *keys, const char *want, const char *what)
{
	(void)keys;
	ready();
	bool ok = expect(want);
	JT_OK(ok, "%s: the shell printed \"%s\"", what, want);
	if (!ok) {
		out[out_len] = 0;
		jt_diag("shell output so far: %s", out + (cursor > 200 ? cursor - 200 : 0));
	}
}

/* Wait until a job of the shell (whose group owns the terminal at its prompt) is the
 * terminal's foreground group. With ECHO off busybox reads lines without line editing, so
 * nothing in its output shows that the typed command has started. */
static bool foreground_job(pid_t shell_pgrp, const char *what)
{
	pid_t fg = -1;
	for (int i = 0; i < 1000; i++) {
		fg = tcgetpgrp(0);
		if (fg > 0 && fg != shell_pgrp)
			break;
		usleep(10000);
	}
	bool ok = JT_OK(fg > 0 && fg != shell_pgrp, "%s", what);
	if (!ok)
		jt_diag("foreground group %d, shell's %d", fg, shell_pgrp);
	return ok;
}

static pid_t start_shell(void)
{
	int p[2];
	if (pipe(p) != 0)
		return -1;
	pid_t c = fork();
	if (c == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		setenv("PS1", "PROMPT$ ", 1);
		setenv("TERM", "dumb", 1);
		execl("/bin/sh", "sh", "-i", (char *)0);
		_exit(127);
	}
	close(p[1]);
	out_fd = p[0];
	return c;
}

/* Issue 9's acceptance: ps, free and uptime typed at the interactive shell print sane values
 * (the values themselves are diagnostics: they differ from run to run). */
static void check_proc_tools(void)
{
	step("ps\n", "sh -i", "ps lists the interactive shell");
	expect("PROMPT$ ");
	step("free\n", "Mem:", "free prints its Mem: line");
	size_t at = cursor;
	expect("PROMPT$ ");
	long total = 0, used = -1, avail = -1;
	sscanf(out + at, "%ld %ld %ld", &total, &used, &avail);
	JT_OKV(total > 0 && used >= 0 && avail > 0 && used + avail <= total,
	       "free: total > 0, used and free within it", "%ld %ld %ld KiB", total, used, avail);
	step("uptime\n", "load average:", "uptime prints the load average");
	at = cursor;
	expect("PROMPT$ ");
	double l1 = -1;
	sscanf(out + at, "%lf", &l1);
	JT_OKV(l1 >= 0 && l1 < 100, "uptime: a sane 1-minute load", "%.2f", l1);
}

int main(void)
{
	if (getsid(0) != getpid())
		setsid();
	ioctl(0, TIOCSCTTY, 0);
	signal(SIGTTOU, SIG_IGN);
	/* No echo on the console: the shell's line editing echoes to its (piped) output, and a
	 * "^C" echoed on the console would run into this test's next TAP line. */
	struct termios t;
	tcgetattr(0, &t);
	t.c_lflag &= ~ECHO;
	tcsetattr(0, TCSANOW, &t);
	jt_mark();
	pid_t sh = start_shell();
	JT_OK(expect("PROMPT$ "), "the first prompt");
	pid_t shell_pgrp = tcgetpgrp(0);
	step("sleep 100\n", "", "start sleep");
	foreground_job(shell_pgrp, "sleep 100 runs in the foreground");
	usleep(500000);
	step("\003", "PROMPT$ ", "^C ends the foreground job");
	step("echo rc=$?\n", "rc=130", "$? after ^C");
	step("sleep 100\n", "", "start sleep again");
	foreground_job(shell_pgrp, "sleep 100 runs in the foreground again");
	usleep(500000);
	step("\032", "Stopped", "^Z stops it");
	expect("PROMPT$ ");
	step("bg\n", "sleep 100", "bg resumes it");
	expect("PROMPT$ ");
	step("jobs\n", "Running", "jobs lists it running");
	expect("PROMPT$ ");
	step("fg\n", "sleep 100", "fg brings it back");
	foreground_job(shell_pgrp, "fg makes it the foreground job");
	usleep(500000);
	step("\003", "PROMPT$ ", "^C ends it");
	step("echo rc=$?\n", "rc=130", "$? after fg and ^C");
	step("echo abx\177c\n", "abc", "DEL erases");
	step("echo junk\025echo ok$((1+1))\n", "ok2", "^U kills the line");
	jt_behaviour("USER-012", jt_failures_since_mark() == 0,
		     "^C with $? 130, ^Z, bg, jobs, fg, ^C; DEL and ^U");
	check_proc_tools();
	/* [poll issue] USER-011's `sleep 1 &` waits at the prompt until a SIGCHLD interrupts the
	 * shell's read of the terminal: busybox's line editing polls first and restarts poll on
	 * EINTR, but without poll (NOSYS today) the interrupted read ends the shell. */
	ready(); /* "exit 7\n" */
	int st = 0;
	JT_EQ(waitpid(sh, &st, 0), sh);
	JT_OK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "the shell exits 7 (status %#x)", st);
	tcsetpgrp(0, getpgrp());
	return jt_done();
}
