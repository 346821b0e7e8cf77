/*
 * core/syscall.h: the syscall dispatcher and the conventions every handler follows.
 *
 * The port's entry code only saves the user registers (arch.h, "User mode") and calls
 * syscall_handle(tf). Core reads the number and arguments by role (arch_tf_syscall_nr,
 * arch_tf_arg), looks the number up in the port's table, calls the handler with interrupts
 * enabled, and stores its result with arch_tf_set_return. A restart code a handler returns
 * (-ERESTARTSYS and friends, core/errno.h) never reaches user space: the syscall is either
 * restarted (arch_tf_restart_syscall) or turned into -EINTR [signals issue decides which].
 *
 * The tables are data: arch/<arch>/syscalls.def lists, for that port's Linux numbers,
 *   SYSCALL(nr, name)             handled by core's sys_<name>
 *   SYSCALL_ARCH(nr, name, fn)    handled by the port's fn (argument-order shims, arch_prctl)
 *   NOSYS(nr, name)               a Linux call Janus does not implement: -ENOSYS, and listed
 *                                 as missing in docs/syscalls.md (tools/gen-syscalls-doc).
 * x86_64-only legacy calls (open, fork, pipe, dup2, stat, ...) are thin sys_<name> wrappers
 * over the *at / clone / pipe2 / dup3 handlers.
 *
 * A handler is `long sys_<name>(const unsigned long *a)` with a[0..5] the six argument
 * registers; it returns a value >= 0 or -errno. It touches user memory only through
 * core/uaccess.h, and finds its process with proc_current().
 */
#ifndef CORE_SYSCALL_H
#define CORE_SYSCALL_H

#include <stdbool.h>
#include <stdint.h>

struct trapframe;

typedef long syscall_fn(const unsigned long *a);

/* Called by the port's syscall entry with the user frame (interrupts masked). Returns with
 * interrupts masked and the result in the frame; the port then calls user_return. */
void syscall_handle(struct trapframe *tf);

/* The user frame of the running thread while it is in a syscall (for fork, exec, sigreturn). */
struct trapframe *syscall_current_tf(void);

/* Declarations of every handler either port's table names (generated from both lists would
 * need the other port's file; instead each handler file declares through this macro). */
#define SYSCALL_DECLARE(name) long sys_##name(const unsigned long *a)

/* strace=1 on the command line: print every syscall and its result (core/main.c sets it). */
extern bool syscall_trace;

/* Counters for /proc/janus and the benchmarks: syscalls made on every CPU. */
uint64_t syscall_count(void);

#endif
