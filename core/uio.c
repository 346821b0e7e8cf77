/*
 * core/uio.c: moving bytes for reads and writes. Kernel buffers are plain copies. User
 * addresses go through the port's fault-safe copies, which arrive with user mode (processes
 * issue); until then no code path creates a user uio, and one that did gets -EFAULT.
 */
#include "core/uio.h"

#include "core/errno.h"
#include "core/string.h"

static long move(struct uio *u, void *kbuf, size_t n, bool out)
{
	if (n > u->resid)
		n = u->resid;
	if (u->user)
		return -EFAULT; /* user copies arrive with the processes issue */
	if (out)
		memcpy((void *)u->addr, kbuf, n);
	else
		memcpy(kbuf, (const void *)u->addr, n);
	u->addr += n;
	u->resid -= n;
	return (long)n;
}

long uio_copy_out(struct uio *u, const void *src, size_t n)
{
	return move(u, (void *)src, n, true);
}

long uio_copy_in(struct uio *u, void *dst, size_t n)
{
	return move(u, dst, n, false);
}

long uio_zero(struct uio *u, size_t n)
{
	if (n > u->resid)
		n = u->resid;
	if (u->user)
		return -EFAULT;
	memset((void *)u->addr, 0, n);
	u->addr += n;
	u->resid -= n;
	return (long)n;
}
