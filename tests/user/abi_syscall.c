// covers: ABI-003 ABI-004 ABI-005
//
// The raw system call interface: -errno results with the generic values, ENOSYS for unknown
// numbers, and each port's own numbers. On x86_64 the legacy calls (open, stat, pipe, fork,
// ...) are compared with their *at and flag-taking successors; on aarch64, which has no
// legacy calls, the successors are checked by number and the generic table's legacy numbers
// (1024 and up) must be ENOSYS.
#define _GNU_SOURCE
#include "jtest.h"
#include "jsys.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define R0(n) jt_sys6((n), 0, 0, 0, 0, 0, 0)
#define R1(n, a) jt_sys6((n), (long)(a), 0, 0, 0, 0, 0)
#define R2(n, a, b) jt_sys6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define R3(n, a, b, c) jt_sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define R4(n, a, b, c, d) jt_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define R5(n, a, b, c, d, e) jt_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

static bool is_restart_code(long r)
{
	return r == -512 || r == -513 || r == -514 || r == -516;
}

/* ABI-003: -errno in [-4095, -1], generic values. */
static void test_abi003(void)
{
	jt_mark();
	JT_EQ(EPERM, 1);
	JT_EQ(ENOENT, 2);
	JT_EQ(EBADF, 9);
	JT_EQ(ECHILD, 10);
	JT_EQ(EAGAIN, 11);
	JT_EQ(EFAULT, 14);
	JT_EQ(EEXIST, 17);
	JT_EQ(ENOTDIR, 20);
	JT_EQ(EISDIR, 21);
	JT_EQ(EINVAL, 22);
	JT_EQ(ESPIPE, 29);
	JT_EQ(EPIPE, 32);
	JT_EQ(ENAMETOOLONG, 36);
	JT_EQ(ENOSYS, 38);
	JT_EQ(ENOTEMPTY, 39);
	JT_EQ(ELOOP, 40);
	JT_EQ(ETIMEDOUT, 110);

	char b[8];
	JT_EQ(R3(SYS_read, -1, b, 1), -9);
	JT_EQ(R4(SYS_openat, AT_FDCWD, "/nonexistent", O_RDONLY, 0), -2);
	JT_EQ(R4(SYS_openat, AT_FDCWD, "/hello.txt/x", O_RDONLY, 0), -20);
	JT_EQ(R4(SYS_openat, AT_FDCWD, "/test", O_WRONLY, 0), -21);
	int hf = open("/hello.txt", O_RDONLY);
	JT_EQ(R3(SYS_read, hf, (void *)16, 1), -14);
	JT_EQ(R3(SYS_lseek, hf, 0, 99), -22);
	close(hf);
	JT_EQ(R4(SYS_mkdirat, AT_FDCWD, "/test", 0755, 0), -17);
	JT_EQ(R4(SYS_wait4, -1, NULL, WNOHANG, NULL), -10);
	volatile int fw = 1;
	JT_EQ(R4(SYS_futex, &fw, 0 /* FUTEX_WAIT */, 2, NULL), -11);
	struct timespec ts = {0, 10 * 1000000L};
	JT_EQ(R4(SYS_futex, &fw, 0, 1, &ts), -110);
	int p[2];
	JT_EQ(R2(SYS_pipe2, p, 0), 0);
	JT_EQ(R3(SYS_lseek, p[0], 0, SEEK_SET), -29);
	/* A spread of failing calls: every result in [-4095, -1], never a restart code. */
	long results[] = {
		R3(SYS_read, 999, b, 1),
		R3(SYS_write, -5, b, 1),
		R1(SYS_close, 12345),
		R4(SYS_openat, 999, "x", 0, 0),
		R2(SYS_nanosleep, NULL, NULL),
		R4(SYS_futex, &fw, 0, 1, &ts),
		R3(SYS_getdents64, p[0], b, sizeof b),
		R4(SYS_wait4, 99999, NULL, 0, NULL),
		R2(SYS_kill, 99999, 0),
	};
	bool range = true, restart = false;
	for (size_t i = 0; i < sizeof results / sizeof results[0]; i++) {
		if (results[i] < -4095 || results[i] > -1)
			range = false;
		if (is_restart_code(results[i]))
			restart = true;
	}
	JT_OK(range, "failing calls return -errno in [-4095, -1]");
	JT_OK(!restart, "no restart code (512, 513, 514, 516) reaches user space");
	close(p[0]);
	close(p[1]);
	/* A successful call whose result looks negative in 32 bits is not an error. */
	JT_OK(R0(SYS_getpid) > 0, "getpid is positive");
	jt_behaviour("ABI-003", jt_failures_since_mark() == 0,
		     "-errno in the result register, generic values");
}

