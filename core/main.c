/*
 * core/main.c: the boot order, written once for both ports.
 *
 * The port's entry code does the minimum (stack, early page tables, console, per-CPU
 * register, boot_info) and calls kmain(). From here on every step is portable and happens in
 * this order on x86_64 and aarch64 alike; each later issue adds its line, so these two
 * functions stay the table of contents of the kernel. kmain leaves the boot stack as soon as
 * the final page tables exist, for a guarded stack from kstack_alloc, and continues in
 * kmain_late. There the scheduler starts (sched_init) once the clocks are set up and before
 * interrupts are enabled, so every interrupt, and with it every preemption, finds a current
 * thread: kmain_late's own context becomes thread "main" (pinned to the boot CPU), and
 * everything after it (secondary CPUs, drivers, the root file system, the tests) runs in
 * thread context, where it may sleep.
 */
#include "arch/arch.h"
#include "core/bcache.h"
#include "core/cmdline.h"
#include "core/console_input.h"
#include "core/cpu.h"
#include "core/kheap.h"
#include "core/kprintf.h"
#include "core/kstack.h"
#include "core/ktimer.h"
#include "core/ktest.h"
#include "core/layout.h"
#include "core/panic.h"
#include "core/pmm.h"
#include "core/proc.h"
#include "core/string.h"
#include "core/syscall.h"
#include "core/errno.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/version.h"
#include "core/waitq.h"
#include "drivers/drivers.h"
#include "fs/vfs.h"

static const struct boot_info *boot_info;

const struct boot_info *kernel_boot_info(void)
{
	return boot_info;
}

static void print_banner(const struct boot_info *bi)
{
	kprintf("Janus %s (%s) %s on %s, %lu MiB RAM, %u CPU%s\n", JANUS_RELEASE, JANUS_COMMIT,
		arch_name, bi->cpu_model[0] ? bi->cpu_model : "unknown CPU",
		(unsigned long)(bi->ram_installed >> 20), bi->ncpus, bi->ncpus == 1 ? "" : "s");
	kprintf("command line: %s\n", bi->cmdline);
}

static void apply_log_level(const struct boot_info *bi)
{
	unsigned long level = cmdline_get_ulong(bi->cmdline, "loglevel", LOG_INFO);
	klog_set_level(level > LOG_DEBUG ? LOG_DEBUG : (enum log_level)level);
}

/* Run the in-kernel tests if the command line asks (ktest=all or ktest=a,b). */
static void run_requested_tests(const struct boot_info *bi)
{
	char sel[256];
	if (!cmdline_get(bi->cmdline, "ktest", sel, sizeof(sel)))
		return;
	int failed = ktest_run(sel);
	arch_power_off(failed ? 1 : 0);
}

/* init's argv (the words after " -- ") and envp (a default set, plus each "env.KEY=VALUE"
 * word before "--"), taken from the command line. */
#define INIT_MAX_ARGS 32
static char init_words[1024];
static const char *init_argv[INIT_MAX_ARGS + 2];
static const char *init_envp[INIT_MAX_ARGS + 4] = {"HOME=/", "TERM=linux",
						   "PATH=/bin:/sbin:/usr/bin:/usr/sbin"};

/* Put KEY=VALUE into init_envp[0, envc), replacing a default with the same KEY. */
static unsigned env_set(unsigned envc, const char *kv)
{
	size_t klen = (size_t)(strchr(kv, '=') - kv) + 1;
	for (unsigned i = 0; i < envc; i++)
		if (strncmp(init_envp[i], kv, klen) == 0) {
			init_envp[i] = kv;
			return envc;
		}
	if (envc < INIT_MAX_ARGS + 3)
		init_envp[envc++] = kv;
	return envc;
}

