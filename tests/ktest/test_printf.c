/*
 * tests/ktest/test_printf.c: the kernel formatter, checked inside the kernel on each port
 * (the host suite checks the same cases against the C library).
 */
#include "core/kprintf.h"
#include "core/ktest.h"

#define EXPECT_FMT(want, ...)                                                        \
	do {                                                                         \
		char b_[128];                                                        \
		int n_ = ksnprintf(b_, sizeof(b_), __VA_ARGS__);                     \
		KT_EXPECT_STREQ(b_, want);                                           \
		KT_EXPECT_EQ(n_, sizeof(want) - 1);                                  \
	} while (0)

KTEST(printf_integers)
{
	EXPECT_FMT("42 -7 0", "%d %i %u", 42, -7, 0u);
	EXPECT_FMT("-2147483648", "%d", (int)0x80000000u);
	EXPECT_FMT("4294967295", "%u", 0xffffffffu);
	EXPECT_FMT("ff FF 0xff 0XFF", "%x %X %#x %#X", 255u, 255u, 255u, 255u);
	EXPECT_FMT("17 021", "%o %#o", 15u, 17u);
}

KTEST(printf_widths)
{
	EXPECT_FMT("[   42]", "[%5d]", 42);
	EXPECT_FMT("[42   ]", "[%-5d]", 42);
	EXPECT_FMT("[00042]", "[%05d]", 42);
	EXPECT_FMT("[-0042]", "[%05d]", -42);
	EXPECT_FMT("[  042]", "[%5.3d]", 42);
	EXPECT_FMT("[   ab]", "[%*s]", 5, "ab");
	EXPECT_FMT("[ab   ]", "[%-*s]", 5, "ab");
	EXPECT_FMT("[abc]", "[%.3s]", "abcdef");
	EXPECT_FMT("[+5 -5  5]", "[%+d %+d % d]", 5, -5, 5);
}

KTEST(printf_64bit)
{
	EXPECT_FMT("18446744073709551615", "%lu", 18446744073709551615ul);
	EXPECT_FMT("-9223372036854775808", "%lld", (long long)(-9223372036854775807ll - 1));
	EXPECT_FMT("ffffffff80000000", "%lx", 0xffffffff80000000ul);
	EXPECT_FMT("0x00000000deadbeef", "%#018llx", 0xdeadbeefull);
	EXPECT_FMT("123456789012", "%zu", (size_t)123456789012ul);
	EXPECT_FMT("-1 255 65535", "%hhd %hhu %hu", -1, 255, 65535);
}

KTEST(printf_misc)
{
	EXPECT_FMT("a%c", "%c%%c", 'a');
	EXPECT_FMT("(null)", "%s", (const char *)0);
	EXPECT_FMT("0x1000", "%p", (void *)0x1000);
	char small[4];
	KT_EXPECT_EQ(ksnprintf(small, sizeof(small), "%s", "truncated"), 9);
	KT_EXPECT_STREQ(small, "tru");
}
