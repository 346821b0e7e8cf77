// covers: PROC-007 PROC-008 PROC-009 PROC-010 PROC-011 PROC-014
//
// What an exec'd program receives: argv and envp byte for byte, strings built at run time,
// the harness's environment, the limits (E2BIG, EFAULT), an empty argv, and a target that
// sleeps and yields before reporting. The target is this program re-executed with
// JT_MODE=report in its environment; it writes what it got to fd 1 as length-prefixed
// records, which the parent reads through a pipe.
#define _GNU_SOURCE
#include "jtest.h"

#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static const char *self = "/bin/proc_exec_args";

/* --- the exec'd side --- */

static void put_u32(uint32_t v)
{
	if (write(1, &v, 4) != 4)
		_exit(90);
}

static void put_str(const char *s)
{
	uint32_t n = s ? (uint32_t)strlen(s) : 0xffffffffu;
	put_u32(n);
	if (s && n && write(1, s, n) != (ssize_t)n)
		_exit(91);
}

static int report(int argc, char **argv)
{
	if (getenv("JT_SMOKE")) { /* PROC-014: get descheduled before reporting */
		struct timespec ts = {0, 100 * 1000000L};
		if (nanosleep(&ts, NULL) != 0)
			_exit(92);
		for (int i = 0; i < 8; i++)
			sched_yield();
	}
	put_u32((uint32_t)argc);
	for (int i = 0; i < argc; i++)
		put_str(argv[i]);
	put_str(argv[argc]); /* must be NULL */
	int ne = 0;
	while (environ[ne])
		ne++;
	put_u32((uint32_t)ne);
	for (int i = 0; i < ne; i++)
		put_str(environ[i]);
	/* getenv agrees with environ for every NAME=value entry. */
	uint32_t getenv_ok = 1;
	for (int i = 0; i < ne; i++) {
		char name[256];
		const char *eq = strchr(environ[i], '=');
		if (!eq || (size_t)(eq - environ[i]) >= sizeof name)
			continue;
		memcpy(name, environ[i], (size_t)(eq - environ[i]));
		name[eq - environ[i]] = 0;
		const char *v = getenv(name);
		if (!v || strcmp(v, eq + 1) != 0)
			getenv_ok = 0;
	}
	put_u32(getenv_ok);
	return 0;
}

/* --- the parent side --- */

struct result {
	int status;
	uint32_t argc;
	char *argv[16];
	bool argv_null_terminated;
	uint32_t envc;
	char *envp[16];
	uint32_t getenv_ok;
};

static char rbuf[1 << 20];

static bool get_u32(size_t *pos, size_t len, uint32_t *v)
{
	if (*pos + 4 > len)
		return false;
	memcpy(v, rbuf + *pos, 4);
	*pos += 4;
	return true;
}

/* A record as a string in rbuf (records are rewritten in place: NUL after each). */
static bool get_str(size_t *pos, size_t len, char **s)
{
	uint32_t n;
	if (!get_u32(pos, len, &n))
		return false;
	if (n == 0xffffffffu) {
		*s = NULL;
		return true;
	}
	if (*pos + n > len)
		return false;
	/* shift left by 4 so a NUL can follow the string */
	memmove(rbuf + *pos - 4, rbuf + *pos, n);
	rbuf[*pos - 4 + n] = 0;
	*s = rbuf + *pos - 4;
	*pos += n;
	return true;
}

/* Run self with argv/envp; parse its report. false if it could not be parsed. */
static bool exec_self(char *const argv[], char *const envp[], struct result *r)
{
	memset(r, 0, sizeof *r);
	r->status = -1;
	int p[2];
	if (pipe(p) != 0)
		return false;
	pid_t c = fork();
	if (c == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execve(self, argv, envp);
		_exit(127);
	}
	close(p[1]);
	size_t len = 0;
	ssize_t k;
	while (len < sizeof rbuf && (k = read(p[0], rbuf + len, sizeof rbuf - len)) > 0)
		len += (size_t)k;
	close(p[0]);
	waitpid(c, &r->status, 0);
	size_t pos = 0;
	if (!get_u32(&pos, len, &r->argc))
		return false;
	for (uint32_t i = 0; i < r->argc; i++) {
		char *s;
		if (!get_str(&pos, len, &s))
			return false;
		if (i < 16)
			r->argv[i] = s;
	}
	char *term;
	if (!get_str(&pos, len, &term))
		return false;
	r->argv_null_terminated = term == NULL;
	if (!get_u32(&pos, len, &r->envc))
		return false;
	for (uint32_t i = 0; i < r->envc; i++) {
		char *s;
		if (!get_str(&pos, len, &s))
			return false;
		if (i < 16)
			r->envp[i] = s;
	}
	return get_u32(&pos, len, &r->getenv_ok);
}

