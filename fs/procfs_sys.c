/*
 * fs/procfs_sys.c: the system-wide files of /proc: meminfo, uptime, loadavg, mounts, cpuinfo,
 * stat, version, and janus (the kernel's own counters, docs/procfs.md).
 *
 * Formats are Linux's (fs/proc/meminfo.c, uptime.c, loadavg.c, stat.c), so busybox free,
 * uptime, top and mount parse them. Memory comes from the frame allocator (exact), the block
 * cache is reported as Buffers, there is no page cache (Cached 0) and no swap. CPU time per
 * CPU is the timer ticks each CPU charged to user, system or idle (core/cputime.c), in
 * USER_HZ ticks. No load average is kept, so loadavg's three averages read 0.00, as sysinfo's
 * loads do; its running and total counts are real.
 */
#include "fs/procfs.h"

#include "core/bcache.h"
#include "core/blkdev.h"
#include "core/cpu.h"
#include "core/mm.h"
#include "core/pmm.h"
#include "core/proc.h"
#include "core/syscall.h"
#include "core/time.h"

#define UTS_RELEASE "6.1.0-janus"

static void kb_line(struct pbuf *b, const char *label, uint64_t kb)
{
	pb_printf(b, "%-16s%8llu kB\n", label, (unsigned long long)kb);
}

int procfs_show_meminfo(struct proc *p, struct pbuf *b)
{
	struct bcache_stats bs;
	bcache_get_stats(&bs);
	uint64_t total = pmm_total_frames() * (PAGE_SIZE / 1024);
	uint64_t free = pmm_free_frames() * (PAGE_SIZE / 1024), buffers = bs.bytes / 1024;
	kb_line(b, "MemTotal:", total);
	kb_line(b, "MemFree:", free);
	kb_line(b, "MemAvailable:", free + buffers);
	kb_line(b, "Buffers:", buffers);
	kb_line(b, "Cached:", 0);
	kb_line(b, "SwapCached:", 0);
	kb_line(b, "SwapTotal:", 0);
	kb_line(b, "SwapFree:", 0);
	kb_line(b, "Shmem:", 0);
	kb_line(b, "SReclaimable:", 0);
	return 0;
}

static uint64_t sum_cpus(size_t field_off)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (cpus[i].online)
			sum += __atomic_load_n((uint64_t *)((char *)&cpus[i] + field_off),
					       __ATOMIC_RELAXED);
	return sum;
}
#define SUM_CPUS(field) sum_cpus(__builtin_offsetof(struct cpu, field))

int procfs_show_uptime(struct proc *p, struct pbuf *b)
{
	uint64_t up = time_ns() / (NSEC_PER_SEC / 100);
	uint64_t idle = SUM_CPUS(idle_ticks) * 100 / TICK_HZ;
	pb_printf(b, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(up / 100),
		  (unsigned long long)(up % 100), (unsigned long long)(idle / 100),
		  (unsigned long long)(idle % 100));
	return 0;
}

/* Processes with a thread running or runnable, all processes, and the newest pid. */
static void count_procs(unsigned *running, unsigned *total, int *last)
{
	*running = *total = 0;
	*last = 0;
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	for (struct proc *q = proc_first_locked(); q; q = q->all_next) {
		++*total;
		*last = q->pid > *last ? q->pid : *last;
		unsigned long s2 = spin_lock_irqsave(&q->lock);
		for (struct thread *t = q->threads; t; t = t->proc_next) {
			enum thread_state st = __atomic_load_n(&t->state, __ATOMIC_RELAXED);
			if (st == THREAD_RUNNING || st == THREAD_RUNNABLE) {
				++*running;
				break;
			}
		}
		spin_unlock_irqrestore(&q->lock, s2);
	}
	spin_unlock_irqrestore(&proc_tree_lock, s);
}

int procfs_show_loadavg(struct proc *p, struct pbuf *b)
{
	unsigned running, total;
	int last;
	count_procs(&running, &total, &last);
	pb_printf(b, "0.00 0.00 0.00 %u/%u %d\n", running, total, last);
	return 0;
}

static void mount_line(const struct mount *m, void *ctx)
{
	const struct super_block *sb = m->sb;
	pb_printf(ctx, "%s%s %s %s %s 0 0\n", sb->dev ? "/dev/" : "",
		  sb->dev ? sb->dev->name : sb->type->name, m->path, sb->type->name,
		  sb->read_only ? "ro" : "rw");
}

int procfs_show_mounts(struct proc *p, struct pbuf *b)
{
	vfs_mounts_foreach(mount_line, b);
	return 0;
}

int procfs_show_cpuinfo(struct proc *p, struct pbuf *b)
{
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (cpus[i].online)
			pb_printf(b, "processor\t: %u\narchitecture\t: %s\n\n", i, arch_name);
	return 0;
}

static void cpu_line(struct pbuf *b, const char *name, uint64_t user, uint64_t sys,
		     uint64_t idle)
{
	pb_printf(b, "%s %llu 0 %llu %llu 0 0 0 0 0 0\n", name,
		  (unsigned long long)(user * 100 / TICK_HZ), (unsigned long long)(sys * 100 / TICK_HZ),
		  (unsigned long long)(idle * 100 / TICK_HZ));
}

int procfs_show_stat(struct proc *p, struct pbuf *b)
{
	cpu_line(b, "cpu ", SUM_CPUS(user_ticks), SUM_CPUS(sys_ticks), SUM_CPUS(idle_ticks));
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		if (!cpus[i].online)
			continue;
		char name[16];
		ksnprintf(name, sizeof(name), "cpu%u", i);
		cpu_line(b, name, cpus[i].user_ticks, cpus[i].sys_ticks, cpus[i].idle_ticks);
	}
	unsigned running, total;
	int last;
	count_procs(&running, &total, &last);
	uint64_t btime = (time_realtime_ns() - time_ns()) / NSEC_PER_SEC;
	pb_printf(b, "ctxt %llu\nbtime %llu\nprocs_running %u\nprocs_blocked 0\n",
		  (unsigned long long)SUM_CPUS(switches), (unsigned long long)btime, running);
	return 0;
}

int procfs_show_version(struct proc *p, struct pbuf *b)
{
	pb_printf(b, "Linux version %s (Janus %s) #1 SMP PREEMPT Janus %s\n", UTS_RELEASE,
		  arch_name, JANUS_RELEASE);
	return 0;
}

int procfs_show_janus(struct proc *p, struct pbuf *b)
{
	struct bcache_stats bs;
	bcache_get_stats(&bs);
	pb_printf(b, "syscalls %llu\ncontext_switches %llu\npreemptions %llu\n",
		  (unsigned long long)syscall_count(), (unsigned long long)SUM_CPUS(switches),
		  (unsigned long long)SUM_CPUS(preemptions));
	pb_printf(b, "page_faults %llu\ncow_copies %llu\n", (unsigned long long)mm_fault_count(),
		  (unsigned long long)mm_cow_count());
	pb_printf(b, "bcache_hits %llu\nbcache_misses %llu\nbcache_reads %llu\nbcache_writes %llu\n",
		  (unsigned long long)bs.hits, (unsigned long long)bs.misses,
		  (unsigned long long)bs.reads, (unsigned long long)bs.writes);
	pb_printf(b, "frames_free %llu\nframes_total %llu\n",
		  (unsigned long long)pmm_free_frames(), (unsigned long long)pmm_total_frames());
	return 0;
}
