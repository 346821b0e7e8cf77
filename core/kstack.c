/*
 * core/kstack.c: allocate kernel stacks in guarded slots.
 *
 * Slots are handed out from a bitmap under kstack_lock; the frames behind a stack are
 * separate pages from the frame allocator (a stack need not be physically contiguous), mapped
 * into the kernel address space through the arch MMU interface. The bitmap bounds the number
 * of live stacks (KSTACK_MAX); freeing unmaps the pages and returns them.
 *
 * owner[slot] is the thread running on the slot's stack (sched.c sets it when it gives a
 * thread its stack); only that thread reads its own entry through kstack_owner, and the entry
 * changes only while no thread runs on the stack (before the first switch to it, in
 * kstack_free after the thread is gone), so readers need no lock.
 */
#include "core/kstack.h"

#include "arch/arch.h"
#include "core/layout.h"
#include "core/panic.h"
#include "core/pmm.h"
#include "core/spinlock.h"

#define KSTACK_MAX 4096
#define PAGE 4096u
#define STACK_PAGES (KSTACK_SIZE / PAGE)

static uint64_t used[KSTACK_MAX / 64]; /* guarded by kstack_lock */
static struct spinlock kstack_lock = SPINLOCK_INIT("kstack");
static struct thread *owner[KSTACK_MAX];

static int slot_take(void)
{
	unsigned long s = spin_lock_irqsave(&kstack_lock);
	int slot = -1;
	for (unsigned i = 0; i < KSTACK_MAX && slot < 0; i++) {
		if (!(used[i / 64] & (1ull << (i % 64)))) {
			used[i / 64] |= 1ull << (i % 64);
			slot = (int)i;
		}
	}
	spin_unlock_irqrestore(&kstack_lock, s);
	return slot;
}

static void slot_give(unsigned slot)
{
	unsigned long s = spin_lock_irqsave(&kstack_lock);
	used[slot / 64] &= ~(1ull << (slot % 64));
	spin_unlock_irqrestore(&kstack_lock, s);
}

static uintptr_t slot_top(unsigned slot)
{
	return (uintptr_t)(KSTACK_AREA_BASE + (uint64_t)(slot + 1) * KSTACK_SLOT);
}

/* Unmap and free the first n pages of the stack ending at top. */
static void release_pages(uintptr_t top, unsigned n)
{
	uintptr_t base = top - KSTACK_SIZE;
	for (unsigned i = 0; i < n; i++) {
		uint64_t pa;
		unsigned prot;
		if (arch_mmu_query(arch_kernel_aspace(), base + i * PAGE, &pa, &prot) == 0) {
			arch_mmu_unmap(arch_kernel_aspace(), base + i * PAGE, PAGE);
			free_page(pa);
		}
	}
}

uintptr_t kstack_alloc(void)
{
	int slot = slot_take();
	if (slot < 0)
		return 0;
	uintptr_t top = slot_top((unsigned)slot), base = top - KSTACK_SIZE;
	for (unsigned i = 0; i < STACK_PAGES; i++) {
		uint64_t pa = alloc_page();
		if (!pa || arch_mmu_map(arch_kernel_aspace(), base + i * PAGE, pa, PAGE,
					MMU_READ | MMU_WRITE) != 0) {
			if (pa)
				free_page(pa);
			release_pages(top, i);
			slot_give((unsigned)slot);
			return 0;
		}
	}
	return top;
}

void kstack_free(uintptr_t top)
{
	if (top <= KSTACK_AREA_BASE || (top - KSTACK_AREA_BASE) % KSTACK_SLOT != 0 ||
	    top > KSTACK_AREA_BASE + (uint64_t)KSTACK_MAX * KSTACK_SLOT)
		panic("kstack_free: %#lx is not a stack top", (unsigned long)top);
	release_pages(top, STACK_PAGES);
	owner[(top - KSTACK_AREA_BASE) / KSTACK_SLOT - 1] = NULL;
	slot_give((unsigned)((top - KSTACK_AREA_BASE) / KSTACK_SLOT - 1));
}

bool kstack_in_guard(uintptr_t addr)
{
	if (addr < KSTACK_AREA_BASE || addr >= KSTACK_AREA_BASE + KSTACK_AREA_SIZE)
		return false;
	return (addr - KSTACK_AREA_BASE) % KSTACK_SLOT < KSTACK_SLOT - KSTACK_SIZE;
}

void kstack_set_owner(uintptr_t top, struct thread *t)
{
	if (top <= KSTACK_AREA_BASE || (top - KSTACK_AREA_BASE) % KSTACK_SLOT != 0 ||
	    top > KSTACK_AREA_BASE + (uint64_t)KSTACK_MAX * KSTACK_SLOT)
		return; /* not a slot's stack (a boot stack): thread_current finds it the slow way */
	owner[(top - KSTACK_AREA_BASE) / KSTACK_SLOT - 1] = t;
}

struct thread *kstack_owner(uintptr_t addr)
{
	uint64_t off = addr - KSTACK_AREA_BASE; /* wraps to a huge value below the area */
	if (off >= (uint64_t)KSTACK_MAX * KSTACK_SLOT)
		return NULL;
	return owner[off / KSTACK_SLOT];
}
