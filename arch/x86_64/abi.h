/*
 * arch/x86_64/abi.h: Linux user ABI values that differ between the ports (data only), for the
 * syscall layer in core/. Included by arch/arch.h.
 */
#ifndef ARCH_ABI_H
#define ARCH_ABI_H

#endif
