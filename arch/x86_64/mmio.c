/*
 * arch/x86_64/mmio.c: a small window of uncached kernel mappings for device registers.
 *
 * The boot page tables (entry.S) map only physical 0-2 GiB, but the local APIC (0xfee00000)
 * and the IOAPIC (0xfec00000) sit just below 4 GiB. They are mapped here instead, into a fixed
 * 2 MiB window of kernel virtual space just below the kernel image:
 *
 *     MMIO_WINDOW = 0xffffffff7fe00000 .. 0xffffffff80000000
 *     (PML4[511] -> boot_pdpt_high[509] -> mmio_pd[511] -> mmio_pt, 512 4 KiB pages)
 *
 * with PCD and PWT set (uncacheable under the power-on PAT), NX, and never unmapped.
 * x86_mmio_map() hands out pages from the window in order, like a bump allocator; mapping
 * the same physical page twice gives two virtual pages, which is harmless for uncached
 * registers. The PDPT slot 509 is unused by the boot tables (they fill 510 and 511).
 *
 * The memory issue, which builds the kernel's real page tables, must carry this window over
 * (or replace x86_mmio_map with its own ioremap); the table pages are in .bss, so they are
 * part of the kernel image it already keeps mapped.
 */
#include "arch/arch.h"
#include "core/layout.h"
#include "core/panic.h"
#include "core/spinlock.h"
#include "x86.h"

#define MMIO_WINDOW 0xffffffff7fe00000ull
#define MMIO_PAGES 512
#define MMIO_PDPT_SLOT 509 /* (MMIO_WINDOW >> 30) & 511 */
#define MMIO_PD_SLOT 511   /* (MMIO_WINDOW >> 21) & 511 */

_Static_assert(((MMIO_WINDOW >> 30) & 511) == MMIO_PDPT_SLOT, "MMIO window PDPT slot");
_Static_assert(((MMIO_WINDOW >> 21) & 511) == MMIO_PD_SLOT, "MMIO window PD slot");

static uint64_t mmio_pd[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t mmio_pt[512] __attribute__((aligned(PAGE_SIZE)));
static unsigned mmio_next; /* first free page of the window */
static struct spinlock mmio_lock = SPINLOCK_INIT("x86 mmio window");

/* Hook the window's tables into the boot page tables, once. */
static void mmio_window_init(void)
{
	if (boot_pdpt_high[MMIO_PDPT_SLOT])
		return;
	mmio_pd[MMIO_PD_SLOT] = virt_to_phys(mmio_pt) | PTE_P | PTE_W;
	boot_pdpt_high[MMIO_PDPT_SLOT] = virt_to_phys(mmio_pd) | PTE_P | PTE_W;
}

volatile void *x86_mmio_map(uint64_t pa, uint64_t size)
{
	uint64_t first = pa & ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t npages = (pa + size - first + PAGE_SIZE - 1) / PAGE_SIZE;
	unsigned long s = spin_lock_irqsave(&mmio_lock);

	mmio_window_init();
	if (size == 0 || npages > MMIO_PAGES - mmio_next)
		panic("x86_mmio_map(%#lx, %#lx): the %u-page MMIO window is full",
		      (unsigned long)pa, (unsigned long)size, MMIO_PAGES);
	uintptr_t va = MMIO_WINDOW + (uintptr_t)mmio_next * PAGE_SIZE;
	for (uint64_t i = 0; i < npages; i++) {
		mmio_pt[mmio_next + i] = (first + i * PAGE_SIZE) | PTE_P | PTE_W | PTE_PCD |
					 PTE_PWT | PTE_NX;
		invlpg(va + i * PAGE_SIZE);
	}
	mmio_next += (unsigned)npages;
	spin_unlock_irqrestore(&mmio_lock, s);
	return (volatile void *)(va + (pa - first));
}
