/*
 * core/trap.c: what to do about a synchronous exception, decided once for both ports.
 *
 * The port has already described the exception by role (struct trap_info); this file only
 * applies policy, in this order:
 *   1. a user-mode page fault is resolved by the process's mm (demand paging, copy-on-write);
 *      any other user-mode exception, or a page fault mm_fault refuses, becomes the matching
 *      thread-directed signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, with si_code and
 *      si_addr), which a handler may catch; blocked or ignored, it kills (signal_force_fault);
 *      a page fault that failed for want of memory kills the process with SIGKILL instead,
 *      as Linux's OOM killer would: a caught SIGSEGV would retry the fault forever while the
 *      machine stays out of memory;
 *   2. a kernel-mode page fault on a user address (a user copy touching a page not yet
 *      present, or a copy-on-write page) is resolved the same way; if it cannot be, and the
 *      faulting instruction is in the exception table, the copy resumes at its fixup and
 *      returns -EFAULT;
 *   3. anything else in kernel mode is fatal: a fault in a kernel stack's guard gap (or a
 *      double fault caused by one) is reported as a kernel stack overflow, a fault near
 *      address 0 is flagged as a likely null dereference.
 * mm_fault may sleep (it takes the mm's mutex and may allocate), so it runs with interrupts
 * enabled, and never when the kernel holds a spinlock (a user copy under a spinlock is a bug;
 * the copy then fails with -EFAULT). Kernel code that holds no spinlock runs with interrupts
 * enabled (only spinlocks and the scheduler mask them), so enabling them here is safe.
 */
#include "core/trap.h"

#include "arch/arch.h"
#include "core/cpu.h"
#include "core/errno.h"
#include "core/kstack.h"
#include "core/layout.h"
#include "core/mm.h"
#include "core/panic.h"
#include "core/proc.h"
#include "core/signal.h"

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

/* The exception-table entry for a faulting kernel pc (a user copy), or NULL. */
static const struct extable_entry *extable_find(uintptr_t pc)
{
	for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
		if (e->insn == pc)
			return e;
	return NULL;
}

/* Try to make the page at ti->fault_addr accessible in the running process: 0 if the access
 * may be retried, else mm_fault's error. Interrupts are enabled while the mm works (see the
 * header). */
static int resolve_user_fault(const struct trap_info *ti)
{
	struct proc *p = proc_current();
	if (!p || !p->mm || ti->fault_addr >= USER_TOP || arch_this_cpu()->lock_depth)
		return -EFAULT;
	arch_irq_enable();
	int err = mm_fault(p->mm, ti->fault_addr, ti->write, ti->exec);
	arch_irq_disable();
	return err;
}

/* The signal and si_code of a user exception (mm_fault's answer err for a page fault). */
static int user_fault_signal(const struct trap_info *ti, int err, int *code)
{
	*code = SI_KERNEL;
	switch (ti->kind) {
	case TRAP_PAGE_FAULT:
		if (err == -EIO) { /* a file mapping's page beyond the end of the file */
			*code = BUS_ADRERR;
			return SIGBUS;
		}
		*code = err == -EACCES ? SEGV_ACCERR : SEGV_MAPERR;
		return SIGSEGV;
	case TRAP_ALIGNMENT: *code = BUS_ADRALN; return SIGBUS;
	case TRAP_UNDEFINED: *code = ILL_ILLOPC; return SIGILL;
	case TRAP_BREAKPOINT: *code = TRAP_BRKPT; return SIGTRAP;
	case TRAP_DIVIDE: *code = FPE_INTDIV; return SIGFPE;
	default: return SIGSEGV; /* a protection fault: Linux's SI_KERNEL SIGSEGV */
	}
}

/* A user-mode exception: a page fault the mm resolves is retried; anything else becomes a
 * thread-directed signal, taken (by a handler, or as death) on the way back to user mode. */
static void user_trap(struct trapframe *tf, const struct trap_info *ti)
{
	(void)tf;
	int err = 0, code;
	if (ti->kind == TRAP_PAGE_FAULT && (err = resolve_user_fault(ti)) == 0)
		return;
	if (ti->kind == TRAP_PAGE_FAULT && err == -ENOMEM) {
		struct ksiginfo kill = {.signo = SIGKILL, .code = SI_KERNEL};
		signal_send(proc_current(), 0, &kill);
		return;
	}
	int sig = user_fault_signal(ti, err, &code);
	/* si_addr: the data address of a page or alignment fault, 0 for Linux's SI_KERNEL
	 * signals (a protection fault), else the faulting instruction. */
	uintptr_t addr = ti->kind == TRAP_PAGE_FAULT || ti->kind == TRAP_ALIGNMENT ? ti->fault_addr
			 : code == SI_KERNEL					   ? 0
										   : arch_tf_pc(tf);
	signal_force_fault(sig, code, addr);
}

/* A kernel-mode fault in a user copy: resolved by the mm (retry), or sent to the copy's fixup
 * (-EFAULT). False if pc is not a user copy. */
static bool user_copy_fault(struct trapframe *tf, const struct trap_info *ti)
{
	const struct extable_entry *fix = extable_find(arch_tf_pc(tf));
	if (!fix || (ti->kind != TRAP_PAGE_FAULT && ti->kind != TRAP_PROTECTION &&
		     ti->kind != TRAP_ALIGNMENT))
		return false;
	if (ti->kind == TRAP_PAGE_FAULT && resolve_user_fault(ti) == 0)
		return true;
	arch_tf_set_pc(tf, fix->fixup);
	return true;
}

void trap_handle(struct trapframe *tf, const struct trap_info *ti)
{
	const char *mode = arch_tf_from_user(tf) ? "user" : "kernel";

	if (arch_tf_from_user(tf)) {
		arch_this_cpu()->current->in_user = false;
		user_trap(tf, ti);
		return;
	}
	if (user_copy_fault(tf, ti))
		return;
	if (is_stack_overflow(tf, ti))
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
