/*
 * core/ktest.h: in-kernel tests, registered in a linker section and reported as TAP.
 *
 *   KTEST(printf_widths) { KT_EXPECT_EQ(ksnprintf(buf, 8, "%5d", 42), 5); ... }
 *
 * The kernel command line picks what runs: ktest=all runs every test not marked manual;
 * ktest=a,b runs the named ones (manual ones too: those are the runner's self-tests that must
 * fail, panic or hang). Output is TAP ("ok N - name"), then "KTEST: ALL PASSED" or
 * "KTEST: FAILED n of m", then power-off with status 0 or 1. A failed expectation prints
 * "# file:line: ..." with both values and the test goes on; the test is "not ok".
 */
#ifndef CORE_KTEST_H
#define CORE_KTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/kprintf.h"
#include "core/string.h"

struct ktest {
	const char *name;
	void (*fn)(void);
	const char *file;
	unsigned flags;
};

#define KTEST_MANUAL 1u /* runs only when named explicitly */

#define KTEST_REGISTER(tname, tflags)                                              \
	static void ktest_fn_##tname(void);                                        \
	static const struct ktest ktest_##tname                                    \
		__attribute__((used, section("ktests"), aligned(8))) = {           \
			#tname, ktest_fn_##tname, __FILE__, tflags};               \
	static void ktest_fn_##tname(void)

#define KTEST(tname) KTEST_REGISTER(tname, 0)
#define KTEST_MANUAL_ONLY(tname) KTEST_REGISTER(tname, KTEST_MANUAL)

/* Record a failure in the running test (prints a TAP diagnostic line). */
void ktest_fail(const char *file, int line, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Mark the running test as skipped, with a reason (TAP "# SKIP reason"). */
void ktest_skip(const char *reason);

#define KT_EXPECT(cond)                                                              \
	do {                                                                         \
		if (!(cond))                                                         \
			ktest_fail(__FILE__, __LINE__, "expected %s", #cond);        \
	} while (0)

#define KT_EXPECT_EQ(a, b)                                                           \
	do {                                                                         \
		long long ka_ = (long long)(a), kb_ = (long long)(b);               \
		if (ka_ != kb_)                                                      \
			ktest_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", \
				   #a, ka_, #b, kb_);                                \
	} while (0)

#define KT_EXPECT_STREQ(a, b)                                                        \
	do {                                                                         \
		const char *ka_ = (a), *kb_ = (b);                                   \
		if (!ka_ || !kb_ || strcmp(ka_, kb_) != 0)                          \
			ktest_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"",  \
				   #a, ka_ ? ka_ : "(null)", kb_ ? kb_ : "(null)");  \
	} while (0)

/* A 64-bit word of user memory, read or written through the fault-safe copies of
 * core/uaccess.h; a fault fails the running test at the caller's line (the ports' signal-frame
 * tests read and patch frames this way). */
uint64_t ktest_uread64(uintptr_t u, const char *file, int line);
void ktest_uwrite64(uintptr_t u, uint64_t v, const char *file, int line);
#define KT_UREAD64(u) ktest_uread64((u), __FILE__, __LINE__)
#define KT_UWRITE64(u, v) ktest_uwrite64((u), (v), __FILE__, __LINE__)

/* Run the tests the command line selects (ktest=...). Returns the number that failed. */
int ktest_run(const char *selection);


#endif