static void init_args(const char *cmdline, const char *path)
{
	strlcpy(init_words, cmdline, sizeof(init_words));
	unsigned argc = 0, envc = 3;
	bool after = false;
	init_argv[argc++] = path;
	for (char *w = init_words, *next; *w; w = next) {
		while (*w == ' ')
			w++;
		if (!*w)
			break;
		next = w;
		while (*next && *next != ' ')
			next++;
		if (*next)
			*next++ = 0;
		if (!after && strcmp(w, "--") == 0)
			after = true;
		else if (after && argc < INIT_MAX_ARGS)
			init_argv[argc++] = w;
		else if (!after && strncmp(w, "env.", 4) == 0 && strchr(w, '='))
			envc = env_set(envc, w + 4);
	}
}

/* Let deferred frees finish before a count: a thread that exited is freed by the reaper
 * thread soon after it stopped running (core/proc.c), and a count taken at once would see
 * the last few threads' kernel stacks as a leak. Two ticks give the reaper its turn. */
static void settle(void)
{
	static struct waitq wq = WAITQ_INIT("settle");
	uint64_t deadline = time_ns() + NSEC_PER_SEC / 50; /* 20 ms */
	for (;;) {
		prepare_to_wait(&wq);
		if (time_ns() >= deadline)
			break;
		sched_sleep_until(deadline);
	}
	finish_wait(&wq);
}

/* The free frames as tools/usertest's leak check reads them, before init and after it: both
 * times after writing back and dropping what the kernel keeps only as a cache (clean block
 * buffers, the heap's empty slabs), so the two counts differ only by what init's run left
 * allocated. */
static void report_free_frames(void)
{
	settle();
	vfs_sync_all();
	bcache_drop_clean();
	kheap_release_free_pages();
	kprintf("janus: free frames %lu\n", (unsigned long)pmm_free_frames());
}

/* Run init and power off with its exit status (128 + the signal if a signal killed it). */
static _Noreturn void run_init(const struct boot_info *bi)
{
	static char path[256] = "/sbin/init";
	bool explicit = cmdline_get(bi->cmdline, "init", path, sizeof(path));
	init_args(bi->cmdline, path);
	proc_init();
	syscall_trace = cmdline_get_ulong(bi->cmdline, "strace", 0) != 0;
	report_free_frames();
	int err = proc_start_init(path, init_argv, init_envp);
	if (err && !explicit && err == -ENOENT) {
		kprintf("No %s to run: powering off.\n", path);
		arch_power_off(0);
	}
	if (err) {
		kprintf("janus: cannot run init %s: error %d\n", path, -err);
		arch_power_off(127);
	}
	int st = proc_wait_init();
	if (st & 0x7f)
		kprintf("janus: init killed by signal %d\n", st & 0x7f);
	else
		kprintf("janus: init exited with status %d (exit code %d)\n", st, (st >> 8) & 0xff);
	init_report();
	report_free_frames();
	arch_power_off((st & 0x7f) ? 128 + (st & 0x7f) : (st >> 8) & 0xff);
}

static _Noreturn void kmain_late(void *arg)
{
	const struct boot_info *bi = arg;

	arch_irq_init(bi);
	time_init(bi);
	sched_init();
	console_input_init(bi);
	arch_irq_enable();
	smp_start_secondaries(bi);
	drivers_init(bi);
	if (vfs_boot(bi->cmdline) != 0)
		pr_err("no root file system\n");
	run_requested_tests(bi);
	run_init(bi);
}

_Noreturn void kmain(const struct boot_info *bi)
{
	boot_info = bi;
	cpus[0].hwid = bi->cpu_hwid[0];
	apply_log_level(bi);
	print_banner(bi);
	pmm_boot_init(bi, EARLY_MAP_LIMIT);
	bcache_set_limit(pmm_total_frames() * 4096 / 4); /* a quarter of RAM for file data */
	arch_mmu_init(bi);
	uintptr_t stack = kstack_alloc();
	if (!stack)
		panic("no memory for the boot CPU's kernel stack");
	cpus[0].stack_top = stack;
	arch_switch_stack(stack, kmain_late, (void *)bi);
}
