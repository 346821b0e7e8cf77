// covers: ROBUST-008
//
// Syscall fuzzing. For every syscall number of the port (implemented or not), a child makes
// 1000 calls with pseudo-random arguments (a fixed seed per number, so a failure can be
// replayed with `tools/run --arch A tests/user/robust_fuzz.c NR`): zeros, small and negative
// integers, random 64-bit words, pointers into a scratch buffer, into unmapped, kernel and
// non-canonical space. The calls that end or signal processes are left out (exit, exit_group,
// kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, pidfd_send_signal, reboot, and
// rt_sigreturn), as BEHAVIOURS.md says. Each child runs as uid 1000 with RLIMIT_NPROC 8 (no
// fork bomb, no privileged call succeeds) and stdin/out/err on /dev/null (no console state
// changes); it may die from signals. A child still alive after 300 ms is killed with SIGKILL,
// which must end it whatever it is blocked in. Afterwards the kernel must still fork, exec
// and read a fixture file. The kernel never panics or hangs (the runner checks for a panic
// and the timeout). Needs the Janus kernel: fuzzing qemu-user tests the emulator.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CALLS 1000
#define MAX_NR 460
#define BUDGET_MS 300

static const long excluded[] = {
	SYS_exit, SYS_exit_group, SYS_kill, SYS_tkill, SYS_tgkill, SYS_rt_sigqueueinfo,
	SYS_rt_tgsigqueueinfo, SYS_reboot, SYS_rt_sigreturn,
#ifdef SYS_pidfd_send_signal
	SYS_pidfd_send_signal,
#endif
};

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned char *scratch;
#define SCRATCH (64 * 1024)

/* One argument: a mix of the values that find kernel bugs. */
static long arg(void)
{
	uint64_t r = next();
	switch (r % 10) {
	case 0: return 0;
	case 1: return (long)(r >> 8) % 64;
	case 2: return -(long)((r >> 8) % 8) - 1;
	case 3: return (long)next();
	case 4: case 5: return (long)(scratch + (r >> 8) % SCRATCH);
	case 6: return (long)(scratch + SCRATCH - 8);     /* runs off the end of the buffer */
	case 7: return (long)0xffff800000001000ull;      /* kernel space on x86_64 and aarch64 */
	case 8: return (long)0x0000800000000000ull + (long)((r >> 8) & 0xfff); /* past user space */
	default: return (long)((r >> 8) % 4096) * 4096; /* low, mostly unmapped */
	}
}

static bool is_excluded(long nr)
{
	for (unsigned i = 0; i < sizeof excluded / sizeof excluded[0]; i++)
		if (excluded[i] == nr)
			return true;
	return false;
}

static void fuzz_child(long nr)
{
	int null = open("/dev/null", O_RDWR);
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	struct rlimit rl = {8, 8};
	setrlimit(RLIMIT_NPROC, &rl);
	if (setgid(1000) != 0 || setuid(1000) != 0)
		_exit(90);
	scratch = mmap(NULL, SCRATCH, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED)
		_exit(91);
	rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)nr * 0x100000001b3ull;
	for (int i = 0; i < CALLS; i++) {
		for (int j = 0; j < SCRATCH; j += 4096)
			memset(scratch + j, (int)next(), 64); /* fresh bytes for the next call to read */
		syscall(nr, arg(), arg(), arg(), arg(), arg(), arg());
	}
	_exit(0);
}

/* Fuzz one number in a child: 0 finished, 1 died of a signal, 2 killed at the budget. */
static int fuzz(long nr)
{
	pid_t c = fork();
	if (c == 0)
		fuzz_child(nr);
	if (c < 0)
		return -1;
	long long t0 = jt_now_ms();
	int st;
	while (waitpid(c, &st, WNOHANG) == 0) {
		if (jt_now_ms() - t0 > BUDGET_MS) {
			kill(c, SIGKILL);
			waitpid(c, &st, 0); /* SIGKILL must end it, whatever it is blocked in */
			return 2;
		}
		usleep(2000);
	}
	return WIFSIGNALED(st) ? 1 : 0;
}

/* The kernel still works: fork+exec of a program and a fixture file's contents. */
static void check_alive(void)
{
	pid_t c = fork();
	if (c == 0) {
		char *argv[] = {"true", NULL}, *envp[] = {NULL};
		execve("/bin/true", argv, envp);
		_exit(127);
	}
	int st = -1;
	JT_EQV(waitpid(c, &st, 0), c);
	JT_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork+exec of /bin/true still works");
	char buf[64] = {0};
	int fd = open("/hello.txt", O_RDONLY);
	JT_OK(fd >= 0 && read(fd, buf, sizeof buf - 1) > 0, "a fixture file still reads");
	close(fd);
}

int main(int argc, char **argv)
{
	long first = 0, last = MAX_NR;
	if (argc > 1)
		first = last = atol(argv[1]); /* replay one number */
	jt_mark();
	int counts[3] = {0, 0, 0}, fuzzed = 0;
	for (long nr = first; nr <= last; nr++) {
		if (is_excluded(nr))
			continue;
		int r = fuzz(nr);
		if (r < 0) {
			jt_diag("fork failed at %ld", nr);
			break;
		}
		counts[r]++;
		fuzzed++;
	}
	JT_OKV(fuzzed == last - first + 1 - (argc > 1 ? 0 : (int)(sizeof excluded / sizeof excluded[0])),
	       "every syscall number but the excluded ones was fuzzed",
	       "%d numbers: %d finished, %d died of a signal, %d killed at %d ms", fuzzed,
	       counts[0], counts[1], counts[2], BUDGET_MS);
	check_alive();
	/* Fuzzed forks and clones leave grandchildren that end as our orphans (we are init):
	 * reap them, or their zombies count as a leak in the runner's verdict. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	jt_behaviour("ROBUST-008", jt_failures_since_mark() == 0,
		     "1000 random calls per syscall number: no panic, no hang");
	return jt_done();
}
