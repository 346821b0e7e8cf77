/*
 * core/kprintf_console.c: kprintf and klog, the console end of the printf family.
 *
 * Kept apart from the pure formatter (core/kprintf.c) so the host suite can build that one
 * alone. A message is formatted into a line buffer first and written with one console_write()
 * call, so it reaches the console in one piece even when several CPUs print at once.
 */
#include "core/console.h"
#include "core/kprintf.h"

static enum log_level current_level = LOG_INFO;

int kvprintf(const char *fmt, va_list ap)
{
	char buf[512];
	int len = kvsnprintf(buf, sizeof(buf), fmt, ap);
	int shown = len < (int)sizeof(buf) ? len : (int)sizeof(buf) - 1;
	console_write(buf, (unsigned)shown);
	return len;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int len = kvprintf(fmt, ap);
	va_end(ap);
	return len;
}

void klog_set_level(enum log_level level)
{
	current_level = level;
}

void klog(enum log_level level, const char *fmt, ...)
{
	if (level > current_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}
