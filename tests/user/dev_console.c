// covers: DEV-003
//
// /dev/console takes writes, which appear on the serial line. Needs the console (meson
// 'console'): on Linux under qemu-user /dev/console is the host's. The input half of DEV-003
// needs the harness to type on the console and is not exercised here.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <unistd.h>

/* DEV-003: /dev/console takes writes. */
static void test_dev003(void)
{
	jt_mark();
	static const char msg[] = "# dev_console: this line was written to /dev/console\n";
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY);
	JT_OKV(fd >= 0, "open /dev/console O_WRONLY", "%s", fd < 0 ? jt_errname(errno) : "ok");
	if (fd >= 0) {
		JT_EQ(write(fd, msg, sizeof msg - 1), (long)sizeof msg - 1);
		JT_EQ(write(fd, msg, 0), 0);
		close(fd);
	}
	jt_behaviour("DEV-003", jt_failures_since_mark() == 0,
		     "console write returns its count (input half not exercised)");
}

int main(void)
{
	test_dev003();
	return jt_done();
}
