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

KTEST(timer_interrupts_delivered)
{
	KT_EXPECT(arch_irq_enabled());
	uint64_t before = time_ticks(arch_cpu_id());
	time_delay_ns(200 * 1000 * 1000ull); /* 20 ticks at 100 Hz */
	uint64_t got = time_ticks(arch_cpu_id()) - before;
	KT_EXPECT(got >= 10);
	KT_EXPECT(got <= 40);
	if (got < 10 || got > 40)
		kprintf("# %llu ticks in 200 ms at %u Hz\n", (unsigned long long)got, TICK_HZ);
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
