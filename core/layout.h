/*
 * core/layout.h: the kernel's virtual address layout, the same shape on both ports.
 *
 *   0x0000000000000000 - 0x00007fffffffffff  user half (per process; empty in the kernel, so a
 *                                             null dereference faults)
 *   0xffff800000000000 + pa                  DIRECT MAP of all RAM (read-write, never
 *                                             executable); phys_to_virt() points here
 *   0xffffc00000000000 ...                   KERNEL STACKS: one KSTACK_SLOT per stack, the
 *                                             stack in the slot's top KSTACK_SIZE, everything
 *                                             below it unmapped (the guard)
 *   0xffffd00000000000 ...                   KERNEL VMAP area (device mappings, later more)
 *   0xffffffff80000000 + pa                  KERNEL IMAGE (-mcmodel=kernel; TTBR1): text
 *                                             read+execute, rodata read-only, data/bss
 *                                             read-write, not executable
 *
 * The early page tables of each port already map DIRECT_MAP_BASE + [0, 2 GiB), so
 * phys_to_virt() works from kmain's first line for memory below EARLY_MAP_LIMIT;
 * arch_mmu_init() then maps all RAM. The port may keep private windows of its own above
 * KERNEL_IMAGE_BASE - 1 GiB (x86_64's LAPIC/IOAPIC window; aarch64's device window).
 */
#ifndef CORE_LAYOUT_H
#define CORE_LAYOUT_H

#define DIRECT_MAP_BASE 0xffff800000000000ull
#define DIRECT_MAP_SIZE 0x0000400000000000ull /* 64 TiB */
#define KSTACK_AREA_BASE 0xffffc00000000000ull
#define KSTACK_SIZE 0x4000ull                  /* 16 KiB */
#define KSTACK_SLOT 0x8000ull                  /* 32 KiB: 16 KiB guard below each stack */
#define KSTACK_AREA_SIZE 0x0000001000000000ull /* 64 GiB of slots */
#define VMAP_AREA_BASE 0xffffd00000000000ull
#define VMAP_AREA_SIZE 0x0000010000000000ull   /* 1 TiB */
#define KERNEL_IMAGE_BASE 0xffffffff80000000ull
#define EARLY_MAP_LIMIT 0x80000000ull /* RAM the early tables reach through the direct map */
#define USER_TOP 0x0000800000000000ull

#ifndef __ASSEMBLER__
#include <stdint.h>

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(pa + DIRECT_MAP_BASE);
}

/* Physical address of a direct-map or kernel-image address. */
static inline uint64_t virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)(uintptr_t)va;
	return v >= KERNEL_IMAGE_BASE ? v - KERNEL_IMAGE_BASE : v - DIRECT_MAP_BASE;
}
#endif

#endif
