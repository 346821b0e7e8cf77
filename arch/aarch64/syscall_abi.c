/*
 * arch/aarch64/syscall_abi.c: where the aarch64 syscall ABI differs from the order core's
 * handlers take their arguments in.
 *
 * clone: asm-generic kernels on arm64 build with CONFIG_CLONE_BACKWARDS, so the raw call is
 * clone(flags, newsp, parent_tid, tls, child_tid), while core's proc_clone takes x86_64's
 * (flags, newsp, parent_tid, child_tid, tls). sys_clone_aarch64 swaps the last two (table
 * entry 220 in syscalls.def). Everything else in the generic table reaches core unchanged:
 * the arguments are x0-x5 in order and the number is x8 (user.c).
 */
#include "arch/arch.h"
#include "core/proc.h"

long sys_clone_aarch64(const unsigned long *a);

long sys_clone_aarch64(const unsigned long *a)
{
	return proc_clone(a[0], a[1], a[2], a[4], a[3]);
}
