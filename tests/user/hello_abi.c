/*
 * hello_abi: a static musl hello world prints exactly "Hello from musl\n" and exits 0, built
 * static (/bin/hello_musl) and static-pie (/bin/hello_musl_pie).
 * covers: ABI-001
 *
 * The programs themselves are userland/progs/hello_musl.c; this test runs each with its
 * stdout on a pipe and compares every byte, so the test's own TAP never mixes with it.
 */
#include "jtest.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run path with stdout on a pipe; its output in buf (NUL-terminated), its wait status in
 * *status. The number of bytes read, or -1. */
static long run_captured(const char *path, char *buf, size_t size, int *status)
{
	int fds[2];
	if (!JT_OK(pipe(fds) == 0, "pipe for %s", path))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		char *argv[] = {(char *)path, NULL};
		execv(path, argv);
		_exit(127);
	}
	close(fds[1]);
	size_t got = 0;
	ssize_t n;
	while (got < size - 1 && (n = read(fds[0], buf + got, size - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fds[0]);
	JT_OK(pid > 0 && waitpid(pid, status, 0) == pid, "fork and wait for %s", path);
	return (long)got;
}

static void check_hello(const char *path)
{
	char out[256];
	int status = -1;
	long n = run_captured(path, out, sizeof out, &status);
	JT_EQ(n, 16);
	JT_STREQ(out, "Hello from musl\n");
	JT_OK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s exits 0", path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		jt_diag("  wait status 0x%x", (unsigned)status);
}

int main(void)
{
	jt_mark();
	check_hello("/bin/hello_musl");
	check_hello("/bin/hello_musl_pie");
	jt_behaviour("ABI-001", jt_failures_since_mark() == 0,
		     "static and static-pie musl hello print exactly \"Hello from musl\\n\", exit 0");
	return jt_done();
}
