/*
 * core/console_input.h: bytes typed on the console, buffered by the UART's receive interrupt.
 * A 4 KiB ring; when it is full new bytes are dropped (and counted), never old ones overwritten.
 * The terminal line discipline (signals issue) reads from here.
 */
#ifndef CORE_CONSOLE_INPUT_H
#define CORE_CONSOLE_INPUT_H

#include <stdint.h>

#include "core/boot_info.h"

/* Register the UART interrupt handler and enable receive interrupts. */
void console_input_init(const struct boot_info *bi);

/* Next buffered byte, or -1 if none. Never blocks. */
int console_input_getc(void);

/* Sleep until at least one byte is buffered (returns at once if one is). Thread context, no
 * spinlock held. Not interruptible yet: signals will end it once they exist [signals issue]. */
void console_input_wait(void);

struct file;
struct poll_table;
/* For the console's file_ops->poll: POLLIN | POLLRDNORM if a byte is buffered, else 0,
 * after registering pt (core/poll.h) on the queue the receive interrupt wakes. */
unsigned console_input_poll(struct file *f, struct poll_table *pt);

/* Bytes dropped because the ring was full. */
uint64_t console_input_dropped(void);

#endif
