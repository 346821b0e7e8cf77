/*
 * core/tty_ldisc.h: the terminal line discipline (Linux's N_TTY), as pure logic.
 *
 * No locks, no sleeping, no user memory: the caller (core/tty.c) serialises every call on one
 * discipline and does the waiting, the signals and the device output. Input bytes go in one at
 * a time (ldisc_receive), which edits the line, fills the echo buffer and names the signal an
 * ISIG character asks for; readers take bytes out with ldisc_read; process output goes through
 * ldisc_output (OPOST). Host-tested in tests/host/test_tty_ldisc.c.
 */
#ifndef CORE_TTY_LDISC_H
#define CORE_TTY_LDISC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's struct termios (TCGETS/TCSETS): 36 bytes, the same on x86_64 and aarch64. */
#define NCCS_K 19
struct termios_k {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[NCCS_K];
};
_Static_assert(sizeof(struct termios_k) == 36, "the kernel's struct termios is 36 bytes");

/* c_cc indices */
enum { VINTR, VQUIT, VERASE, VKILL, VEOF, VTIME, VMIN, VSWTC, VSTART, VSTOP, VSUSP, VEOL,
       VREPRINT, VDISCARD, VWERASE, VLNEXT, VEOL2 };

/* c_iflag */
#define TTY_IGNBRK 0000001u
#define TTY_ISTRIP 0000040u
#define TTY_INLCR 0000100u
#define TTY_IGNCR 0000200u
#define TTY_ICRNL 0000400u
#define TTY_IXON 0002000u
/* c_oflag */
#define TTY_OPOST 0000001u
#define TTY_ONLCR 0000004u
#define TTY_OCRNL 0000010u
#define TTY_ONOCR 0000020u
#define TTY_ONLRET 0000040u
/* c_lflag */
#define TTY_ISIG 0000001u
#define TTY_ICANON 0000002u
#define TTY_ECHO 0000010u
#define TTY_ECHOE 0000020u
#define TTY_ECHOK 0000040u
#define TTY_ECHONL 0000100u
#define TTY_NOFLSH 0000200u
#define TTY_TOSTOP 0000400u
#define TTY_ECHOCTL 0001000u
#define TTY_ECHOKE 0004000u
#define TTY_IEXTEN 0100000u

#define LDISC_BUF 4096u  /* input bytes buffered (a power of two) */
#define LDISC_ECHO 256u  /* echo bytes produced by one ldisc_receive at most */

struct ldisc_out {
	unsigned char buf[LDISC_ECHO];
	unsigned len;
};

struct tty_ldisc {
	struct termios_k t;
	unsigned char buf[LDISC_BUF];
	uint8_t eof[LDISC_BUF / 8]; /* bit set: this slot is an EOF delimiter, never copied out */
	uint8_t delim[LDISC_BUF / 8]; /* bit set: this slot ends a canonical line */
	uint32_t tail, canon, head; /* [tail, canon): readable in canonical mode; [canon, head):
	                             * the line being edited; in raw mode canon == head */
	unsigned column;   /* output column, for erasing tabs and ONOCR */
	unsigned line_col; /* column where the line being edited started */
	bool lnext;        /* the previous byte was VLNEXT: take this one literally */
	bool read_ended;   /* the last ldisc_read ended a canonical line (or EOF) */
};

/* The default termios of a new terminal (Linux's tty_std_termios). */
void ldisc_default_termios(struct termios_k *t);
void ldisc_init(struct tty_ldisc *ld);

/* Replace the termios; switching ICANON keeps buffered input (raw: all of it is readable;
 * canonical: it becomes the start of the line being edited). */
void ldisc_set_termios(struct tty_ldisc *ld, const struct termios_k *t);

/* One input byte: edits, echoes into *echo (appending), and returns the signal an ISIG
 * character asks for (SIGINT 2, SIGQUIT 3, SIGTSTP 20) or 0. */
int ldisc_receive(struct tty_ldisc *ld, unsigned char c, struct ldisc_out *echo);

/* Bytes a read could return now (FIONREAD): canonical: the complete lines; raw: everything. */
unsigned ldisc_avail(const struct tty_ldisc *ld);
/* Canonical: a complete line (perhaps an empty EOF one) is waiting; raw: avail >= min. */
bool ldisc_readable(const struct tty_ldisc *ld, unsigned min);
/* Copy out up to n bytes: canonical mode stops after one line (an EOF delimiter is consumed,
 * not copied, so an empty EOF line gives 0). */
size_t ldisc_read(struct tty_ldisc *ld, unsigned char *dst, size_t n);
/* Discard all input (TCSETSF, TCFLSH, ISIG without NOFLSH). */
void ldisc_flush_input(struct tty_ldisc *ld);

/* Output processing of src into out (at most cap bytes): how many of src were consumed. */
size_t ldisc_output(struct tty_ldisc *ld, const unsigned char *src, size_t n,
		    unsigned char *out, size_t cap, size_t *out_len);

#endif
