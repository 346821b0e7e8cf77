/*
 * tests/host/kshim.c: the kernel environment for core/ and fs/ code built natively.
 *
 * Single-threaded: mutexes only check their own misuse, completions are set before anyone
 * waits (the file-backed block device completes inside submit), kmalloc is malloc (so ASan
 * sees every heap error), kprintf is printf with a "# " prefix so it stays a TAP comment, and
 * panic aborts after printing. Link it with the core/fs files under test; never with the
 * kernel's own core/kheap_global.c, core/sync.c or core/kprintf_console.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errno.h"
#include "core/kheap.h"
#include "core/kprintf.h"
#include "core/panic.h"
#include "core/sync.h"
#include "core/uaccess.h"

void *kmalloc(size_t size)
{
	return malloc(size ? size : 1);
}

void *kzalloc(size_t size)
{
	return calloc(1, size ? size : 1);
}

void kfree(void *ptr)
{
	free(ptr);
}

int kvprintf(const char *fmt, va_list ap)
{
	fputs("# ", stdout);
	return vprintf(fmt, ap);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

void klog(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	(void)level;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;
	printf("Bail out! KERNEL PANIC: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	abort();
}

void completion_init(struct completion *c)
{
	*c = (struct completion)COMPLETION_INIT;
}

void complete(struct completion *c)
{
	c->done = 1;
}

void wait_for_completion(struct completion *c)
{
	if (!c->done)
		panic("host shim: waiting for a completion nobody will signal");
}

void mutex_init(struct mutex *m, const char *name)
{
	*m = (struct mutex)MUTEX_INIT(name);
}

void mutex_lock(struct mutex *m)
{
	if (m->locked)
		panic("mutex %s: locked twice (single-threaded host: a deadlock)", m->name);
	m->locked = 1;
}

void mutex_unlock(struct mutex *m)
{
	if (!m->locked)
		panic("mutex %s: unlocked while not held", m->name);
	m->locked = 0;
}

bool mutex_held(const struct mutex *m)
{
	return m->locked;
}

/* User copies: the host suite has no user space, so a user uio (core/uio.c) always faults. */
int copy_from_user(void *dst, uintptr_t usrc, size_t n)
{
	(void)dst, (void)usrc, (void)n;
	return -EFAULT;
}

int copy_to_user(uintptr_t udst, const void *src, size_t n)
{
	(void)udst, (void)src, (void)n;
	return -EFAULT;
}

int clear_user(uintptr_t udst, size_t n)
{
	(void)udst, (void)n;
	return -EFAULT;
}
