/*
 * arch/x86_64/mmu.c: the kernel's page tables and address spaces (4-level paging, 4 KiB pages).
 *
 * Layout (core/layout.h decides what goes where; this file only builds it):
 *   PML4 0-255    user half, private to each address space, empty in the kernel's;
 *   PML4 256-511  kernel half: every one of these entries points at a PDPT that
 *                 arch_mmu_init() allocates up front and that never changes, so every address
 *                 space copies the 256 entries once and shares the kernel half for good;
 *   DIRECT_MAP_BASE + pa   every bi->mem range, read-write, NX, global; 2 MiB pages where
 *                 both ends allow, 4 KiB pages at unaligned edges;
 *   KERNEL_IMAGE_BASE + pa the image in 4 KiB pages with the linker script's section
 *                 permissions (text R+X, rodata and the ktests table R, data/bss R+W+NX) and
 *                 the page below the boot stack (entry.S's boot_stack_guard) left out;
 *   the LAPIC/IOAPIC window of mmio.c (PDPT slot 509 of PML4[511]), carried over as is.
 * Then CR3 switches to them, which drops entry.S's identity map, and CR4.PGE, SMEP and SMAP
 * are turned on when CPUID has them (the kernel touches user memory only in uaccess.S, which
 * brackets its accesses with stac/clac).
 *
 * Table pages come from core's frame allocator and are reached through the direct map. All
 * page-table changes take mmu_lock (a leaf lock except for the frame allocator's, which it may
 * take). Walks stop at large pages: only the direct map has them, and unmap/protect split one
 * into 512 small pages when asked to change part of it (the split maps the same memory the
 * same way, so it needs no flush and undoing it is never needed).
 *
 * Contracts (arch/arch.h). map checks the whole range first (-EEXIST: nothing changed), then
 * creates every missing table (-ENOMEM: no page of the range has been mapped yet; the empty
 * tables stay for later use), then writes the leaves. A page mapped with no access (prot
 * without READ, WRITE or EXEC) is kept as a non-present entry with the software bit
 * PTE_PROTNONE, so protect can give it access back and query still finds it. A zero length is
 * accepted and does nothing.
 *
 * TLB. Mapping a page that was not present needs no flush (x86 never caches non-present
 * entries). Unmap and protect flush the range on this CPU (invlpg up to FLUSH_PAGES_MAX
 * pages, else a full flush, global entries included by toggling CR4.PGE) and on every other
 * CPU running on the kernel tables, through smp.c's NMI shootdown, before returning.
 *
 * Freeing tables. Unmap in the user half then unlinks every page table below the PML4 that
 * the range reaches and that is left with no entry at all (a PROTNONE or large entry counts),
 * and frees it only after that flush (core/pt_free.h): one invlpg drops every paging-structure
 * cache entry of the current PCID, whatever its address (SDM vol. 3A 4.10.4.1), as does the
 * full flush; a CPU that loads this CR3 later walks the new tables. The PML4 and the kernel
 * half's tables are never freed by unmap.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/kprintf.h"
#include "core/layout.h"
#include "core/panic.h"
#include "core/pmm.h"
#include "core/pt_free.h"
#include "core/spinlock.h"
#include "core/string.h"
#include "x86.h"

#define ENTRIES 512
#define PML4_KERNEL_FIRST 256 /* DIRECT_MAP_BASE: the first kernel-half entry */
#define PTE_PROTNONE (1ull << 9) /* software: mapped, no access (P clear) */
#define PHYS_MAX 0x000fffffffffffffull
#define FLUSH_PAGES_MAX 32
#define KERNEL_FLAGS (PTE_P | PTE_G)
#define DIRECT_FLAGS (PTE_P | PTE_W | PTE_G | PTE_NX)

_Static_assert(DIRECT_MAP_BASE == 0xffff800000000000ull, "PML4[256] starts the kernel half");

/* An address space is its PML4 page: struct arch_aspace is never defined, and a pointer to
 * one is the PML4's direct-map address, so creating one allocates the one page and nothing
 * else. */
static uint64_t pml4_of(struct arch_aspace *as)
{
	return virt_to_phys(as);
}

/* linker.ld: the image's permission boundaries (virtual, page-aligned). */
extern char __kernel_start[], __rodata_start[], __data_start[], __kernel_end[];

