/*
 * arch/x86_64/timer.c: the TSC and LAPIC timer, calibrated against the ACPI PM timer, and the
 * CMOS real-time clock.
 *
 * Counter. arch_cycle_count() is the TSC. No CPU model QEMU offers under TCG flags it
 * invariant, and its rate is the host's (REFERENCE 8), so its frequency is measured: once, on
 * the boot CPU, over CALIBRATION_MS against the ACPI PM timer, a 24-bit counter at 3.579545 MHz
 * at I/O port 0x608 (q35's FADT; the port is fixed here rather than read from the FADT). The
 * PM timer wraps every 4.7 s; the loop adds up the 24-bit differences of successive reads, so a
 * wrap in the middle costs nothing. Each end of the interval reads the PM timer immediately
 * before the TSC and the LAPIC count, so the (slow, trapping) port read skews both ends alike.
 * Under TCG the first run of any code is slow (QEMU translates it), which put ~55 us more on
 * one end than the other (+0.1%); a 1 ms warm-up run of the same, not inlined, function
 * first removes that (measured: TSC within 0.01% of the host's known rate).
 *
 * Tick. The LAPIC timer at divide 16 (62.5 MHz on QEMU) is calibrated in the same interval,
 * counting down in one-shot mode from 2^32-1 while masked; arch_timer_start() then runs it in
 * periodic mode at lapic_hz / hz on VEC_LAPIC_TIMER, which irq.c turns into timer_tick().
 * Needs arch_irq_init() first (it maps and enables the LAPIC), as kmain's order guarantees.
 *
 * RTC. The MC146818-style CMOS clock: wait until no update is in progress, read the fields,
 * repeat until two reads agree (an update may start between the check and the reads), then
 * decode BCD or binary and the 12/24-hour mode from status register B. The two-digit year is
 * taken as 1970-2069; QEMU's century byte is not used (its index comes from the FADT). CMOS
 * index/data accesses are paired under cmos_lock; boot.c reads the RAM size through it too.
 */
#include "arch/arch.h"
#include "core/kprintf.h"
#include "core/panic.h"
#include "core/spinlock.h"
#include "x86.h"

#define PM_TIMER_HZ 3579545u
#define PM_TIMER_MASK 0xffffffu
#define CALIBRATION_MS 50u
#define PM_STUCK_READS 1000000u /* equal reads in a row: the PM timer is not there */

#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define RTC_A_UPDATING 0x80
#define RTC_B_24HOUR 0x02
#define RTC_B_BINARY 0x04
#define RTC_HOUR_PM 0x80

static uint64_t tsc_hz;
static uint64_t lapic_hz; /* LAPIC timer counts per second at divide 16 */
static struct spinlock cmos_lock = SPINLOCK_INIT("cmos");

uint64_t arch_counter_freq(void)
{
	return tsc_hz;
}

static uint32_t pm_timer_read(void)
{
	return inl(ACPI_PM_TIMER) & PM_TIMER_MASK;
}

struct calibration_point {
	uint64_t tsc;
	uint32_t lapic; /* LAPIC current count (counts down) */
};

static void take_point(struct calibration_point *p)
{
	p->tsc = arch_cycle_count();
	p->lapic = x86_lapic_read(LAPIC_TIMER_CURRENT);
}

/* Spin until the PM timer has advanced by at least `ticks`, sampling the other two counters
 * right after the first and the last PM read. Returns the PM ticks actually elapsed. */
static __attribute__((noinline)) uint32_t
pm_timer_measure(uint32_t ticks, struct calibration_point *start, struct calibration_point *end)
{
	uint32_t last = pm_timer_read(), elapsed = 0, same = 0;

	take_point(start);
	while (elapsed < ticks) {
		uint32_t now = pm_timer_read();
		same = now == last ? same + 1 : 0;
		if (same == PM_STUCK_READS)
			panic("time: the ACPI PM timer at I/O %#x is not counting", ACPI_PM_TIMER);
		elapsed += (now - last) & PM_TIMER_MASK;
		last = now;
	}
	take_point(end);
	return elapsed;
}

