// covers: DEV-007
//
// /proc as programs use it: /proc/self, a process's stat, status, cmdline, fd/ and exe,
// meminfo, uptime, loadavg, mounts, stat and the listing of pids; every text file reads
// completely with read() and then returns 0. /proc/janus (Janus's own counters) is checked
// only where it exists (not on Linux).
#define _GNU_SOURCE
#include "jtest.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char text[16384];

/* The whole file through read() in 7-byte steps until it returns 0: its length, or -1. */
static long slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	long len = 0;
	for (;;) {
		ssize_t n = read(fd, text + len, len + 7 < (long)sizeof text - 1 ? 7 : 0);
		if (n <= 0 || len + 7 >= (long)sizeof text - 1) {
			len = n < 0 ? -1 : len;
			break;
		}
		len += n;
	}
	close(fd);
	if (len >= 0)
		text[len] = '\0';
	return len;
}

static long field_after(const char *label)
{
	const char *p = strstr(text, label);
	return p ? strtol(p + strlen(label), NULL, 10) : -1;
}

static void test_self(const char *argv0)
{
	char b[256], want[32];
	ssize_t n = readlink("/proc/self", b, sizeof b - 1);
	b[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof want, "%d", getpid());
	JT_OK(n > 0 && strcmp(b, want) == 0, "readlink /proc/self is the pid");
	n = readlink("/proc/self/exe", b, sizeof b - 1);
	b[n > 0 ? n : 0] = '\0';
	const char *base = strrchr(argv0, '/');
	base = base ? base : argv0;
	size_t bl = strlen(base);
	JT_OK(n > (ssize_t)bl && b[0] == '/' && strcmp(b + n - bl, base) == 0 &&
		      (base[0] == '/' || b[n - bl - 1] == '/'),
	      "readlink /proc/self/exe is an absolute path ending in the program's name");
	jt_diag("  exe: %s", b);
}

static void test_stat(bool janus)
{
	long len = slurp("/proc/self/stat");
	JT_OK(len > 0 && text[len - 1] == '\n', "/proc/self/stat reads to a newline and EOF");
	jt_diag("  stat: %s", text);
	int pid = 0, ppid = 0, pgrp = 0, sid = 0;
	char comm[64] = "", state = 0;
	int got = sscanf(text, "%d (%63[^)]) %c %d %d %d", &pid, comm, &state, &ppid, &pgrp, &sid);
	JT_EQ(got, 6);
	JT_EQV(pid, getpid());
	JT_STREQ(comm, "proc_fs");
	/* Linux gives R; the reference run's qemu-user makes up this file with state 0. */
	JT_OK(state == 'R' || (!janus && state == '0'), "a process reading its own stat is running (R)");
	JT_EQV(ppid, getppid());
	JT_EQV(pgrp, getpgrp());
	JT_EQV(sid, getsid(0));
	int fields = 0;
	for (char *p = strrchr(text, ')') + 1; *p; p++)
		fields += *p == ' ';
	JT_OKV(fields + 2 >= 44, "stat has at least 44 fields", "fields %d", fields + 2);

	len = slurp("/proc/self/status");
	JT_OK(len > 0 && strncmp(text, "Name:\tproc_fs\n", 14) == 0, "status starts Name:\\tproc_fs");
	JT_EQV(field_after("\nPid:\t"), getpid());
	JT_EQV(field_after("\nPPid:\t"), getppid());
}

static void test_cmdline(int argc, char **argv)
{
	char want[1024];
	size_t wl = 0;
	for (int i = 0; i < argc && wl + strlen(argv[i]) + 1 < sizeof want; i++) {
		memcpy(want + wl, argv[i], strlen(argv[i]) + 1);
		wl += strlen(argv[i]) + 1;
	}
	long len = slurp("/proc/self/cmdline");
	JT_EQV(len, (long)wl);
	JT_OK(len == (long)wl && memcmp(text, want, wl) == 0, "cmdline is argv, each NUL-ended");
}

static bool dir_has(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	bool found = false;
	for (struct dirent *e; d && (e = readdir(d)) != NULL;)
		found |= strcmp(e->d_name, name) == 0;
	if (d)
		closedir(d);
	return found;
}

static void test_fd(void)
{
	int fd = open("/hello.txt", O_RDONLY);
	int dfd = open("/deep/path", O_RDONLY | O_DIRECTORY);
	JT_OK(fd >= 0 && dfd >= 0, "open /hello.txt and /deep/path");
	char name[16], path[64], b[256];
	snprintf(name, sizeof name, "%d", fd);
	JT_OK(dir_has("/proc/self/fd", "0") && dir_has("/proc/self/fd", "1") &&
		      dir_has("/proc/self/fd", "2"), "/proc/self/fd lists 0, 1 and 2");
	JT_OK(dir_has("/proc/self/fd", name), "/proc/self/fd lists a newly opened descriptor");
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, b, sizeof b - 1);
	b[n > 0 ? n : 0] = '\0';
	JT_STREQ(b, "/hello.txt");
	snprintf(path, sizeof path, "/proc/self/fd/%d", dfd);
	n = readlink(path, b, sizeof b - 1);
	b[n > 0 ? n : 0] = '\0';
	JT_STREQ(b, "/deep/path");
	int hi = fcntl(fd, F_DUPFD, 40); /* above what opendir will take */
	snprintf(name, sizeof name, "%d", hi);
	JT_OK(hi >= 40 && dir_has("/proc/self/fd", name), "a dup'd descriptor is listed");
	close(hi);
	close(fd);
	close(dfd);
	JT_OK(!dir_has("/proc/self/fd", name), "a closed descriptor is no longer listed");
	snprintf(path, sizeof path, "/proc/self/fd/%d", hi);
	JT_ERRNO(open(path, O_RDONLY), ENOENT);
	n = readlink("/proc/self/cwd", b, sizeof b - 1);
	b[n > 0 ? n : 0] = '\0';
	char cwd[256];
	JT_OK(getcwd(cwd, sizeof cwd) && strcmp(b, cwd) == 0, "/proc/self/cwd is the cwd");
}

