/*
 * core/cpu.h: per-CPU state.
 *
 * cpus[i] belongs to CPU i; only CPU i writes its fields (other CPUs may read the counters).
 * The port keeps a pointer to the running CPU's struct in a per-CPU register
 * (arch_set_this_cpu / arch_this_cpu), so this_cpu() costs one register read, and
 * arch_cpu_id() is this_cpu()->id. The lock bookkeeping records what this CPU holds, so the
 * "no spinlock held here" assertion can name the lock and where it was taken.
 */
#ifndef CORE_CPU_H
#define CORE_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "core/boot_info.h"

#define MAX_CPUS BOOT_MAX_CPUS
#define HELD_LOCKS_MAX 8

struct spinlock;
struct thread;

struct cpu {
	unsigned id;          /* index in cpus[], 0 = boot CPU */
	uint64_t hwid;        /* APIC id / MPIDR */
	bool online;          /* set by the CPU itself once it runs its idle loop */
	uintptr_t stack_top;  /* first kernel stack: CPU 0's main thread's, else the idle's */
	uint64_t ticks;       /* timer interrupts taken */
	unsigned lock_depth;  /* spinlocks held */
	struct {
		const struct spinlock *lock;
		uintptr_t where; /* return address of the spin_lock_irqsave call */
	} held[HELD_LOCKS_MAX];

	/* The scheduler's (core/sched.c): written by this CPU with interrupts masked. */
	struct thread *current;  /* the running thread; NULL until sched_init(_cpu) */
	struct thread *idle;     /* runs when nothing else may */
	struct thread *switched_from; /* the thread a switch in progress left, until finished */
	struct thread *exited;   /* a thread that exited on this CPU, to be announced */
	bool need_resched;       /* switch at the end of this interrupt (sched_preempt_check) */
	uint64_t switches;       /* context switches made */
	uint64_t preemptions;    /* of them, forced at the end of an interrupt */
	uint64_t syscall_count;  /* syscalls entered on this CPU */
	/* Timer ticks by what they interrupted (core/cputime.c): /proc/stat and /proc/uptime. */
	uint64_t user_ticks, sys_ticks, idle_ticks;
};

extern struct cpu cpus[MAX_CPUS];
extern unsigned ncpus_online;

/* Boot CPU: start every other CPU the firmware described, each on its own guarded kernel
 * stack; returns once each has come online or timed out (reported, not fatal). */
void smp_start_secondaries(const struct boot_info *bi);

/* Panic, naming each lock and where it was taken, if this CPU holds any spinlock. Called
 * before every sleep (core/waitq.c, core/sync.c, core/sched.c), and (processes issue) on every
 * return to user mode and exec. */
void assert_no_locks_held(const char *where);

#endif