static bool exited0(int st)
{
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static char *report_env[] = {(char *)"JT_MODE=report", NULL};

/* PROC-007: argv arrives exactly. */
static void test_proc007(void)
{
	jt_mark();
	struct result r;
	char *a1[] = {(char *)"argv_test", (char *)"hello", (char *)"world", NULL};
	JT_OK(exec_self(a1, report_env, &r), "report parsed");
	JT_OK(exited0(r.status), "target exits 0");
	JT_EQ(r.argc, 3);
	JT_STREQ(r.argv[0], "argv_test");
	JT_STREQ(r.argv[1], "hello");
	JT_STREQ(r.argv[2], "world");
	JT_OK(r.argv_null_terminated, "argv[argc] == NULL");
	char *a2[] = {(char *)"argv_test",
		      (char *)"with  two spaces ",
		      (char *)"",
		      (char *)"\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7",
		      (char *)"",
		      (char *)"tab\there",
		      NULL};
	JT_OK(exec_self(a2, report_env, &r), "report parsed");
	JT_EQ(r.argc, 6);
	bool same = r.argc == 6;
	for (int i = 0; same && i < 6; i++)
		same = r.argv[i] && strcmp(r.argv[i], a2[i]) == 0;
	JT_OK(same, "spaces, empty strings and UTF-8 arrive byte for byte");
	jt_behaviour("PROC-007", jt_failures_since_mark() == 0,
		     "argc 3 {argv_test, hello, world}; odd bytes intact");
}

/* PROC-008: strings on the stack and the heap. */
static void test_proc008(void)
{
	jt_mark();
	char stackarg[16];
	memcpy(stackarg, "stackar", 7);
	stackarg[7] = 'g';
	stackarg[8] = 0;
	char *heaparg = malloc(8);
	for (int i = 0; i < 4; i++)
		heaparg[i] = "test"[i];
	for (int i = 0; i < 3; i++)
		heaparg[4 + i] = (char)('1' + i);
	heaparg[7] = 0;
	char *big = malloc(100001);
	for (int i = 0; i < 100000; i++)
		big[i] = (char)('a' + i % 26);
	big[100000] = 0;
	char *av[] = {(char *)"exec_stack_argv", stackarg, heaparg, big, NULL};
	struct result r;
	JT_OK(exec_self(av, report_env, &r), "report parsed");
	JT_OK(exited0(r.status), "target exits 0");
	JT_EQ(r.argc, 4);
	JT_STREQ(r.argv[1], "stackarg");
	JT_STREQ(r.argv[2], "test123");
	JT_OK(r.argv[3] && strcmp(r.argv[3], big) == 0,
	      "a 100000-byte heap argument arrives intact");
	free(heaparg);
	free(big);
	jt_behaviour("PROC-008", jt_failures_since_mark() == 0,
		     "stack and heap strings copied before the old image goes");
}

/* PROC-009: envp becomes environ, in order; the harness's own environment. */
static void test_proc009(void)
{
	jt_mark();
	const char *path = getenv("PATH");
	JT_OKV(path && strstr(path, "/bin"), "the test started with PATH containing /bin", "%s",
	       path ? path : "unset");
	JT_OK(getenv("HOME") != NULL, "HOME is set");
	JT_OK(getenv("TERM") != NULL, "TERM is set");
	int n = 0;
	while (environ[n])
		n++;
	JT_OKV(n >= 3, "at least 3 variables", "%d", n);
	char *ev[] = {(char *)"JT_MODE=report",
		      (char *)"ZZZ=last-but-first",
		      (char *)"AAA=1",
		      (char *)"EMPTY=",
		      (char *)"SPACES=a b  c",
		      (char *)"PATH=/bin",
		      NULL};
	char *av[] = {(char *)"env_test", NULL};
	struct result r;
	JT_OK(exec_self(av, ev, &r), "report parsed");
	JT_EQ(r.envc, 6);
	bool same = r.envc == 6;
	for (int i = 0; same && i < 6; i++)
		same = r.envp[i] && strcmp(r.envp[i], ev[i]) == 0;
	JT_OK(same, "environ holds envp in the same order");
	if (!same)
		for (uint32_t i = 0; i < r.envc && i < 16; i++)
			jt_diag("environ[%u] = \"%s\"", i, r.envp[i] ? r.envp[i] : "(null)");
	JT_EQ(r.getenv_ok, 1);
	jt_behaviour("PROC-009", jt_failures_since_mark() == 0,
		     "envp order kept, getenv finds all; PATH HOME TERM present");
}

/* PROC-010: E2BIG and EFAULT. */
static void test_proc010(void)
{
	jt_mark();
	size_t n = 128 * 1024 + 100;
	char *huge = malloc(n + 1);
	memset(huge, 'x', n);
	huge[n] = 0;
	char *av[] = {(char *)"x", huge, NULL};
	JT_ERRNO(execve(self, av, report_env), E2BIG);
	char *ev[] = {(char *)"JT_MODE=report", huge, NULL};
	char *av1[] = {(char *)"x", NULL};
	JT_ERRNO(execve(self, av1, ev), E2BIG);
	free(huge);
	char **bad = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(bad, 4096);
	JT_ERRNO(execve(self, bad, report_env), EFAULT);
	JT_ERRNO(execve(self, av1, bad), EFAULT);
	char *av2[] = {(char *)"x", (char *)bad, NULL}; /* a string pointer into the hole */
	JT_ERRNO(execve(self, av2, report_env), EFAULT);
	JT_OK(getpid() > 0, "the caller carries on");
	jt_behaviour("PROC-010", jt_failures_since_mark() == 0,
		     "an argument over 128 KiB: E2BIG; unmapped arrays: EFAULT");
}

/* PROC-011: an empty argv. */
static void test_proc011(void)
{
	jt_mark();
	char *av[] = {NULL};
	struct result r;
	JT_OK(exec_self(av, report_env, &r), "report parsed");
	JT_OKV(exited0(r.status), "the target exits normally", "status %#x", r.status);
	JT_OKV(r.argc == 0 || (r.argc == 1 && r.argv[0] && r.argv[0][0] == 0),
	       "argc 0, or argc 1 with argv[0] \"\"", "argc %u", r.argc);
	JT_OK(r.argv_null_terminated, "argv[argc] == NULL");
	jt_behaviour("PROC-011", jt_failures_since_mark() == 0, "empty argv: argc %u, normal exit",
		     r.argc);
}

/* PROC-014: a target that sleeps and yields before reporting. */
static void test_proc014(void)
{
	jt_mark();
	char *av[] = {(char *)"exec_smoke_target", (char *)"smoke", NULL};
	char *ev[] = {(char *)"JT_MODE=report", (char *)"JT_SMOKE=1", NULL};
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct result r;
	JT_OK(exec_self(av, ev, &r), "report parsed");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	JT_OKV(exited0(r.status), "target exits 0", "status %#x", r.status);
	JT_EQ(r.argc, 2);
	JT_STREQ(r.argv[0], "exec_smoke_target");
	JT_STREQ(r.argv[1], "smoke");
	JT_OKV(ms >= 100, "the target slept", "%ld ms", ms);
	jt_behaviour("PROC-014", jt_failures_since_mark() == 0,
		     "argv intact after nanosleep and 8 yields");
}

int main(int argc, char **argv)
{
	const char *mode = getenv("JT_MODE");
	if (mode && strcmp(mode, "report") == 0)
		return report(argc, argv);
	if (argc > 0 && argv[0][0] == '/')
		self = argv[0];
	test_proc007();
	test_proc008();
	test_proc009();
	test_proc010();
	test_proc011();
	test_proc014();
	return jt_done();
}
