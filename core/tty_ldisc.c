/*
 * core/tty_ldisc.c: the line discipline (see core/tty_ldisc.h).
 *
 * Input lives in one ring, buf[tail..head) (indices run free and are masked). In canonical
 * mode [tail, canon) holds complete lines, each ended by a slot with its delim bit set (the
 * newline, EOL, EOL2, or an EOF character, which also has its eof bit and is never copied out);
 * [canon, head) is the line being edited, which erase, word erase and kill shorten. In raw
 * mode canon follows head, so every byte is readable at once. Echo goes through the same
 * output processing as writes, and tracks the column so an erase knows how far to back up.
 * Semantics follow Linux's n_tty (erase of a control character echoed as ^X takes two
 * columns; ECHOK/ECHOKE choose between echoing the kill character and erasing visibly).
 */
#include "core/tty_ldisc.h"

#include "core/string.h"

#define MASK (LDISC_BUF - 1)
#define SIG_INT 2
#define SIG_QUIT 3
#define SIG_TSTP 20

#define L(ld, f) (((ld)->t.c_lflag & TTY_##f) != 0)
#define I(ld, f) (((ld)->t.c_iflag & TTY_##f) != 0)

static bool bit(const uint8_t *map, uint32_t i)
{
	i &= MASK;
	return map[i / 8] >> (i % 8) & 1;
}

static void set_bit(uint8_t *map, uint32_t i, bool on)
{
	i &= MASK;
	if (on)
		map[i / 8] |= (uint8_t)(1u << (i % 8));
	else
		map[i / 8] &= (uint8_t)~(1u << (i % 8));
}

void ldisc_default_termios(struct termios_k *t)
{
	static const uint8_t cc[NCCS_K] = {003, 034, 0177, 025, 004, 0, 1, 0, 021, 023,
					   032, 0, 022, 017, 027, 026, 0};
	memset(t, 0, sizeof(*t));
	t->c_iflag = TTY_ICRNL | TTY_IXON;
	t->c_oflag = TTY_OPOST | TTY_ONLCR;
	t->c_cflag = 017 | 060 | 0200; /* B38400 CS8 CREAD */
	t->c_lflag = TTY_ISIG | TTY_ICANON | TTY_ECHO | TTY_ECHOE | TTY_ECHOK | TTY_ECHOCTL |
		     TTY_ECHOKE | TTY_IEXTEN;
	memcpy(t->c_cc, cc, sizeof(cc));
}

void ldisc_init(struct tty_ldisc *ld)
{
	memset(ld, 0, sizeof(*ld));
	ldisc_default_termios(&ld->t);
}

void ldisc_set_termios(struct tty_ldisc *ld, const struct termios_k *t)
{
	bool was_canon = L(ld, ICANON);
	ld->t = *t;
	if (was_canon && !L(ld, ICANON)) {
		ld->canon = ld->head;
	} else if (!was_canon && L(ld, ICANON)) {
		ld->canon = ld->tail;
		ld->line_col = ld->column;
	}
}

void ldisc_flush_input(struct tty_ldisc *ld)
{
	ld->tail = ld->canon = ld->head;
	ld->lnext = false;
	ld->line_col = ld->column;
}

/* ---- Output ------------------------------------------------------------------------------- */

/* Process one byte into out; false if it does not fit (nothing written then). */
static bool out_byte(struct tty_ldisc *ld, unsigned char c, unsigned char *out, size_t cap,
		     size_t *len)
{
	unsigned char tmp[2];
	unsigned n = 0, col = ld->column;
	const uint32_t of = ld->t.c_oflag;
	if (!(of & TTY_OPOST)) {
		tmp[n++] = c;
	} else if (c == '\n' && (of & TTY_ONLCR)) {
		tmp[n++] = '\r', tmp[n++] = '\n', col = 0;
	} else if (c == '\n') {
		tmp[n++] = c;
		if (of & TTY_ONLRET)
			col = 0;
	} else if (c == '\r') {
		if ((of & TTY_ONOCR) && col == 0)
			return true;
		tmp[n++] = (of & TTY_OCRNL) ? '\n' : '\r';
		if (!(of & TTY_OCRNL) || (of & TTY_ONLRET))
			col = 0;
	} else {
		tmp[n++] = c;
		if (c == '\t')
			col = (col | 7) + 1;
		else if (c == '\b')
			col = col ? col - 1 : 0;
		else if (c >= 0x20 && c != 0x7f)
			col++;
	}
	if (*len + n > cap)
		return false;
	memcpy(out + *len, tmp, n);
	*len += n;
	ld->column = col;
	return true;
}

