/*
 * core/uio.c: moving bytes for reads and writes. Kernel buffers are plain copies. User
 * addresses go through core/uaccess.h, whose copies are fault-safe but all-or-nothing; to
 * give read(2) and write(2) Linux's partial counts ("the bytes before the bad page"), a user
 * copy is split at user page boundaries and stops at the first page that faults. The bytes
 * moved are then counted, and -EFAULT is returned only if none moved.
 */
#include "core/uio.h"

#include "core/errno.h"
#include "core/pmm.h"
#include "core/string.h"
#include "core/uaccess.h"

enum uio_dir { UIO_OUT, UIO_IN, UIO_ZERO };

/* One piece of a user copy, within one user page. 0 or -EFAULT. */
static int user_piece(uintptr_t uaddr, void *kbuf, size_t n, enum uio_dir dir)
{
	switch (dir) {
	case UIO_OUT: return copy_to_user(uaddr, kbuf, n);
	case UIO_IN: return copy_from_user(kbuf, uaddr, n);
	default: return clear_user(uaddr, n);
	}
}

static long move_user(struct uio *u, char *kbuf, size_t n, enum uio_dir dir)
{
	size_t done = 0;
	while (done < n) {
		size_t piece = PAGE_SIZE - ((u->addr + done) & (PAGE_SIZE - 1));
		if (piece > n - done)
			piece = n - done;
		if (user_piece(u->addr + done, dir == UIO_ZERO ? NULL : kbuf + done, piece, dir))
			break;
		done += piece;
	}
	u->addr += done;
	u->resid -= done;
	return done || n == 0 ? (long)done : -EFAULT;
}

static long move(struct uio *u, void *kbuf, size_t n, enum uio_dir dir)
{
	if (n > u->resid)
		n = u->resid;
	if (u->user)
		return move_user(u, kbuf, n, dir);
	if (dir == UIO_OUT)
		memcpy((void *)u->addr, kbuf, n);
	else if (dir == UIO_IN)
		memcpy(kbuf, (const void *)u->addr, n);
	else
		memset((void *)u->addr, 0, n);
	u->addr += n;
	u->resid -= n;
	return (long)n;
}

long uio_copy_out(struct uio *u, const void *src, size_t n)
{
	return move(u, (void *)src, n, UIO_OUT);
}

long uio_copy_in(struct uio *u, void *dst, size_t n)
{
	return move(u, dst, n, UIO_IN);
}

long uio_zero(struct uio *u, size_t n)
{
	return move(u, NULL, n, UIO_ZERO);
}
