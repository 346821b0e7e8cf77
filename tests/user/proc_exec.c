// covers: PROC-003 PROC-004 PROC-005 PROC-006 PROC-012
//
// execve of the fixture's programs: /bin/hello, /bin/exit42, busybox ls,
// twenty fork/exec/wait cycles, the errors, the caller after a failed exec, and the kernel
// not searching PATH.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Run path with argv, capturing stdout and stderr (up to cap - 1 bytes) into out.
 * Returns the wait status, or -1. */
static int run(const char *path, char *const argv[], char *out, size_t cap)
{
	int p[2];
	if (pipe(p) != 0)
		return -1;
	pid_t c = fork();
	if (c == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execve(path, argv, environ);
		_exit(127);
	}
	close(p[1]);
	size_t n = 0;
	char sink[512];
	for (;;) { /* keep what fits, drain the rest */
		bool keep = n < cap - 1;
		ssize_t k = read(p[0], keep ? out + n : sink, keep ? cap - 1 - n : sizeof sink);
		if (k <= 0)
			break;
		if (keep)
			n += (size_t)k;
	}
	out[n] = 0;
	close(p[0]);
	int st;
	if (waitpid(c, &st, 0) != c)
		return -1;
	return st;
}

/* /bin/hello ran: exit 0 and some output, ending in a newline (BEHAVIOURS fixes only that it
 * is a static musl hello world; hello_abi checks the exact text of /bin/hello_musl). */
static bool hello_ok(int st, const char *out)
{
	size_t n = strlen(out);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 && n > 0 && out[n - 1] == '\n';
}

/* PROC-004: the programs run and give their exit codes. */
static void test_proc004(void)
{
	char out[4096];
	char *hello[] = {(char *)"hello", NULL};
	jt_mark();
	int st = run("/bin/hello", hello, out, sizeof out);
	JT_OK(hello_ok(st, out), "/bin/hello prints a line and exits 0");
	if (!hello_ok(st, out))
		jt_diag("status %#x, output \"%s\"", st, out);
	char *ls[] = {(char *)"ls", (char *)"/", NULL};
	st = run("/bin/ls", ls, out, sizeof out);
	JT_OKV(WIFEXITED(st) && WEXITSTATUS(st) == 0, "/bin/ls / exits 0", "status %#x", st);
	JT_OK(strstr(out, "hello.txt") && strstr(out, "lines.txt") && strstr(out, "bin"),
	      "ls / lists hello.txt, lines.txt and bin");
	char *e42[] = {(char *)"exit42", NULL};
	st = run("/bin/exit42", e42, out, sizeof out);
	JT_OKV(WIFEXITED(st) && WEXITSTATUS(st) == 42, "/bin/exit42 exits 42", "status %#x", st);
	JT_EQ(strlen(out), 0);
	jt_behaviour("PROC-004", jt_failures_since_mark() == 0,
		     "hello 0, ls / 0, exit42 silent 42");
}

/* PROC-003: 20 fork/exec/wait cycles, each under 5 s. */
static void test_proc003(void)
{
	jt_mark();
	int ok = 0;
	long long worst = 0;
	char out[64];
	char *hello[] = {(char *)"hello", NULL};
	for (int i = 0; i < 20; i++) {
		long long t0 = jt_now_ms();
		int st = run("/bin/hello", hello, out, sizeof out);
		long long dt = jt_now_ms() - t0;
		if (dt > worst)
			worst = dt;
		if (hello_ok(st, out) && dt < 5000)
			ok++;
	}
	JT_EQ(ok, 20);
	JT_OKV(worst < 5000, "every cycle under 5 s", "slowest %lld ms", worst);
	jt_behaviour("PROC-003", jt_failures_since_mark() == 0,
		     "20 fork/exec/wait cycles, slowest %lld ms", worst);
}

