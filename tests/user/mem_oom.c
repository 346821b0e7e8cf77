// covers: MEM-019 ROBUST-002
//
// Running out of memory in a fault kills only the faulting process. Children exhaust the
// machine's frames, each in a different fault path:
//  1. copy-on-write: the parent fills a private region of 60% of free memory and forks; the
//     child writes every page of it, which needs more frames than are left, so a copy fails;
//  2. demand-zero: the child touches fresh anonymous pages until one cannot be had; on the way,
//     with only a few frames left, it calls fork and pipe, which need kernel memory (kernel
//     stack, heap objects, a pipe buffer) and must fail cleanly or succeed;
//  3. page tables: the child fills memory until a few frames remain, then touches one page per
//     2 MiB of a fresh region, so that each touch needs a new last-level table as well as the
//     page (twice, once shifted by one frame, so both allocations get to be the one that fails);
//  and case 2 again with a SIGSEGV handler that returns, which must not keep the child
//     retrying its fault forever (Janus, like Linux's OOM killer, sends SIGKILL).
// Each child must end WIFSIGNALED with SIGKILL (what Linux's OOM killer and Janus's fault
// handler send when no frame can be had) or SIGSEGV, while a bystander child sleeping
// through it all, and the parent, go on. After each death the machine's free memory must come
// back to its level before the fork (within 16 pages), and the kernel must still fork and
// pipe as before.
// ROBUST-002 adds requests larger than all memory: mmap (without MAP_NORESERVE) gives ENOMEM,
// and brk does not move (the raw syscall returns the old break; musl's sbrk refuses any
// increment itself).
//
// Needs 'kernel': under qemu-user the host has far more memory than this test can exhaust
// (and exhausting it would hurt the host); Janus's test machine has 512 MiB.
#define _GNU_SOURCE
#include "jtest.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

/* Shared with the children: sysinfo's buffer (no copy-on-write for the kernel's store) and
 * their progress reports. */
struct shared {
	struct sysinfo si;
	volatile long progress, stage, fork_ok, fork_fail, pipe_ok, pipe_fail;
};
static struct shared *shm;

static long free_pages(void)
{
	if (syscall(SYS_sysinfo, &shm->si) != 0)
		return -1;
	return (long)(shm->si.freeram * shm->si.mem_unit / PG);
}

__attribute__((noinline)) static void pretouch_stack(void)
{
	volatile unsigned char s[16384];
	for (size_t i = 0; i < sizeof s; i += 512)
		s[i] = (unsigned char)i;
}

/* Wait for pid: the raw status, or -1. */
static int wait_status(pid_t pid)
{
	int st;
	return waitpid(pid, &st, 0) == pid ? st : -1;
}

