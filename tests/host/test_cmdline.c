/* tests/host/test_cmdline.c: command-line lookup (core/cmdline.c) under ASan/UBSan. */
#include "core/cmdline.h"
#include "tap.h"

int main(void)
{
	char buf[8];
	const char *line = "  a=1 long=abcdefghijkl flag -- after=1";

	CHECK(cmdline_get(line, "long", buf, sizeof(buf)));
	CHECK_STREQ(buf, "abcdefg"); /* truncated to n-1 */
	CHECK(cmdline_get(line, "flag", buf, sizeof(buf)));
	CHECK_STREQ(buf, "");
	CHECK(!cmdline_get(line, "after", buf, sizeof(buf)));
	CHECK(!cmdline_get("", "a", buf, sizeof(buf)));
	CHECK(cmdline_get(line, "a", NULL, 0));
	CHECK_EQ(cmdline_get_ulong(line, "a", 5), 1);
	CHECK_EQ(cmdline_get_ulong(line, "long", 5), 5);
	CHECK_EQ(cmdline_get_ulong("x=0xFFFFffff", "x", 0), 0xffffffffll);
	tap_point("cmdline_get and cmdline_get_ulong");
	return tap_done();
}
