/*
 * core/cmdline.h: the kernel command line, "key=value" and bare "flag" words separated by
 * spaces. Everything after a lone "--" belongs to init (processes issue).
 */
#ifndef CORE_CMDLINE_H
#define CORE_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

/* Copy the value of key into buf (NUL-terminated, truncated to n-1). Returns true if the key
 * is present (a bare word gives an empty value). The last occurrence wins. */
bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t n);

/* Value of key as an unsigned decimal or 0x-hex number, or def if absent or not a number. */
unsigned long cmdline_get_ulong(const char *cmdline, const char *key, unsigned long def);

#endif