/* PROC-005: execve errors. */
static void test_proc005(void)
{
	jt_mark();
	char *av[] = {(char *)"x", NULL};
	JT_ERRNO(execve("/nonexistent", av, environ), ENOENT);
	JT_ERRNO(execve("/bin/nonexistent", av, environ), ENOENT);
	JT_ERRNO(execve("/hello.txt", av, environ), EACCES);
	JT_ERRNO(execve("/test", av, environ), EACCES);
	JT_ERRNO(execve("/hello.txt/x", av, environ), ENOTDIR);
	JT_ERRNO(execve("", av, environ), ENOENT);
	jt_behaviour("PROC-005", jt_failures_since_mark() == 0,
		     "ENOENT, EACCES (file 0644, directory), ENOTDIR");
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* PROC-006: the caller is intact after a failed execve. */
static void test_proc006(char **argv)
{
	jt_mark();
	int p[2];
	JT_EQ(pipe(p), 0);
	pid_t c = fork();
	if (c == 0) {
		pid_t me = getpid();
		volatile int on_stack = 0x5157;
		char *heap = strdup("heap-data");
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_usr1;
		sigaction(SIGUSR1, &sa, NULL);
		char *const saved_argv0 = argv[0];
		char *av[] = {(char *)"x", NULL};
		errno = 0;
		execve("/hello.txt", av, environ);
		int err = errno;
		int bad = 0;
		if (getpid() != me)
			bad |= 1;
		if (on_stack != 0x5157 || !heap || strcmp(heap, "heap-data") != 0)
			bad |= 2;
		if (write(p[1], "fd-ok", 5) != 5)
			bad |= 4;
		struct sigaction now;
		sigaction(SIGUSR1, NULL, &now);
		if (now.sa_handler != on_usr1)
			bad |= 8;
		if (argv[0] != saved_argv0 || argv[0][0] == 0)
			bad |= 16;
		if (err != EACCES)
			bad |= 32;
		_exit(bad ? bad : 77); /* 77: everything intact, errno reported */
	}
	close(p[1]);
	char b[8] = {0};
	JT_EQ(read(p[0], b, sizeof b), 5);
	JT_STREQ(b, "fd-ok");
	close(p[0]);
	int st;
	JT_EQV(waitpid(c, &st, 0), c);
	JT_OKV(WIFEXITED(st) && WEXITSTATUS(st) == 77,
	       "the child survives with pid, memory, fds, handler, argv", "exit %d; 77 = intact",
	       WEXITSTATUS(st));
	jt_behaviour("PROC-006", jt_failures_since_mark() == 0,
		     "failed execve leaves the caller intact");
}

/* PROC-012: the kernel does not search PATH; execvp does. */
static void test_proc012(void)
{
	jt_mark();
	JT_EQ(chdir("/"), 0);
	char *av[] = {(char *)"cp", (char *)"/hello.txt", (char *)"/tmp/cp_out", NULL};
	JT_ERRNO(execve("cp", av, environ), ENOENT);
	JT_ERRNO(execve("hello", av, environ), ENOENT);
	JT_OKV(getenv("PATH") && strstr(getenv("PATH"), "/bin"), "PATH contains /bin", "%s",
	       getenv("PATH") ? getenv("PATH") : "unset");
	pid_t c = fork();
	if (c == 0) {
		execvp("cp", av);
		_exit(127);
	}
	int st;
	JT_EQV(waitpid(c, &st, 0), c);
	JT_OKV(WIFEXITED(st) && WEXITSTATUS(st) == 0, "execvp(\"cp\") runs /bin/cp", "status %#x",
	       st);
	char b[32] = {0};
	int fd = open("/tmp/cp_out", O_RDONLY);
	JT_EQ(read(fd, b, sizeof b), 17);
	JT_STREQ(b, "Hello from ext2!\n");
	close(fd);
	unlink("/tmp/cp_out");
	jt_behaviour("PROC-012", jt_failures_since_mark() == 0,
		     "execve(\"cp\") ENOENT; execvp finds /bin/cp");
}

int main(int argc, char **argv)
{
	(void)argc;
	test_proc004();
	test_proc003();
	test_proc005();
	test_proc006(argv);
	test_proc012();
	return jt_done();
}
