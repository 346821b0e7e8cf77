// covers: FD-009 PROC-013
//
// What execve keeps and what it closes. The test forks a child that records its state,
// then re-executes this program (mode "post", chosen by JT_MODE in the environment), which
// records the state again. Both write "pre|post <key> <value>" lines to a report pipe, and
// the parent compares them.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Descriptor numbers used by both images. */
enum {
	FD_CLOEXEC_PIPE = 20,
	FD_PLAIN_PIPE = 21,
	FD_CLOEXEC_FILE = 22,
	FD_LINES = 23,
	FD_REPORT = 24
};

static void report(const char *phase, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void report(const char *phase, const char *key, const char *fmt, ...)
{
	char v[200], line[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v, sizeof v, fmt, ap);
	va_end(ap);
	int n = snprintf(line, sizeof line, "%s %s %s\n", phase, key, v);
	if (write(FD_REPORT, line, (size_t)n) != n)
		_exit(90);
}

/* The state exec must keep, as seen from inside (either image). */
static void report_state(const char *phase)
{
	char cwd[256];
	report(phase, "pid", "%d", getpid());
	report(phase, "ppid", "%d", getppid());
	report(phase, "pgid", "%d", getpgid(0));
	report(phase, "sid", "%d", getsid(0));
	report(phase, "cwd", "%s", getcwd(cwd, sizeof cwd) ? cwd : "?");
	mode_t m = umask(0);
	umask(m);
	report(phase, "umask", "%03o", (unsigned)m);
	sigset_t set;
	sigprocmask(SIG_BLOCK, NULL, &set);
	report(phase, "mask_usr1", "%d", sigismember(&set, SIGUSR1));
	sigpending(&set);
	report(phase, "pending_usr2", "%d", sigismember(&set, SIGUSR2));
	errno = 0;
	int t = open("/dev/tty", O_RDWR | O_NOCTTY);
	report(phase, "tty", "%s", t >= 0 ? "open" : jt_errname(errno));
	if (t >= 0)
		close(t);
	report(phase, "lines_off", "%ld", (long)lseek(FD_LINES, 0, SEEK_CUR));
}

/* The exec'd image. */
static int post_exec(void)
{
	char b[64];
	report_state("post");
	errno = 0;
	report("post", "cloexec_pipe_read", "%s",
	       read(FD_CLOEXEC_PIPE, b, sizeof b) < 0 ? jt_errname(errno) : "data");
	errno = 0;
	report("post", "cloexec_file_getfd", "%s",
	       fcntl(FD_CLOEXEC_FILE, F_GETFD) < 0 ? jt_errname(errno) : "open");
	memset(b, 0, sizeof b);
	ssize_t n = read(FD_PLAIN_PIPE, b, 10);
	report("post", "plain_pipe", "%zd:%s", n, n > 0 ? b : "");
	report("post", "plain_pipe_getfd", "%d", fcntl(FD_PLAIN_PIPE, F_GETFD));
	memset(b, 0, sizeof b);
	n = read(FD_LINES, b, 7);
	report("post", "lines_read", "%zd:%.6s", n, b);
	report("post", "done", "1");
	return 0;
}

/* The forked child: set up state, record it, exec. */
static void child(const char *self)
{
	if (chdir("/test") != 0)
		_exit(80);
	umask(027);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	kill(getpid(), SIGUSR2); /* blocked: stays pending */
	report_state("pre");
	report("pre", "cloexec_file_getfd", "%d", fcntl(FD_CLOEXEC_FILE, F_GETFD));
	report("pre", "cloexec_pipe_getfd", "%d", fcntl(FD_CLOEXEC_PIPE, F_GETFD));
	char *av[] = {(char *)"fd_cloexec", (char *)"post", NULL};
	char *ev[] = {(char *)"JT_MODE=post", (char *)"PATH=/bin", NULL};
	execve(self, av, ev);
	report("pre", "execve_failed", "%s", jt_errname(errno));
	_exit(81);
}

/* Look up "<phase> <key> " in the report; returns the value or "". */
static const char *lookup(const char *rep, const char *phase, const char *key, char *out,
			  size_t cap)
{
	char pat[64];
	snprintf(pat, sizeof pat, "%s %s ", phase, key);
	out[0] = 0;
	for (const char *p = rep; p && *p;) {
		if (strncmp(p, pat, strlen(pat)) == 0) {
			const char *v = p + strlen(pat);
			size_t n = strcspn(v, "\n");
			if (n >= cap)
				n = cap - 1;
			memcpy(out, v, n);
			out[n] = 0;
			return out;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return out;
}

static void move_fd(int from, int to)
{
	if (from != to) {
		dup2(from, to);
		close(from);
	}
}

int main(int argc, char **argv)
{
	const char *mode = getenv("JT_MODE");
	if (mode && strcmp(mode, "post") == 0)
		return post_exec();
	const char *self = argc > 0 && argv[0][0] == '/' ? argv[0] : "/bin/fd_cloexec";

	int a[2], b[2], r[2];
	JT_EQ(pipe2(a, O_CLOEXEC), 0);
	JT_EQ(fcntl(a[0], F_GETFD), FD_CLOEXEC);
	JT_EQ(fcntl(a[1], F_GETFD), FD_CLOEXEC);
	JT_EQ(write(a[1], "cloexec-data", 12), 12);
	JT_EQ(pipe(b), 0);
	JT_EQ(write(b[1], "plain-data", 10), 10);
	JT_EQ(pipe(r), 0);
	int c = open("/hello.txt", O_RDONLY | O_CLOEXEC);
	JT_EQ(fcntl(c, F_GETFD), FD_CLOEXEC);
	int l = open("/lines.txt", O_RDONLY);
	JT_EQ(lseek(l, 14, SEEK_SET), 14);
	/* Put everything at known numbers; dup3 keeps FD_CLOEXEC where wanted. */
	JT_EQ(dup3(a[0], FD_CLOEXEC_PIPE, O_CLOEXEC), FD_CLOEXEC_PIPE);
	close(a[0]);
	move_fd(b[0], FD_PLAIN_PIPE);
	JT_EQ(dup3(c, FD_CLOEXEC_FILE, O_CLOEXEC), FD_CLOEXEC_FILE);
	close(c);
	move_fd(l, FD_LINES);
	move_fd(r[1], FD_REPORT);

	pid_t pid = fork();
	if (pid == 0)
		child(self);
	close(FD_REPORT);
	static char rep[8192];
	size_t n = 0;
	ssize_t k;
	while (n < sizeof rep - 1 && (k = read(r[0], rep + n, sizeof rep - 1 - n)) > 0)
		n += (size_t)k;
	rep[n] = 0;
	int status = -1;
	JT_EQV(waitpid(pid, &status, 0), pid);
	JT_OKV(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the exec'd image exits 0",
	       "status %#x", status);
	char v1[200], v2[200];
	JT_STREQ(lookup(rep, "post", "done", v1, sizeof v1), "1");
	JT_STREQ(lookup(rep, "pre", "execve_failed", v1, sizeof v1), "");

	jt_mark();
	JT_STREQ(lookup(rep, "pre", "cloexec_pipe_getfd", v1, sizeof v1), "1");
	JT_STREQ(lookup(rep, "pre", "cloexec_file_getfd", v1, sizeof v1), "1");
	JT_STREQ(lookup(rep, "post", "cloexec_pipe_read", v1, sizeof v1), "EBADF");
	JT_STREQ(lookup(rep, "post", "cloexec_file_getfd", v1, sizeof v1), "EBADF");
	JT_STREQ(lookup(rep, "post", "plain_pipe", v1, sizeof v1), "10:plain-data");
	JT_STREQ(lookup(rep, "post", "plain_pipe_getfd", v1, sizeof v1), "0");
	jt_behaviour("FD-009", jt_failures_since_mark() == 0,
		     "O_CLOEXEC pipe and file gone after execve; plain pipe delivers its data");

	jt_mark();
	static const char *const keys[] = {"pid", "ppid",     "pgid",	   "sid",
					   "cwd", "umask",    "mask_usr1", "pending_usr2",
					   "tty", "lines_off"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		lookup(rep, "pre", keys[i], v1, sizeof v1);
		lookup(rep, "post", keys[i], v2, sizeof v2);
		JT_OK(v1[0] != 0 && strcmp(v1, v2) == 0, "exec keeps %s", keys[i]);
		jt_diag("  %s: %s -> %s", keys[i], v1, v2);
	}
	char want[32];
	snprintf(want, sizeof want, "%d", pid);
	JT_OKV(strcmp(lookup(rep, "post", "pid", v1, sizeof v1), want) == 0,
	       "the exec'd image has the forked child's pid", "%s, want %s", v1, want);
	snprintf(want, sizeof want, "%d", getpid());
	JT_OKV(strcmp(lookup(rep, "post", "ppid", v1, sizeof v1), want) == 0,
	       "the exec'd image's parent is this process", "%s, want %s", v1, want);
	JT_STREQ(lookup(rep, "post", "cwd", v1, sizeof v1), "/test");
	JT_STREQ(lookup(rep, "post", "umask", v1, sizeof v1), "027");
	JT_STREQ(lookup(rep, "post", "mask_usr1", v1, sizeof v1), "1");
	JT_STREQ(lookup(rep, "post", "pending_usr2", v1, sizeof v1), "1");
	JT_STREQ(lookup(rep, "post", "lines_off", v1, sizeof v1), "14");
	JT_STREQ(lookup(rep, "post", "lines_read", v1, sizeof v1), "7:Line 3");
	jt_behaviour(
		"PROC-013", jt_failures_since_mark() == 0,
		"pid, ppid, cwd, umask, pgid, sid, tty, mask, pending and fd offsets survive exec");
	return jt_done();
}
