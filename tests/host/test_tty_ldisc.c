/*
 * tests/host/test_tty_ldisc.c: the line discipline (core/tty_ldisc.c) under ASan/UBSan:
 * canonical editing (erase, word erase, kill, EOF, literal next), echo in its variants, input
 * and output translation, ISIG characters, raw mode and switching modes with data buffered.
 */
#include "core/tty_ldisc.h"

#include <stdlib.h>

#include "tap.h"

static struct tty_ldisc ld;
static struct ldisc_out echo;
static char echoed[4096];
static size_t echoed_len;
static int last_sig;

static void reset(void)
{
	ldisc_init(&ld);
	echoed_len = 0;
	echoed[0] = 0;
}

/* Type s; the echo accumulates in echoed; last_sig is the last nonzero signal asked for. */
static void type(const char *s)
{
	last_sig = 0;
	for (; *s; s++) {
		echo.len = 0;
		int sig = ldisc_receive(&ld, (unsigned char)*s, &echo);
		if (sig)
			last_sig = sig;
		if (echoed_len + echo.len >= sizeof(echoed))
			echoed_len = 0; /* only the short tests look at the echo */
		memcpy(echoed + echoed_len, echo.buf, echo.len);
		echoed_len += echo.len;
		echoed[echoed_len] = 0;
	}
}

static char got[4096];

static const char *rd(void)
{
	size_t n = ldisc_read(&ld, (unsigned char *)got, sizeof(got) - 1);
	got[n] = 0;
	return got;
}

static void test_canonical(void)
{
	reset();
	type("abc");
	CHECK(!ldisc_readable(&ld, 1));
	CHECK_EQ(ldisc_avail(&ld), 0);
	type("\n");
	CHECK(ldisc_readable(&ld, 1));
	CHECK_EQ(ldisc_avail(&ld), 4);
	CHECK_STREQ(rd(), "abc\n");
	CHECK_STREQ(echoed, "abc\r\n");
	type("one\ntwo\n");
	CHECK_STREQ(rd(), "one\n"); /* one line per read */
	CHECK_STREQ(rd(), "two\n");
	CHECK(!ldisc_readable(&ld, 1));
	type("abx\177c\r");
	CHECK_STREQ(rd(), "abc\n"); /* DEL erases, CR arrives as NL (ICRNL) */
	type("abx\bc\n");
	CHECK_STREQ(rd(), "abx\bc\n"); /* ^H is data unless it is VERASE */
	tap_point("canonical lines, erase, ICRNL");
}

static void test_kill_eof(void)
{
	reset();
	type("garbage\025ok\n");
	CHECK_STREQ(rd(), "ok\n");
	type("\004");
	CHECK(ldisc_readable(&ld, 1));
	CHECK_EQ(ldisc_read(&ld, (unsigned char *)got, 10), 0); /* EOF at line start: 0 */
	CHECK(!ldisc_readable(&ld, 1));
	type("ab\004");
	CHECK_STREQ(rd(), "ab"); /* EOF mid-line pushes the line without a newline */
	type("hello big  world\027\027x\n");
	CHECK_STREQ(rd(), "hello x\n"); /* ^W twice: "world" then "big  " */
	type("\026\003\n");
	CHECK_EQ(last_sig, 0);
	CHECK_STREQ(rd(), "\003\n"); /* ^V quotes ^C */
	type("x\177\177\177\n");
	CHECK_STREQ(rd(), "\n"); /* erase never crosses the line start */
	tap_point("kill, EOF, word erase, literal next");
}

static void test_echo(void)
{
	reset();
	type("ab\177");
	CHECK_STREQ(echoed, "ab\b \b"); /* ECHOE */
	reset();
	type("a\001\177");
	CHECK_STREQ(echoed, "a^A\b \b\b \b"); /* ECHOCTL: ^A is two columns */
	reset();
	type("ab\025");
	CHECK_STREQ(echoed, "ab\b \b\b \b"); /* ECHOKE: kill erases visibly */
	reset();
	ld.t.c_lflag &= ~TTY_ECHOKE;
	type("ab\025");
	CHECK_STREQ(echoed, "ab^U\r\n"); /* ECHOK without ECHOKE: kill char and newline */
	reset();
	ld.t.c_lflag &= ~TTY_ECHOE;
	type("ab\177");
	CHECK_STREQ(echoed, "ab^?");
	reset();
	type("\tx\177\177");
	CHECK_STREQ(echoed, "\tx\b \b\b\b\b\b\b\b\b\b"); /* a tab backs up to the line start */
	reset();
	ld.t.c_lflag &= ~TTY_ECHO;
	type("secret\n");
	CHECK_STREQ(echoed, "");
	CHECK_STREQ(rd(), "secret\n");
	ld.t.c_lflag |= TTY_ECHONL;
	type("x\n");
	CHECK_STREQ(echoed, "\r\n"); /* ECHONL: only the newline */
	reset();
	ld.t.c_lflag &= ~TTY_ECHOCTL;
	type("\001\n");
	CHECK_STREQ(echoed, "\001\r\n");
	tap_point("echo: ECHO, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOCTL, tabs");
}

