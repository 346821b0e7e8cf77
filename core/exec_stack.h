/*
 * core/exec_stack.h: build the initial user stack of a new program (argc, argv, envp, auxv).
 *
 * Pure logic: the stack is laid out in a kernel buffer whose last byte stands for the byte
 * just below user_stack_top; exec then copies the used tail of the buffer to the new user
 * stack. The layout is Linux's (fs/binfmt_elf.c create_elf_tables), from high to low:
 *
 *   user_stack_top:  8 zero bytes (end marker)
 *                    execfn string                     <- AT_EXECFN
 *                    envp strings (envp[envc-1] highest)
 *                    argv strings (argv[0] lowest)
 *                    padding to 16 bytes
 *                    platform string (optional)        <- AT_PLATFORM
 *                    16 random bytes                   <- AT_RANDOM
 *                    padding (zero) so that sp is 16-byte aligned
 *                    auxv: (type, value) pairs ... AT_NULL, 0
 *                    NULL, envp[envc-1] ... envp[0]
 *                    NULL, argv[argc-1] ... argv[0]
 *   sp:              argc
 *
 * sp is 16-byte aligned, as both the x86_64 psABI (%rsp at process entry) and AAPCS64 (sp
 * always) require. No random gap is inserted (Linux's arch_align_stack): pass a lower,
 * randomised user_stack_top for that. AT_SYSINFO_EHDR is absent (no vDSO).
 *
 * Limits (Linux's, with an 8 MiB stack rlimit): each string, NUL included, at most
 * MAX_ARG_STRLEN (128 KiB); argv + envp + execfn strings plus one pointer per argv/envp entry
 * at most EXEC_ARG_MAX (2 MiB, a quarter of the rlimit); otherwise -E2BIG. argc 0 is turned
 * into argc 1 with argv[0] == "" (Linux >= 5.18).
 */
#ifndef CORE_EXEC_STACK_H
#define CORE_EXEC_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_HWCAP2 26
#define AT_EXECFN 31
#define AT_SYSINFO_EHDR 33
#define AT_MINSIGSTKSZ 51

#define MAX_ARG_STRLEN (32 * 4096)          /* one string, NUL included */
#define EXEC_ARG_MAX (8ull * 1024 * 1024 / 4) /* strings + argv/envp pointers */
#define EXEC_PLATFORM_MAX 64                /* AT_PLATFORM string, NUL included */
#define EXEC_AUXV_MAX 24                    /* pairs, AT_NULL included */
/* A buffer this big always fits a stack that passes the limits. */
#define EXEC_STACK_MAX \
	(EXEC_ARG_MAX + 8 + 16 + EXEC_PLATFORM_MAX + 16 + 3 * 8 + EXEC_AUXV_MAX * 16 + 32)

struct exec_stack_in {
	const char *const *argv;  /* argc kernel strings (already copied from the caller) */
	size_t argc;              /* 0 is allowed: argv[0] becomes "" */
	const char *const *envp;
	size_t envc;
	const char *execfn;       /* the path given to execve (AT_EXECFN) */
	const uint8_t *random;    /* 16 bytes for AT_RANDOM */
	const char *platform;     /* AT_PLATFORM string, or NULL for none */
	uint64_t hwcap, hwcap2;   /* AT_HWCAP, AT_HWCAP2: the port's values */
	uint64_t phdr, phent, phnum, entry; /* from struct elf_image */
	uint64_t base;            /* AT_BASE: interpreter load address (0 for static programs) */
	uint64_t minsigstksz;     /* AT_MINSIGSTKSZ, or 0 to leave it out */
	uint32_t uid, euid, gid, egid;
	bool secure;              /* AT_SECURE */
};

struct exec_stack_out {
	uint64_t sp;              /* the new user sp: 16-byte aligned, points at argc */
	size_t size;              /* bytes used: [sp, user_stack_top) */
	size_t argc;              /* as written (1 when the caller passed 0) */
	uint64_t argv, envp, auxv; /* user addresses of the three arrays */
	uint64_t execfn, random, platform; /* user addresses of those strings/bytes (platform 0
	                                    * when absent) */
	uint64_t arg_start, arg_end, env_start, env_end; /* the strings (mm->arg_start etc.) */
};

/* Bytes exec_stack_build would use for in: 0 and *size, or -E2BIG / -EINVAL as it would. */
int exec_stack_measure(const struct exec_stack_in *in, size_t *size);

/*
 * Lay the stack out in buf[0, buf_size), where buf + buf_size stands for user_stack_top (which
 * must be 16-byte aligned). Only the last out->size bytes are written. 0 on success; -E2BIG
 * when a string or the total is over the limits above or buf_size is too small (a buffer of
 * EXEC_STACK_MAX bytes never is); -EINVAL for a misaligned or too low user_stack_top, a NULL
 * string, random or execfn, or a platform string of EXEC_PLATFORM_MAX bytes or more.
 */
int exec_stack_build(const struct exec_stack_in *in, uint8_t *buf, size_t buf_size,
                     uint64_t user_stack_top, struct exec_stack_out *out);

#endif
