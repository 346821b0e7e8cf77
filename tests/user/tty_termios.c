// covers: TTY-001 TTY-002 TTY-003 TTY-008 TTY-009 TTY-012 TTY-013 TTY-014
//
// The console as a terminal, without typed input: isatty, the default termios and TCSETS
// round trips, the foreground group, background reads and writes (SIGTTIN, SIGTTOU, EIO),
// the controlling terminal (ENXIO after setsid, TIOCSCTTY, SIGHUP when the controlling process
// exits), the window size with SIGWINCH, and reads with nothing typed. Needs the console: it
// runs as pid 1 on /dev/console, makes its own session and takes the console as its
// controlling terminal first.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t got_sig;

static void on_sig(int sig)
{
	got_sig = sig;
}

static void set_action(int sig, void (*h)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = h;
	sigaction(sig, &sa, NULL);
}

/* TTY-001 */
static void test_isatty(void)
{
	jt_mark();
	JT_OK(isatty(0) && isatty(1) && isatty(2), "fds 0, 1, 2 are ttys");
	errno = 0;
	JT_OK(!isatty(999) && errno == EBADF, "isatty(999): EBADF");
	int p[2];
	JT_EQ(pipe(p), 0);
	errno = 0;
	JT_OK(!isatty(p[0]) && errno == ENOTTY, "isatty(pipe): ENOTTY");
	close(p[0]);
	close(p[1]);
	int fd = open("/bin/tty_termios", O_RDONLY); /* this program: a regular file */
	struct termios t;
	JT_ERRNO(ioctl(fd, TCGETS, &t), ENOTTY);
	close(fd);
	jt_behaviour("TTY-001", jt_failures_since_mark() == 0, "isatty and ENOTTY");
}

/* TTY-002 */
static void test_default_termios(void)
{
	jt_mark();
	struct termios t;
	JT_EQ(ioctl(0, TCGETS, &t), 0);
	JT_OK((t.c_lflag & (ICANON | ECHO | ISIG | ECHOE | IEXTEN)) ==
		      (ICANON | ECHO | ISIG | ECHOE | IEXTEN), "lflag %#x", t.c_lflag);
	JT_OK(t.c_iflag & ICRNL, "iflag ICRNL");
	JT_OK((t.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR), "oflag OPOST ONLCR");
	JT_EQ(t.c_cc[VINTR], 3);
	JT_EQ(t.c_cc[VQUIT], 034);
	JT_EQ(t.c_cc[VERASE], 0177);
	JT_EQ(t.c_cc[VKILL], 025);
	JT_EQ(t.c_cc[VEOF], 4);
	JT_EQ(t.c_cc[VSUSP], 032);
	JT_EQ(t.c_cc[VMIN], 1);
	jt_behaviour("TTY-002", jt_failures_since_mark() == 0, "default termios");
}

/* TTY-003 */
static void test_tcsets(void)
{
	jt_mark();
	struct termios saved, raw, back;
	/* The kernel fills the first 36 bytes (c_cc[19]); the rest of libc's struct is ours. */
	memset(&saved, 0, sizeof saved);
	memset(&back, 0, sizeof back);
	JT_EQ(tcgetattr(0, &saved), 0);
	raw = saved;
	cfmakeraw(&raw);
	JT_EQ(tcsetattr(0, TCSANOW, &raw), 0);
	JT_EQ(tcgetattr(0, &back), 0);
	JT_OK(!(back.c_lflag & (ICANON | ECHO | ISIG)), "raw lflag %#x", back.c_lflag);
	JT_EQ(back.c_cc[VMIN], 1);
	JT_EQ(back.c_cc[VTIME], 0);
	JT_EQ(tcsetattr(0, TCSANOW, &saved), 0);
	JT_EQ(tcgetattr(0, &back), 0);
	JT_OK(memcmp(&back, &saved, sizeof back) == 0, "restored exactly");
	struct termios noecho = saved;
	noecho.c_lflag &= ~ECHO;
	JT_EQ(tcsetattr(0, TCSADRAIN, &noecho), 0);
	JT_EQ(tcgetattr(0, &back), 0);
	JT_OK(back.c_lflag == (saved.c_lflag & ~ECHO) && back.c_iflag == saved.c_iflag &&
		      back.c_oflag == saved.c_oflag && back.c_cflag == saved.c_cflag &&
		      memcmp(back.c_cc, saved.c_cc, sizeof back.c_cc) == 0,
	      "only ECHO changed");
	JT_EQ(tcsetattr(0, TCSAFLUSH, &saved), 0);
	jt_behaviour("TTY-003", jt_failures_since_mark() == 0, "TCSETS/W/F round trips");
}

