// covers: TTY-005
//
// Echo and output processing, as seen on the serial line itself. The test marks four sections
// of its console output with JTEST-SERIAL-BEGIN/END lines; tools/usertest reads the raw bytes
// between the markers and compares them with tests/user/tty_echo.checks, and that comparison
// is TTY-005's verdict (this program prints no JANUS line of its own: from inside, a program
// cannot see what reached the wire). Sections:
//   echo-on    ECHO on, "abc\n" typed (tests/user/tty_echo.input): the line shows "abc\r\n"
//   echo-off   ECHO off, "def\n" typed: nothing on the line
//   onlcr      OPOST|ONLCR, write "a\nb\n": "a\r\nb\r\n"
//   opost-off  OPOST off, the same write: "a\nb\n"
// Each typed chunk is sent by the runner when a BEGIN line (which carries JTEST-INPUT-READY)
// has appeared, so the echo lands inside its section. Needs the console.
#define _GNU_SOURCE
#include "jtest.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static void on_alarm(int sig)
{
}

static int short_writes; /* checked at the end: a TAP line inside a section would spoil it */

static void put(const char *s)
{
	size_t n = strlen(s);
	if (write(1, s, n) != (long)n)
		short_writes++;
}

static void set_modes(struct termios *t, tcflag_t lflag_on, tcflag_t lflag_off,
		      tcflag_t oflag_on, tcflag_t oflag_off)
{
	t->c_lflag = (t->c_lflag | lflag_on) & ~lflag_off;
	t->c_oflag = (t->c_oflag | oflag_on) & ~oflag_off;
	JT_EQ(tcsetattr(0, TCSADRAIN, t), 0);
}

/* A section with typed input: the runner types the next chunk after the BEGIN line. */
static void typed_section(const char *name, const char *want)
{
	char buf[64], line[96];
	snprintf(line, sizeof line, "JTEST-SERIAL-BEGIN %s JTEST-INPUT-READY\n", name);
	put(line);
	long r = read(0, buf, sizeof buf - 1);
	buf[r > 0 ? r : 0] = 0;
	snprintf(line, sizeof line, "JTEST-SERIAL-END %s\n", name);
	put(line);
	JT_STREQ(buf, want);
}

static void output_section(const char *name)
{
	char line[96];
	snprintf(line, sizeof line, "JTEST-SERIAL-BEGIN %s\n", name);
	put(line);
	put("a\nb\n");
	snprintf(line, sizeof line, "JTEST-SERIAL-END %s\n", name);
	put(line);
}

int main(void)
{
	if (getsid(0) != getpid())
		setsid();
	ioctl(0, TIOCSCTTY, 0);
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	struct termios orig, t;
	JT_EQ(tcgetattr(0, &orig), 0);
	t = orig;
	alarm(30); /* the typing never came: fail, don't hang */
	set_modes(&t, ECHO | ICANON, 0, OPOST | ONLCR, 0);
	typed_section("echo-on", "abc\n");
	set_modes(&t, ICANON, ECHO, 0, 0);
	typed_section("echo-off", "def\n");
	alarm(0);
	set_modes(&t, 0, 0, OPOST | ONLCR, 0);
	output_section("onlcr");
	set_modes(&t, 0, 0, 0, OPOST);
	output_section("opost-off");
	JT_EQ(tcsetattr(0, TCSADRAIN, &orig), 0);
	JT_EQ(short_writes, 0);
	return jt_done();
}
