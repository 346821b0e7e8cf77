/*
 * core/panic.h: the kernel's last words.
 *
 * panic() prints "KERNEL PANIC on CPU n: <message>", the registers of the faulting context if
 * there is one (panic_tf), and a backtrace walked from frame pointers as lines
 * "  #N 0x<address>", which tools/ turn into function and file:line with llvm-symbolizer.
 * Then it powers off with PANIC_EXIT_STATUS. Both markers are what the test runner looks for.
 */
#ifndef CORE_PANIC_H
#define CORE_PANIC_H

#include <stdint.h>

#include "core/kprintf.h"

#define PANIC_EXIT_STATUS 112

struct trapframe;

_Noreturn void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);
_Noreturn void panic_tf(const struct trapframe *tf, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Print a backtrace starting at pc, then walking the frame chain from fp. */
void backtrace_print(uintptr_t pc, uintptr_t fp);

#define ASSERT(cond)                                                                   \
	do {                                                                           \
		if (!(cond))                                                           \
			panic("assertion failed: %s at %s:%d", #cond, __FILE__, __LINE__); \
	} while (0)

#endif