static uint64_t kernel_pml4; /* physical */
static struct spinlock mmu_lock = SPINLOCK_INIT("x86 page tables");

/* ---- Entries and walks ------------------------------------------------------------------- */

static uint64_t level_bytes(unsigned level)
{
	return 1ull << (12 + 9 * (level - 1));
}

static unsigned pt_index(uintptr_t va, unsigned level)
{
	return (va >> (12 + 9 * (level - 1))) & (ENTRIES - 1);
}

static uint64_t *table_of(uint64_t entry)
{
	return phys_to_virt(entry & PTE_ADDR_MASK);
}

static bool is_user(uintptr_t va)
{
	return va < USER_TOP;
}

/* A leaf entry that maps something: a present page or large page, or a no-access page.
 * Table entries never carry PTE_PROTNONE, so an empty slot above level 1 reads as unmapped. */
static bool leaf_mapped(uint64_t e)
{
	return (e & (PTE_P | PTE_PROTNONE)) != 0;
}

static uint64_t new_table(void)
{
	uint64_t pa = alloc_page();
	if (pa)
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return pa;
}

/* Walk toward the level-`stop` entry of va and return the entry where the walk stopped, with
 * its level in *level: the level-`stop` entry, a large page above it, or (alloc false) the
 * empty slot of the first missing table. With alloc, missing tables are created; NULL then
 * means out of memory. */
static uint64_t *walk(uint64_t pml4, uintptr_t va, unsigned stop, bool alloc, unsigned *level)
{
	uint64_t *t = phys_to_virt(pml4);

	for (unsigned l = 4;; l--) {
		uint64_t *e = &t[pt_index(va, l)];
		*level = l;
		if (l == stop || (l < 4 && (*e & (PTE_P | PTE_PS)) == (PTE_P | PTE_PS)))
			return e;
		if (!(*e & PTE_P)) {
			if (!alloc)
				return e;
			uint64_t pa = new_table();
			if (!pa)
				return NULL;
			*e = pa | PTE_P | PTE_W | (is_user(va) ? PTE_U : 0);
		}
		t = table_of(*e);
	}
}

/* The entries for va onward, at most n pages of it: a run of `pages` page-table entries
 * (level 1, up to the end of their table), or one entry above level 1 (a large page, or the
 * empty slot of a missing table) of which `pages` pages fall in the range. */
struct span {
	uint64_t *e;
	unsigned level;
	size_t pages;
};

static struct span span_at(uint64_t pml4, uintptr_t va, size_t n)
{
	struct span s;
	s.e = walk(pml4, va, 1, false, &s.level);
	uint64_t block = level_bytes(s.level == 1 ? 2 : s.level);
	size_t left = (block - (va & (block - 1))) / PAGE_SIZE;
	s.pages = left < n ? left : n;
	return s;
}

/* The entries of a span that describe it: all of a level-1 run, or the one entry above. */
static size_t span_entries(const struct span *s)
{
	return s->level == 1 ? s->pages : 1;
}

/* Replace the large-page entry *e (level 2 or 3) by a table of the level below that maps the
 * same memory with the same attributes. */
static int split_large(uint64_t *e, unsigned level)
{
	uint64_t pa = new_table();
	if (!pa)
		return -ENOMEM;
	uint64_t *t = phys_to_virt(pa);
	uint64_t base = *e & PTE_ADDR_MASK & ~(level_bytes(level) - 1);
	uint64_t flags = *e & ~PTE_ADDR_MASK & ~(level == 2 ? PTE_PS : 0);
	for (unsigned i = 0; i < ENTRIES; i++)
		t[i] = (base + i * level_bytes(level - 1)) | flags;
	*e = pa | PTE_P | PTE_W | (*e & PTE_U);
	return 0;
}

/* ---- Protection bits --------------------------------------------------------------------- */

static uint64_t leaf_flags(uintptr_t va, unsigned prot)
{
	uint64_t f = (prot & (MMU_READ | MMU_WRITE | MMU_EXEC)) ? PTE_P : PTE_PROTNONE;

	if (prot & MMU_WRITE)
		f |= PTE_W;
	if (!(prot & MMU_EXEC))
		f |= PTE_NX;
	if (prot & MMU_USER)
		f |= PTE_U;
	else if (!is_user(va))
		f |= PTE_G;
	if (prot & MMU_DEVICE)
		f |= PTE_PCD | PTE_PWT;
	return f;
}