static bool oom_death(int st)
{
	return st != -1 && WIFSIGNALED(st) && (WTERMSIG(st) == SIGKILL || WTERMSIG(st) == SIGSEGV);
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static volatile int recurse_limit = 1 << 30; /* never reached */

/* Grow the stack a page per call: once mmap itself is refused for lack of memory, new stack
 * pages are the demand-zero faults left to take. */
__attribute__((noinline)) static int grow_stack(int depth)
{
	volatile char frame[PG];
	frame[0] = (char)depth;
	if (depth >= recurse_limit)
		return 0;
	return grow_stack(depth + 1) + frame[0];
}

/* Touch fresh 64 MiB regions page by page, forever (the caller dies on the way), counting in
 * shm->progress; stop early and return once free memory is at most stop_at (if >= 0). */
static void fill_memory(long stop_at)
{
	const size_t chunk = 64u << 20;
	for (;;) {
		volatile unsigned char *m = map_anon(chunk);
		if (!m)
			_exit(grow_stack(0) ? 70 : 71);
		for (size_t off = 0; off < chunk; off += PG) {
			if (stop_at >= 0 && free_pages() <= stop_at)
				return;
			m[off] = 1;
			shm->progress++;
		}
	}
}

/* Case 2's kernel-memory calls with few frames left; neither may bring the kernel down. */
static void kernel_allocations(void)
{
	for (int i = 0; i < 4; i++) {
		pid_t g = fork();
		if (g == 0)
			_exit(0);
		if (g > 0) {
			waitpid(g, NULL, 0);
			shm->fork_ok++;
		} else {
			shm->fork_fail++;
		}
		int p[2];
		if (pipe(p) == 0) {
			shm->pipe_ok++;
			write(p[1], "x", 1);
			close(p[0]);
			close(p[1]);
		} else {
			shm->pipe_fail++;
		}
	}
}

/* Case 3: one page per 2 MiB of a 1 GiB region, so each touch needs a table too. */
static void sparse_touches(void)
{
	const size_t span = 1u << 30, step = 2u << 20;
	for (;;) {
		volatile unsigned char *m = mmap(NULL, span, PROT_READ | PROT_WRITE,
						 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED)
			_exit(grow_stack(0) ? 72 : 73);
		for (size_t off = 0; off < span; off += step) {
			m[off] = 1;
			shm->progress++;
		}
	}
}

/* What every case checks once its child is dead: the bystander lives, memory came back, and
 * the kernel still forks and pipes. */
static void check_after(long before, pid_t bystander)
{
	JT_EQ(kill(bystander, 0), 0);
	JT_EQ(waitpid(bystander, NULL, WNOHANG), 0);
	long after = free_pages();
	JT_OKV(before - after <= 16, "the dead child's memory came back (within 16 pages)",
	       "free before the fork %ld, after the reap %ld pages", before, after);
	pid_t c = fork();
	if (c == 0)
		_exit(5);
	int st = wait_status(c);
	JT_OK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 5, "a new child runs and exits 5");
	int p[2];
	char b = 0;
	JT_EQ(pipe(p), 0);
	JT_EQ(write(p[1], "k", 1), 1);
	JT_EQ(read(p[0], &b, 1), 1);
	JT_EQ(b, 'k');
	close(p[0]);
	close(p[1]);
}

/* A fork whose child writes some stack and exits: warms the kernel's slabs for a fork. */
static void warm_up(void)
{
	pid_t c = fork();
	if (c == 0) {
		pretouch_stack();
		_exit(0);
	}
	wait_status(c);
}

static void case_cow(pid_t bystander)
{
	long free0 = free_pages();
	size_t pages = (size_t)(free0 * 6 / 10);
	volatile unsigned char *r = map_anon(pages * PG);
	JT_OK(r != NULL, "map 60%% of free memory");
	if (!r)
		return;
	for (size_t i = 0; i < pages; i++)
		r[i * PG] = (unsigned char)(i * 3 + 1);
	warm_up();
	long before = free_pages();
	shm->progress = 0;
	pid_t c = fork();
	if (c == 0) {
		alarm(120);
		pretouch_stack();
		for (size_t i = 0; i < pages; i++) {
			r[i * PG] = 0xEE; /* a copy-on-write fault per page */
			shm->progress++;
		}
		fill_memory(-1);
		_exit(0);
	}
	int st = wait_status(c);
	JT_OKV(oom_death(st), "copy-on-write OOM: the child dies by SIGKILL or SIGSEGV",
	       "status %#x", st);
	JT_OKV(shm->progress < (long)pages, "it died in a copy-on-write fault",
	       "copied %ld of %zu pages", shm->progress, pages);
	bool intact = true;
	for (size_t i = 0; i < pages; i++)
		intact = intact && r[i * PG] == (unsigned char)(i * 3 + 1);
	JT_OK(intact, "the parent's region is intact");
	check_after(before, bystander);
	munmap((void *)r, pages * PG);
}

static void on_segv(int sig)
{
	(void)sig; /* returns: the fault is retried */
}

