/*
 * tests/host/tap.h: a minimal TAP producer for the host suite (one header, no library).
 * CHECK records a failed expectation with file:line and both values; each TEST block is one
 * TAP point; tap_done() prints the plan and returns the exit status.
 */
#ifndef TESTS_HOST_TAP_H
#define TESTS_HOST_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_points, tap_failed_points, tap_cur_failures;

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			printf("# %s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
			tap_cur_failures++;                                          \
		}                                                                    \
	} while (0)

#define CHECK_EQ(a, b)                                                               \
	do {                                                                         \
		long long a_ = (long long)(a), b_ = (long long)(b);                  \
		if (a_ != b_) {                                                      \
			printf("# %s:%d: %s == %lld, expected %lld\n", __FILE__,     \
			       __LINE__, #a, a_, b_);                                \
			tap_cur_failures++;                                          \
		}                                                                    \
	} while (0)

#define CHECK_STREQ(a, b)                                                            \
	do {                                                                         \
		const char *a_ = (a), *b_ = (b);                                     \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                             \
			printf("# %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, \
			       __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");\
			tap_cur_failures++;                                          \
		}                                                                    \
	} while (0)

static inline void tap_point(const char *name)
{
	tap_points++;
	if (tap_cur_failures)
		tap_failed_points++;
	printf("%s %d - %s\n", tap_cur_failures ? "not ok" : "ok", tap_points, name);
	tap_cur_failures = 0;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_points);
	return tap_failed_points ? 1 : 0;
}

#endif