static unsigned leaf_prot(uint64_t e)
{
	unsigned prot = 0;

	if (e & PTE_P) {
		prot = MMU_READ;
		if (e & PTE_W)
			prot |= MMU_WRITE;
		if (!(e & PTE_NX))
			prot |= MMU_EXEC;
	}
	if (e & PTE_U)
		prot |= MMU_USER;
	if (e & PTE_PCD)
		prot |= MMU_DEVICE;
	return prot;
}

/* 0 if [va, va + len) is page-aligned and wholly in the user half or wholly in the (canonical)
 * kernel half. */
static int check_range(uintptr_t va, size_t len)
{
	if ((va | len) % PAGE_SIZE)
		return -EINVAL;
	if (va < USER_TOP)
		return len <= USER_TOP - va ? 0 : -EINVAL;
	if (va >= DIRECT_MAP_BASE)
		return len <= (uintptr_t)0 - va ? 0 : -EINVAL;
	return -EINVAL;
}

/* ---- TLB --------------------------------------------------------------------------------- */

void x86_tlb_flush_local(uintptr_t va, size_t npages)
{
	if (npages > FLUSH_PAGES_MAX) {
		uint64_t cr4 = read_cr4();
		if (cr4 & CR4_PGE) {
			write_cr4(cr4 & ~(uint64_t)CR4_PGE); /* drops global entries too */
			write_cr4(cr4);
		} else {
			write_cr3(read_cr3());
		}
		return;
	}
	for (size_t i = 0; i < npages; i++)
		invlpg(va + i * PAGE_SIZE);
}

/* The user page tables each CPU runs on (CR3), so that a change to a user address space is
 * shot down only on the CPUs using it: a process's page tables change constantly (fork's
 * copy-on-write, exit, munmap) while it runs on one CPU, and an NMI round trip per change to
 * every other CPU made fork under -smp 2 a hundred times slower. Each CPU writes its own slot
 * before loading CR3; tlb_flush reads them after its page-table writes (a full fence between),
 * so a CPU it misses loads CR3 after the change and cannot hold a stale entry. */
static uint64_t active_pml4[MAX_CPUS];

static uint32_t cpus_using(uint64_t pml4)
{
	uint32_t mask = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (__atomic_load_n(&active_pml4[i], __ATOMIC_RELAXED) == pml4)
			mask |= 1u << i;
	return mask;
}

/* Caller holds mmu_lock, which also serialises the shootdowns. */
static void tlb_flush(struct arch_aspace *as, uintptr_t va, size_t npages)
{
	x86_tlb_flush_local(va, npages);
	x86_tlb_shootdown(va, npages, is_user(va) ? cpus_using(pml4_of(as)) : ~0u);
}

/* ---- Mapping, under mmu_lock -------------------------------------------------------------- */

static bool any_mapped(uint64_t pml4, uintptr_t va, size_t n)
{
	while (n) {
		struct span s = span_at(pml4, va, n);
		for (size_t i = 0; i < span_entries(&s); i++)
			if (leaf_mapped(s.e[i]))
				return true;
		va += s.pages * PAGE_SIZE;
		n -= s.pages;
	}
	return false;
}

static bool all_mapped(uint64_t pml4, uintptr_t va, size_t n)
{
	while (n) {
		struct span s = span_at(pml4, va, n);
		for (size_t i = 0; i < span_entries(&s); i++)
			if (!leaf_mapped(s.e[i]))
				return false;
		va += s.pages * PAGE_SIZE;
		n -= s.pages;
	}
	return true;
}

/* Create every page table the range needs; nothing is mapped yet, so failing halfway leaves
 * only empty tables behind. */
static int ensure_tables(uint64_t pml4, uintptr_t va, size_t n)
{
	while (n) {
		unsigned l;
		if (!walk(pml4, va, 1, true, &l))
			return -ENOMEM;
		size_t k = span_at(pml4, va, n).pages;
		va += k * PAGE_SIZE;
		n -= k;
	}
	return 0;
}

