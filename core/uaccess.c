/*
 * core/uaccess.c: range checks in front of the port's fault-safe user copies (core/uaccess.h).
 *
 * The check is only "wholly below USER_TOP": whether the pages are mapped, and with what
 * permissions, is found out by the copy itself, which faults safely. Checking first would be
 * both redundant and racy.
 */
#include "core/uaccess.h"

#include "arch/arch.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/layout.h"
#include "fs/vfs.h"

bool user_range_ok(uintptr_t u, size_t n)
{
	return u <= USER_TOP && n <= USER_TOP - u;
}

int copy_from_user(void *dst, uintptr_t usrc, size_t n)
{
	if (!user_range_ok(usrc, n))
		return -EFAULT;
	if (n == 0)
		return 0;
	return arch_copy_from_user(dst, usrc, n) == (long)n ? 0 : -EFAULT;
}

int copy_to_user(uintptr_t udst, const void *src, size_t n)
{
	if (!user_range_ok(udst, n))
		return -EFAULT;
	if (n == 0)
		return 0;
	return arch_copy_to_user(udst, src, n) == (long)n ? 0 : -EFAULT;
}

int clear_user(uintptr_t udst, size_t n)
{
	if (!user_range_ok(udst, n))
		return -EFAULT;
	if (n == 0)
		return 0;
	return arch_clear_user(udst, n) == (long)n ? 0 : -EFAULT;
}

long strncpy_from_user(char *dst, uintptr_t usrc, size_t n)
{
	if (usrc >= USER_TOP || n == 0)
		return -EFAULT;
	/* The string may run up to USER_TOP but not past it: one that would is a bad pointer. */
	bool clipped = n > USER_TOP - usrc;
	if (clipped)
		n = USER_TOP - usrc;
	long ret = arch_strncpy_from_user(dst, usrc, n);
	return clipped && ret == -ENAMETOOLONG ? -EFAULT : ret;
}

int user_path_get(uintptr_t upath, char **out, bool allow_empty)
{
	char *buf = kmalloc(PATH_MAX);
	if (!buf)
		return -ENOMEM;
	long len = strncpy_from_user(buf, upath, PATH_MAX);
	if (len >= 0 && len == 0 && !allow_empty)
		len = -ENOENT;
	if (len < 0) {
		kfree(buf);
		return (int)len;
	}
	*out = buf;
	return 0;
}