static void test_input_translation(void)
{
	reset();
	ld.t.c_iflag |= TTY_IGNCR;
	type("a\rb\n");
	CHECK_STREQ(rd(), "ab\n");
	reset();
	ld.t.c_iflag = TTY_INLCR;
	ld.t.c_lflag &= ~TTY_ICANON;
	type("a\nb\r");
	CHECK_STREQ(rd(), "a\rb\r");
	tap_point("IGNCR, INLCR, ICRNL off");
}

static void test_isig(void)
{
	reset();
	type("partial\003");
	CHECK_EQ(last_sig, 2);
	CHECK_STREQ(echoed, "partial^C");
	type("x\n");
	CHECK_STREQ(rd(), "x\n"); /* the partial line was flushed */
	type("\034");
	CHECK_EQ(last_sig, 3);
	type("\032");
	CHECK_EQ(last_sig, 20);
	ld.t.c_lflag |= TTY_NOFLSH;
	type("keep\003\n");
	CHECK_STREQ(rd(), "keep\n");
	ld.t.c_lflag &= ~TTY_ISIG;
	type("\003\n");
	CHECK_EQ(last_sig, 0);
	CHECK_STREQ(rd(), "\003\n");
	tap_point("ISIG: INTR, QUIT, SUSP, NOFLSH, ISIG off");
}

static void test_raw(void)
{
	reset();
	struct termios_k t = ld.t;
	t.c_lflag &= ~(TTY_ICANON | TTY_ECHO | TTY_ISIG | TTY_IEXTEN);
	t.c_iflag &= ~TTY_ICRNL;
	ldisc_set_termios(&ld, &t);
	type("a");
	CHECK(ldisc_readable(&ld, 1));
	CHECK(!ldisc_readable(&ld, 2));
	type("\177\003\r");
	CHECK_EQ(ldisc_avail(&ld), 4);
	CHECK_STREQ(rd(), "a\177\003\r");
	CHECK_STREQ(echoed, "");
	size_t n = ldisc_read(&ld, (unsigned char *)got, 10);
	CHECK_EQ(n, 0);
	/* Canonical with a half line, then raw: the half line is readable. */
	reset();
	type("half");
	ldisc_set_termios(&ld, &t);
	CHECK_STREQ(rd(), "half");
	/* Raw data, then canonical: it starts the line being edited. */
	type("xy");
	struct termios_k c;
	ldisc_default_termios(&c);
	ldisc_set_termios(&ld, &c);
	CHECK(!ldisc_readable(&ld, 1));
	type("\177z\n");
	CHECK_STREQ(rd(), "xz\n");
	tap_point("raw mode and mode switches");
}

static void test_output(void)
{
	reset();
	unsigned char out[64];
	size_t len;
	const char *s = "a\nb";
	CHECK_EQ(ldisc_output(&ld, (const unsigned char *)s, 3, out, sizeof(out), &len), 3);
	CHECK_EQ(len, 4);
	CHECK(memcmp(out, "a\r\nb", 4) == 0);
	ld.t.c_oflag &= ~TTY_OPOST;
	CHECK_EQ(ldisc_output(&ld, (const unsigned char *)s, 3, out, sizeof(out), &len), 3);
	CHECK_EQ(len, 3);
	CHECK(memcmp(out, "a\nb", 3) == 0);
	ld.t.c_oflag = TTY_OPOST | TTY_ONLCR;
	const char *nl = "\n\n\n";
	CHECK_EQ(ldisc_output(&ld, (const unsigned char *)nl, 3, out, 5, &len), 2); /* no room */
	CHECK_EQ(len, 4);
	ld.t.c_oflag = TTY_OPOST | TTY_OCRNL;
	CHECK_EQ(ldisc_output(&ld, (const unsigned char *)"\r", 1, out, 8, &len), 1);
	CHECK_EQ(out[0], '\n');
	tap_point("output: OPOST, ONLCR, OCRNL, partial output");
}

static void test_full(void)
{
	reset();
	for (unsigned i = 0; i < LDISC_BUF + 10; i++)
		type("x");
	type("\n");
	CHECK_EQ(ldisc_avail(&ld), LDISC_BUF);
	unsigned char *big = malloc(LDISC_BUF + 1);
	CHECK_EQ(ldisc_read(&ld, big, LDISC_BUF + 1), LDISC_BUF);
	CHECK_EQ(big[LDISC_BUF - 1], '\n');
	free(big);
	for (unsigned i = 0; i < 3 * LDISC_BUF; i++) /* indices wrap */
		type("y\n"), rd();
	CHECK(!ldisc_readable(&ld, 1));
	tap_point("a full buffer keeps room for the newline; indices wrap");
}

int main(void)
{
	test_canonical();
	test_kill_eof();
	test_echo();
	test_input_translation();
	test_isig();
	test_raw();
	test_output();
	test_full();
	return tap_done();
}
