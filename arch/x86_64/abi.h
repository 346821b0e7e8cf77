/*
 * arch/x86_64/abi.h: Linux user ABI values that differ between the ports (data only), for the
 * syscall layer in core/. Included by arch/arch.h.
 */
#ifndef ARCH_ABI_H
#define ARCH_ABI_H

#include <stdint.h>

/* open(2) flags whose values differ between the ports (x86_64 uses the asm-generic ones).
 * Every other O_* value is the same on both ports and is the VFS's own (fs/vfs.h);
 * core/sys_file.c maps these four to and from the VFS encoding. */
#define ABI_O_DIRECT 040000
#define ABI_O_LARGEFILE 0100000
#define ABI_O_DIRECTORY 0200000
#define ABI_O_NOFOLLOW 0400000

/* sigaltstack's smallest accepted ss_size (Linux's MINSIGSTKSZ for the port). */
#define ABI_MINSIGSTKSZ 2048

/* struct epoll_event as epoll_ctl reads it and epoll_wait writes it: packed, 12 bytes (Linux's
 * EPOLL_PACKED, kept on x86_64 for 32-bit compatibility). core/epoll.c uses it by field name. */
struct abi_epoll_event {
	uint32_t events;
	uint64_t data;
} __attribute__((packed));
_Static_assert(sizeof(struct abi_epoll_event) == 12, "x86_64 struct epoll_event is 12 bytes");

#endif
