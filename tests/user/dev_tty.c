// covers: DEV-004
//
// /dev/tty: it exists (access F_OK is 0) and opens the caller's controlling terminal, which
// the test shows by asking the opened descriptor for its session and foreground group (they
// are ours) and by writing a line through it. A process without a controlling terminal (a
// child after setsid) gets ENXIO.
//
// Needs 'console': the test takes the console as its controlling terminal (setsid, then
// TIOCSCTTY on fd 0, as the tty tests do). Under the Linux reference stdin is /dev/null and no
// terminal can be had.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

int main(void)
{
	if (getsid(0) != getpid())
		setsid();
	ioctl(0, TIOCSCTTY, 0);
	jt_mark();
	JT_EQ(access("/dev/tty", F_OK), 0);
	struct stat st;
	JT_EQ(stat("/dev/tty", &st), 0);
	JT_OK(S_ISCHR(st.st_mode), "/dev/tty is a character device");
	int fd = open("/dev/tty", O_RDWR);
	JT_OK(fd >= 0, "open /dev/tty with a controlling terminal");
	if (fd >= 0) {
		JT_OK(isatty(fd), "it is a terminal");
		JT_EQV(tcgetsid(fd), getsid(0));
		JT_EQV(tcgetpgrp(fd), getpgrp());
		const char msg[] = "# dev_tty: this line went through /dev/tty\n";
		JT_EQ(write(fd, msg, strlen(msg)), (long)strlen(msg));
		close(fd);
	}
	pid_t c = fork();
	if (c == 0) {
		if (setsid() != getpid())
			_exit(3);
		errno = 0;
		int t = open("/dev/tty", O_RDWR);
		_exit(t < 0 && errno == ENXIO ? 0 : t >= 0 ? 1 : 2);
	}
	int ws = 0;
	JT_EQV(waitpid(c, &ws, 0), c);
	JT_OKV(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "after setsid, open /dev/tty is ENXIO",
	       "status %#x (exit 1: it opened; 2: another error)", ws);
	jt_behaviour("DEV-004", jt_failures_since_mark() == 0,
		     "/dev/tty exists, opens the controlling tty; ENXIO without one");
	return jt_done();
}
