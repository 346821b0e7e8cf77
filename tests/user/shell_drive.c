/*
 * tests/user/shell_drive.c: see shell_drive.h. One buffer of the shell's whole output, kept
 * NUL-terminated, so matches and diagnostics can look back at anything it printed.
 */
#define _GNU_SOURCE
#include "shell_drive.h"

#include "jtest.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int out_fd = -1;
static char out[65536];
static size_t out_len, cursor;

pid_t sd_start_shell(void)
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

char *sd_expect(const char *want)
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

void sd_ready(void)
{
	jt_diag("JTEST-INPUT-READY");
}

char *sd_step(const char *keys, const char *want, const char *what)
{
	(void)keys;
	sd_ready();
	char *hit = sd_expect(want);
	JT_OK(hit != NULL, "%s: the shell printed \"%s\"", what, want);
	if (!hit)
		jt_diag("shell output so far: %s", out + (cursor > 200 ? cursor - 200 : 0));
	return hit;
}

size_t sd_cursor(void)
{
	return cursor;
}

void sd_set_cursor(size_t at)
{
	cursor = at < out_len ? at : out_len;
}

const char *sd_output(size_t at)
{
	return out + (at < out_len ? at : out_len);
}
