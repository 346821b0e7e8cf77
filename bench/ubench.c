/*
 * bench/ubench.c: the user-space micro-benchmarks Janus is compared with Linux on (issue 11,
 * docs/performance.md). One static musl program for both ports and both kernels: tools/bench
 * runs it as Janus's init (init=/bin/ubench) and, under Linux, chrooted into the same ext2
 * image, so both kernels execute the very same bytes on the same disk.
 *
 *   ubench [--quick] [--dir DIR]    run every benchmark, print "name value unit" lines
 *   ubench --only NAME              that one alone, and "ubench: ops NAME N" (tools/bench
 *                                   --profile divides the kernel's counters by N)
 *   ubench --exit                   exit 0 at once (the exec target of fork_exec_wait)
 *
 * Method: each benchmark times a fixed amount of work with CLOCK_MONOTONIC, RUNS times, and
 * prints the median; values are times (ns per operation, or ms for a whole bulk transfer), so
 * a smaller value is always better and Janus/Linux ratios read the same way for every line.
 * The first output line, "ubench: start", is what the host tool times as "boot to first
 * output". --quick does fewer runs and less work (tools/bench --quick).
 *
 * Invariants: the program needs only the syscalls both kernels implement (no /proc, no
 * vDSO-specific code: clock_gettime is whatever musl does on the kernel it runs on). Scratch
 * files live under DIR (default /tmp, on the ext2 disk in both setups) and are removed. A
 * failed call ends the program with status 1 and a message naming it, never a wrong figure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 9
#define CHUNK (64 * 1024)

static int runs = 5;
static int quick;
static const char *only; /* --only NAME: that benchmark alone (tools/bench --profile) */
static const char *dir = "/tmp";
static const char *self = "/bin/ubench";
static char buf[CHUNK];

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "ubench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		die("clock_gettime");
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Run fn(n) `runs` times; print the median time per operation, in `unit` (ns / scale), with
 * `ops` operations in fn(n). With --only, also the operations made in all, for counters. */
static void bench(const char *name, void (*fn)(long), long n, double ops, double scale,
		  const char *unit)
{
	uint64_t t[MAX_RUNS];
	if (only && strcmp(only, name) != 0)
		return;
	for (int r = 0; r < runs; r++) {
		uint64_t t0 = now_ns();
		fn(n);
		t[r] = now_ns() - t0;
	}
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_u64);
	printf("%s %.1f %s\n", name, (double)t[runs / 2] / ops / scale, unit);
	if (only)
		printf("ubench: ops %s %.0f\n", name, ops * runs);
	fflush(stdout);
}

static void do_getpid(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getpid); /* not getpid(): no libc caching can hide the trap */
}

static void do_read_fail(long n)
{
	for (long i = 0; i < n; i++)
		if (read(-1, buf, 1) != -1 || errno != EBADF)
			die("read(-1) did not fail with EBADF");
}

static void do_clock(long n)
{
	struct timespec ts;
	for (long i = 0; i < n; i++)
		clock_gettime(CLOCK_MONOTONIC, &ts);
}

static void wait_child(pid_t pid, int want)
{
	int st;
	if (pid < 0)
		die("fork");
	if (waitpid(pid, &st, 0) != pid)
		die("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != want) {
		errno = 0;
		die("child status");
	}
}

static void do_fork(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		wait_child(pid, 0);
	}
}

static void do_fork_exec(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			char *argv[] = {(char *)self, "--exit", NULL};
			char *envp[] = {NULL};
			execve(self, argv, envp);
			_exit(127);
		}
		wait_child(pid, 0);
	}
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w <= 0)
			die("write");
		p += w;
		len -= (size_t)w;
	}
}

/* n bytes through a pipe from a child, in 64 KiB writes, read by the parent. */
static void do_pipe(long n)
{
	int p[2];
	if (pipe(p) != 0)
		die("pipe");
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (long left = n; left > 0; left -= CHUNK)
			write_all(p[1], buf, CHUNK);
		_exit(0);
	}
	close(p[1]);
	long got = 0;
	for (ssize_t r; (r = read(p[0], buf, CHUNK)) != 0; got += r)
		if (r < 0)
			die("pipe read");
	close(p[0]);
	wait_child(pid, 0);
	if (got != n)
		die("pipe short");
}

