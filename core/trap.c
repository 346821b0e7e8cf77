/*
 * core/trap.c: what to do about a synchronous exception, decided once for both ports.
 *
 * The port has already described the exception by role (struct trap_info); this file only
 * applies policy. Today every exception is fatal: the question is how to say so. A fault in a
 * kernel stack's guard gap (or a double fault caused by one) is a kernel stack overflow and
 * says that first; a fault near address 0 is flagged as a likely null dereference. Later issues
 * add the exception-table fixups (user copies) and signals for user-mode faults here.
 */
#include "core/trap.h"

#include "arch/arch.h"
#include "core/kstack.h"
#include "core/panic.h"

static const char *kind_name(enum trap_kind k)
{
	switch (k) {
	case TRAP_PAGE_FAULT: return "page fault";
	case TRAP_ALIGNMENT: return "alignment fault";
	case TRAP_UNDEFINED: return "undefined instruction";
	case TRAP_BREAKPOINT: return "breakpoint";
	case TRAP_DIVIDE: return "divide error";
	case TRAP_PROTECTION: return "protection fault";
	case TRAP_DOUBLE_FAULT: return "double fault";
	default: return "exception";
	}
}

static const char *access_name(const struct trap_info *ti)
{
	if (ti->exec)
		return "instruction fetch";
	return ti->write ? "write" : "read";
}

static bool is_stack_overflow(const struct trapframe *tf, const struct trap_info *ti)
{
	if (ti->kind != TRAP_PAGE_FAULT && ti->kind != TRAP_DOUBLE_FAULT)
		return false;
	return kstack_in_guard(ti->fault_addr) || kstack_in_guard(arch_tf_sp(tf));
}

/* The fixup for a faulting instruction of the user copies, or 0 (core/trap.h). */
static uintptr_t extable_fixup(uintptr_t pc)
{
	for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
		if (e->insn == pc)
			return e->fixup;
	return 0;
}

void trap_handle(struct trapframe *tf, const struct trap_info *ti)
{
	const char *mode = arch_tf_from_user(tf) ? "user" : "kernel";
	uintptr_t fixup = arch_tf_from_user(tf) ? 0 : extable_fixup(arch_tf_pc(tf));

	if (fixup) {
		arch_tf_set_pc(tf, fixup);
		return;
	}

	if (!arch_tf_from_user(tf) && is_stack_overflow(tf, ti))
		panic_tf(tf, "kernel stack overflow: %s at %#lx, sp %#lx (%s)", access_name(ti),
			 (unsigned long)ti->fault_addr, (unsigned long)arch_tf_sp(tf), ti->desc);
	if (ti->kind == TRAP_PAGE_FAULT || ti->kind == TRAP_ALIGNMENT)
		panic_tf(tf, "%s in %s mode: %s at %#lx (%s%s) at pc %#lx [%s]",
			 kind_name(ti->kind), mode, access_name(ti), (unsigned long)ti->fault_addr,
			 ti->present ? "permission" : "not mapped",
			 ti->fault_addr < 4096 ? "; null pointer?" : "",
			 (unsigned long)arch_tf_pc(tf), ti->desc);
	panic_tf(tf, "%s in %s mode at pc %#lx (%s)", kind_name(ti->kind), mode,
		 (unsigned long)arch_tf_pc(tf), ti->desc);
}
