/*
 * core/smp.c: per-CPU state and bringing up the other CPUs.
 *
 * The boot CPU starts each secondary through the port (arch_cpu_start) on a guarded stack
 * from kstack_alloc, then waits for it to mark itself online. A secondary runs
 * secondary_main: per-CPU register, the port's per-CPU setup, its idle thread (the running
 * context, sched_init_cpu), its timer, then the scheduler's idle loop (core/sched.c). The
 * idle loop also serves a one-slot mailbox per CPU (smp_call_on, through smp_mailbox_poll),
 * which tests use to run code on a chosen CPU; it is polled whenever that CPU has nothing
 * else to run, at least once per timer tick.
 */
#include "core/cpu.h"

#include "arch/arch.h"
#include "core/errno.h"
#include "core/kprintf.h"
#include "core/kstack.h"
#include "core/sched.h"
#include "core/smp.h"
#include "core/time.h"

struct cpu cpus[MAX_CPUS];
unsigned ncpus_online = 1;

static struct {
	void (*fn)(void *);
	void *arg;
	int done;
} mailbox[MAX_CPUS];

/* From the idle thread, which never leaves its CPU. */
bool smp_mailbox_poll(void)
{
	unsigned cpu = arch_cpu_id();
	void (*fn)(void *) = __atomic_load_n(&mailbox[cpu].fn, __ATOMIC_ACQUIRE);
	if (!fn)
		return false;
	fn(mailbox[cpu].arg);
	__atomic_store_n(&mailbox[cpu].fn, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&mailbox[cpu].done, 1, __ATOMIC_RELEASE);
	return true;
}

static _Noreturn void secondary_main(void *arg)
{
	struct cpu *c = arg;
	arch_set_this_cpu(c);
	arch_cpu_init_secondary();
	sched_init_cpu();
	arch_timer_start(TICK_HZ);
	__atomic_fetch_add(&ncpus_online, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	arch_irq_enable();
	sched_idle_loop();
}

static void start_one(struct cpu *c)
{
	c->stack_top = kstack_alloc();
	if (!c->stack_top) {
		pr_warn("smp: no stack for CPU %u\n", c->id);
		return;
	}
	int err = arch_cpu_start(c->hwid, c->stack_top, (void (*)(void *))secondary_main, c);
	if (err) {
		pr_warn("smp: CPU %u (hwid %#llx) did not start: error %d\n", c->id,
			(unsigned long long)c->hwid, err);
		return;
	}
	uint64_t deadline = time_ns() + NSEC_PER_SEC;
	while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE) && time_ns() < deadline)
		arch_cpu_relax();
	if (!c->online)
		pr_warn("smp: CPU %u started but did not come online within 1 s\n", c->id);
}

void smp_start_secondaries(const struct boot_info *bi)
{
	unsigned n = bi->ncpus < MAX_CPUS ? bi->ncpus : MAX_CPUS;
	cpus[0].online = true;
	for (unsigned i = 1; i < n; i++) {
		cpus[i].id = i;
		cpus[i].hwid = bi->cpu_hwid[i];
		start_one(&cpus[i]);
	}
	pr_info("smp: %u of %u CPUs online\n", ncpus_online, n);
}

int smp_call_on(unsigned cpu, void (*fn)(void *), void *arg)
{
	if (cpu >= MAX_CPUS || !__atomic_load_n(&cpus[cpu].online, __ATOMIC_ACQUIRE) ||
	    cpu == arch_cpu_id())
		return -EINVAL;
	if (__atomic_load_n(&mailbox[cpu].fn, __ATOMIC_ACQUIRE))
		return -EBUSY;
	mailbox[cpu].arg = arg;
	__atomic_store_n(&mailbox[cpu].done, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&mailbox[cpu].fn, fn, __ATOMIC_RELEASE);
	return 0;
}

bool smp_call_done(unsigned cpu)
{
	return cpu < MAX_CPUS && __atomic_load_n(&mailbox[cpu].done, __ATOMIC_ACQUIRE);
}
