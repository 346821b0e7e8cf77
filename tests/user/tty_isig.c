// covers: TTY-007
//
// ISIG characters typed on the serial console (tests/user/tty_isig.input: ^C ^\ ^Z, typed
// once this prints JTEST-INPUT-READY) reach the foreground group only. Three children share
// the foreground group: A keeps every default, so ^C kills it; B ignores SIGINT, so ^\ kills
// it; C ignores both, so ^Z stops it. D, in a background group, sees nothing. Then raw mode
// with ISIG off reads ^C as the byte 3 (the input's last byte, which comes after the others
// have been handled... see tty_raw for the byte itself). Needs the console.
#define _GNU_SOURCE
#include "jtest.h"

#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static pid_t spawn(int ready_fd, pid_t group, int ignore_int, int ignore_quit)
{
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, group ? group : 0);
		if (ignore_int)
			signal(SIGINT, SIG_IGN);
		if (ignore_quit)
			signal(SIGQUIT, SIG_IGN);
		write(ready_fd, "r", 1);
		for (;;)
			; /* spin: no syscalls */
	}
	setpgid(c, group ? group : c);
	return c;
}

int main(void)
{
	if (getsid(0) != getpid())
		setsid();
	ioctl(0, TIOCSCTTY, 0);
	signal(SIGTTOU, SIG_IGN);
	struct termios t;
	tcgetattr(0, &t);
	t.c_lflag &= ~ECHO;
	tcsetattr(0, TCSANOW, &t);
	jt_mark();
	int p[2];
	pipe(p);
	pid_t a = spawn(p[1], 0, 0, 0);
	pid_t b = spawn(p[1], a, 1, 0);
	pid_t c = spawn(p[1], a, 1, 1);
	pid_t d = spawn(p[1], 0, 0, 0);
	char r[4];
	for (int got = 0; got < 4;)
		got += (int)read(p[0], r, sizeof r - (size_t)got);
	JT_EQ(tcsetpgrp(0, a), 0);
	jt_diag("JTEST-INPUT-READY");
	int st;
	JT_EQ(waitpid(a, &st, 0), a);
	JT_OK(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT, "A: status %#x", st);
	JT_EQ(waitpid(b, &st, 0), b);
	JT_OK(WIFSIGNALED(st) && WTERMSIG(st) == SIGQUIT, "B: status %#x", st);
	JT_EQV(waitpid(c, &st, WUNTRACED), c);
	JT_OK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP, "C: status %#x", st);
	JT_EQ(waitpid(d, &st, WNOHANG | WUNTRACED), 0); /* the background group: untouched */
	JT_EQ(tcsetpgrp(0, getpgrp()), 0);
	kill(c, SIGKILL);
	kill(d, SIGKILL);
	waitpid(c, NULL, 0);
	waitpid(d, &st, 0);
	JT_OK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "D: status %#x", st);
	t.c_lflag |= ECHO;
	tcsetattr(0, TCSANOW, &t);
	jt_behaviour("TTY-007", jt_failures_since_mark() == 0,
		     "^C, ^\\ and ^Z reach the foreground group only (ISIG off: tty_raw)");
	return jt_done();
}
