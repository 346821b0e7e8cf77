// covers: PROC-007
//
// A new program's start: the kernel's initial stack gives main exactly the argv and
// environment execve was given, musl's printf does floating point, and the exit status
// arrives. /bin/start_probe prints what it got (environment sorted) and exits 7; this test
// compares every byte of its output, 100 times in a row (fork + execve from ext2 + wait).
#include "jtest.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char expected[] =
	"argc=4\n"
	"argv[0]=[start_probe]\n"
	"argv[1]=[alpha]\n"
	"argv[2]=[two words]\n"
	"argv[3]=[]\n"
	"env=[A=1]\n"
	"env=[PATH=/bin]\n"
	"env=[Z=last one]\n"
	"fp 3.142 1e-05 3.878509e+04 0.4487989505\n";

static int run_probe(char *out, size_t cap)
{
	char *argv[] = {"start_probe", "alpha", "two words", "", NULL};
	char *envp[] = {"Z=last one", "A=1", "PATH=/bin", NULL};
	int p[2];
	if (pipe(p))
		return -1;
	pid_t c = fork();
	if (c == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execve("/bin/start_probe", argv, envp);
		_exit(127);
	}
	close(p[1]);
	size_t n = 0;
	ssize_t k;
	while (n < cap - 1 && (k = read(p[0], out + n, cap - 1 - n)) > 0)
		n += (size_t)k;
	out[n] = 0;
	close(p[0]);
	int st = -1;
	waitpid(c, &st, 0);
	return st;
}

int main(void)
{
	char out[1024];
	jt_mark();
	int st = run_probe(out, sizeof out);
	JT_OK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "start_probe exits with status 7 (status %#x)",
	      st);
	JT_STREQ(out, expected);
	int bad = 0;
	for (int i = 1; i < 100; i++) {
		st = run_probe(out, sizeof out);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 7 || strcmp(out, expected) != 0)
			bad++;
	}
	JT_OK(bad == 0, "99 more fork/exec/wait cycles give the same output (%d differed)", bad);
	jt_behaviour("PROC-007", jt_failures_since_mark() == 0,
		     "argv and environment arrive byte for byte");
	return jt_done();
}
