/*
 * core/console.h: the kernel console, over the port's polled UART (arch_console_putc).
 * '\n' goes out as "\r\n". One console_write() call is atomic with respect to other CPUs.
 */
#ifndef CORE_CONSOLE_H
#define CORE_CONSOLE_H

void console_write(const char *s, unsigned len);
/* The bytes as they are, no NL translation (the terminal's output processing did it). */
void console_write_raw(const char *s, unsigned len);

/* From now on, write without taking the console lock: panic may interrupt a holder. */
void console_enter_panic_mode(void);

#endif
