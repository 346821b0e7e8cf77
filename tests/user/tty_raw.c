// covers: TTY-006
//
// Raw input typed on the serial console (tests/user/tty_raw.input: ^C, then "ab" with no
// newline, typed once this prints JTEST-INPUT-READY): with VMIN 1 and VTIME 0 and ISIG off,
// bytes come back without waiting for a line and ^C is the byte 3 (TTY-007's last clause); with
// VMIN 0 and VTIME 0 a read with nothing pending returns 0 at once; with VMIN 0 and VTIME 5 it
// returns 0 after about half a second. Needs the console.
#define _GNU_SOURCE
#include "jtest.h"

#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void on_alarm(int sig)
{
}

int main(void)
{
	if (getsid(0) != getpid())
		setsid();
	ioctl(0, TIOCSCTTY, 0);
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	struct termios saved, t;
	tcgetattr(0, &saved);
	t = saved;
	cfmakeraw(&t);
	t.c_oflag |= OPOST; /* keep the test's own output readable */
	JT_EQ(tcsetattr(0, TCSANOW, &t), 0);
	jt_mark();
	alarm(30);
	jt_diag("JTEST-INPUT-READY");
	char buf[16];
	int n = 0;
	while (n < 3) {
		long r = read(0, buf + n, sizeof buf - (size_t)n);
		if (r <= 0)
			break;
		n += (int)r;
	}
	alarm(0);
	JT_EQ(n, 3);
	JT_OK(n == 3 && buf[0] == 3 && buf[1] == 'a' && buf[2] == 'b', "bytes ^C a b");
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	JT_EQ(tcsetattr(0, TCSANOW, &t), 0);
	long long t0 = jt_now_ms();
	JT_EQ(read(0, buf, sizeof buf), 0);
	long long quick = jt_now_ms() - t0;
	JT_OKV(quick < 200, "VMIN 0 VTIME 0: at once", "took %lld ms", quick);
	t.c_cc[VTIME] = 5;
	JT_EQ(tcsetattr(0, TCSANOW, &t), 0);
	t0 = jt_now_ms();
	JT_EQ(read(0, buf, sizeof buf), 0);
	long long waited = jt_now_ms() - t0;
	JT_OKV(waited >= 450 && waited < 2000, "VMIN 0 VTIME 5: about 0.5 s", "took %lld ms",
	       waited);
	tcsetattr(0, TCSANOW, &saved);
	jt_behaviour("TTY-006", jt_failures_since_mark() == 0, "VMIN/VTIME and ISIG off");
	return jt_done();
}
