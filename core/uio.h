/*
 * core/uio.h: where the bytes of a read or write go: a kernel buffer or user memory.
 *
 * File systems and devices move data only through uio_copy_out (to the caller) and
 * uio_copy_in (from the caller), so one read() path serves kernel callers, user processes
 * (through the fault-safe arch copies, which turn a bad pointer into -EFAULT), and the host
 * suite (tests/host/kshim.c, kernel buffers only). The uio advances as bytes move.
 */
#ifndef CORE_UIO_H
#define CORE_UIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uio {
	uintptr_t addr;  /* current position: a kernel pointer, or a user address */
	size_t resid;    /* bytes still to move */
	bool user;       /* addr is a user address (processes issue) */
};

static inline struct uio uio_kernel(void *buf, size_t n)
{
	return (struct uio){(uintptr_t)buf, n, false};
}

/* Copy up to n bytes from src to the uio (n is capped at resid). Returns bytes copied, or
 * -EFAULT if user memory faulted before any byte moved (a partial count otherwise). */
long uio_copy_out(struct uio *u, const void *src, size_t n);

/* Copy up to n bytes from the uio into dst; same conventions. */
long uio_copy_in(struct uio *u, void *dst, size_t n);

/* Zero-fill up to n bytes of the uio (holes). Same conventions. */
long uio_zero(struct uio *u, size_t n);

#endif
