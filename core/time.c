/*
 * core/time.c: monotonic and wall-clock time over the port's counter.
 *
 * The counter (TSC, CNTVCT) runs at arch_counter_freq() Hz. Nanoseconds are
 * (delta * mult) >> 32 with mult = 2^32 * 1e9 / freq computed once; the product is taken in 128
 * bits (a multiply, no division, so no compiler runtime call), which cannot overflow for any
 * uptime the counter itself can represent. The counter is read relative to its value at
 * time_init so time_ns() starts near zero. Per-CPU tick counts live in a plain array indexed by
 * arch_cpu_id() until the SMP work brings per-CPU areas.
 */
#include "core/time.h"

#include "arch/arch.h"
#include "core/cputime.h"
#include "core/ktimer.h"
#include "core/panic.h"
#include "core/sched.h"

static uint64_t counter_base;
static uint64_t mult;          /* ns per count, 32.32 fixed point */
/* REALTIME at counter_base, ns since the epoch: the RTC's time at boot, moved by
 * time_set_realtime_ns. Read and written atomically, so a reader sees one value or the other. */
static uint64_t realtime_base;
static uint64_t ticks[BOOT_MAX_CPUS];

void time_init(const struct boot_info *bi)
{
	arch_time_init(bi);
	uint64_t freq = arch_counter_freq();
	if (freq == 0)
		panic("time: the port reports a zero counter frequency");
	mult = (NSEC_PER_SEC << 32) / freq; /* 1e9 * 2^32 < 2^64: no 128-bit division */
	counter_base = arch_cycle_count();
	__atomic_store_n(&realtime_base, arch_rtc_seconds() * NSEC_PER_SEC, __ATOMIC_RELAXED);
	arch_timer_start(TICK_HZ);
}

uint64_t time_ns(void)
{
	uint64_t delta = arch_cycle_count() - counter_base;
	return (uint64_t)(((unsigned __int128)delta * mult) >> 32);
}

uint64_t time_realtime_ns(void)
{
	return __atomic_load_n(&realtime_base, __ATOMIC_RELAXED) + time_ns();
}

int time_set_realtime_ns(uint64_t ns)
{
	uint64_t mono = time_ns();
	if (ns < mono)
		return -1; /* REALTIME would be before boot (Linux: -EINVAL) */
	__atomic_store_n(&realtime_base, ns - mono, __ATOMIC_RELAXED);
	return 0;
}

uint64_t time_ticks(unsigned cpu)
{
	return cpu < BOOT_MAX_CPUS ? __atomic_load_n(&ticks[cpu], __ATOMIC_RELAXED) : 0;
}

void timer_tick(void)
{
	unsigned cpu = arch_cpu_id();
	if (cpu < BOOT_MAX_CPUS)
		__atomic_fetch_add(&ticks[cpu], 1, __ATOMIC_RELAXED);
	cputime_tick();
	ktimer_tick(); /* first, so the sleepers it wakes count for sched_tick's decision */
	sched_tick();
}

void time_delay_ns(uint64_t ns)
{
	uint64_t end = time_ns() + ns;
	while (time_ns() < end)
		arch_cpu_relax();
}
