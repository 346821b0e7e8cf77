// covers: PROC-031
//
// Process lifetimes leak nothing: 10,000 fork+exit+wait cycles, then 16 fork+exec+wait cycles
// of /bin/hello, leave free memory (sysinfo's freeram) where it started, within 16 pages.
// Janus counts free frames exactly; on Linux other activity moves freeram (linux-known.txt).
#include "jtest.h"

#include <fcntl.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

static void cycle(bool exec)
{
	pid_t c = fork();
	if (c == 0) {
		if (exec) {
			char *argv[] = {"hello", NULL};
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 1);
			execve("/bin/hello", argv, argv + 1);
		}
		_exit(3);
	}
	int st;
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != (exec ? 0 : 3))
		JT_OK(0, "child %d ended with status %#x", c, st);
}

int main(void)
{
	jt_mark();
	cycle(false); /* warm up: first-use allocations are not leaks */
	cycle(true);
	long long before = jt_free_bytes();
	JT_OK(before > 0, "sysinfo gives free memory");
	for (int i = 0; i < 10000; i++)
		cycle(false);
	for (int i = 0; i < 16; i++)
		cycle(true);
	long long after = jt_free_bytes(), diff = (before - after) / 4096;
	JT_OKV(diff <= 16 && diff >= -16, "free memory back within 16 pages",
	       "before %lld, after %lld bytes: %lld pages", before, after, diff);
	jt_behaviour("PROC-031", jt_failures_since_mark() == 0, "fork/exec/exit leak nothing");
	return jt_done();
}
