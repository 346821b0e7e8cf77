/*
 * core/kprintf.c: the kernel's printf family.
 *
 * One formatter, kvformat(), drives every output through a byte callback; it holds no state
 * and takes no lock, so the host suite runs it under ASan/UBSan against the C library's
 * snprintf. Console output goes through console_write() (core/console.c), which takes the
 * console lock once per call: a kprintf line is never interleaved with another CPU's.
 */
#include "core/kprintf.h"

#include <stdbool.h>
#include <stdint.h>

#include "core/console.h"
#include "core/string.h"

struct spec {
	bool left, zero, plus, space, alt;
	int width;     /* -1: none */
	int precision; /* -1: none */
	int length;    /* 0 int, 1 long, 2 long long, -1 short, -2 char, 3 size_t/ptrdiff/intmax */
};

struct sink {
	void (*out)(char c, void *ctx);
	void *ctx;
	int count;
};

static void put(struct sink *s, char c)
{
	s->out(c, s->ctx);
	s->count++;
}

static void pad(struct sink *s, char c, int n)
{
	while (n-- > 0)
		put(s, c);
}

/* Emit a field: prefix (sign or 0x), zero/space padding, digits, left-justification. */
static void emit_field(struct sink *s, const struct spec *sp, const char *prefix,
		       const char *body, int len, int zeros)
{
	int plen = (int)strlen(prefix);
	int total = plen + zeros + len;
	int fill = sp->width > total ? sp->width - total : 0;

	if (!sp->left && !(sp->zero && sp->precision < 0))
		pad(s, ' ', fill);
	for (int i = 0; i < plen; i++)
		put(s, prefix[i]);
	if (!sp->left && sp->zero && sp->precision < 0)
		pad(s, '0', fill);
	pad(s, '0', zeros);
	for (int i = 0; i < len; i++)
		put(s, body[i]);
	if (sp->left)
		pad(s, ' ', fill);
}

static void emit_number(struct sink *s, const struct spec *sp, uint64_t v, bool negative,
			unsigned base, bool upper, bool is_pointer)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int len = 0;
	const char *prefix = "";
	bool nonzero = v != 0;

	if (!(v == 0 && sp->precision == 0)) {
		do {
			buf[sizeof(buf) - 1 - len++] = digits[v % base];
			v /= base;
		} while (v);
	}
	int zeros = sp->precision > len ? sp->precision - len : 0;
	if (negative)
		prefix = "-";
	else if (sp->plus && base == 10 && !is_pointer)
		prefix = "+";
	else if (sp->space && base == 10 && !is_pointer)
		prefix = " ";
	else if (base == 16 && ((sp->alt && nonzero) || is_pointer)) /* "%#x" of 0 is "0" */
		prefix = upper ? "0X" : "0x";
	else if (sp->alt && base == 8 && zeros == 0 && (len == 0 || buf[sizeof(buf) - len] != '0'))
		zeros = 1;
	emit_field(s, sp, prefix, buf + sizeof(buf) - len, len, zeros);
}

static void emit_string(struct sink *s, const struct spec *sp, const char *str)
{
	if (!str)
		str = "(null)";
	size_t max = sp->precision >= 0 ? (size_t)sp->precision : SIZE_MAX;
	int len = (int)strnlen(str, max);
	emit_field(s, sp, "", str, len, 0);
}

/* Parse flags, width, precision and length; returns the conversion character's position. */
static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){.width = -1, .precision = -1};
	for (;; f++) {
		if (*f == '-') sp->left = true;
		else if (*f == '0') sp->zero = true;
		else if (*f == '+') sp->plus = true;
		else if (*f == ' ') sp->space = true;
		else if (*f == '#') sp->alt = true;
		else break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		f++;
	} else {
		for (sp->width = 0; *f >= '0' && *f <= '9'; f++)
			sp->width = sp->width * 10 + (*f - '0');
	}
	if (*f == '.') {
		f++;
		if (*f == '*') {
			sp->precision = va_arg(*ap, int);
			if (sp->precision < 0)
				sp->precision = -1;
			f++;
		} else {
			for (sp->precision = 0; *f >= '0' && *f <= '9'; f++)
				sp->precision = sp->precision * 10 + (*f - '0');
		}
	}
	for (;; f++) {
		if (*f == 'l') sp->length = sp->length == 1 ? 2 : 1;
		else if (*f == 'h') sp->length = sp->length == -1 ? -2 : -1;
		else if (*f == 'z' || *f == 't' || *f == 'j') sp->length = 3;
		else break;
	}
	return f;
}

static int64_t signed_arg(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case -2: return (signed char)va_arg(*ap, int);
	case -1: return (short)va_arg(*ap, int);
	case 0: return va_arg(*ap, int);
	case 1: return va_arg(*ap, long);
	default: return va_arg(*ap, long long);
	}
}

static uint64_t unsigned_arg(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case -2: return (unsigned char)va_arg(*ap, unsigned);
	case -1: return (unsigned short)va_arg(*ap, unsigned);
	case 0: return va_arg(*ap, unsigned);
	case 1: return va_arg(*ap, unsigned long);
	default: return va_arg(*ap, unsigned long long);
	}
}

static void convert(struct sink *s, char conv, const struct spec *sp, va_list *ap)
{
	switch (conv) {
	case 'd':
	case 'i': {
		int64_t v = signed_arg(sp, ap);
		uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
		emit_number(s, sp, mag, v < 0, 10, false, false);
		break;
	}
	case 'u': {
		struct spec unsigned_sp = *sp; /* '+' and ' ' apply to signed conversions only */
		unsigned_sp.plus = unsigned_sp.space = false;
		emit_number(s, &unsigned_sp, unsigned_arg(sp, ap), false, 10, false, false);
		break;
	}
	case 'x': emit_number(s, sp, unsigned_arg(sp, ap), false, 16, false, false); break;
	case 'X': emit_number(s, sp, unsigned_arg(sp, ap), false, 16, true, false); break;
	case 'o': emit_number(s, sp, unsigned_arg(sp, ap), false, 8, false, false); break;
	case 'p':
		emit_number(s, sp, (uintptr_t)va_arg(*ap, void *), false, 16, false, true);
		break;
	case 's': emit_string(s, sp, va_arg(*ap, const char *)); break;
	case 'c': {
		char c = (char)va_arg(*ap, int);
		emit_field(s, sp, "", &c, 1, 0);
		break;
	}
	default: /* %% and unknown conversions print themselves */
		put(s, '%');
		if (conv != '%' && conv)
			put(s, conv);
		break;
	}
}

int kvformat(void (*out)(char c, void *ctx), void *ctx, const char *fmt, va_list ap)
{
	struct sink s = {out, ctx, 0};
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&s, *fmt++);
			continue;
		}
		struct spec sp;
		fmt = parse_spec(fmt + 1, &sp, &args);
		convert(&s, *fmt, &sp, &args);
		if (*fmt)
			fmt++;
	}
	va_end(args);
	return s.count;
}

struct bufctx {
	char *buf;
	size_t n, pos;
};

static void buf_out(char c, void *ctx)
{
	struct bufctx *b = ctx;
	if (b->pos + 1 < b->n)
		b->buf[b->pos] = c;
	b->pos++;
}

int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct bufctx b = {buf, n, 0};
	int len = kvformat(buf_out, &b, fmt, ap);
	if (n > 0)
		buf[b.pos < n ? b.pos : n - 1] = '\0';
	return len;
}

int ksnprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int len = kvsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return len;
}
