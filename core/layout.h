/*
 * core/layout.h: the kernel's virtual address layout, the same shape on both ports.
 *
 * The kernel image runs in the top 2 GiB: virtual = KERNEL_IMAGE_BASE + physical (x86_64
 * -mcmodel=kernel; aarch64 TTBR1). During early boot each port maps the first 2 GiB of physical
 * address space there, so physical memory below 2 GiB (RAM on both QEMU machines, the DTB, the
 * PVH start info, low MMIO) is reachable through phys_to_virt(). The user half (TTBR0, PML4
 * entries 0-255) starts empty: address 0 is never mapped, so a null dereference faults.
 * The memory issue adds a direct map of all RAM; phys_to_virt() then moves to it.
 */
#ifndef CORE_LAYOUT_H
#define CORE_LAYOUT_H

#include <stdint.h>

#define KERNEL_IMAGE_BASE 0xffffffff80000000ull
#define KERNEL_WINDOW_SIZE 0x80000000ull /* physical memory reachable before the direct map */

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(pa + KERNEL_IMAGE_BASE);
}

static inline uint64_t virt_to_phys(const void *va)
{
	return (uint64_t)(uintptr_t)va - KERNEL_IMAGE_BASE;
}

#endif