static void test_meminfo(void)
{
	long len = slurp("/proc/meminfo");
	JT_OK(len > 0, "/proc/meminfo reads");
	long total = field_after("MemTotal:"), avail = field_after("MemFree:");
	JT_OKV(total > 0 && avail > 0 && avail <= total, "MemTotal and MemFree parse, 0 < free <= total",
	       "MemTotal %ld kB, MemFree %ld kB", total, avail);
	JT_OK(strstr(text, " kB\n") != NULL, "meminfo values are in kB");
}

static double uptime_now(void)
{
	return slurp("/proc/uptime") > 0 ? strtod(text, NULL) : -1;
}

static void test_uptime_loadavg(void)
{
	double a = uptime_now();
	struct timespec ts = {0, 30 * 1000 * 1000};
	nanosleep(&ts, NULL);
	double b = uptime_now();
	JT_OKV(a > 0 && b > a, "/proc/uptime increases", "%.2f then %.2f", a, b);
	double l1, l5, l15;
	int run, total, last;
	JT_OK(slurp("/proc/loadavg") > 0 && sscanf(text, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15,
						  &run, &total, &last) == 6 && run >= 1 && total >= run,
	      "/proc/loadavg parses: three averages, running/total, last pid");
	JT_OK(slurp("/proc/stat") > 0 && strncmp(text, "cpu ", 4) == 0, "/proc/stat starts with cpu");
	JT_OK(slurp("/proc/version") > 0 && strncmp(text, "Linux version ", 14) == 0,
	      "/proc/version starts with Linux version");
	JT_OK(slurp("/proc/cpuinfo") > 0 && strstr(text, "processor") != NULL,
	      "/proc/cpuinfo names processors");
}

static void test_mounts(bool janus)
{
	long len = slurp("/proc/mounts");
	char *root = len > 0 ? strstr(text, " / ") : NULL;
	/* The Linux reference runs chrooted, where no mount is at "/". */
	JT_OK(!janus || (root && strncmp(root, " / ext2 ", 8) == 0), "(Janus) the root is ext2");
	JT_OK(len > 0 && strstr(text, " /proc proc ") != NULL, "/proc/mounts has /proc");
}

static char child_state(int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (slurp(path) <= 0)
		return '?';
	char *p = strrchr(text, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static void test_child(void)
{
	int pid = fork();
	if (pid == 0) {
		for (;;)
			sleep(100); /* not pause(): musl's is ppoll on aarch64 */
	}
	char name[16];
	snprintf(name, sizeof name, "%d", pid);
	JT_OK(dir_has("/proc", name), "/proc lists a child's pid");
	JT_OK(dir_has("/proc", "self"), "/proc lists self");
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
	JT_EQ(child_state(pid), 'S');
	kill(pid, SIGSTOP);
	int st;
	waitpid(pid, &st, WUNTRACED);
	JT_EQ(child_state(pid), 'T');
	kill(pid, SIGKILL);
	waitid(P_PID, pid, NULL, WEXITED | WNOWAIT);
	JT_EQ(child_state(pid), 'Z');
	waitpid(pid, &st, 0);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	JT_ERRNO(open(path, O_RDONLY), ENOENT);
	JT_OK(!dir_has("/proc", name), "a reaped child is no longer listed");
}

/* The same points everywhere (outputs are compared with Linux's); they check only on Janus. */
static void test_janus(bool janus)
{
	if (!janus) {
		JT_OK(true, "(Janus) /proc/janus counts syscalls");
		JT_OK(true, "(Janus) /proc/janus has frames and page faults");
		return;
	}
	long len = slurp("/proc/janus");
	long s1 = field_after("syscalls ");
	for (int i = 0; i < 10; i++)
		getppid();
	slurp("/proc/janus");
	long s2 = field_after("syscalls ");
	JT_OKV(len > 0 && s1 > 0 && s2 >= s1 + 10, "(Janus) /proc/janus counts syscalls",
	       "%ld then %ld", s1, s2);
	JT_OK(field_after("frames_total ") > 0 && field_after("page_faults ") > 0,
	      "(Janus) /proc/janus has frames and page faults");
}

int main(int argc, char **argv)
{
	bool janus = access("/proc/janus", F_OK) == 0;
	jt_mark();
	test_self(argv[0]);
	test_stat(janus);
	test_cmdline(argc, argv);
	test_fd();
	test_meminfo();
	test_uptime_loadavg();
	test_mounts(janus);
	test_child();
	test_janus(janus);
	jt_behaviour("DEV-007", jt_failures_since_mark() == 0,
		     "/proc/self, exe, stat, cmdline, fd, meminfo, mounts");
	return jt_done();
}
