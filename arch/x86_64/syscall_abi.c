/*
 * arch/x86_64/syscall_abi.c: the x86_64-only parts of the syscall ABI.
 *
 * arch_prctl(2) (syscall 158): the FS and GS bases of the calling thread. FS base is the TLS
 * pointer (arch_thread_set_tls / get_tls, user.c); the user GS base is kept per thread too,
 * in KERNEL_GS_BASE while the thread is in the kernel (swapgs puts it there) and in its
 * arch_thread while it is switched out (user.c). As on Linux, a base at or above
 * TASK_SIZE_MAX (the top user page's end, 2^47 - 4096) is refused with EPERM: a user GS base
 * must never look like a kernel address (trap_entry.S tells the two apart by the sign), and
 * a non-canonical one would #GP in the MSR write. ARCH_GET_FS / ARCH_GET_GS store the base
 * at the user pointer (EFAULT if it is bad). Every other code (CPUID faulting, vDSO mapping,
 * AMX permissions) is EINVAL: Janus offers none of them.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/layout.h"
#include "core/sched.h"
#include "core/syscall.h"
#include "core/uaccess.h"
#include "x86.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define TASK_SIZE_MAX (USER_TOP - 4096)

long sys_arch_prctl(const unsigned long *a);

long sys_arch_prctl(const unsigned long *a)
{
	struct thread *t = thread_current();
	unsigned long base;

	switch (a[0]) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (a[1] >= TASK_SIZE_MAX)
			return -EPERM;
		if (a[0] == ARCH_SET_FS)
			arch_thread_set_tls(t, a[1]);
		else
			x86_thread_set_user_gs(t, a[1]);
		return 0;
	case ARCH_GET_FS:
	case ARCH_GET_GS:
		base = a[0] == ARCH_GET_FS ? arch_thread_get_tls(t) : x86_thread_get_user_gs(t);
		return put_user(a[1], &base);
	default:
		return -EINVAL;
	}
}