/* TTY-008 */
static void test_foreground(void)
{
	jt_mark();
	JT_EQ(tcgetpgrp(0), getpgrp());
	JT_EQ(tcsetpgrp(0, getpgrp()), 0);
	JT_EQ(tcgetpgrp(0), getpgrp());
	JT_ERRNO(tcsetpgrp(0, 0x7ffffff0), ESRCH);
	int p[2];
	JT_EQ(pipe(p), 0);
	pid_t c = fork();
	if (c == 0) {
		setsid();
		char b;
		close(p[1]);
		read(p[0], &b, 1);
		_exit(0);
	}
	for (int i = 0; i < 200 && getsid(c) != c; i++)
		usleep(5000);
	JT_ERRNO(tcsetpgrp(0, c), EPERM); /* a group of another session */
	close(p[1]);
	close(p[0]);
	waitpid(c, NULL, 0);
	jt_behaviour("TTY-008", jt_failures_since_mark() == 0, "tcgetpgrp/tcsetpgrp rules");
}

/* A child in its own (background) group runs fn; its wait status, stops included. */
static int in_background(void (*fn)(void))
{
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, 0);
		fn();
		_exit(0);
	}
	setpgid(c, c);
	int st = 0;
	waitpid(c, &st, WUNTRACED);
	if (WIFSTOPPED(st)) {
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
	}
	return st;
}

static void bg_read(void)
{
	char b;
	read(0, &b, 1);
	_exit(3);
}

static void bg_read_ignored(void)
{
	signal(SIGTTIN, SIG_IGN);
	char b;
	_exit(read(0, &b, 1) < 0 && errno == EIO ? 0 : 1);
}

static void bg_write(void)
{
	write(1, "# background write\n", 19);
	_exit(3);
}

static void bg_tcsetpgrp(void)
{
	tcsetpgrp(0, getpgrp());
	_exit(3);
}

/* TTY-009 */
static void test_background(void)
{
	jt_mark();
	int st = in_background(bg_read);
	JT_OK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTIN, "background read: status %#x", st);
	st = in_background(bg_read_ignored);
	JT_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGTTIN ignored: EIO (status %#x)", st);
	struct termios t, saved;
	tcgetattr(0, &saved);
	t = saved;
	t.c_lflag |= TOSTOP;
	JT_EQ(tcsetattr(0, TCSANOW, &t), 0);
	st = in_background(bg_write);
	JT_OK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU, "TOSTOP write: status %#x", st);
	tcsetattr(0, TCSANOW, &saved);
	st = in_background(bg_tcsetpgrp);
	JT_OK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU, "background tcsetpgrp: status %#x", st);
	jt_behaviour("TTY-009", jt_failures_since_mark() == 0, "SIGTTIN, EIO, TOSTOP, SIGTTOU");
}

/* TTY-013 */
static void test_winsize(void)
{
	jt_mark();
	struct winsize ws;
	JT_EQ(ioctl(0, TIOCGWINSZ, &ws), 0);
	JT_OK(ws.ws_row == 0 && ws.ws_col == 0, "fresh size %ux%u", ws.ws_row, ws.ws_col);
	got_sig = 0;
	set_action(SIGWINCH, on_sig);
	struct winsize set = {.ws_row = 24, .ws_col = 80};
	JT_EQ(ioctl(0, TIOCSWINSZ, &set), 0);
	JT_EQ(ioctl(0, TIOCGWINSZ, &ws), 0);
	JT_OK(ws.ws_row == 24 && ws.ws_col == 80, "size %ux%u", ws.ws_row, ws.ws_col);
	JT_EQ(got_sig, SIGWINCH);
	set_action(SIGWINCH, SIG_DFL);
	jt_behaviour("TTY-013", jt_failures_since_mark() == 0, "window size and SIGWINCH");
}

