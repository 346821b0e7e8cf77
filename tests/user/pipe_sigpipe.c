// covers: PIPE-004
//
// A write to a pipe whose read ends are all closed, with SIGPIPE at its default, kills the
// writer: its parent sees WIFSIGNALED with WTERMSIG 13. The writer is a child, so the test
// survives to report; the child sets SIGPIPE to SIG_DFL itself, whatever it inherited.
#define _GNU_SOURCE
#include "jtest.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	jt_mark();
	int p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(close(p[0]), 0); /* the only read end: no reader from here on */
	pid_t c = fork();
	if (c == 0) {
		signal(SIGPIPE, SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		ssize_t n = write(p[1], "x", 1);
		_exit(n < 0 ? 2 : 3); /* reached only if SIGPIPE did not kill us */
	}
	JT_OK(c > 0, "fork the writer");
	close(p[1]);
	int st = 0;
	JT_EQV(waitpid(c, &st, 0), c);
	JT_OKV(WIFSIGNALED(st), "the writer was killed by a signal", "status %#x", st);
	JT_EQ(WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGPIPE);
	JT_EQ(WIFSIGNALED(st) ? WTERMSIG(st) : -1, 13);
	jt_behaviour("PIPE-004", jt_failures_since_mark() == 0,
		     "write with no reader and SIGPIPE default: WTERMSIG 13");
	return jt_done();
}