/* n round trips of one byte between parent and child over two pipes. */
static void do_pingpong(long n)
{
	int a[2], b[2];
	char c = 'x';
	if (pipe(a) != 0 || pipe(b) != 0)
		die("pipe");
	pid_t pid = fork();
	if (pid == 0) {
		for (long i = 0; i < n; i++)
			if (read(a[0], &c, 1) != 1 || write(b[1], &c, 1) != 1)
				_exit(2);
		_exit(0);
	}
	for (long i = 0; i < n; i++)
		if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
			die("ping-pong");
	wait_child(pid, 0);
	close(a[0]), close(a[1]), close(b[0]), close(b[1]);
}

static void do_mmap(long n)
{
	size_t len = 64u << 20;
	for (long i = 0; i < n; i++) {
		char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			die("mmap");
		for (size_t off = 0; off < len; off += 4096)
			m[off] = 1;
		if (munmap(m, len) != 0)
			die("munmap");
	}
}

static void do_files(long n)
{
	char path[256];
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/ubench.f%ld", dir, i);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			die("create");
		write_all(fd, buf, 4096);
		close(fd);
	}
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/ubench.f%ld", dir, i);
		if (unlink(path) != 0)
			die("unlink");
	}
}

static char big_path[256];

static void do_seq_write(long n)
{
	int fd = open(big_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("create big file");
	for (long left = n; left > 0; left -= CHUNK)
		write_all(fd, buf, CHUNK);
	if (fsync(fd) != 0)
		die("fsync");
	close(fd);
}

static void do_seq_read(long n)
{
	int fd = open(big_path, O_RDONLY);
	if (fd < 0)
		die("open big file");
	long got = 0;
	for (ssize_t r; (r = read(fd, buf, CHUNK)) != 0; got += r)
		if (r < 0)
			die("read big file");
	close(fd);
	if (got != n) {
		errno = 0;
		die("big file short");
	}
}

static void run_all(void)
{
	long s = quick ? 10 : 1; /* work divisor in quick mode */
	long big = (32l << 20) / (quick ? 4 : 1);
	double mib = (double)big / (1 << 20);
	bench("getpid", do_getpid, 20000 / s, 20000.0 / s, 1, "ns");
	bench("read_fail", do_read_fail, 20000 / s, 20000.0 / s, 1, "ns");
	bench("clock_gettime", do_clock, 20000 / s, 20000.0 / s, 1, "ns");
	bench("fork_exit_wait", do_fork, 200 / s, 200.0 / s, 1e3, "us");
	bench("fork_exec_wait", do_fork_exec, 100 / s, 100.0 / s, 1e3, "us");
	bench("pipe_64k_per_mib", do_pipe, big, mib, 1e6, "ms");
	bench("pipe_pingpong", do_pingpong, 2000 / s, 2000.0 / s, 1e3, "us");
	bench("mmap_touch_64m", do_mmap, 1, 1, 1e6, "ms");
	bench("file_create_unlink", do_files, 1000 / s, 1000.0 / s, 1e3, "us");
	snprintf(big_path, sizeof(big_path), "%s/ubench.big", dir);
	bench("seq_write_fsync_per_mib", do_seq_write, big, mib, 1e6, "ms");
	if (only && strcmp(only, "warm_read_per_mib") == 0)
		do_seq_write(big);
	if (!only || strcmp(only, "warm_read_per_mib") == 0) {
		do_seq_read(big); /* make sure the whole file is cached before timing */
		bench("warm_read_per_mib", do_seq_read, big, mib, 1e6, "ms");
	}
	if (unlink(big_path) != 0 && errno != ENOENT)
		die("unlink big file");
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--exit") == 0)
			return 0;
		else if (strcmp(argv[i], "--quick") == 0)
			quick = 1, runs = 3;
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else {
			fprintf(stderr, "usage: ubench [--quick] [--only NAME] [--dir DIR] | --exit\n");
			return 2;
		}
	}
	printf("ubench: start\n");
	fflush(stdout);
	if (argv[0] && argv[0][0] == '/')
		self = argv[0];
	memset(buf, 'b', sizeof(buf));
	run_all();
	printf("ubench: done\n");
	return 0;
}
