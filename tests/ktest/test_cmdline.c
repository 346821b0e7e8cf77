/* tests/ktest/test_cmdline.c: command-line lookup (core/cmdline.c). */
#include "core/cmdline.h"
#include "core/ktest.h"

KTEST(cmdline_lookup)
{
	const char *line = "console=ttyS0  ktest=a,b quiet num=0x1f dec=42 -- init=/x arg";
	char buf[16];

	KT_EXPECT(cmdline_get(line, "ktest", buf, sizeof(buf)));
	KT_EXPECT_STREQ(buf, "a,b");
	KT_EXPECT(cmdline_get(line, "quiet", buf, sizeof(buf)));
	KT_EXPECT_STREQ(buf, "");
	KT_EXPECT(!cmdline_get(line, "console=tty", buf, sizeof(buf)));
	KT_EXPECT(!cmdline_get(line, "init", buf, sizeof(buf))); /* after "--": init's */
	KT_EXPECT(!cmdline_get(line, "kt", buf, sizeof(buf)));
	KT_EXPECT_EQ(cmdline_get_ulong(line, "num", 0), 31);
	KT_EXPECT_EQ(cmdline_get_ulong(line, "dec", 0), 42);
	KT_EXPECT_EQ(cmdline_get_ulong(line, "console", 7), 7);
	KT_EXPECT_EQ(cmdline_get_ulong(line, "absent", 9), 9);
	KT_EXPECT(cmdline_get("a=1 a=2", "a", buf, 2));
	KT_EXPECT_STREQ(buf, "2");
}
