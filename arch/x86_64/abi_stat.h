/*
 * arch/x86_64/abi_stat.h: the port's struct stat as Linux's fstat/newfstatat write it. Included
 * by arch/arch.h.
 */
#ifndef ARCH_ABI_STAT_H
#define ARCH_ABI_STAT_H

#endif
