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
#include "shell_drive.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

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

/* Issue 9's acceptance: ps, free and uptime typed at the interactive shell print sane values
 * (the values themselves are diagnostics: they differ from run to run). */
static void check_proc_tools(void)
{
	sd_step("ps\n", "sh -i", "ps lists the interactive shell");
	sd_expect("PROMPT$ ");
	sd_step("free\n", "Mem:", "free prints its Mem: line");
	size_t at = sd_cursor();
	sd_expect("PROMPT$ ");
	long total = 0, used = -1, avail = -1;
	sscanf(sd_output(at), "%ld %ld %ld", &total, &used, &avail);
	JT_OKV(total > 0 && used >= 0 && avail > 0 && used + avail <= total,
	       "free: total > 0, used and free within it", "%ld %ld %ld KiB", total, used, avail);
	sd_step("uptime\n", "load average:", "uptime prints the load average");
	at = sd_cursor();
	sd_expect("PROMPT$ ");
	double l1 = -1;
	sscanf(sd_output(at), "%lf", &l1);
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
	pid_t sh = sd_start_shell();
	JT_OK(sd_expect("PROMPT$ "), "the first prompt");
	pid_t shell_pgrp = tcgetpgrp(0);
	sd_step("sleep 100\n", "", "start sleep");
	foreground_job(shell_pgrp, "sleep 100 runs in the foreground");
	usleep(500000);
	sd_step("\003", "PROMPT$ ", "^C ends the foreground job");
	sd_step("echo rc=$?\n", "rc=130", "$? after ^C");
	sd_step("sleep 100\n", "", "start sleep again");
	foreground_job(shell_pgrp, "sleep 100 runs in the foreground again");
	usleep(500000);
	sd_step("\032", "Stopped", "^Z stops it");
	sd_expect("PROMPT$ ");
	sd_step("bg\n", "sleep 100", "bg resumes it");
	sd_expect("PROMPT$ ");
	sd_step("jobs\n", "Running", "jobs lists it running");
	sd_expect("PROMPT$ ");
	sd_step("fg\n", "sleep 100", "fg brings it back");
	foreground_job(shell_pgrp, "fg makes it the foreground job");
	usleep(500000);
	sd_step("\003", "PROMPT$ ", "^C ends it");
	sd_step("echo rc=$?\n", "rc=130", "$? after fg and ^C");
	sd_step("echo abx\177c\n", "abc", "DEL erases");
	sd_step("echo junk\025echo ok$((1+1))\n", "ok2", "^U kills the line");
	jt_behaviour("USER-012", jt_failures_since_mark() == 0,
		     "^C with $? 130, ^Z, bg, jobs, fg, ^C; DEL and ^U");
	check_proc_tools();
	/* [poll issue] USER-011's `sleep 1 &` waits at the prompt until a SIGCHLD interrupts the
	 * shell's read of the terminal: busybox's line editing polls first and restarts poll on
	 * EINTR, but without poll (NOSYS today) the interrupted read ends the shell. */
	sd_ready(); /* "exit 7\n" */
	int st = 0;
	JT_EQ(waitpid(sh, &st, 0), sh);
	JT_OK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "the shell exits 7 (status %#x)", st);
	tcsetpgrp(0, getpgrp());
	return jt_done();
}
