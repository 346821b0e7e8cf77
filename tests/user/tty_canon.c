// covers: TTY-004
//
// Canonical input typed on the serial console (tests/user/tty_canon.input, typed once this
// prints JTEST-INPUT-READY): a line reaches read() only whole, DEL erases, ^U kills the line,
// ^D at the start of a line gives 0 and a CR arrives as NL. Echo is off so the typed text does
// not mix with the test's output. Needs the console.
#define _GNU_SOURCE
#include "jtest.h"

#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static void on_alarm(int sig)
{
}

/* One read() of fd 0, as a string; "<n>" for an error. */
static const char *line(char *buf, size_t n)
{
	long r = read(0, buf, n - 1);
	if (r < 0)
		r = 0, strcpy(buf, "<error>");
	else
		buf[r] = 0;
	return buf;
}

int main(void)
{
	if (getsid(0) != getpid())
		setsid();
	ioctl(0, TIOCSCTTY, 0);
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	struct termios t;
	tcgetattr(0, &t);
	t.c_lflag &= ~ECHO;
	tcsetattr(0, TCSANOW, &t);
	jt_mark();
	alarm(30); /* the typing never came: fail, don't hang */
	jt_diag("JTEST-INPUT-READY");
	char buf[64];
	int avail = -1;
	JT_STREQ(line(buf, sizeof buf), "abc\n"); /* typed: "abc\n" */
	ioctl(0, FIONREAD, &avail);
	jt_diag("FIONREAD after the first line: %d", avail);
	JT_STREQ(line(buf, sizeof buf), "abc\n"); /* "abx<DEL>c\n" */
	JT_STREQ(line(buf, sizeof buf), "ok\n");  /* "garbage^Uok\n" */
	JT_EQ(read(0, buf, sizeof buf), 0);       /* "^D" */
	JT_STREQ(line(buf, sizeof buf), "cr\n");  /* "cr\r" */
	alarm(0);
	t.c_lflag |= ECHO;
	tcsetattr(0, TCSANOW, &t);
	jt_behaviour("TTY-004", jt_failures_since_mark() == 0,
		     "whole lines, DEL, ^U, ^D, ICRNL");
	return jt_done();
}
