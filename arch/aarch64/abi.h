/*
 * arch/aarch64/abi.h: Linux user ABI values that differ between the ports (data only), for the
 * syscall layer in core/. Included by arch/arch.h.
 */
#ifndef ARCH_ABI_H
#define ARCH_ABI_H

#include <stdint.h>

/* open(2) flags whose values differ between the ports (arm64's own asm/fcntl.h). Every other
 * O_* value is the same on both ports and is the VFS's own (fs/vfs.h); core/sys_file.c maps
 * these four to and from the VFS encoding. */
#define ABI_O_DIRECTORY 040000
#define ABI_O_NOFOLLOW 0100000
#define ABI_O_DIRECT 0200000
#define ABI_O_LARGEFILE 0400000

/* sigaltstack's smallest accepted ss_size (Linux's MINSIGSTKSZ for the port). */
#define ABI_MINSIGSTKSZ 5120

/* struct epoll_event as epoll_ctl reads it and epoll_wait writes it: natural alignment, 16
 * bytes (the 64-bit data at offset 8). core/epoll.c uses it by field name. */
struct abi_epoll_event {
	uint32_t events;
	uint64_t data;
};
_Static_assert(sizeof(struct abi_epoll_event) == 16, "aarch64 struct epoll_event is 16 bytes");

#endif
