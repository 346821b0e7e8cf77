/*
 * core/panic.c: stop the kernel and leave a readable account of why.
 *
 * Output: "KERNEL PANIC on CPU n (arch): message", the registers of the faulting context when the
 * panic comes from a trap, and a backtrace as "  #N 0x<addr>" lines that the runner and
 * tools/boot symbolize. Frames on both ports are {previous frame pointer, return address}; the
 * walk stops at a null frame pointer (the entry code's root frame), at a frame that does not
 * move up the stack, at a misaligned one, or after BACKTRACE_MAX frames. A panic inside a
 * panic prints one line and powers off at once.
 */
#include "core/panic.h"

#include <stdbool.h>

#include "arch/arch.h"
#include "core/console.h"

#define BACKTRACE_MAX 32

struct frame {
	const struct frame *next;
	uintptr_t ret;
};

static int panicking;

void backtrace_print(uintptr_t pc, uintptr_t fp)
{
	unsigned n = 0;

	kprintf("backtrace:\n");
	if (pc)
		kprintf("  #%u %#018lx\n", n++, (unsigned long)pc);
	const struct frame *f = (const struct frame *)fp;
	while (f && n < BACKTRACE_MAX) {
		if ((uintptr_t)f % sizeof(uintptr_t) != 0 || f->ret == 0)
			break;
		kprintf("  #%u %#018lx\n", n++, (unsigned long)f->ret);
		if ((uintptr_t)f->next <= (uintptr_t)f)
			break;
		f = f->next;
	}
}

static void panic_begin(void)
{
	arch_irq_disable();
	if (__atomic_fetch_add(&panicking, 1, __ATOMIC_SEQ_CST) > 0) {
		console_enter_panic_mode();
		kprintf("\nKERNEL PANIC (nested) on CPU %u\n", arch_cpu_id());
		arch_power_off(PANIC_EXIT_STATUS);
	}
	console_enter_panic_mode();
	/* The arch is named so a report read alone says which port fell (ROBUST-010). */
	kprintf("\nKERNEL PANIC on CPU %u (%s): ", arch_cpu_id(), arch_name);
}

static _Noreturn void panic_end(void)
{
	kprintf("end of panic report\n");
	arch_power_off(PANIC_EXIT_STATUS);
}

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;

	panic_begin();
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	backtrace_print(0, arch_frame_pointer());
	panic_end();
}

_Noreturn void panic_tf(const struct trapframe *tf, const char *fmt, ...)
{
	va_list ap;

	panic_begin();
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\nregisters:\n");
	arch_tf_dump(tf);
	backtrace_print(arch_tf_pc(tf), arch_tf_fp(tf));
	panic_end();
}
