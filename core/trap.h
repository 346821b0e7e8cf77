/*
 * core/trap.h: synchronous exceptions, described by role so core never decodes an ESR or an
 * x86 error code. The port fills struct trap_info and calls trap_handle().
 *
 * Kernel-mode faults: a fault inside a guard page below a kernel stack is reported as a kernel
 * stack overflow; a fault at an address registered in the exception table (user copies, the
 * processes issue) resumes at its fixup; anything else panics with the description, the
 * registers and the backtrace. User-mode faults become signals (processes and signals issues);
 * until then they panic too.
 */
#ifndef CORE_TRAP_H
#define CORE_TRAP_H

#include <stdbool.h>
#include <stdint.h>

struct trapframe;

enum trap_kind {
	TRAP_PAGE_FAULT,   /* translation or permission fault on a data access or fetch */
	TRAP_ALIGNMENT,
	TRAP_UNDEFINED,    /* undefined / invalid opcode */
	TRAP_BREAKPOINT,
	TRAP_DIVIDE,       /* x86_64 #DE */
	TRAP_PROTECTION,   /* x86_64 #GP and friends; aarch64 illegal state, SP alignment */
	TRAP_DOUBLE_FAULT, /* x86_64 #DF, or an exception taken on an unusable stack */
	TRAP_OTHER,
};

struct trap_info {
	enum trap_kind kind;
	uintptr_t fault_addr; /* TRAP_PAGE_FAULT / TRAP_ALIGNMENT; else 0 */
	bool write;           /* the access was a write */
	bool exec;            /* the access was an instruction fetch */
	bool present;         /* a mapping existed (permission fault) */
	const char *desc;     /* the port's one-line description, e.g. "data abort, level 3" */
};

/*
 * The exception table: one entry per instruction that may fault on a user address (the
 * port's uaccess.S). The port's assembly emits { insn, fixup } pairs of absolute 64-bit
 * addresses into the section .extable, which its linker script keeps (KEEP) between the
 * symbols __extable_start and __extable_end. On a kernel-mode fault core first tries to
 * resolve it (mm_fault: demand paging, copy-on-write) if the address is a user one, and
 * otherwise, if the faulting PC is in the table, resumes at its fixup (arch_tf_set_pc).
 */
struct extable_entry {
	uintptr_t insn, fixup;
};
extern const struct extable_entry __extable_start[], __extable_end[];

/* Called by the port with interrupts masked. Returns if the exception was handled (the port
 * then returns from it with tf as core left it); otherwise does not return. */
void trap_handle(struct trapframe *tf, const struct trap_info *info);

#endif
