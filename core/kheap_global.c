/*
 * core/kheap_global.c: the kernel's heap, one struct kheap behind one spinlock.
 *
 * Pages come from the frame allocator (alloc_npages, exact length, so a 5-page block costs 5
 * frames) and are reached through phys_to_virt(), which is why pmm_boot_init only manages RAM
 * that phys_to_virt() can reach. The heap is statically initialised: there is no boot step,
 * and until the frame allocator has memory every kmalloc simply returns NULL.
 *
 * Lock order: heap_lock, then the pmm lock (taken inside alloc_npages / free_npages when the
 * heap needs or returns pages). Nothing takes the heap lock while holding the pmm lock.
 */
#include "core/kheap.h"

#include "core/layout.h"
#include "core/panic.h"
#include "core/spinlock.h"
#include "core/string.h"

static void *frames_alloc(void *ctx, size_t npages)
{
	uint64_t pa = alloc_npages(npages);
	return pa ? phys_to_virt(pa) : NULL;
}

static void frames_free(void *ctx, void *pages, size_t npages)
{
	free_npages(virt_to_phys(pages), npages);
}

static struct spinlock heap_lock = SPINLOCK_INIT("kheap");
static struct kheap kernel_heap = { /* guarded by heap_lock */
	.src = {frames_alloc, frames_free, NULL},
};

void *kmalloc(size_t size)
{
	unsigned long s = spin_lock_irqsave(&heap_lock);
	void *p = kheap_alloc(&kernel_heap, size);
	spin_unlock_irqrestore(&heap_lock, s);
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);
	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(void *ptr)
{
	unsigned long s = spin_lock_irqsave(&heap_lock);
	int err = kheap_free(&kernel_heap, ptr);
	spin_unlock_irqrestore(&heap_lock, s);
	if (err) /* after unlocking, so panic's output cannot wait on this lock */
		panic("kfree(%p): not a live kmalloc pointer (double free?)", ptr);
}

void kheap_release_free_pages(void)
{
	unsigned long s = spin_lock_irqsave(&heap_lock);
	kheap_trim(&kernel_heap);
	spin_unlock_irqrestore(&heap_lock, s);
}

void kheap_get_stats(struct kheap_stats *out)
{
	unsigned long s = spin_lock_irqsave(&heap_lock);
	*out = kernel_heap.st;
	spin_unlock_irqrestore(&heap_lock, s);
}
