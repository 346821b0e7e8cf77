/*
 * arch/aarch64/abi_stat.h: the port's struct stat as Linux's fstat/newfstatat write it (the
 * asm-generic layout, include/uapi/asm-generic/stat.h: 128 bytes, st_mode before a 32-bit
 * st_nlink, a 32-bit st_blksize). Included by arch/arch.h; core/sys_stat.c fills it by field
 * name, so the member names are the same on both ports.
 */
#ifndef ARCH_ABI_STAT_H
#define ARCH_ABI_STAT_H

#include <stddef.h>
#include <stdint.h>

struct stat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint32_t st_mode;
	uint32_t st_nlink;
	uint32_t st_uid;
	uint32_t st_gid;
	uint64_t st_rdev;
	uint64_t __pad1;
	int64_t st_size;
	int32_t st_blksize;
	int32_t __pad2;
	int64_t st_blocks;
	int64_t st_atime;
	uint64_t st_atime_nsec;
	int64_t st_mtime;
	uint64_t st_mtime_nsec;
	int64_t st_ctime;
	uint64_t st_ctime_nsec;
	uint32_t __unused4;
	uint32_t __unused5;
};

_Static_assert(sizeof(struct stat) == 128, "asm-generic struct stat is 128 bytes");
_Static_assert(offsetof(struct stat, st_mode) == 16, "st_mode");
_Static_assert(offsetof(struct stat, st_nlink) == 20, "st_nlink");
_Static_assert(offsetof(struct stat, st_uid) == 24, "st_uid");
_Static_assert(offsetof(struct stat, st_rdev) == 32, "st_rdev");
_Static_assert(offsetof(struct stat, st_size) == 48, "st_size");
_Static_assert(offsetof(struct stat, st_blksize) == 56, "st_blksize");
_Static_assert(offsetof(struct stat, st_blocks) == 64, "st_blocks");
_Static_assert(offsetof(struct stat, st_atime) == 72, "st_atime");
_Static_assert(offsetof(struct stat, st_ctime_nsec) == 112, "st_ctime_nsec");

#endif
