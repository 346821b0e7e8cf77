/*
 * arch/x86_64/abi_stat.h: the port's struct stat as Linux's fstat/newfstatat write it (Linux
 * arch/x86/include/uapi/asm/stat.h, the 64-bit layout: 144 bytes, a 64-bit st_nlink before
 * st_mode). Included by arch/arch.h; core/sys_stat.c fills it by field name, so the member
 * names are the same on both ports.
 */
#ifndef ARCH_ABI_STAT_H
#define ARCH_ABI_STAT_H

#include <stddef.h>
#include <stdint.h>

struct stat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint64_t st_nlink;
	uint32_t st_mode;
	uint32_t st_uid;
	uint32_t st_gid;
	uint32_t __pad0;
	uint64_t st_rdev;
	int64_t st_size;
	int64_t st_blksize;
	int64_t st_blocks;
	uint64_t st_atime;
	uint64_t st_atime_nsec;
	uint64_t st_mtime;
	uint64_t st_mtime_nsec;
	uint64_t st_ctime;
	uint64_t st_ctime_nsec;
	int64_t __unused[3];
};

_Static_assert(sizeof(struct stat) == 144, "x86_64 struct stat is 144 bytes");
_Static_assert(offsetof(struct stat, st_nlink) == 16, "st_nlink");
_Static_assert(offsetof(struct stat, st_mode) == 24, "st_mode");
_Static_assert(offsetof(struct stat, st_uid) == 28, "st_uid");
_Static_assert(offsetof(struct stat, st_rdev) == 40, "st_rdev");
_Static_assert(offsetof(struct stat, st_size) == 48, "st_size");
_Static_assert(offsetof(struct stat, st_blksize) == 56, "st_blksize");
_Static_assert(offsetof(struct stat, st_blocks) == 64, "st_blocks");
_Static_assert(offsetof(struct stat, st_atime) == 72, "st_atime");
_Static_assert(offsetof(struct stat, st_ctime_nsec) == 112, "st_ctime_nsec");

#endif
