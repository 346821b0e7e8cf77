/*
 * core/syscall.c: one dispatcher for both ports.
 *
 * The table is built from the port's syscalls.def (core/syscall.h explains the format): every
 * number starts at sys_ni (-ENOSYS) and each SYSCALL/SYSCALL_ARCH line installs its handler.
 * The port's entry code has saved the user registers in tf and calls syscall_handle with
 * interrupts masked; handlers run with interrupts enabled, like any thread code, and may
 * sleep. A restart code a handler returns (ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND,
 * ERESTART_RESTARTBLOCK) never reaches the user's register: it is handed to the signal code
 * (signal_syscall_restart) with -EINTR in the register, and signal_deliver, which runs before
 * the return to user mode, either restarts the call or leaves -EINTR, depending on the
 * handler it runs (core/signal_deliver.c). rt_sigreturn replaces the whole frame and marks
 * the thread (sigreturned) so that its result does not overwrite the restored register.
 *
 * strace=1 on the kernel command line prints every syscall as it returns:
 *   strace: [pid/tid] name(a0, a1, a2, a3) = result
 * (exit, exit_group and a successful execve of a new image print nothing or the new
 * program's view; results are raw: -errno for errors).
 */
#include "core/syscall.h"

#include "arch/arch.h"
#include "core/cpu.h"
#include "core/errno.h"
#include "core/kprintf.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/signal.h"

#define SYSCALL(nr, name) long sys_##name(const unsigned long *a);
#define SYSCALL_ARCH(nr, name, fn) long fn(const unsigned long *a);
#define NOSYS(nr, name)
#include "syscalls.def"
#undef SYSCALL
#undef SYSCALL_ARCH
#undef NOSYS

#define SYSCALL_TABLE_SIZE 512

static long sys_ni(const unsigned long *a)
{
	(void)a;
	return -ENOSYS;
}

static syscall_fn *const syscall_table[SYSCALL_TABLE_SIZE] = {
#define SYSCALL(nr, name) [nr] = sys_##name,
#define SYSCALL_ARCH(nr, name, fn) [nr] = fn,
#define NOSYS(nr, name)
#include "syscalls.def"
#undef SYSCALL
#undef SYSCALL_ARCH
#undef NOSYS
};

/* Names for strace=1, from the same list. */
static const char *const syscall_names[SYSCALL_TABLE_SIZE] = {
#define SYSCALL(nr, name) [nr] = #name,
#define SYSCALL_ARCH(nr, name, fn) [nr] = #name,
#define NOSYS(nr, name) [nr] = #name,
#include "syscalls.def"
#undef SYSCALL
#undef SYSCALL_ARCH
#undef NOSYS
};

bool syscall_trace;

static void trace(unsigned long nr, const unsigned long *a, long ret)
{
	const char *name = nr < SYSCALL_TABLE_SIZE ? syscall_names[nr] : NULL;
	struct thread *t = thread_current();
	int pid = t->proc ? t->proc->pid : 0;
	if (name)
		kprintf("strace: [%d/%d] %s(%#lx, %#lx, %#lx, %#lx) = %ld\n", pid, t->tid, name,
			a[0], a[1], a[2], a[3], ret);
	else
		kprintf("strace: [%d/%d] syscall %lu(%#lx, %#lx, %#lx, %#lx) = %ld\n", pid, t->tid,
			nr, a[0], a[1], a[2], a[3], ret);
}

uint64_t syscall_count(void)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < MAX_CPUS; i++)
		n += __atomic_load_n(&cpus[i].syscall_count, __ATOMIC_RELAXED);
	return n;
}

struct trapframe *syscall_current_tf(void)
{
	return arch_user_tf(thread_current()->stack_top);
}

static bool is_restart(long ret)
{
	return ret == -ERESTARTSYS || ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND ||
	       ret == -ERESTART_RESTARTBLOCK;
}

/* The hot path of every syscall: interrupts stay masked from the entry to the handler call,
 * so the per-CPU data read here (the count, the current thread) needs no further masking,
 * and nothing here changes the interrupt flag except around the handler (each change ends a
 * translation block under TCG, docs/performance.md). */
void syscall_handle(struct trapframe *tf)
{
	unsigned long a[6];
	unsigned long nr = arch_tf_syscall_args(tf, a);
	syscall_fn *fn = nr < SYSCALL_TABLE_SIZE && syscall_table[nr] ? syscall_table[nr] : sys_ni;
	struct cpu *c = arch_this_cpu();
	struct thread *t = c->current;

	c->syscall_count++;
	t->in_user = false;
	arch_irq_enable();
	long ret = fn(a);
	if (syscall_trace)
		trace(nr, a, ret);
	arch_irq_disable();
	if (t->sigreturned) {
		t->sigreturned = false;
		return;
	}
	if (is_restart(ret)) {
		signal_syscall_restart(t, ret);
		ret = -EINTR;
	}
	arch_tf_set_return(tf, (unsigned long)ret);
}