void arch_time_init(const struct boot_info *bi)
{
	struct calibration_point a, b;

	x86_lapic_write(LAPIC_TIMER_DIVIDE, LAPIC_TIMER_DIV16);
	x86_lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | VEC_LAPIC_TIMER);
	x86_lapic_write(LAPIC_TIMER_INIT, 0xffffffff); /* one-shot: 68 s at 62.5 MHz */
	pm_timer_measure(PM_TIMER_HZ / 1000, &a, &b); /* warm-up under TCG: see above */
	uint32_t pm = pm_timer_measure(PM_TIMER_HZ / 1000 * CALIBRATION_MS, &a, &b);
	x86_lapic_write(LAPIC_TIMER_INIT, 0);

	tsc_hz = (b.tsc - a.tsc) * PM_TIMER_HZ / pm;
	lapic_hz = (uint64_t)(a.lapic - b.lapic) * PM_TIMER_HZ / pm;
	if (tsc_hz == 0 || lapic_hz == 0)
		panic("time: calibration failed (TSC %lu Hz, LAPIC timer %lu Hz)",
		      (unsigned long)tsc_hz, (unsigned long)lapic_hz);
	pr_info("time: TSC %lu Hz, LAPIC timer %lu Hz (divide 16), over %u us of PM timer\n",
		(unsigned long)tsc_hz, (unsigned long)lapic_hz,
		(unsigned)((uint64_t)pm * 1000000 / PM_TIMER_HZ));
}

void arch_timer_start(unsigned hz)
{
	if (hz == 0 || lapic_hz / hz == 0 || lapic_hz / hz > 0xffffffffu)
		panic("time: cannot run the LAPIC timer (%lu Hz) at %u Hz", (unsigned long)lapic_hz,
		      hz);
	x86_lapic_write(LAPIC_TIMER_DIVIDE, LAPIC_TIMER_DIV16);
	x86_lapic_write(LAPIC_LVT_TIMER, LAPIC_TIMER_PERIODIC | VEC_LAPIC_TIMER);
	x86_lapic_write(LAPIC_TIMER_INIT, (uint32_t)(lapic_hz / hz)); /* starts counting */
}

uint8_t x86_cmos_read(uint8_t reg)
{
	unsigned long s = spin_lock_irqsave(&cmos_lock);
	outb(CMOS_INDEX, reg); /* bit 7 clear: NMI stays enabled */
	uint8_t v = inb(CMOS_DATA);
	spin_unlock_irqrestore(&cmos_lock, s);
	return v;
}

struct rtc_fields {
	uint8_t sec, min, hour, day, month, year;
};

static void rtc_read_fields(struct rtc_fields *f)
{
	while (x86_cmos_read(RTC_STATUS_A) & RTC_A_UPDATING)
		arch_cpu_relax();
	f->sec = x86_cmos_read(RTC_SECONDS);
	f->min = x86_cmos_read(RTC_MINUTES);
	f->hour = x86_cmos_read(RTC_HOURS);
	f->day = x86_cmos_read(RTC_DAY);
	f->month = x86_cmos_read(RTC_MONTH);
	f->year = x86_cmos_read(RTC_YEAR);
}

static bool rtc_same(const struct rtc_fields *a, const struct rtc_fields *b)
{
	return a->sec == b->sec && a->min == b->min && a->hour == b->hour && a->day == b->day &&
	       a->month == b->month && a->year == b->year;
}

/* A field as the RTC stores it: BCD unless status register B says binary. */
static unsigned rtc_decode(uint8_t v, bool binary)
{
	return binary ? v : (v & 0x0fu) + (v >> 4) * 10u;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's
 * days_from_civil, for years >= 1 only): years start in March so the leap day is last. */
static uint64_t days_from_civil(unsigned y, unsigned m, unsigned d)
{
	y -= m <= 2;
	unsigned era = y / 400, yoe = y - era * 400;
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (uint64_t)era * 146097 + doe - 719468;
}

uint64_t x86_unix_seconds(unsigned year, unsigned month, unsigned day, unsigned hour,
			  unsigned min, unsigned sec)
{
	return days_from_civil(year, month, day) * 86400 + hour * 3600u + min * 60u + sec;
}

uint64_t arch_rtc_seconds(void)
{
	struct rtc_fields f, again;

	rtc_read_fields(&again);
	do {
		f = again;
		rtc_read_fields(&again);
	} while (!rtc_same(&f, &again));

	uint8_t status_b = x86_cmos_read(RTC_STATUS_B);
	bool bin = status_b & RTC_B_BINARY;
	unsigned hour = rtc_decode(f.hour & ~RTC_HOUR_PM, bin);
	if (!(status_b & RTC_B_24HOUR))
		hour = hour % 12 + ((f.hour & RTC_HOUR_PM) ? 12 : 0); /* 12 AM is 0:xx */
	unsigned year = rtc_decode(f.year, bin);
	year += year < 70 ? 2000 : 1900;
	return x86_unix_seconds(year, rtc_decode(f.month, bin), rtc_decode(f.day, bin), hour,
				rtc_decode(f.min, bin), rtc_decode(f.sec, bin));
}
