/*
 * arch/x86_64/mmio.c: a small window of uncached kernel mappings for device registers.
 *
 * The boot page tables (entry.S) map only physical 0-2 GiB, but the local APIC (0xfee00000)
 * and the IOAPIC (0xfec00000) sit just below 4 GiB. They are mapped here instead, into a fixed
 * 2 MiB window of kernel virtual space just below the kernel image (a port-private window,
 * as core/layout.h allows):
 *
 *     MMIO_WINDOW = 0xffffffff7fe00000 .. 0xffffffff80000000
 *     (PML4[511] -> its PDPT[509] -> mmio_pd[511] -> mmio_pt, 512 4 KiB pages)
 *
 * with PCD and PWT set (uncacheable under the power-on PAT), NX, global, and never unmapped.
 * x86_mmio_map() hands out pages from the window in order, like a bump allocator; mapping
 * the same physical page twice gives two virtual pages, which is harmless for uncached
 * registers. The PDPT slot 509 is unused by the boot tables (they fill 510 and 511) and by
 * mmu.c's image mapping (at 510 and up).
 *
 * The table pages are in .bss, inside the image, so any set of kernel tables can share them:
 * x86_mmio_install() hooks the window into a PML4[511] PDPT. The first x86_mmio_map() installs
 * it into whatever tables are live (the boot ones, or mmu.c's), and arch_mmu_init installs it
 * into its new tables before switching, so the addresses handed out stay valid across it.
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

void x86_mmio_install(uint64_t *pdpt_top)
{
	mmio_pd[MMIO_PD_SLOT] = virt_to_phys(mmio_pt) | PTE_P | PTE_W;
	pdpt_top[MMIO_PDPT_SLOT] = virt_to_phys(mmio_pd) | PTE_P | PTE_W;
}

/* Hook the window into the live tables if it is not there yet. */
static void mmio_window_init(void)
{
	uint64_t *pml4 = phys_to_virt(read_cr3() & PTE_ADDR_MASK);
	uint64_t *pdpt = phys_to_virt(pml4[511] & PTE_ADDR_MASK);
	if (!pdpt[MMIO_PDPT_SLOT])
		x86_mmio_install(pdpt);
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
					 PTE_PWT | PTE_G | PTE_NX;
		invlpg(va + i * PAGE_SIZE);
	}
	mmio_next += (unsigned)npages;
	spin_unlock_irqrestore(&mmio_lock, s);
	return (volatile void *)(va + (pa - first));
}