/* TTY-014 */
static void test_empty_read(void)
{
	jt_mark();
	char b[8];
	set_action(SIGUSR1, on_sig);
	got_sig = 0;
	pid_t parent = getpid(), c = fork();
	if (c == 0) {
		usleep(300000);
		kill(parent, SIGUSR1); /* the handled signal that ends the read */
		_exit(0);
	}
	errno = 0;
	long r = read(0, b, sizeof b);
	JT_OK(r == -1 && errno == EINTR, "blocking read: %ld %s", r, jt_errname(errno));
	JT_EQ(got_sig, SIGUSR1);
	waitpid(c, NULL, 0);
	int fl = fcntl(0, F_GETFL);
	fcntl(0, F_SETFL, fl | O_NONBLOCK);
	JT_ERRNO(read(0, b, sizeof b), EAGAIN);
	fcntl(0, F_SETFL, fl);
	JT_EQ(read(0, b, 0), 0);
	jt_behaviour("TTY-014", jt_failures_since_mark() == 0, "empty input: sleeps, EINTR, EAGAIN");
}

/* The child of TTY-012: a new session that takes the console, with a foreground grandchild. */
static void ctty_child(int wfd)
{
	setsid();
	int ok = open("/dev/tty", O_RDWR) < 0 && errno == ENXIO;
	ok &= ioctl(0, TIOCSCTTY, 1) == 0; /* root takes it from the test's session */
	int fd = open("/dev/tty", O_RDWR);
	ok &= fd >= 0;
	pid_t g = fork();
	if (g == 0) {
		setpgid(0, 0);
		for (;;)
			pause();
	}
	setpgid(g, g);
	ok &= tcsetpgrp(0, g) == 0;
	int msg[2] = {ok, g};
	write(wfd, msg, sizeof msg);
	_exit(0);
}

/* TTY-012 (last: it moves the console to another session and takes it back). */
static void test_ctty(void)
{
	jt_mark();
	int fd = open("/dev/tty", O_RDWR);
	JT_OK(fd >= 0, "/dev/tty opens in the controlling session");
	close(fd);
	int p[2];
	JT_EQ(pipe(p), 0);
	signal(SIGTTOU, SIG_IGN);
	pid_t c = fork();
	if (c == 0)
		ctty_child(p[1]);
	int msg[2] = {0, 0};
	JT_EQ(read(p[0], msg, sizeof msg), (long)sizeof msg);
	JT_OK(msg[0], "child: ENXIO, TIOCSCTTY, /dev/tty, tcsetpgrp");
	waitpid(c, NULL, 0);
	int st = 0;
	JT_EQ(waitpid(msg[1], &st, 0), msg[1]); /* the orphan is ours: we are pid 1 */
	JT_OK(WIFSIGNALED(st) && WTERMSIG(st) == SIGHUP, "foreground group: status %#x", st);
	JT_EQ(ioctl(0, TIOCSCTTY, 0), 0); /* released: the test's session takes it back */
	JT_EQ(tcgetpgrp(0), getpgrp());
	close(p[0]);
	close(p[1]);
	jt_behaviour("TTY-012", jt_failures_since_mark() == 0,
		     "ENXIO without one, TIOCSCTTY acquires, SIGHUP on leader exit");
}

int main(void)
{
	if (getsid(0) != getpid())
		setsid();
	if (ioctl(0, TIOCSCTTY, 0) != 0)
		jt_diag("TIOCSCTTY: %s", jt_errname(errno));
	test_isatty();
	test_default_termios();
	test_tcsets();
	test_foreground();
	test_background();
	test_winsize();
	test_empty_read();
	test_ctty();
	return jt_done();
}
