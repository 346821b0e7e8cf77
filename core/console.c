/*
 * core/console.c: serialised output to the boot console.
 *
 * The lock is taken once per write so lines from different CPUs never interleave. Panic
 * switches to lock-free output: the CPU that panics may be the lock's holder, and its last
 * words matter more than tidiness.
 */
#include "core/console.h"

#include <stdbool.h>

#include "arch/arch.h"
#include "core/spinlock.h"

static struct spinlock console_lock = SPINLOCK_INIT("console");
static bool panic_mode;

static void emit(const char *s, unsigned len)
{
	for (unsigned i = 0; i < len; i++) {
		if (s[i] == '\n')
			arch_console_putc('\r');
		arch_console_putc(s[i]);
	}
}

void console_write(const char *s, unsigned len)
{
	if (__atomic_load_n(&panic_mode, __ATOMIC_RELAXED)) {
		emit(s, len);
		return;
	}
	unsigned long state = spin_lock_irqsave(&console_lock);
	emit(s, len);
	spin_unlock_irqrestore(&console_lock, state);
}

void console_write_raw(const char *s, unsigned len)
{
	unsigned long state = spin_lock_irqsave(&console_lock);
	for (unsigned i = 0; i < len; i++)
		arch_console_putc(s[i]);
	spin_unlock_irqrestore(&console_lock, state);
}

void console_enter_panic_mode(void)
{
	__atomic_store_n(&panic_mode, true, __ATOMIC_RELAXED);
}
