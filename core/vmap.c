/*
 * core/vmap.c: ioremap, a bump allocator over the first half of the VMAP area.
 *
 * Device mappings are made at boot and live for the kernel's lifetime, so the allocator is a
 * pointer that only moves up: each request takes whole pages plus one unmapped guard page
 * after them (a driver that runs off the end of its registers faults instead of touching the
 * next device). iounmap removes the pages but never gives the addresses back; half of the
 * 1 TiB VMAP area is far more than a machine's BARs. The upper half stays free for later
 * users of the area (and the ktests' scratch pages at its very end).
 *
 * Only the address allocation holds vmap_lock; arch_mmu_map runs outside it (it takes the
 * port's own MMU lock and may allocate page-table frames). A failed map leaves a hole in the
 * address range, which costs nothing.
 */
#include "core/vmap.h"

#include "arch/arch.h"
#include "core/kprintf.h"
#include "core/layout.h"
#include "core/pmm.h"
#include "core/spinlock.h"

#define IOREMAP_BASE VMAP_AREA_BASE
#define IOREMAP_END (VMAP_AREA_BASE + VMAP_AREA_SIZE / 2)
#define PAGE_MASK ((uint64_t)PAGE_SIZE - 1)

static uint64_t next_va = IOREMAP_BASE;
static struct spinlock vmap_lock = SPINLOCK_INIT("vmap");

/* Reserve len bytes (page multiple) plus a guard page; 0 when the area is full. */
static uint64_t va_alloc(uint64_t len)
{
	uint64_t va = 0;
	unsigned long s = spin_lock_irqsave(&vmap_lock);
	uint64_t room = IOREMAP_END - next_va;
	if (room >= PAGE_SIZE && len <= room - PAGE_SIZE) {
		va = next_va;
		next_va += len + PAGE_SIZE;
	}
	spin_unlock_irqrestore(&vmap_lock, s);
	return va;
}

void *ioremap(uint64_t pa, size_t size)
{
	if (size == 0 || pa + size < pa || pa + size + PAGE_MASK < pa + size)
		return NULL;
	uint64_t first = pa & ~PAGE_MASK;
	uint64_t len = ((pa + size + PAGE_MASK) & ~PAGE_MASK) - first;
	uint64_t va = va_alloc(len);
	if (!va) {
		pr_warn("ioremap: VMAP area full (%#lx bytes at %#lx)\n", (unsigned long)len,
			(unsigned long)pa);
		return NULL;
	}
	int err = arch_mmu_map(arch_kernel_aspace(), (uintptr_t)va, first, (size_t)len,
			       MMU_READ | MMU_WRITE | MMU_DEVICE);
	if (err) {
		pr_warn("ioremap: mapping %#lx+%#lx failed (%d)\n", (unsigned long)pa,
			(unsigned long)size, err);
		return NULL;
	}
	return (void *)(uintptr_t)(va + (pa - first));
}

void iounmap(void *va, size_t size)
{
	uint64_t v = (uint64_t)(uintptr_t)va;
	if (!va || size == 0)
		return;
	uint64_t first = v & ~PAGE_MASK;
	uint64_t len = ((v + size + PAGE_MASK) & ~PAGE_MASK) - first;
	arch_mmu_unmap(arch_kernel_aspace(), (uintptr_t)first, (size_t)len);
}
