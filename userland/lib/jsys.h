/*
 * userland/lib/jsys.h: what several user tests need below libc, written once.
 *
 * jt_sys6 makes a system call with the raw kernel result (-errno, no errno, no TLS: usable
 * while a test has installed a foreign TLS pointer). struct kdirent64 is the kernel's
 * getdents64 record, spelled out because musl maps dirent64 onto dirent. These are test
 * programs, so the per-architecture register convention is chosen by the preprocessor here.
 */
#ifndef JSYS_H
#define JSYS_H

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline long jt_sys6(long n, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
#else
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
#endif
}

struct kdirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* The inode number getdents64 reports for name in dir, or 0. */
static inline uint64_t jt_dirent_ino(const char *dir, const char *name)
{
	char buf[4096];
	uint64_t ino = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return 0;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct kdirent64 *d = (struct kdirent64 *)(buf + off);
			if (strcmp(d->d_name, name) == 0)
				ino = d->d_ino;
			off += d->d_reclen;
		}
	}
	close(fd);
	return ino;
}

#endif
