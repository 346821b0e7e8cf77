/*
 * core/vmap.h: device memory in the kernel's VMAP area, and the accessors for it.
 *
 * ioremap() maps the physical range of a device's registers (a PCI BAR, the ECAM window)
 * uncached (MMU_DEVICE) into the VMAP area (core/layout.h) and returns the virtual address of
 * pa itself, so an unaligned pa or size is fine: whole pages are mapped around it. The
 * mapping is read-write, never executable, and shared by every address space (kernel half).
 *
 * The mmio_* accessors are how portable drivers touch such a mapping: one volatile access of
 * exactly the named width (devices such as virtio's common configuration require the natural
 * width of each field), little-endian like both ports. They order nothing against normal
 * memory: a driver that publishes a DMA buffer and then writes a doorbell puts
 * __atomic_thread_fence(__ATOMIC_SEQ_CST) between the two (see drivers/virtio.c).
 */
#ifndef CORE_VMAP_H
#define CORE_VMAP_H

#include <stddef.h>
#include <stdint.h>

/* Map [pa, pa+size) as device memory. Returns the address of pa, or NULL (size 0, range
 * overflow, VMAP area exhausted, or no memory for page tables). Thread or interrupt context;
 * takes a spinlock only for the address allocation. */
void *ioremap(uint64_t pa, size_t size);

/* Unmap what ioremap(pa, size) returned (same size). The virtual range is not reused. */
void iounmap(void *va, size_t size);

static inline uint8_t mmio_read8(const volatile void *a)
{
	return *(const volatile uint8_t *)a;
}

static inline uint16_t mmio_read16(const volatile void *a)
{
	return *(const volatile uint16_t *)a;
}

static inline uint32_t mmio_read32(const volatile void *a)
{
	return *(const volatile uint32_t *)a;
}

static inline void mmio_write8(volatile void *a, uint8_t v)
{
	*(volatile uint8_t *)a = v;
}

static inline void mmio_write16(volatile void *a, uint16_t v)
{
	*(volatile uint16_t *)a = v;
}

static inline void mmio_write32(volatile void *a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

#endif
