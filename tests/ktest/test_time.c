/*
 * tests/ktest/test_time.c: interrupts reach core, and the clocks agree with the host.
 * The RTC follows the host's wall clock on both QEMU machines, so timing the monotonic clock
 * across RTC second boundaries compares guest time with host time without leaving the kernel.
 */
#include "arch/arch.h"
#include "core/irq.h"
#include "core/ktest.h"
#include "core/console_input.h"
#include "core/time.h"

/* The tick seen from the counter: a wrong divider or calibration is off by a factor, so the
 * bounds are loose; QEMU may merge ticks the host did not run the vCPU for (x86_64 measured
 * up to 6% in 0.5 s on a busy host). Prints the rate and the RTC, to compare with the host. */
KTEST(timer_interrupts_delivered)
{
	KT_EXPECT(arch_irq_enabled());
	uint64_t t0 = time_ns(), n0 = time_ticks(arch_cpu_id());
	time_delay_ns(NSEC_PER_SEC / 2);
	uint64_t n = time_ticks(arch_cpu_id()) - n0, ns = time_ns() - t0;
	uint64_t centi_hz = n * 100 * NSEC_PER_SEC / ns;
	kprintf("# %llu ticks in %llu ns: %llu.%02llu/s at TICK_HZ %u; counter %llu Hz; RTC %llu\n",
		(unsigned long long)n, (unsigned long long)ns,
		(unsigned long long)(centi_hz / 100), (unsigned long long)(centi_hz % 100), TICK_HZ,
		(unsigned long long)arch_counter_freq(), (unsigned long long)arch_rtc_seconds());
	/* The floor is loose on purpose (10%): under TCG on a loaded host a descheduled vCPU gets
	 * one timer interrupt for a whole gap (QEMU coalesces them), so the measured rate drops
	 * (19/s was seen with eight QEMUs on two cores) without anything being wrong; a tick at a
	 * wrong frequency still shows (the ceiling, and clock_matches_rtc below). */
	KT_EXPECT(centi_hz >= TICK_HZ * 10ull);
	KT_EXPECT(centi_hz <= TICK_HZ * 105ull);
}

KTEST(clock_monotonic)
{
	uint64_t prev = time_ns();
	for (int i = 0; i < 100000; i++) {
		uint64_t now = time_ns();
		if (now < prev) {
			KT_EXPECT(now >= prev);
			break;
		}
		prev = now;
	}
	KT_EXPECT(time_ns() > 0);
}

/* Wait for the RTC's seconds to change; returns time_ns() at that moment. */
static uint64_t next_rtc_second(void)
{
	uint64_t s = arch_rtc_seconds();
	while (arch_rtc_seconds() == s)
		arch_cpu_relax();
	return time_ns();
}

KTEST(clock_matches_rtc)
{
	uint64_t rtc = arch_rtc_seconds();
	KT_EXPECT(rtc > 1700000000ull); /* after Nov 2023: the RTC holds real time */
	uint64_t t0 = next_rtc_second();
	next_rtc_second();
	uint64_t t1 = next_rtc_second();
	uint64_t elapsed = t1 - t0; /* two RTC seconds */
	kprintf("# 2 RTC seconds took %llu ns of monotonic time\n", (unsigned long long)elapsed);
	KT_EXPECT(elapsed >= 1800000000ull);
	KT_EXPECT(elapsed <= 2200000000ull);
	uint64_t real = time_realtime_ns() / NSEC_PER_SEC;
	KT_EXPECT(real + 2 >= arch_rtc_seconds() && real <= arch_rtc_seconds() + 2);
}

/* Manual: the runner types "janus-typed\n" after the ready line; read it back. */
KTEST_MANUAL_ONLY(console_input)
{
	char line[64];
	unsigned n = 0;
	uint64_t deadline = time_ns() + 20 * NSEC_PER_SEC;

	kprintf("KTEST-INPUT-READY\n");
	while (n < sizeof(line) - 1 && time_ns() < deadline) {
		int c = console_input_getc();
		if (c < 0) {
			arch_wait_for_interrupt();
			continue;
		}
		if (c == '\n' || c == '\r')
			break;
		line[n++] = (char)c;
	}
	line[n] = '\0';
	KT_EXPECT_STREQ(line, "janus-typed");
	KT_EXPECT(irq_count(kernel_boot_info()->uart_irq) > 0);
}
