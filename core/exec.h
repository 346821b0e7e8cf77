/*
 * core/exec.h: execve's core (core/exec.c). The syscall layer copies the path and the strings
 * in from user space first (core/sys_proc.c); init is started the same way from the kernel.
 */
#ifndef CORE_EXEC_H
#define CORE_EXEC_H

#include <stddef.h>

struct exec_args {
	const char *filename;     /* as given (AT_EXECFN; "#!" scripts see it as argv) */
	const char *const *argv;  /* kernel copies */
	size_t argc;
	const char *const *envp;
	size_t envc;
};

/* Replace the running process's program. 0: the user frame now starts the new program (the
 * caller returns to user mode normally); -errno: nothing changed (-ENOENT, -EACCES, -ENOEXEC,
 * -E2BIG, -ENOMEM, -EIO, ...). */
int exec_program(const struct exec_args *ea);

#endif