/* With catch, the child has a SIGSEGV handler that returns, which must not let it retry the
 * fault forever while the machine has no memory left. */
static void case_demand_zero(pid_t bystander, bool catch)
{
	warm_up();
	long before = free_pages();
	memset((void *)&shm->progress, 0, 6 * sizeof(long));
	pid_t c = fork();
	if (c == 0) {
		alarm(120); /* a fault retried forever ends as SIGALRM, not as a hung test */
		if (catch)
			signal(SIGSEGV, on_segv);
		pretouch_stack();
		fill_memory(24);
		kernel_allocations();
		fill_memory(-1);
		_exit(0);
	}
	int st = wait_status(c);
	JT_OKV(oom_death(st),
	       catch ? "demand-zero OOM with a SIGSEGV handler: the child dies by SIGKILL or SIGSEGV"
		     : "demand-zero OOM: the child dies by SIGKILL or SIGSEGV",
	       "status %#x after %ld pages", st, shm->progress);
	jt_diag("  with <= 24 frames free: fork %ld ok %ld failed, pipe %ld ok %ld failed",
		shm->fork_ok, shm->fork_fail, shm->pipe_ok, shm->pipe_fail);
	check_after(before, bystander);
}

static void case_tables(pid_t bystander, int shift)
{
	warm_up();
	long before = free_pages();
	shm->progress = 0;
	pid_t c = fork();
	if (c == 0) {
		alarm(120);
		pretouch_stack();
		fill_memory(64 + shift);
		shm->stage = shm->progress;
		shm->fork_ok = free_pages();
		sparse_touches();
		_exit(0);
	}
	int st = wait_status(c);
	JT_OKV(oom_death(st), "page-table OOM: the child dies by SIGKILL or SIGSEGV",
	       "status %#x, shift %d: %ld sparse touches from %ld free frames", st, shift,
	       shm->progress - shm->stage, shm->fork_ok);
	check_after(before, bystander);
}

/* ROBUST-002's first half: requests for more than all memory fail without harm. */
static void too_big(void)
{
	uint64_t total = (uint64_t)shm->si.totalram * shm->si.mem_unit;
	uint64_t ask = total * 2 + shm->si.totalswap * shm->si.mem_unit;
	JT_ERRNO(mmap(NULL, ask, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
	JT_ERRNO(mmap(NULL, ask, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0), ENOMEM);
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
	uintptr_t got = (uintptr_t)syscall(SYS_brk, cur + ask);
	JT_OKV(got == cur, "brk past all memory leaves the break where it was",
	       "break %#lx, asked %#lx, got %#lx", (unsigned long)cur, (unsigned long)(cur + ask),
	       (unsigned long)got);
}

int main(void)
{
	shm = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		return 1;
	pretouch_stack();
	jt_mark();
	free_pages(); /* fills shm->si for too_big */
	too_big();
	bool robust_requests = jt_failures_since_mark() == 0;
	jt_mark();
	int go[2];
	JT_EQ(pipe(go), 0);
	pid_t bystander = fork();
	if (bystander == 0) {
		char b;
		close(go[1]);
		_exit(read(go[0], &b, 1) == 1 && b == 'q' ? 0 : 1);
	}
	close(go[0]);
	case_cow(bystander);
	case_demand_zero(bystander, false);
	case_demand_zero(bystander, true);
	case_tables(bystander, 0);
	case_tables(bystander, 1);
	JT_EQ(write(go[1], "q", 1), 1);
	int st = wait_status(bystander);
	JT_OK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the bystander lived through it all and exits 0");
	bool faults = jt_failures_since_mark() == 0;
	jt_behaviour("MEM-019", faults,
		     "OOM in COW, demand-zero and table faults kills only the faulter");
	jt_behaviour("ROBUST-002", faults && robust_requests,
		     "requests past all memory ENOMEM; touching too much kills only the toucher");
	return jt_done();
}
