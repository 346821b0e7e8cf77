/*
 * arch/aarch64/timer.c: the generic timer's virtual counter and timer, and the PL031 RTC.
 *
 * Counter: CNTVCT_EL0 at CNTFRQ_EL0 Hz (62.5 MHz on QEMU, REFERENCE 7), which the firmware
 * states, so there is nothing to calibrate; a DTB "clock-frequency" overrides it (boot.c puts
 * either in bi->timer_freq). QEMU's counter follows host wall-clock time.
 *
 * Tick: the EL1 virtual timer (a per-CPU PPI, INTID 27 on QEMU: bi->timer_irq). Started with
 * CNTV_TVAL_EL0 = one period, then each interrupt moves the compare value CNTV_CVAL_EL0 on by
 * exactly one period, so ticks stay on a fixed grid (start + k * period) however late each
 * interrupt is handled: no drift. Writing a future compare value is also what deasserts the
 * timer's level-triggered output before EOI. If the CPU falls far behind (QEMU stopped, a
 * long stretch with interrupts masked) the grid skips the missed slots instead of firing a
 * burst of catch-up interrupts.
 *
 * RTC: the PL031's data register (offset 0) counts seconds since the Unix epoch; QEMU starts
 * it from the host's clock. 32 bits: good until 2106.
 */
#include "arch/arch.h"
#include "core/kprintf.h"
#include "core/panic.h"
#include "core/time.h"

#include "aarch64.h"

#define CNTV_CTL_ENABLE (1u << 0)
#define CNTV_CTL_IMASK (1u << 1)
#define PL031_DR 0x000
#define PL031_SIZE 0x1000
#define TIMER_INTID_DEFAULT 27 /* virtual timer PPI recommended by the Arm BSA */
#define MAX_LATE_PERIODS 10    /* behind by more than this: skip, do not burst */

unsigned aarch64_timer_intid;
static uint64_t counter_freq;
static uint64_t tick_period; /* counter ticks per timer interrupt, the same on every CPU */
static uintptr_t rtc;

uint64_t arch_counter_freq(void)
{
	return counter_freq ? counter_freq : read_sysreg(cntfrq_el0);
}

void arch_time_init(const struct boot_info *bi)
{
	counter_freq = bi->timer_freq ? bi->timer_freq : read_sysreg(cntfrq_el0);
	if (counter_freq == 0)
		panic("aarch64: CNTFRQ_EL0 is 0 and the device tree states no clock-frequency");
	aarch64_timer_intid = bi->timer_irq;
	if (!aarch64_timer_intid) {
		aarch64_timer_intid = TIMER_INTID_DEFAULT;
		kprintf("aarch64: no virtual timer interrupt in the device tree; using INTID %u\n",
			aarch64_timer_intid);
	}
	rtc = device_va(bi->rtc_base, PL031_SIZE);
	if (!rtc)
		kprintf("aarch64: no PL031 RTC (0x%lx); wall-clock time starts at 0\n",
			(unsigned long)bi->rtc_base);
}

void arch_timer_start(unsigned hz)
{
	int err;

	if (hz == 0 || hz > counter_freq)
		panic("aarch64: timer at %u Hz with a %lu Hz counter", hz,
		      (unsigned long)counter_freq);
	tick_period = counter_freq / hz;
	write_sysreg(cntv_ctl_el0, CNTV_CTL_IMASK);
	write_sysreg(cntv_tval_el0, tick_period);
	write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
	isb();
	err = arch_irq_unmask(aarch64_timer_intid, IRQ_LEVEL);
	if (err)
		panic("aarch64: cannot unmask the timer's INTID %u (%d)", aarch64_timer_intid, err);
}

/* Called from aarch64_irq for the timer's INTID, interrupts masked. */
void aarch64_timer_irq(void)
{
	uint64_t cval = read_sysreg(cntv_cval_el0) + tick_period;
	uint64_t now = read_sysreg(cntvct_el0);

	if (now > cval && now - cval > MAX_LATE_PERIODS * tick_period)
		cval += ((now - cval) / tick_period + 1) * tick_period;
	write_sysreg(cntv_cval_el0, cval);
	isb();
	timer_tick();
}

uint64_t arch_rtc_seconds(void)
{
	return rtc ? mmio_read32(rtc + PL031_DR) : 0;
}
