// covers: USER-011
//
// Background jobs in busybox ash, typed into the console like user_jobctl (USER-012): every
// key the shell reads is typed into the serial port by the runner (tests/user/user_jobs.input,
// one chunk per step), each once the shell's previous output has appeared and this has
// printed a JTEST-INPUT-READY line; the shell's stdout and stderr go to a pipe this test
// reads, its stdin is the console, its controlling terminal. Steps: `sleep 100 &` is job 1,
// `jobs` lists it Running, `kill %1` ends it and the shell reports it Terminated before a
// following prompt; after `sleep 3 &`, `$!` holds the pid `jobs -l` lists and `wait $!`
// returns 0 (busybox ash prints no "[1] pid" line, unlike bash); `sleep 2&` and `sleep 2 & `
// start jobs too. Needs the console.
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

/* The number the shell printed right after the cursor, as in "bang=123." or "[1]+  123 ". */
static long number_after(const char *keys, const char *want, const char *what)
{
	char *hit = sd_step(keys, want, what);
	if (!hit)
		return -1;
	char *p = hit + strlen(want), *end;
	while (*p == ' ')
		p++;
	long n = strtol(p, &end, 10);
	return end == p ? -1 : n;
}

static void jobs_and_kill(void)
{
	sd_step("sleep 100 &\n", "PROMPT$ ", "sleep 100 & gives the prompt back at once");
	sd_step("jobs\n", "Running", "jobs lists it running");
	sd_expect("PROMPT$ ");
	/* ash reports the job when it reaps it: right after the kill builtin if SIGCHLD came
	 * first, else after the next command; either way before a following prompt. */
	size_t from = sd_cursor();
	sd_step("kill %1\n", "PROMPT$ ", "the prompt after kill %1");
	usleep(300000);
	/* Quoted apart so the line editor's echo of the command never shows "after-kill". */
	sd_step("echo after\"-kill\"\n", "after-kill", "a command after kill %1");
	size_t after = sd_cursor();
	sd_set_cursor(from);
	JT_OK(sd_expect("Terminated") != NULL, "the shell reports job 1 terminated");
	sd_set_cursor(sd_cursor() > after ? sd_cursor() : after);
	sd_expect("PROMPT$ ");
}

static void wait_for_bang(void)
{
	sd_step("sleep 3 &\n", "PROMPT$ ", "sleep 3 &");
	/* Quoted apart so the line editor's echo of the command never shows "bang=". */
	long bang = number_after("echo b\"ang=$!.\"\n", "bang=", "$! after sleep 3 &");
	sd_expect("PROMPT$ ");
	long listed = number_after("jobs -l\n", "[1]+", "jobs -l lists job 1 with its pid");
	sd_expect("PROMPT$ ");
	JT_OKV(bang > 0 && bang == listed, "$! holds the background job's pid",
	       "$! %ld, jobs -l %ld", bang, listed);
	sd_step("wait $!; echo rc=$?.\n", "rc=0.", "wait $! returns 0");
	sd_expect("PROMPT$ ");
}

/* "sleep 2<amp>" starts a background job: jobs lists it Running, and wait ends it with 0. */
static void ampersand(const char *line, const char *what)
{
	sd_step(line, "PROMPT$ ", what);
	sd_step("jobs\n", "Running", what);
	sd_expect("PROMPT$ ");
	sd_step("wait; echo w=$?.\n", "w=0.", what);
	sd_expect("PROMPT$ ");
}

int main(void)
{
	if (getsid(0) != getpid())
		setsid();
	ioctl(0, TIOCSCTTY, 0);
	signal(SIGTTOU, SIG_IGN);
	/* ECHO stays on: with ECHO off and ICANON on, busybox's line editing steps aside for a
	 * plain fgets(), which a SIGCHLD from an ending background job interrupts (EINTR, as on
	 * Linux: ash's handlers have no SA_RESTART), and the shell takes that as end of input.
	 * Line editing puts the terminal in raw mode itself while it waits for a line (its echo
	 * goes to its piped output) and polls first, restarting on EINTR. Keys are typed only
	 * once the prompt has appeared, so the console itself never echoes them. */
	struct termios t;
	tcgetattr(0, &t);
	t.c_lflag |= ECHO | ICANON;
	tcsetattr(0, TCSANOW, &t);
	alarm(60); /* a shell that stops answering fails the test, not the whole run's timeout */
	jt_mark();
	pid_t sh = sd_start_shell();
	JT_OK(sd_expect("PROMPT$ ") != NULL, "the first prompt");
	jobs_and_kill();
	wait_for_bang();
	ampersand("sleep 2&\n", "a trailing & with no space starts a job");
	ampersand("sleep 2 & \n", "a trailing & with spaces around it starts a job");
	jt_behaviour("USER-011", jt_failures_since_mark() == 0,
		     "& jobs: $! is the pid, wait $! 0, jobs Running, kill %%1 reported; & with or "
		     "without spaces");
	sd_ready(); /* "exit 7\n" */
	int st = 0;
	JT_EQ(waitpid(sh, &st, 0), sh);
	JT_OK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "the shell exits 7 (status %#x)", st);
	tcsetpgrp(0, getpgrp());
	return jt_done();
}
