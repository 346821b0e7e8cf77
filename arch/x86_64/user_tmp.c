/* TEMPORARY (x86 helper, until proc-wip has core/proc.c): weak stand-ins for the two core
 * functions the x86_64 user-mode paths call, so the kernel links and the port's ktests can
 * enter user mode from a kernel thread. The lead's strong definitions replace them; this
 * file goes away when proc-wip is merged. */
#include "arch/arch.h"
#include "core/cpu.h"
#include "core/panic.h"
#include "core/proc.h"

__attribute__((weak)) void user_return(struct trapframe *tf)
{
	(void)tf;
	assert_no_locks_held("user_return");
}

__attribute__((weak)) _Noreturn void proc_fatal_signal(int sig, uintptr_t addr)
{
	panic("fatal signal %d at %#lx in user mode (no processes yet)", sig, (unsigned long)addr);
}