/* ABI-004: unknown numbers. */
static void test_abi004(void)
{
	jt_mark();
	JT_EQ(R0(999), -38);
	JT_EQ(R0(100000), -38);
	JT_EQ(R0(-1), -38);
	JT_EQ(R0(0x7fffffff), -38);
	JT_ERRNO(syscall(999), ENOSYS);
	JT_ERRNO(syscall(100000), ENOSYS);
	JT_OK(R0(SYS_getpid) == getpid(), "the process carries on");
	jt_behaviour("ABI-004", jt_failures_since_mark() == 0, "999, 100000 and -1: ENOSYS");
}

/* The first bytes of the file open at fd, as a string in buf. */
static const char *content(long fd, char *buf, size_t n)
{
	memset(buf, 0, n);
	if (fd < 0 || pread((int)fd, buf, n - 1, 0) < 0)
		buf[0] = 0;
	return buf;
}

/* ABI-005. Each check below prints one point with the same description on both ports; x86_64
 * compares each legacy call with its successor, aarch64 (no legacy calls) checks the
 * successors by their generic numbers. NEED records a failed condition as a diagnostic. */
#define NEED(c)                                        \
	do {                                           \
		if (!(c)) {                            \
			jt_diag("  not true: %s", #c); \
			ok = false;                    \
		}                                      \
	} while (0)

#if defined(__x86_64__)
enum {
	NR_OPENAT = 257,
	NR_NEWFSTATAT = 262,
	NR_FACCESSAT = 269,
	NR_READLINKAT = 267,
	NR_MKDIRAT = 258,
	NR_RENAMEAT = 264,
	NR_UNLINKAT = 263,
	NR_LINKAT = 265,
	NR_SYMLINKAT = 266,
	NR_FCHMODAT = 268,
	NR_PIPE2 = 293,
	NR_DUP3 = 292,
	NR_PPOLL = 271,
	NR_PSELECT6 = 270,
	NR_CLONE = 56,
	NR_GETPGID = 121,
	NR_EXIT_GROUP = 231,
	NR_GETPID = 39
};
#else
enum {
	NR_OPENAT = 56,
	NR_NEWFSTATAT = 79,
	NR_FACCESSAT = 48,
	NR_READLINKAT = 78,
	NR_MKDIRAT = 34,
	NR_RENAMEAT = 38,
	NR_UNLINKAT = 35,
	NR_LINKAT = 37,
	NR_SYMLINKAT = 36,
	NR_FCHMODAT = 53,
	NR_PIPE2 = 59,
	NR_DUP3 = 24,
	NR_PPOLL = 73,
	NR_PSELECT6 = 72,
	NR_CLONE = 220,
	NR_GETPGID = 155,
	NR_EXIT_GROUP = 94,
	NR_GETPID = 172
};
#endif

static bool abi5_getpid(void)
{
	bool ok = true;
	NEED(SYS_getpid == NR_GETPID);
	NEED(R0(NR_GETPID) == getpid());
	return ok;
}

static bool abi5_open(void)
{
	bool ok = true;
	char b1[32], b2[32];
	long f2 = R4(NR_OPENAT, AT_FDCWD, "/hello.txt", O_RDONLY, 0);
	NEED(strcmp(content(f2, b2, sizeof b2), "Hello from ext2!\n") == 0);
	NEED(R4(NR_OPENAT, AT_FDCWD, "/nonexistent", O_RDONLY, 0) == -ENOENT);
#if defined(__x86_64__)
	long f1 = R3(2, "/hello.txt", O_RDONLY, 0);
	NEED(strcmp(content(f1, b1, sizeof b1), b2) == 0);
	NEED(R3(2, "/nonexistent", O_RDONLY, 0) == -ENOENT);
	close((int)f1);
#else
	(void)b1;
#endif
	close((int)f2);
	return ok;
}

static bool abi5_stat(void)
{
	bool ok = true;
	unsigned char s1[256], s2[256];
	memset(s1, 0, sizeof s1);
	memset(s2, 0, sizeof s2);
	NEED(R4(NR_NEWFSTATAT, AT_FDCWD, "/hello.txt", s2, 0) == 0);
	uint64_t size;
	memcpy(&size, s2 + 48, 8);
	NEED(size == 17);
	long fd = R4(NR_OPENAT, AT_FDCWD, "/hello.txt", O_RDONLY, 0);
	NEED(R2(SYS_fstat, fd, s1) == 0 && memcmp(s1, s2, sizeof s1) == 0);
	close((int)fd);
	NEED(symlink("/hello.txt", "/tmp/abi5.lnk") == 0);
	struct stat ls;
	NEED(R4(NR_NEWFSTATAT, AT_FDCWD, "/tmp/abi5.lnk", &ls, AT_SYMLINK_NOFOLLOW) == 0);
	NEED(S_ISLNK(ls.st_mode));
#if defined(__x86_64__)
	NEED(R2(4, "/hello.txt", s1) == 0 && memcmp(s1, s2, sizeof s1) == 0); /* stat */
	struct stat l2;
	NEED(R2(6, "/tmp/abi5.lnk", &l2) == 0 && memcmp(&l2, &ls, sizeof ls) == 0); /* lstat */
#endif
	unlink("/tmp/abi5.lnk");
	return ok;
}

static bool abi5_access(void)
{
	bool ok = true;
	NEED(R3(NR_FACCESSAT, AT_FDCWD, "/hello.txt", R_OK) == 0);
	NEED(R3(NR_FACCESSAT, AT_FDCWD, "/hello.txt", X_OK) == -EACCES);
#if defined(__x86_64__)
	NEED(R2(21, "/hello.txt", R_OK) == 0);
	NEED(R2(21, "/hello.txt", X_OK) == -EACCES);
	NEED(R2(21, "/nonexistent", F_OK) == R3(NR_FACCESSAT, AT_FDCWD, "/nonexistent", F_OK));
#endif
	return ok;
}

static bool abi5_dirs(void)
{
	bool ok = true;
	char b[32];
	NEED(R4(NR_MKDIRAT, AT_FDCWD, "/tmp/abi5d", 0755, 0) == 0);
	NEED(R4(NR_MKDIRAT, AT_FDCWD, "/tmp/abi5d", 0755, 0) == -EEXIST);
	NEED(R4(NR_RENAMEAT, AT_FDCWD, "/tmp/abi5d", AT_FDCWD, "/tmp/abi5e") == 0);
	NEED(R5(NR_LINKAT, AT_FDCWD, "/hello.txt", AT_FDCWD, "/tmp/abi5e/h", 0) == 0);
	NEED(R3(NR_SYMLINKAT, "/hello.txt", AT_FDCWD, "/tmp/abi5e/s") == 0);
	memset(b, 0, sizeof b);
	NEED(R4(NR_READLINKAT, AT_FDCWD, "/tmp/abi5e/s", b, sizeof b) == 10 &&
	     strcmp(b, "/hello.txt") == 0);
	NEED(R4(NR_FCHMODAT, AT_FDCWD, "/tmp/abi5e/h", 0600, 0) == 0);
	struct stat st;
	NEED(stat("/hello.txt", &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_nlink == 2);
	NEED(R3(NR_UNLINKAT, AT_FDCWD, "/tmp/abi5e", 0) == -EISDIR);
	NEED(R3(NR_UNLINKAT, AT_FDCWD, "/tmp/abi5e", AT_REMOVEDIR) == -ENOTEMPTY);
#if defined(__x86_64__)
	/* The legacy forms on the same objects. */
	NEED(R2(83, "/tmp/abi5e", 0755) == -EEXIST);	  /* mkdir */
	NEED(R2(82, "/tmp/abi5e", "/tmp/abi5d") == 0);	  /* rename */
	NEED(R2(86, "/hello.txt", "/tmp/abi5d/h2") == 0); /* link */
	NEED(R2(88, "/hello.txt", "/tmp/abi5d/s2") == 0); /* symlink */
	memset(b, 0, sizeof b);
	NEED(R3(89, "/tmp/abi5d/s2", b, sizeof b) == 10 && strcmp(b, "/hello.txt") == 0);
	NEED(R2(90, "/tmp/abi5d/h2", 0644) == 0); /* chmod */
	NEED(stat("/hello.txt", &st) == 0 && (st.st_mode & 0777) == 0644 && st.st_nlink == 3);
	NEED(R1(84, "/tmp/abi5d") == -ENOTEMPTY); /* rmdir */
	NEED(R1(87, "/tmp/abi5d") == -EISDIR);	  /* unlink */
	NEED(R1(87, "/tmp/abi5d/h2") == 0 && R1(87, "/tmp/abi5d/s2") == 0);
	NEED(R4(NR_RENAMEAT, AT_FDCWD, "/tmp/abi5d", AT_FDCWD, "/tmp/abi5e") == 0);
#endif
	chmod("/hello.txt", 0644);
	NEED(R3(NR_UNLINKAT, AT_FDCWD, "/tmp/abi5e/h", 0) == 0);
	NEED(R3(NR_UNLINKAT, AT_FDCWD, "/tmp/abi5e/s", 0) == 0);
#if defined(__x86_64__)
	NEED(R1(84, "/tmp/abi5e") == 0);
#else
	NEED(R3(NR_UNLINKAT, AT_FDCWD, "/tmp/abi5e", AT_REMOVEDIR) == 0);
#endif
	NEED(access("/tmp/abi5e", F_OK) != 0);
	return ok;
}

static bool abi5_pipes(void)
{
	bool ok = true;
	int q[2] = {-1, -1};
	NEED(R2(NR_PIPE2, q, 0) == 0);
	NEED(R3(NR_DUP3, q[1], 51, 0) == 51);
	NEED(write(51, "M", 1) == 1);
	struct pollfd pf = {q[0], POLLIN, 0};
	struct timespec zero = {0, 0};
	NEED(R5(NR_PPOLL, &pf, 1, &zero, NULL, 8) == 1 && pf.revents == POLLIN);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(q[0], &rs);
	NEED(jt_sys6(NR_PSELECT6, q[0] + 1, (long)&rs, 0, 0, (long)&zero, 0) == 1);
#if defined(__x86_64__)
	int p[2] = {-1, -1};
	NEED(R1(22, p) == 0); /* pipe */
	NEED(fcntl(p[0], F_GETFL) == fcntl(q[0], F_GETFL) && fcntl(p[1], F_GETFD) == 0);
	NEED(R2(33, p[1], 50) == 50); /* dup2 */
	NEED(write(50, "L", 1) == 1);
	pf.fd = p[0];
	pf.revents = 0;
	NEED(R3(7, &pf, 1, 0) == 1 && pf.revents == POLLIN); /* poll */
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	struct timeval tv = {0, 0};
	NEED(R5(23, p[0] + 1, &rs, NULL, NULL, &tv) == 1); /* select */
	close(p[0]);
	close(p[1]);
	close(50);
#endif
	close(q[0]);
	close(q[1]);
	close(51);
	return ok;
}

static bool abi5_fork(void)
{
	bool ok = true;
	long c = R5(NR_CLONE, SIGCHLD, 0, 0, 0, 0); /* fork as clone(SIGCHLD) */
	if (c == 0)
		R1(NR_EXIT_GROUP, 8);
	NEED(c > 0 && jt_reap((pid_t)c) == 8);
#if defined(__x86_64__)
	c = R0(57); /* fork */
	if (c == 0)
		R1(NR_EXIT_GROUP, 7);
	NEED(c > 0 && jt_reap((pid_t)c) == 7);
	long vc; /* vfork: the child exits at once, on the parent's stack */
	__asm__ volatile("mov $58, %%eax\n\t"
			 "syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $231, %%eax\n\t"
			 "mov $9, %%edi\n\t"
			 "syscall\n"
			 "1:"
			 : "=a"(vc)
			 :
			 : "rcx", "r11", "rdi", "memory");
	NEED(vc > 0 && jt_reap((pid_t)vc) == 9);
#endif
	return ok;
}

static bool abi5_misc(void)
{
	bool ok = true;
	NEED(R1(NR_GETPGID, 0) == getpgrp());
	struct itimerval it;
	NEED(alarm(5) == 0);
	NEED(getitimer(ITIMER_REAL, &it) == 0 && it.it_value.tv_sec >= 4 &&
	     it.it_value.tv_sec <= 5);
	NEED(alarm(0) == 5);
	NEED(getitimer(ITIMER_REAL, &it) == 0 && it.it_value.tv_sec == 0 &&
	     it.it_value.tv_usec == 0);
#if defined(__x86_64__)
	NEED(R0(111) == R1(NR_GETPGID, 0)); /* getpgrp */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	long tp = 0;
	long t = R1(201, &tp); /* time */
	NEED(t == tp && t - now.tv_sec >= 0 && t - now.tv_sec <= 1);
	NEED(R1(37, 5) == 0); /* alarm */
	NEED(R1(37, 0) == 5);
#endif
	return ok;
}

/* A call that sleeps until a signal: pause on x86_64, ppoll with no fds and no timeout on
 * aarch64 (what musl's pause uses there). The child is still asleep 100 ms later. */
static bool abi5_pause(void)
{
	bool ok = true;
	pid_t c = fork();
	if (c == 0) {
#if defined(__x86_64__)
		R0(34);
#else
		R5(NR_PPOLL, NULL, 0, NULL, NULL, 8);
#endif
		_exit(1);
	}
	struct timespec hundred = {0, 100 * 1000000L};
	nanosleep(&hundred, NULL);
	int st;
	NEED(waitpid(c, &st, WNOHANG) == 0);
	kill(c, SIGTERM);
	NEED(jt_reap(c) == 1000 + SIGTERM);
	return ok;
}

/* Numbers of the generic table's legacy calls (open, link, unlink, mkdir, stat, fork), which
 * neither port has. */
static bool abi5_no_generic_legacy(void)
{
	bool ok = true;
	static const long legacy[] = {1024, 1025, 1026, 1030, 1038, 1079};
	for (size_t i = 0; i < sizeof legacy / sizeof legacy[0]; i++)
		NEED(R3(legacy[i], "/tmp/legacy", 0755, 0) == -ENOSYS);
	NEED(access("/tmp/legacy", F_OK) != 0); /* nothing was created */
	return ok;
}

static void test_abi005(void)
{
	jt_mark();
	JT_OK(abi5_getpid(), "getpid has the port's number");
	JT_OK(abi5_open(), "open calls by number");
	JT_OK(abi5_stat(), "stat calls by number");
	JT_OK(abi5_access(), "access calls by number");
	JT_OK(abi5_dirs(), "directory and link calls by number");
	JT_OK(abi5_pipes(), "pipe, dup, poll and select calls by number");
	JT_OK(abi5_fork(), "fork calls by number");
	JT_OK(abi5_misc(), "process group, time and alarm calls");
	JT_OK(abi5_pause(), "a call that sleeps until a signal blocks");
	JT_OK(abi5_no_generic_legacy(), "the generic table's legacy numbers are ENOSYS");
	jt_behaviour("ABI-005", jt_failures_since_mark() == 0,
#if defined(__x86_64__)
		     "getpid 39; legacy calls agree with their *at and flag-taking successors"
#else
		     "getpid 172; the *at and flag-taking calls by their generic numbers"
#endif
	);
}

int main(void)
{
	test_abi003();
	test_abi004();
	test_abi005();
	return jt_done();
}