/* Write the leaves of a range whose tables exist (ensure_tables). */
static void set_leaves(uint64_t pml4, uintptr_t va, uint64_t pa, size_t n, uint64_t flags)
{
	while (n) {
		struct span s = span_at(pml4, va, n);
		for (size_t i = 0; i < s.pages; i++)
			s.e[i] = (pa + i * PAGE_SIZE) | flags;
		va += s.pages * PAGE_SIZE;
		pa += s.pages * PAGE_SIZE;
		n -= s.pages;
	}
}

/* Split every large page the range touches only in part (unmap), or at all (protect). */
static int split_in_range(uint64_t pml4, uintptr_t va, size_t n, bool partial_only)
{
	while (n) {
		struct span s = span_at(pml4, va, n);
		bool large = s.level > 1 && (*s.e & PTE_P);
		if (large && (!partial_only || s.pages * PAGE_SIZE < level_bytes(s.level))) {
			int err = split_large(s.e, s.level);
			if (err)
				return err;
			continue; /* walk the same address again, one level down */
		}
		va += s.pages * PAGE_SIZE;
		n -= s.pages;
	}
	return 0;
}

static void clear_range(uint64_t pml4, uintptr_t va, size_t n)
{
	while (n) {
		struct span s = span_at(pml4, va, n);
		if (s.level == 1 || (*s.e & PTE_P))
			memset(s.e, 0, span_entries(&s) * sizeof(*s.e));
		va += s.pages * PAGE_SIZE;
		n -= s.pages;
	}
}

static bool table_empty(const uint64_t *t)
{
	for (unsigned i = 0; i < ENTRIES; i++)
		if (t[i])
			return false;
	return true;
}

/* Unlink every table below t (a table of level-`level` entries) that [va, end) reaches and
 * that holds nothing any more, deepest first, queueing it on fl to be freed after the flush.
 * Only tables the range overlaps are looked at, so each one freed is reached only through
 * entries that translate some address of the range: the range's flush drops every cached
 * copy of them. Large pages are leaves and never freed. */
static void free_empty_tables(uint64_t *t, unsigned level, uintptr_t va, uintptr_t end,
			      struct pt_free_list *fl)
{
	while (va < end) {
		uint64_t *e = &t[pt_index(va, level)];
		uintptr_t next = (va | (level_bytes(level) - 1)) + 1;
		if (level > 1 && (*e & (PTE_P | PTE_PS)) == PTE_P) {
			uint64_t *child = table_of(*e);
			free_empty_tables(child, level - 1, va, next < end ? next : end, fl);
			if (table_empty(child)) {
				uint64_t pa = *e & PTE_ADDR_MASK;
				*e = 0;
				pt_free_list_add(fl, pa);
			}
		}
		va = next;
	}
}

static void reprotect_range(uint64_t pml4, uintptr_t va, size_t n, uint64_t flags)
{
	while (n) {
		struct span s = span_at(pml4, va, n); /* level 1: split_in_range ran */
		for (size_t i = 0; i < s.pages; i++)
			s.e[i] = (s.e[i] & PTE_ADDR_MASK) | flags;
		va += s.pages * PAGE_SIZE;
		n -= s.pages;
	}
}

/* ---- The arch.h MMU interface ------------------------------------------------------------ */

int arch_mmu_map(struct arch_aspace *as, uintptr_t va, uint64_t pa, size_t len, unsigned prot)
{
	int err = check_range(va, len);
	if (err || pa % PAGE_SIZE || (len && (pa > PHYS_MAX || len - 1 > PHYS_MAX - pa)) ||
	    ((prot & MMU_USER) && !is_user(va)))
		return -EINVAL;
	if (len == 0)
		return 0;

	size_t n = len / PAGE_SIZE;
	unsigned long s = spin_lock_irqsave(&mmu_lock);
	if (any_mapped(pml4_of(as), va, n))
		err = -EEXIST;
	else if ((err = ensure_tables(pml4_of(as), va, n)) == 0)
		set_leaves(pml4_of(as), va, pa, n, leaf_flags(va, prot));
	spin_unlock_irqrestore(&mmu_lock, s);
	return err;
}

/* A large page that must be split and cannot (no memory) leaves the range partly unmapped and
 * returns -ENOMEM; only the direct map has large pages. In the user half, the page tables the
 * range leaves empty are freed once the flush is done (free_empty_tables). */
