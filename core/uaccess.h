/*
 * core/uaccess.h: the only way core, fs and drivers touch user memory.
 *
 * Every call checks that the whole range lies below USER_TOP (so a kernel address is refused
 * with -EFAULT before any access) and then uses the port's fault-safe copy (arch.h), whose
 * faulting instructions are in the exception table: an unmapped or forbidden user address
 * gives -EFAULT, never a kernel fault. There is no "validate, then dereference" anywhere:
 * another thread may unmap the page between the two.
 *
 * Callers must not hold a spinlock or the mm lock (a copy may fault and page in).
 */
#ifndef CORE_UACCESS_H
#define CORE_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if [u, u + n) lies wholly in the user half (n == 0: u <= USER_TOP). */
bool user_range_ok(uintptr_t u, size_t n);

/* 0, or -EFAULT (no partial success). */
int copy_from_user(void *dst, uintptr_t usrc, size_t n);
int copy_to_user(uintptr_t udst, const void *src, size_t n);
int clear_user(uintptr_t udst, size_t n);
/* A NUL-terminated string into dst[0, n): its length, -EFAULT, or -ENAMETOOLONG when it does
 * not fit with its NUL. */
long strncpy_from_user(char *dst, uintptr_t usrc, size_t n);

/* Convenience for fixed-size values: get_user(&k, uaddr) / put_user(uaddr, &k). */
#define get_user(kptr, uaddr) copy_from_user((kptr), (uaddr), sizeof(*(kptr)))
#define put_user(uaddr, kptr) copy_to_user((uaddr), (kptr), sizeof(*(kptr)))

/* A path argument: copied into a kmalloc'd PATH_MAX buffer (*out; kfree it). 0, -EFAULT,
 * -ENAMETOOLONG, -ENOENT for an empty string (unless allow_empty), -ENOMEM. */
int user_path_get(uintptr_t upath, char **out, bool allow_empty);

#endif
