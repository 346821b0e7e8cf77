// covers: POLL-003
//
// poll over the console and other fds: {stdin POLLIN, stdout POLLOUT, 999 POLLIN}. Before any
// input only stdout (POLLOUT) and 999 (POLLNVAL) count; stdin becomes readable once the runner
// types a line (tests/user/poll_console.input, typed after JTEST-INPUT-READY). Needs the
// console (on Linux under the reference runner stdin is /dev/null, always readable).
#define _GNU_SOURCE
#include "jtest.h"

#include <poll.h>
#include <string.h>
#include <unistd.h>

static void test_poll003(void)
{
	jt_mark();
	struct pollfd pf[3] = {{0, POLLIN, 0}, {1, POLLOUT, 0}, {999, POLLIN, 0}};
	JT_EQ(poll(pf, 3, 0), 2);
	JT_EQ(pf[0].revents, 0);
	JT_EQ(pf[1].revents, POLLOUT);
	JT_EQ(pf[2].revents, POLLNVAL);
	jt_diag("JTEST-INPUT-READY");
	JT_EQ(poll(pf, 1, 20000), 1); /* stdin alone: wait for the typing */
	JT_EQ(poll(pf, 3, 0), 3);
	JT_EQ(pf[0].revents, POLLIN);
	JT_EQ(pf[1].revents, POLLOUT);
	JT_EQ(pf[2].revents, POLLNVAL);
	/* Read what was typed (raw or canonical: the line arrives whole or in pieces). */
	char b[64] = {0};
	size_t got = 0;
	while (got < 6 && poll(pf, 1, 5000) == 1) {
		ssize_t r = read(0, b + got, sizeof b - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	JT_OK(strncmp(b, "hello", 5) == 0, "typed line read: %.5s", b);
	jt_behaviour("POLL-003", jt_failures_since_mark() == 0,
		     "stdin ready only after input; stdout POLLOUT; 999 POLLNVAL");
}

int main(void)
{
	test_poll003();
	return jt_done();
}
