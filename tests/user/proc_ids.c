// covers: PROC-021 PROC-028 PROC-029 PROC-030
//
// Process state that fork copies, identities and umask, resource limits, uname.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_usr1(int sig)
{
	(void)sig;
}

/* PROC-021: fork copies fds (with a shared offset), handlers, mask, pgid and sid. */
static void test_proc021(void)
{
	jt_mark();
	int p[2], turn_c[2], turn_p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(pipe(turn_c), 0);
	JT_EQ(pipe(turn_p), 0);
	JT_EQ(write(p[1], "before-fork", 11), 11);
	int f = open("/tmp/shared_off", O_RDWR | O_CREAT | O_TRUNC, 0644);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	JT_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	JT_EQ(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	pid_t pg = getpgid(0), sid = getsid(0);

	pid_t c = fork();
	if (c == 0) {
		char b[16] = {0};
		int bad = 0;
		if (read(p[0], b, sizeof b) != 11 || strcmp(b, "before-fork") != 0)
			bad |= 1;
		struct sigaction now;
		sigaction(SIGUSR1, NULL, &now);
		if (now.sa_handler != on_usr1 || !(now.sa_flags & SA_RESTART))
			bad |= 2;
		sigset_t m;
		sigprocmask(SIG_BLOCK, NULL, &m);
		if (!sigismember(&m, SIGUSR2) || sigismember(&m, SIGUSR1))
			bad |= 4;
		if (getpgid(0) != pg || getsid(0) != sid)
			bad |= 8;
		/* Take turns writing through the shared offset. */
		for (int i = 0; i < 5; i++) {
			char x;
			if (read(turn_c[0], &x, 1) != 1)
				bad |= 16;
			if (write(f, "C", 1) != 1)
				bad |= 32;
			if (write(turn_p[1], "t", 1) != 1)
				bad |= 16;
		}
		_exit(bad);
	}
	for (int i = 0; i < 5; i++) {
		char x;
		JT_EQ(write(f, "P", 1), 1);
		JT_EQ(write(turn_c[1], "t", 1), 1);
		JT_EQ(read(turn_p[0], &x, 1), 1);
	}
	int r = jt_reap(c);
	JT_OKV(r == 0, "the child sees the pipe data, handler, mask, pgid and sid", "bad mask %d",
	       r);
	char all[16] = {0};
	JT_EQ(pread(f, all, sizeof all, 0), 10);
	JT_STREQ(all, "PCPCPCPCPC");
	JT_EQ(lseek(f, 0, SEEK_CUR), 10);
	close(f);
	unlink("/tmp/shared_off");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	signal(SIGUSR1, SIG_DFL);
	for (int i = 0; i < 2; i++) {
		close(p[i]);
		close(turn_c[i]);
		close(turn_p[i]);
	}
	jt_behaviour("PROC-021", jt_failures_since_mark() == 0,
		     "fds with a shared offset, handlers, mask, pgid, sid");
}

/* PROC-028: identities and umask. */
static void test_proc028(void)
{
	jt_mark();
	JT_EQ(getuid(), 0);
	JT_EQ(geteuid(), 0);
	JT_EQ(getgid(), 0);
	JT_EQ(getegid(), 0);
	JT_EQ(umask(077), 022);
	JT_EQ(umask(022), 077);
	JT_EQ(umask(022), 022);
	struct passwd *pw = getpwuid(0);
	JT_OK(pw != NULL, "getpwuid(0) finds an entry");
	JT_STREQ(pw ? pw->pw_name : NULL, "root");
	struct group *gr = getgrgid(0);
	JT_OK(gr != NULL, "getgrgid(0) finds an entry");
	JT_STREQ(gr ? gr->gr_name : NULL, "root");
	jt_behaviour("PROC-028", jt_failures_since_mark() == 0,
		     "uid/gid 0, umask 022, root in passwd and group");
}

/* PROC-029: resource limits. */
static void test_proc029(void)
{
	jt_mark();
	struct rlimit rl;
	JT_EQ(getrlimit(RLIMIT_STACK, &rl), 0);
	JT_EQ(rl.rlim_cur, 8 << 20);
	struct rlimit nf;
	JT_EQ(getrlimit(RLIMIT_NOFILE, &nf), 0);
	JT_EQ(nf.rlim_cur, 1024);
	struct rlimit pr;
	JT_EQ(syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, &pr), 0);
	JT_EQV(pr.rlim_cur, rl.rlim_cur);
	JT_EQV(pr.rlim_max, rl.rlim_max);
	JT_EQV(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &pr), 0);
	JT_EQV(pr.rlim_cur, nf.rlim_cur);
	JT_EQV(pr.rlim_max, nf.rlim_max);
	/* {16, 16} in a child, so that this process keeps its limits. */
	pid_t c = fork();
	if (c == 0) {
		struct rlimit lim = {16, 16};
		if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
			_exit(1);
		struct rlimit back;
		if (getrlimit(RLIMIT_NOFILE, &back) != 0 || back.rlim_cur != 16 ||
		    back.rlim_max != 16)
			_exit(2);
		int last = -1;
		for (int i = 3; i < 16; i++) {
			last = open("/hello.txt", O_RDONLY);
			if (last != i)
				_exit(3);
		}
		errno = 0;
		if (open("/hello.txt", O_RDONLY) != -1 || errno != EMFILE)
			_exit(4); /* the 17th descriptor */
		_exit(0);
	}
	int r = jt_reap(c);
	JT_OKV(r == 0, "with {16, 16}, fds 3-15 open and the next is EMFILE", "child %d", r);
	struct rlimit bad = {100, 10};
	JT_ERRNO(setrlimit(RLIMIT_NOFILE, &bad), EINVAL);
	jt_behaviour("PROC-029", jt_failures_since_mark() == 0,
		     "stack 8 MiB, nofile 1024, prlimit64 agrees, EMFILE at 16");
}

/* PROC-030: uname. */
static void test_proc030(void)
{
	jt_mark();
	struct utsname u;
	memset(&u, 0, sizeof u);
	JT_EQ(uname(&u), 0);
#if defined(__x86_64__)
	const char *port = "x86_64";
#else
	const char *port = "aarch64";
#endif
	JT_OKV(strcmp(u.machine, port) == 0, "machine names the port", "%s", u.machine);
	JT_OKV(u.sysname[0] != 0, "sysname non-empty", "%s", u.sysname);
	JT_OKV(u.release[0] != 0, "release non-empty", "%s", u.release);
	JT_OKV(u.version[0] != 0, "version non-empty", "%s", u.version);
	JT_OK(memchr(u.sysname, 0, sizeof u.sysname) && memchr(u.release, 0, sizeof u.release),
	      "the fields are NUL-terminated");
	/* The parity report compares sysname and release across the ports from this line. */
	jt_behaviour("PROC-030", jt_failures_since_mark() == 0, "machine %s sysname %s release %s",
		     u.machine, u.sysname, u.release);
}

int main(void)
{
	test_proc028(); /* first: it checks the umask the process started with */
	test_proc021();
	test_proc029();
	test_proc030();
	return jt_done();
}
