// boot_tear: one write() of 4096 bytes reaches the serial line whole.
// covers: BOOT-010
//
// The test writes LINES lines of exactly 4096 bytes, each with one write() to fd 1:
// "JTEST-LONG NNN " padded with the letter 'a' + NNN % 26 to 4095 bytes, then '\n'. Before
// each write it forks a child that spins for a moment and then dies by SIGSEGV, so the
// kernel prints its "pid N (boot_tear): killed by signal 11" note while the lines go out
// (booted with two CPUs, 'smp': the note comes from the other CPU). The runner checks the
// raw serial bytes (tests/user/boot_tear.checks, "whole"): every line arrived unbroken and
// at least one kernel note was printed. The test itself checks each write returned 4096 and
// each child died by SIGSEGV. Needs 'machine': the serial line is the point.
#include "jtest.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINES 16
#define LINE 4096

static void crash_soon(int i)
{
	for (volatile int spin = 0; spin < 20000 * (i % 4 + 1); spin++)
		;
	*(volatile int *)0 = i;
	_exit(0);
}

int main(void)
{
	static char line[LINE];
	pid_t kids[LINES];
	int wrote = 0;

	fflush(stdout);
	for (int i = 0; i < LINES; i++) {
		int n = snprintf(line, sizeof line, "JTEST-LONG %03d ", i);
		memset(line + n, 'a' + i % 26, LINE - 1 - n);
		line[LINE - 1] = '\n';
		kids[i] = fork();
		if (kids[i] == 0)
			crash_soon(i);
		wrote += write(1, line, LINE) == LINE;
	}
	JT_EQ(wrote, LINES);
	int segv = 0;
	for (int i = 0; i < LINES; i++) {
		int st = 0;
		if (kids[i] > 0 && waitpid(kids[i], &st, 0) == kids[i])
			segv += WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV;
	}
	JT_EQ(segv, LINES);
	return jt_done();
}
