/*
 * core/cmdline.c: look up words of the kernel command line.
 *
 * The line is parsed on every call: it is short, read a handful of times at boot, and
 * keeping no state means no initialisation order to get wrong. Words after a lone "--" are
 * init's arguments and are never taken as kernel options.
 */
#include "core/cmdline.h"

#include "core/string.h"

/* Find the next word: returns its start and sets *len, or NULL at the end or at "--". */
static const char *next_word(const char *p, size_t *len)
{
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return NULL;
	size_t n = 0;
	while (p[n] && p[n] != ' ' && p[n] != '\t')
		n++;
	if (n == 2 && p[0] == '-' && p[1] == '-')
		return NULL;
	*len = n;
	return p;
}

bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t n)
{
	size_t klen = strlen(key), len;
	bool found = false;

	for (const char *w = cmdline; (w = next_word(w, &len)) != NULL; w += len) {
		if (len < klen || strncmp(w, key, klen) != 0)
			continue;
		if (len != klen && w[klen] != '=')
			continue;
		found = true;
		const char *val = len == klen ? w + len : w + klen + 1;
		size_t vlen = (size_t)(w + len - val);
		if (n) {
			size_t copy = vlen < n - 1 ? vlen : n - 1;
			memcpy(buf, val, copy);
			buf[copy] = '\0';
		}
	}
	return found;
}

unsigned long cmdline_get_ulong(const char *cmdline, const char *key, unsigned long def)
{
	char buf[32];
	if (!cmdline_get(cmdline, key, buf, sizeof(buf)) || !buf[0])
		return def;
	unsigned base = 10;
	const char *p = buf;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	unsigned long v = 0;
	for (; *p; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9') d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f') d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F') d = (unsigned)(*p - 'A' + 10);
		else return def;
		v = v * base + d;
	}
	return v;
}