int arch_mmu_unmap(struct arch_aspace *as, uintptr_t va, size_t len)
{
	int err = check_range(va, len);
	if (err || len == 0)
		return err;

	size_t n = len / PAGE_SIZE;
	struct pt_free_list fl = PT_FREE_LIST_INIT;
	unsigned long s = spin_lock_irqsave(&mmu_lock);
	err = split_in_range(pml4_of(as), va, n, true);
	if (!err)
		clear_range(pml4_of(as), va, n);
	if (!err && is_user(va)) /* the kernel half's tables are shared: never freed */
		free_empty_tables(phys_to_virt(pml4_of(as)), 4, va, va + len, &fl);
	tlb_flush(as, va, n);
	spin_unlock_irqrestore(&mmu_lock, s);
	pt_free_list_release(&fl); /* every CPU has flushed: no walk can reach them */
	return err;
}

int arch_mmu_protect(struct arch_aspace *as, uintptr_t va, size_t len, unsigned prot)
{
	int err = check_range(va, len);
	if (err || ((prot & MMU_USER) && !is_user(va)))
		return -EINVAL;
	if (len == 0)
		return 0;

	size_t n = len / PAGE_SIZE;
	unsigned long s = spin_lock_irqsave(&mmu_lock);
	if (!all_mapped(pml4_of(as), va, n))
		err = -ENOENT;
	else if ((err = split_in_range(pml4_of(as), va, n, false)) == 0) {
		reprotect_range(pml4_of(as), va, n, leaf_flags(va, prot));
		tlb_flush(as, va, n);
	}
	spin_unlock_irqrestore(&mmu_lock, s);
	return err;
}

int arch_mmu_replace(struct arch_aspace *as, uintptr_t va, uint64_t pa, unsigned prot)
{
	if (check_range(va, PAGE_SIZE) || pa % PAGE_SIZE || pa > PHYS_MAX ||
	    ((prot & MMU_USER) && !is_user(va)))
		return -EINVAL;

	unsigned level;
	int err = -ENOENT;
	unsigned long s = spin_lock_irqsave(&mmu_lock);
	uint64_t *e = walk(pml4_of(as), va, 1, false, &level);
	if (level == 1 && leaf_mapped(*e)) {
		*e = pa | leaf_flags(va, prot);
		tlb_flush(as, va, 1);
		err = 0;
	}
	spin_unlock_irqrestore(&mmu_lock, s);
	return err;
}

int arch_mmu_query(struct arch_aspace *as, uintptr_t va, uint64_t *pa, unsigned *prot)
{
	if (va >= USER_TOP && va < DIRECT_MAP_BASE)
		return -ENOENT; /* not canonical */

	unsigned level;
	unsigned long s = spin_lock_irqsave(&mmu_lock);
	uint64_t e = *walk(pml4_of(as), va, 1, false, &level);
	spin_unlock_irqrestore(&mmu_lock, s);
	if (!leaf_mapped(e))
		return -ENOENT;
	uint64_t size = level_bytes(level);
	if (pa)
		*pa = (e & PTE_ADDR_MASK & ~(size - 1)) + (va & (size - 1));
	if (prot)
		*prot = leaf_prot(e);
	return 0;
}

int arch_mmu_next(struct arch_aspace *as, uintptr_t *va, uintptr_t end, uint64_t *pa,
		  unsigned *prot)
{
	uintptr_t a = *va;
	uint64_t e = 0;
	unsigned level = 1;

	if (a >= end || (a < USER_TOP) != (end <= USER_TOP) || (a >= USER_TOP && a < DIRECT_MAP_BASE)) {
		*va = end;
		return -ENOENT; /* empty, across the user/kernel split, or not canonical */
	}
	unsigned long s = spin_lock_irqsave(&mmu_lock);
	while (a < end) {
		struct span sp = span_at(pml4_of(as), a, (end - a + PAGE_SIZE - 1) / PAGE_SIZE);
		size_t i = 0;
		if (sp.level == 1)
			while (i < sp.pages && !leaf_mapped(sp.e[i]))
				i++;
		else if (!leaf_mapped(*sp.e))
			i = sp.pages; /* a missing table (or empty slot): skip all it would cover */
		if (i < sp.pages) {
			a += i * PAGE_SIZE;
			e = sp.level == 1 ? sp.e[i] : *sp.e;
			level = sp.level;
			break;
		}
		a += sp.pages * PAGE_SIZE;
	}
	spin_unlock_irqrestore(&mmu_lock, s);
	if (a >= end) {
		*va = end;
		return -ENOENT;
	}
	uint64_t size = level_bytes(level);
	*va = a;
	if (pa)
		*pa = (e & PTE_ADDR_MASK & ~(size - 1)) + (a & (size - 1));
	if (prot)
		*prot = leaf_prot(e);
	return 0;
}

