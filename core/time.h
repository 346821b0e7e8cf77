/*
 * core/time.h: the kernel's clocks, portable over the port's counter and timer.
 *
 * time_ns() is monotonic nanoseconds since boot, read from arch_cycle_count() and scaled by a
 * fixed-point multiplier computed once from arch_counter_freq(). time_realtime_ns() adds the
 * RTC's wall-clock time read at boot, moved only by time_set_realtime_ns (clock_settime). Each CPU's periodic timer interrupt calls timer_tick()
 * at TICK_HZ, which also drives preemption (sched_tick: a switch at the end of the interrupt
 * when another thread is waiting for a CPU).
 */
#ifndef CORE_TIME_H
#define CORE_TIME_H

#include <stdint.h>

#include "core/boot_info.h"

#define TICK_HZ 100
#define NSEC_PER_SEC 1000000000ull

/* Boot CPU: calibrate (through the port), read the RTC, start this CPU's tick. */
void time_init(const struct boot_info *bi);

uint64_t time_ns(void);
uint64_t time_realtime_ns(void);

/* Step REALTIME to ns; MONOTONIC is untouched. -1 if ns lies before boot (REALTIME would be
 * less than MONOTONIC), which Linux refuses too. */
int time_set_realtime_ns(uint64_t ns);

/* Ticks seen on this CPU since its timer started. */
uint64_t time_ticks(unsigned cpu);

/* Called by the port's timer interrupt on each CPU, interrupts masked. */
void timer_tick(void);

/* Busy-wait for ns nanoseconds (calibration-grade; keeps the CPU, though it may be
 * preempted). */
void time_delay_ns(uint64_t ns);

#endif
