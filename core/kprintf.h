/*
 * core/kprintf.h: formatted output for the kernel.
 *
 * kvformat() is the one formatter: pure, no locks, no I/O, so the host suite tests it under
 * ASan/UBSan. It supports %d %i %u %x %X %o %p %s %c %%, flags '-' '0' '+' ' ' '#', field
 * width and precision (numbers or '*'), and the length modifiers hh h l ll z t j. kprintf()
 * sends the result to the console under the console lock, so one call's output is never torn by
 * another CPU's. klog() adds a level filter (loglevel= on the command line).
 */
#ifndef CORE_KPRINTF_H
#define CORE_KPRINTF_H

#include <stdarg.h>
#include <stddef.h>

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* Format into out(c, ctx) one byte at a time. Returns the number of bytes produced. */
int kvformat(void (*out)(char c, void *ctx), void *ctx, const char *fmt, va_list ap);

/* snprintf semantics: always NUL-terminates when n > 0; returns the length it wanted. */
int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t n, const char *fmt, ...) PRINTF_LIKE(3, 4);

int kprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
int kvprintf(const char *fmt, va_list ap);

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Print when level <= the current log level (default LOG_INFO; loglevel=N on the cmdline). */
void klog(enum log_level level, const char *fmt, ...) PRINTF_LIKE(2, 3);
void klog_set_level(enum log_level level);

#define pr_err(...) klog(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) klog(LOG_WARN, __VA_ARGS__)
#define pr_info(...) klog(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

#endif
