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
static char *expect(const char *want)
{
	for (;;) {
		out[out_len] = 0;
		char *hit = strstr(out + cursor, want);
		if (hit) {
			cursor = (size_t)(hit - out) + strlen(want);
			return hit;
		}
		if (out_len + 1 >= sizeof out)
			return NULL;
		long r = read(out_fd, out + out_len, sizeof out - 1 - out_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			jt_diag("reading the shell's output: %ld %s", r, r ? jt_errname(errno) : "EOF");
			return NULL;
		}
		out_len += (size_t)r;
	}
}

/* The runner types the next chunk of user_jobs.input when it sees this line. */
static void ready(void)
{
	jt_diag("JTEST-INPUT-READY");
}

/* keys names the chunk the runner types next (the .input file holds the bytes). */
static char *step(const char *keys, const char *want, const char *what)
{
	(void)keys;
	ready();
	char *hit = expect(want);
	JT_OK(hit != NULL, "%s: the shell printed \"%s\"", what, want);
	if (!hit) {
		out[out_len] = 0;
		jt_diag("shell output so far: %s", out + (cursor > 200 ? cursor - 200 : 0));
	}
	return hit;
}

/* The number the shell printed right after the cursor, as in "bang=123." or "[1]+  123 ". */
static long number_after(const char *keys, const char *want, const char *what)
{
	char *hit = step(keys, want, what);
	if (!hit)
		return -1;
	char *p = hit + strlen(want), *end;
	while (*p == ' ')
		p++;
	long n = strtol(p, &end, 10);
	return end == p ? -1 : n;
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

static void jobs_and_kill(void)
{
	step("sleep 100 &\n", "PROMPT$ ", "sleep 100 & gives the prompt back at once");
	step("jobs\n", "Running", "jobs lists it running");
	expect("PROMPT$ ");
	/* ash reports the job when it reaps it: right after the kill builtin if SIGCHLD came
	 * first, else after the next command; either way before a following prompt. */
	size_t from = cursor;
	step("kill %1\n", "PROMPT$ ", "the prompt after kill %1");
	usleep(300000);
	/* Quoted apart so the line editor's echo of the command never shows "after-kill". */
	step("echo after\"-kill\"\n", "after-kill", "a command after kill %1");
	size_t after = cursor;
	cursor = from;
	JT_OK(expect("Terminated") != NULL, "the shell reports job 1 terminated");
	cursor = cursor > after ? cursor : after;
	expect("PROMPT$ ");
}

static void wait_for_bang(void)
{
	step("sleep 3 &\n", "PROMPT$ ", "sleep 3 &");
	/* Quoted apart so the line editor's echo of the command never shows "bang=". */
	long bang = number_after("echo b\"ang=$!.\"\n", "bang=", "$! after sleep 3 &");
	expect("PROMPT$ ");
	long listed = number_after("jobs -l\n", "[1]+", "jobs -l lists job 1 with its pid");
	expect("PROMPT$ ");
	JT_OKV(bang > 0 && bang == listed, "$! holds the background job's pid",
	       "$! %ld, jobs -l %ld", bang, listed);
	step("wait $!; echo rc=$?.\n", "rc=0.", "wait $! returns 0");
	expect("PROMPT$ ");
}

/* "sleep 2<amp>" starts a background job: jobs lists it Running, and wait ends it with 0. */
static void ampersand(const char *line, const char *what)
{
	step(line, "PROMPT$ ", what);
	step("jobs\n", "Running", what);
	expect("PROMPT$ ");
	step("wait; echo w=$?.\n", "w=0.", what);
	expect("PROMPT$ ");
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
	pid_t sh = start_shell();
	JT_OK(expect("PROMPT$ ") != NULL, "the first prompt");
	jobs_and_kill();
	wait_for_bang();
	ampersand("sleep 2&\n", "a trailing & with no space starts a job");
	ampersand("sleep 2 & \n", "a trailing & with spaces around it starts a job");
	jt_behaviour("USER-011", jt_failures_since_mark() == 0,
		     "& jobs: $! is the pid, wait $! 0, jobs Running, kill %%1 reported; & with or "
		     "without spaces");
	ready(); /* "exit 7\n" */
	int st = 0;
	JT_EQ(waitpid(sh, &st, 0), sh);
	JT_OK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "the shell exits 7 (status %#x)", st);
	tcsetpgrp(0, getpgrp());
	return jt_done();
}