/* ---- Address spaces ---------------------------------------------------------------------- */

struct arch_aspace *arch_kernel_aspace(void)
{
	return phys_to_virt(kernel_pml4);
}

uint64_t x86_kernel_pml4(void)
{
	return kernel_pml4;
}

struct arch_aspace *arch_aspace_create(void)
{
	uint64_t pml4 = new_table();
	if (!pml4)
		return NULL;
	uint64_t *mine = phys_to_virt(pml4), *kernel = phys_to_virt(kernel_pml4);
	memcpy(mine + PML4_KERNEL_FIRST, kernel + PML4_KERNEL_FIRST,
	       (ENTRIES - PML4_KERNEL_FIRST) * sizeof(uint64_t));
	return (struct arch_aspace *)mine;
}

/* Free the table at pa, whose entries are of the given level, and every table below it. */
static void free_table(uint64_t pa, unsigned level)
{
	uint64_t *t = phys_to_virt(pa);

	for (unsigned i = 0; level > 1 && i < ENTRIES; i++)
		if ((t[i] & PTE_P) && !(t[i] & PTE_PS))
			free_table(t[i] & PTE_ADDR_MASK, level - 1);
	free_page(pa);
}

void arch_aspace_destroy(struct arch_aspace *as)
{
	if (!as)
		return;
	if (pml4_of(as) == kernel_pml4 || (read_cr3() & PTE_ADDR_MASK) == pml4_of(as))
		panic("arch_aspace_destroy(%p): the kernel's, or active on this CPU", (void *)as);
	uint64_t *pml4 = (uint64_t *)as;
	for (unsigned i = 0; i < PML4_KERNEL_FIRST; i++)
		if (pml4[i] & PTE_P)
			free_table(pml4[i] & PTE_ADDR_MASK, 3);
	free_page(pml4_of(as));
}

/* Switching CR3 drops this CPU's non-global (user) TLB entries; the kernel's are global. */
void arch_aspace_activate(struct arch_aspace *as)
{
	uint64_t pml4 = as ? pml4_of(as) : kernel_pml4;
	__atomic_store_n(&active_pml4[arch_cpu_id()], pml4, __ATOMIC_SEQ_CST);
	if ((read_cr3() & PTE_ADDR_MASK) != pml4)
		write_cr3(pml4);
}

/* ---- Boot: the kernel's tables ----------------------------------------------------------- */

/* Table pages in the tree under (and including) the table at pa, whose entries are of the
 * given level. */
static uint64_t page_table_pages(uint64_t pa, unsigned level)
{
	uint64_t *t = phys_to_virt(pa), n = 1;

	for (unsigned i = 0; level > 1 && i < ENTRIES; i++)
		if ((t[i] & PTE_P) && !(t[i] & PTE_PS))
			n += page_table_pages(t[i] & PTE_ADDR_MASK, level - 1);
	return n;
}

struct init_stats {
	uint64_t large, small; /* direct-map pages of each size */
};

static uint64_t must_table(void)
{
	uint64_t pa = new_table();
	if (!pa)
		panic("mmu: out of memory for the kernel page tables");
	return pa;
}

/* One page of the direct map at pa, large if it can be; returns the bytes mapped. Ranges
 * that overlap one another are mapped once (an existing large page is kept). */