size_t ldisc_output(struct tty_ldisc *ld, const unsigned char *src, size_t n,
		    unsigned char *out, size_t cap, size_t *out_len)
{
	size_t i = 0;
	*out_len = 0;
	while (i < n && out_byte(ld, src[i], out, cap, out_len))
		i++;
	return i;
}

/* ---- Echo ----------------------------------------------------------------------------------- */

static void echo_raw(struct tty_ldisc *ld, unsigned char c, struct ldisc_out *e)
{
	size_t len = e->len;
	out_byte(ld, c, e->buf, LDISC_ECHO, &len);
	e->len = (unsigned)len;
}

static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Echo an input byte as the user should see it: control characters as ^X under ECHOCTL. */
static void echo_char(struct tty_ldisc *ld, unsigned char c, struct ldisc_out *e)
{
	if (L(ld, ECHOCTL) && is_ctl(c) && c != '\t' && c != '\n') {
		echo_raw(ld, '^', e);
		echo_raw(ld, c ^ 0100, e);
	} else {
		echo_raw(ld, c, e);
	}
}

/* The column the line being edited reaches after its bytes up to (not including) end. */
static unsigned line_column(const struct tty_ldisc *ld, uint32_t end)
{
	unsigned col = ld->line_col;
	for (uint32_t i = ld->canon; i != end; i++) {
		unsigned char c = ld->buf[i & MASK];
		if (c == '\t')
			col = (col | 7) + 1;
		else if (is_ctl(c))
			col += L(ld, ECHOCTL) ? 2 : 0;
		else
			col++;
	}
	return col;
}

/* ---- Canonical editing ---------------------------------------------------------------------- */

enum kill_type { ERASE, WERASE, KILL };

static bool is_word(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
}

/* Remove the last byte of the line, echoing the visual erase. */
static void rub_one(struct tty_ldisc *ld, struct ldisc_out *e)
{
	unsigned char c = ld->buf[--ld->head & MASK];
	if (!L(ld, ECHO))
		return;
	if (!L(ld, ECHOE)) {
		echo_char(ld, ld->t.c_cc[VERASE], e);
		return;
	}
	unsigned back = c == '\t' ? ld->column - line_column(ld, ld->head)
			: is_ctl(c) ? (L(ld, ECHOCTL) ? 2 : 0) : 1;
	for (unsigned i = 0; i < back && e->len + 3 <= LDISC_ECHO; i++) {
		echo_raw(ld, '\b', e);
		if (c != '\t') {
			echo_raw(ld, ' ', e);
			echo_raw(ld, '\b', e);
		}
	}
}

static void eraser(struct tty_ldisc *ld, enum kill_type type, struct ldisc_out *e)
{
	if (ld->head == ld->canon)
		return;
	if (type == KILL && (!L(ld, ECHO) || !L(ld, ECHOK) || !L(ld, ECHOKE) || !L(ld, ECHOE))) {
		ld->head = ld->canon;
		if (L(ld, ECHO)) {
			echo_char(ld, ld->t.c_cc[VKILL], e);
			if (L(ld, ECHOK))
				echo_raw(ld, '\n', e);
			ld->line_col = ld->column;
		}
		return;
	}
	unsigned words = 0;
	while (ld->head != ld->canon) {
		unsigned char c = ld->buf[(ld->head - 1) & MASK];
		if (type == WERASE) {
			if (is_word(c))
				words++;
			else if (words)
				break;
		}
		rub_one(ld, e);
		if (type == ERASE)
			break;
	}
}

/* ---- Input ---------------------------------------------------------------------------------- */

static uint32_t used(const struct tty_ldisc *ld)
{
	return ld->head - ld->tail;
}

