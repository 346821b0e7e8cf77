/*
 * tests/host/test_printf.c: the kernel formatter (core/kprintf.c) against the C library's
 * snprintf, over fixed cases and a sweep of flags, widths, precisions and values, under
 * ASan/UBSan.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/kprintf.h"
#include "tap.h"

/* Format with both and compare text and returned length. */
static void compare(const char *fmt, ...)
{
	char want[256], got[256];
	va_list a, b;
	va_start(a, fmt);
	va_copy(b, a);
	int wn = vsnprintf(want, sizeof(want), fmt, a);
	int gn = kvsnprintf(got, sizeof(got), fmt, b);
	va_end(a);
	va_end(b);
	if (wn != gn || strcmp(want, got) != 0) {
		printf("# format \"%s\": libc \"%s\" (%d), kernel \"%s\" (%d)\n", fmt, want, wn,
		       got, gn);
		tap_cur_failures++;
	}
}

static void fixed_cases(void)
{
	compare("%d %i %u %x %X %o %c %s %%", -5, 6, 7u, 0xabu, 0xabu, 8u, 'z', "str");
	compare("%lld %llu %llx", (long long)INT64_MIN, (unsigned long long)UINT64_MAX,
		(unsigned long long)UINT64_MAX);
	compare("%ld %lu %zu %zd %jd", -1l, 1ul, (size_t)3, (ssize_t)-3, (intmax_t)-9);
	compare("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
	compare("%p %p", (void *)0x1234, (void *)UINTPTR_MAX);
	compare("[%.0d] [%.0x] [%#.0o] [%#x] [%#o]", 0, 0u, 0u, 0u, 0u);
	compare("%s|%.2s|%10.3s|%-10s|", "hello", "hello", "hello", "hi");
	compare("%*d|%-*d|%.*d|%*.*d", 6, 1, 6, 2, 4, 3, -8, 3, 4);
	compare("%c%c%c", 'a', 0x7f, ' ');
	tap_point("printf fixed cases match libc");
}

static void sweep(void)
{
	static const char *flags[] = {"", "-", "0", "+", " ", "#", "-+", "0#", "-#0"};
	static const char *widths[] = {"", "1", "5", "20", ".0", ".3", "8.3", "03.5"};
	static const char convs[] = {'d', 'u', 'x', 'X', 'o'};
	static const long long values[] = {0, 1, -1, 42, -42, 123456789, INT32_MAX, INT32_MIN,
					   INT64_MAX, INT64_MIN};
	char fmt[32];

	for (size_t f = 0; f < sizeof(flags) / sizeof(*flags); f++)
		for (size_t w = 0; w < sizeof(widths) / sizeof(*widths); w++)
			for (size_t c = 0; c < sizeof(convs); c++)
				for (size_t v = 0; v < sizeof(values) / sizeof(*values); v++) {
					snprintf(fmt, sizeof(fmt), "%%%s%sll%c", flags[f],
						 widths[w], convs[c]);
					compare(fmt, values[v]);
				}
	tap_point("printf sweep of flags x widths x conversions x values matches libc");
}

static void truncation(void)
{
	char buf[8];
	memset(buf, 'X', sizeof(buf));
	CHECK_EQ(ksnprintf(buf, 5, "%s", "abcdefgh"), 8);
	CHECK_STREQ(buf, "abcd");
	CHECK_EQ(buf[5], 'X');
	CHECK_EQ(ksnprintf(NULL, 0, "%d", 12345), 5);
	CHECK_EQ(ksnprintf(buf, 1, "x"), 1);
	CHECK_EQ(buf[0], '\0');
	tap_point("ksnprintf truncates, terminates, never writes past n");
}

int main(void)
{
	fixed_cases();
	sweep();
	truncation();
	return tap_done();
}
