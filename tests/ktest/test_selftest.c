/*
 * tests/ktest/test_selftest.c: tests that must fail. They are manual (never in ktest=all);
 * the runner's self-test boots each by name and checks that a failed expectation, a panic and
 * a hang each make the run fail, with the panic's backtrace symbolized.
 */
#include "arch/arch.h"
#include "core/ktest.h"

KTEST_MANUAL_ONLY(selftest_fail)
{
	KT_EXPECT_EQ(1 + 1, 3);
}

/* noinline keeps this function's own frame, so the backtrace names it. */
static __attribute__((noinline)) int read_through(volatile int *p)
{
	return *p;
}

KTEST_MANUAL_ONLY(selftest_panic)
{
	volatile int *null = (volatile int *)0;
	KT_EXPECT_EQ(read_through(null), 0);
}

KTEST_MANUAL_ONLY(selftest_hang)
{
	for (;;)
		arch_cpu_relax();
}