static void put(struct tty_ldisc *ld, unsigned char c, bool delim, bool eof)
{
	set_bit(ld->delim, ld->head, delim);
	set_bit(ld->eof, ld->head, eof);
	ld->buf[ld->head++ & MASK] = c;
	if (!L(ld, ICANON) || delim) {
		ld->canon = ld->head;
		ld->line_col = ld->column;
	}
}

static int isig(struct tty_ldisc *ld, unsigned char c, int sig, struct ldisc_out *e)
{
	if (!L(ld, NOFLSH))
		ldisc_flush_input(ld);
	if (L(ld, ECHO))
		echo_char(ld, c, e);
	ld->line_col = ld->column;
	return sig;
}

/* A canonical-mode special character: true if c was consumed. */
static bool canon_special(struct tty_ldisc *ld, unsigned char c, struct ldisc_out *e)
{
	const uint8_t *cc = ld->t.c_cc;
	bool ext = L(ld, IEXTEN);
	if (c == cc[VERASE] || c == cc[VKILL] || (ext && c == cc[VWERASE])) {
		eraser(ld, c == cc[VERASE] ? ERASE : c == cc[VKILL] ? KILL : WERASE, e);
		return true;
	}
	if (ext && c == cc[VLNEXT]) {
		ld->lnext = true;
		if (L(ld, ECHO) && L(ld, ECHOCTL)) {
			echo_raw(ld, '^', e);
			echo_raw(ld, '\b', e);
		}
		return true;
	}
	if (c == cc[VEOF]) {
		if (used(ld) < LDISC_BUF)
			put(ld, c, true, true);
		return true;
	}
	bool nl = c == '\n' || (cc[VEOL] && c == cc[VEOL]) || (ext && cc[VEOL2] && c == cc[VEOL2]);
	if (!nl)
		return false;
	if (used(ld) >= LDISC_BUF)
		return true;
	if (L(ld, ECHO) || (c == '\n' && L(ld, ECHONL)))
		echo_char(ld, c, e);
	put(ld, c, true, false);
	return true;
}

int ldisc_receive(struct tty_ldisc *ld, unsigned char c, struct ldisc_out *e)
{
	const uint8_t *cc = ld->t.c_cc;
	if (I(ld, ISTRIP))
		c &= 0x7f;
	bool literal = ld->lnext;
	ld->lnext = false;
	if (!literal) {
		if (L(ld, ISIG) && c && (c == cc[VINTR] || c == cc[VQUIT] || c == cc[VSUSP]))
			return isig(ld, c, c == cc[VINTR] ? SIG_INT : c == cc[VQUIT] ? SIG_QUIT
									 : SIG_TSTP, e);
		if (c == '\r') {
			if (I(ld, IGNCR))
				return 0;
			if (I(ld, ICRNL))
				c = '\n';
		} else if (c == '\n' && I(ld, INLCR)) {
			c = '\r';
		}
		if (L(ld, ICANON) && c && canon_special(ld, c, e))
			return 0;
	}
	uint32_t room = L(ld, ICANON) ? LDISC_BUF - 1 : LDISC_BUF;
	if (used(ld) >= room)
		return 0; /* full: drop (a canonical line keeps one slot for its newline) */
	if (L(ld, ECHO))
		echo_char(ld, c, e);
	put(ld, c, false, false);
	return 0;
}

/* ---- Reading -------------------------------------------------------------------------------- */

unsigned ldisc_avail(const struct tty_ldisc *ld)
{
	unsigned n = 0;
	for (uint32_t i = ld->tail; i != ld->canon; i++)
		n += !bit(ld->eof, i);
	return n;
}

bool ldisc_readable(const struct tty_ldisc *ld, unsigned min)
{
	if (L(ld, ICANON))
		return ld->tail != ld->canon;
	return ld->canon - ld->tail >= (min ? min : 1);
}

size_t ldisc_read(struct tty_ldisc *ld, unsigned char *dst, size_t n)
{
	size_t got = 0;
	bool canon = L(ld, ICANON);
	ld->read_ended = false;
	while (ld->tail != ld->canon && got < n) {
		uint32_t i = ld->tail++;
		bool d = bit(ld->delim, i), eof = bit(ld->eof, i);
		if (!eof)
			dst[got++] = ld->buf[i & MASK];
		if (canon && d) {
			ld->read_ended = true;
			break;
		}
	}
	return got;
}