static uint64_t map_direct_page(uint64_t pa, uint64_t end, struct init_stats *st)
{
	bool large = pa % LARGE_PAGE_SIZE == 0 && end - pa >= LARGE_PAGE_SIZE;
	unsigned level;
	uint64_t *e = walk(kernel_pml4, DIRECT_MAP_BASE + pa, large ? 2 : 1, true, &level);

	if (!e)
		panic("mmu: out of memory for the direct map");
	if (level == 1 && !large)
		*e = pa | DIRECT_FLAGS;
	else if (level == 2 && large)
		*e = pa | DIRECT_FLAGS | PTE_PS;
	if (large)
		st->large++;
	else
		st->small++;
	return large ? LARGE_PAGE_SIZE : PAGE_SIZE;
}

static void map_direct(const struct boot_info *bi, struct init_stats *st)
{
	for (unsigned i = 0; i < bi->nmem; i++) {
		uint64_t pa = (bi->mem[i].base + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
		uint64_t end = (bi->mem[i].base + bi->mem[i].size) & ~(uint64_t)(PAGE_SIZE - 1);
		if (end > DIRECT_MAP_SIZE)
			end = DIRECT_MAP_SIZE;
		while (pa < end)
			pa += map_direct_page(pa, end, st);
	}
}

static void map_image_part(const char *from, const char *to, uint64_t flags)
{
	uintptr_t va = (uintptr_t)from;
	size_t n = (size_t)(to - from) / PAGE_SIZE;

	if (ensure_tables(kernel_pml4, va, n))
		panic("mmu: out of memory for the kernel image's page tables");
	set_leaves(kernel_pml4, va, virt_to_phys(from), n, flags);
}

static void map_image(void)
{
	map_image_part(__kernel_start, __rodata_start, KERNEL_FLAGS);
	map_image_part(__rodata_start, __data_start, KERNEL_FLAGS | PTE_NX);
	map_image_part(__data_start, boot_stack_guard, KERNEL_FLAGS | PTE_W | PTE_NX);
	map_image_part(boot_stack_guard + PAGE_SIZE, __kernel_end, KERNEL_FLAGS | PTE_W | PTE_NX);
}

/* Set when CR4.SMAP is on: uaccess.S and trap_entry.S test it before stac/clac, which are
 * #UD on a CPU without SMAP. Secondary CPUs copy the boot CPU's CR4, so one flag serves all. */
uint8_t x86_smap_on;

/* CR4.PGE, SMEP and SMAP as CPUID offers them (-cpu max has all three; qemu64 lacks SMEP and
 * SMAP, REFERENCE 8). Secondary CPUs copy the boot CPU's CR4 (smp.c). */
static void enable_cpu_features(void)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	uint32_t max_leaf = r[0], leaf7_ebx = 0;
	cpuid(1, 0, r);
	bool pge = r[3] & (1u << 13);
	if (max_leaf >= 7) {
		cpuid(7, 0, r);
		leaf7_ebx = r[1];
	}
	bool smep = leaf7_ebx & (1u << 7), smap = leaf7_ebx & (1u << 20);

	write_cr4(read_cr4() | (pge ? CR4_PGE : 0) | (smep ? CR4_SMEP : 0) |
		  (smap ? CR4_SMAP : 0));
	x86_smap_on = smap;
	pr_info("mmu: NX on, global pages %s, SMEP %s, SMAP %s\n", pge ? "on" : "off (no PGE)",
		smep ? "on" : "off (not offered)", smap ? "on" : "off (not offered)");
}

void arch_mmu_init(const struct boot_info *bi)
{
	struct init_stats st = {0};

	kernel_pml4 = must_table();
	uint64_t *pml4 = phys_to_virt(kernel_pml4);
	for (unsigned i = PML4_KERNEL_FIRST; i < ENTRIES; i++)
		pml4[i] = must_table() | PTE_P | PTE_W;
	map_direct(bi, &st);
	map_image();
	x86_mmio_install(table_of(pml4[511]));
	write_cr3(kernel_pml4);
	enable_cpu_features();
	x86_tlb_join();
	pr_info("mmu: direct map %lu MiB (%lu x 2 MiB, %lu x 4 KiB), image %lu KiB, "
		"%lu KiB page tables; identity map gone\n",
		(unsigned long)((st.large * LARGE_PAGE_SIZE + st.small * PAGE_SIZE) >> 20),
		(unsigned long)st.large, (unsigned long)st.small,
		(unsigned long)((__kernel_end - __kernel_start) >> 10),
		(unsigned long)(page_table_pages(kernel_pml4, 4) * PAGE_SIZE >> 10));
}
