/*
 * arch/aarch64/mmu.c: page tables (VMSAv8-64: 4 KiB granule, 48-bit VAs, levels 0-3).
 *
 * Two regimes. TTBR1 translates the kernel half (core/layout.h: everything from
 * DIRECT_MAP_BASE up) with one set of tables, the kernel aspace's; it is shared by every
 * address space simply because a switch changes TTBR0 only, so there is nothing to copy or
 * preallocate per aspace. TTBR0 translates the user half [0, USER_TOP): one level-0 table per
 * user aspace, tagged with an ASID. While no user aspace is active (boot, kernel threads)
 * TCR_EL1.EPD0 is set, so every low address faults without a walk.
 *
 * The kernel half after arch_mmu_init (all global, kernel-only, never executable by EL0):
 *   direct map     every bi->mem range: 2 MiB blocks where aligned, else 4 KiB pages; Normal
 *                  write-back, read-write, PXN
 *   kernel image   4 KiB pages from the linker's symbols: text R+X, rodata and ktests R,
 *                  data and bss RW+PXN, the early tables R+PXN; the page below the boot stack
 *                  (boot_stack_guard) left unmapped
 *   device window  KERNEL_IMAGE_BASE + [0, 1 GiB): one Device-nGnRnE block (device_va())
 *   the rest       (kernel stacks, vmap) 4 KiB pages through arch_mmu_map.
 * The switch is break-before-make for the whole half: aarch64_idmap_replace_ttbr1 (entry.S)
 * runs from the identity map with TTBR1 walks off while it flushes the TLB, so no entry of
 * the early 1 GiB blocks can coexist with one of the new pages.
 *
 * Descriptors from MMU_* bits: MMU_WRITE clears AP[2] (reading is always allowed: AArch64 has
 * no write-only or mapped-but-inaccessible page); MMU_USER sets AP[1] (EL0 access; user half
 * only); user-half pages are nG (ASID-tagged) and PXN, kernel-half pages global and UXN;
 * without MMU_EXEC both XN bits; MMU_DEVICE selects Device-nGnRnE and is never executable.
 *
 * Contracts (arch/arch.h). A range is user (inside [0, USER_TOP)) or kernel (inside
 * [DIRECT_MAP_BASE, 2^64)); anything else is -EINVAL, as is a user range on the kernel aspace.
 * A kernel range given to a user aspace acts on the shared kernel tables. Length 0 is a
 * no-op. arch_mmu_map works in passes so that failures leave no trace: a read-only pass finds
 * any mapped page (-EEXIST), a second allocates every missing table (-ENOMEM, before any leaf
 * is written; tables it added stay, empty, for the next call), a third writes the leaves.
 * Blocks exist only in the direct map: mapping over one is -EEXIST, and unmap/protect refuse
 * (-EINVAL) a range that meets one, because splitting a live block needs break-before-make on
 * memory that may hold the very tables or stack in use.
 *
 * TLB maintenance is inner shareable (broadcast to every CPU): after clearing or weakening
 * leaves, dsb ishst; tlbi vae1is (user: ASID + VA) or vaae1is (kernel, any ASID) per page, or
 * aside1is / vmalle1is beyond TLBI_MAX_PAGES; dsb ish; isb. New mappings need no TLBI (an
 * invalid entry is never cached), only dsb ishst + isb so the walker sees them. The by-VA
 * forms are the all-levels ones on purpose (not vale1is): they also drop cached walks
 * (intermediate table entries), which unmap relies on when it frees the user tables a range
 * leaves empty (core/pt_free.h: the pages go back to the allocator after the dsb ish).
 *
 * A user aspace costs one page: TTBR0 covers exactly [0, USER_TOP) (T0SZ 17, aarch64.h), so
 * its level-0 table has 256 entries in the first half of the page, and struct arch_aspace
 * lives in the second half, which the walker never reads. (No kmalloc: destroying an aspace
 * gives back exactly the frames that creating and using it took.)
 *
 * ASIDs are 8 bits. 0 means "no user space" (TTBR0 while EPD0 is set) and is never given to
 * an aspace, 1..254 go one per aspace, and 255 is shared by aspaces created once those run
 * out: activating one of those first flushes ASID 255 from this CPU's TLB.
 *
 * Locking: each aspace has a spinlock over its tables; the kernel aspace's guards the TTBR1
 * tables. alloc_page may be called under it (the pmm lock is a leaf).
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/kprintf.h"
#include "core/panic.h"
#include "core/pmm.h"
#include "core/pt_free.h"
#include "core/spinlock.h"
#include "core/string.h"

#include "aarch64.h"

#define NLEVELS 4
#define L2_BLOCK (UL(1) << 21)
#define L3_SPAN L2_BLOCK /* what one level-3 table covers */
#define PA_LIMIT (UL(1) << 48) /* what a descriptor can hold (no LPA2) */
#define TLBI_MAX_PAGES 64
#define ASID_NONE 0
#define ASID_SHARED 255
#define NASIDS 256
#define USER_L0_ENTRIES 256 /* T0SZ 17: the level-0 table of [0, USER_TOP) */

_Static_assert(USER_TOP == UL(1) << 47, "TTBR0 covers 47 bits (TCR_BOOT T0SZ)");

struct arch_aspace {
	uint64_t root; /* level-0 table, physical */
	unsigned asid;
	bool kernel;
	struct spinlock lock;
};

static struct arch_aspace kernel_as = {
	.asid = ASID_NONE, .kernel = true, .lock = SPINLOCK_INIT("kernel page tables"),
};
static uint32_t asid_used[NASIDS / 32];
static struct spinlock asid_lock = SPINLOCK_INIT("asid");

extern char __kernel_start[], __kernel_end[], __text_end[], __rodata_start[], __rodata_end[];
extern char __boot_pgtables_start[], __boot_pgtables_end[];

/* ---- Table helpers ---------------------------------------------------------------------- */

static unsigned pt_index(uintptr_t va, unsigned level)
{
	return (va >> (39 - 9 * level)) & 511;
}

static uint64_t level_size(unsigned level)
{
	return UL(1) << (39 - 9 * level);
}

static uint64_t *table(uint64_t desc)
{
	return phys_to_virt(desc & PTE_ADDR_MASK);
}

static bool is_table(uint64_t desc, unsigned level)
{
	return level < NLEVELS - 1 && (desc & PTE_TYPE_MASK) == PTE_TABLE;
}

static uint64_t pte_read(const uint64_t *e)
{
	return __atomic_load_n(e, __ATOMIC_RELAXED);
}

static void pte_write(uint64_t *e, uint64_t v)
{
	__atomic_store_n(e, v, __ATOMIC_RELAXED);
}

static void dsb_ishst(void)
{
	__asm__ volatile("dsb ishst" : : : "memory");
}

/* A zeroed table page, ordered before whatever links it in; 0 when out of memory. */
static uint64_t table_alloc(void)
{
	uint64_t pa = alloc_page();

	if (pa) {
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
		dsb_ishst();
	}
	return pa;
}

/* The leaf (block or page) that maps va, with its level; NULL if none, and *level is then
 * the level of the invalid entry (the caller may skip level_size(*level) at once). */
static uint64_t *leaf_lookup(uint64_t root, uintptr_t va, unsigned *level)
{
	uint64_t *t = phys_to_virt(root);

	for (unsigned l = 0;; l++) {
		uint64_t *e = &t[pt_index(va, l)], d = pte_read(e);

		*level = l;
		if (!(d & PTE_VALID))
			return NULL;
		if (!is_table(d, l))
			return e;
		t = table(d);
	}
}

/* The entry for va at `level`, allocating the tables above it; NULL with *err = -ENOMEM, or
 * -EEXIST if a block sits in the way. */
static uint64_t *entry_alloc(uint64_t root, uintptr_t va, unsigned level, int *err)
{
	uint64_t *t = phys_to_virt(root);

	for (unsigned l = 0; l < level; l++) {
		uint64_t *e = &t[pt_index(va, l)], d = pte_read(e);

		if (!(d & PTE_VALID)) {
			d = table_alloc();
			if (!d) {
				*err = -ENOMEM;
				return NULL;
			}
			d |= PTE_TABLE;
			pte_write(e, d);
		} else if (!is_table(d, l)) {
			*err = -EEXIST;
			return NULL;
		}
		t = table(d);
	}
	return &t[pt_index(va, level)];
}

/* ---- Descriptors and TLB ----------------------------------------------------------------- */

static uint64_t leaf_attrs(uintptr_t va, unsigned prot)
{
	uint64_t d = prot & MMU_DEVICE ? PTE_DEVICE : PTE_NORMAL;

	if (!(prot & MMU_WRITE))
		d |= PTE_RDONLY;
	if (prot & MMU_USER)
		d |= PTE_USER;
	d |= va < USER_TOP ? PTE_NG | PTE_PXN : PTE_UXN;
	if (!(prot & MMU_EXEC))
		d |= PTE_PXN | PTE_UXN;
	return d;
}

static unsigned desc_prot(uint64_t d)
{
	unsigned prot = MMU_READ;

	if (!(d & PTE_RDONLY))
		prot |= MMU_WRITE;
	if (d & PTE_USER)
		prot |= MMU_USER;
	if ((d & PTE_ATTRIDX_MASK) == PTE_ATTRIDX(MAIR_IDX_DEVICE))
		prot |= MMU_DEVICE;
	if (!(d & (d & PTE_USER ? PTE_UXN : PTE_PXN)))
		prot |= MMU_EXEC;
	return prot;
}

static uint64_t tlbi_va(uintptr_t va)
{
	return (va >> 12) & ((UL(1) << 44) - 1);
}

/* Invalidate [va, va + len) of aspace `as` on every CPU; the leaf writes come first. */
static void tlb_flush_range(const struct arch_aspace *as, uintptr_t va, size_t len)
{
	uint64_t asid = (uint64_t)as->asid << 48;

	dsb_ishst();
	if (len / PAGE_SIZE > TLBI_MAX_PAGES) {
		if (as->kernel)
			__asm__ volatile("tlbi vmalle1is" : : : "memory");
		else
			__asm__ volatile("tlbi aside1is, %0" : : "r"(asid) : "memory");
	} else {
		for (uintptr_t a = va; a - va < len; a += PAGE_SIZE) {
			if (as->kernel)
				__asm__ volatile("tlbi vaae1is, %0" : : "r"(tlbi_va(a)) : "memory");
			else
				__asm__ volatile("tlbi vae1is, %0" : : "r"(asid | tlbi_va(a)) : "memory");
		}
	}
	__asm__ volatile("dsb ish\n\tisb" : : : "memory");
}

/* ---- Ranges ------------------------------------------------------------------------------ */

/* The aspace whose tables hold [va, va + len), or NULL if the range is not entirely user or
 * entirely kernel, or is user on the kernel aspace. */
static struct arch_aspace *range_owner(struct arch_aspace *as, uintptr_t va, size_t len)
{
	if (!as)
		return NULL;
	if (va < USER_TOP)
		return len <= USER_TOP - va && !as->kernel ? as : NULL;
	if (va >= DIRECT_MAP_BASE && (len == 0 || len - 1 <= UINTPTR_MAX - va))
		return &kernel_as;
	return NULL;
}

static struct arch_aspace *check_range(struct arch_aspace *as, uintptr_t va, size_t len)
{
	if (va % PAGE_SIZE || len % PAGE_SIZE)
		return NULL;
	return range_owner(as, va, len);
}

/* Next address to look at after va when its entry at `level` is invalid (0 past the top). */
static uintptr_t skip(uintptr_t va, unsigned level)
{
	return (va | (level_size(level) - 1)) + 1;
}

/* The first va in the range mapped by anything: 0 (none), 1 (a page), 2 (a block). */
static int range_scan(uint64_t root, uintptr_t va, size_t len)
{
	uintptr_t end = va + len;
	unsigned level;
	int found = 0;

	while (va != end) {
		uint64_t *e = leaf_lookup(root, va, &level);
		uintptr_t next = e ? va + PAGE_SIZE : skip(va, level);

		if (e && level < NLEVELS - 1)
			return 2;
		if (e)
			found = 1;
		va = next - va >= end - va ? end : next;
	}
	return found;
}

/* Every page of the range mapped by a page (not a block)? */
static bool range_all_pages(uint64_t root, uintptr_t va, size_t len)
{
	unsigned level;

	for (uintptr_t a = va; a - va < len; a += PAGE_SIZE)
		if (!leaf_lookup(root, a, &level) || level != NLEVELS - 1)
			return false;
	return true;
}

/* ---- Map, unmap, protect, query ---------------------------------------------------------- */

static int tables_prepare(uint64_t root, uintptr_t va, size_t len)
{
	int err = 0;

	for (uintptr_t a = va; a - va < len; a = (a | (L3_SPAN - 1)) + 1)
		if (!entry_alloc(root, a, NLEVELS - 1, &err))
			return err;
	return 0;
}

static void leaves_write(uint64_t root, uintptr_t va, uint64_t pa, size_t len, uint64_t attrs)
{
	int err = 0;

	for (size_t off = 0; off < len; off += PAGE_SIZE)
		pte_write(entry_alloc(root, va + off, NLEVELS - 1, &err), (pa + off) | attrs | PTE_PAGE);
	__asm__ volatile("dsb ishst\n\tisb" : : : "memory");
}

int arch_mmu_map(struct arch_aspace *as, uintptr_t va, uint64_t pa, size_t len, unsigned prot)
{
	struct arch_aspace *t = check_range(as, va, len);
	unsigned long s;
	int err = 0;

	if (!t || pa % PAGE_SIZE || pa >= PA_LIMIT || len > PA_LIMIT - pa ||
	    ((prot & MMU_USER) && va >= USER_TOP))
		return -EINVAL;
	if (len == 0)
		return 0;
	s = spin_lock_irqsave(&t->lock);
	if (range_scan(t->root, va, len))
		err = -EEXIST;
	if (!err)
		err = tables_prepare(t->root, va, len);
	if (!err)
		leaves_write(t->root, va, pa, len, leaf_attrs(va, prot));
	spin_unlock_irqrestore(&t->lock, s);
	return err;
}

/* Clear the leaves of [va, va + len); whether any was mapped. */
static bool leaves_clear(uint64_t root, uintptr_t va, size_t len)
{
	uintptr_t a = va, end = va + len;
	bool any = false;
	unsigned level;

	while (a != end) {
		uint64_t *e = leaf_lookup(root, a, &level);
		uintptr_t next = e ? a + PAGE_SIZE : skip(a, level);

		if (e) {
			pte_write(e, 0);
			any = true;
		}
		a = next - a >= end - a ? end : next;
	}
	return any;
}

static bool table_empty(const uint64_t *t)
{
	for (unsigned i = 0; i < 512; i++)
		if (pte_read(&t[i]))
			return false;
	return true;
}

/* Unlink every table below t (a table of level-`level` entries) that [va, end) reaches and
 * that holds nothing any more, deepest first, queueing it on fl to be freed after the flush.
 * Only tables the range overlaps are looked at, so each one freed is reached only through
 * entries that translate some address of the range: the range's TLBI (VAE1IS, not the
 * last-level-only VALE1IS, or ASIDE1IS) drops every cached walk through them. Blocks are
 * leaves and never freed. */
static void free_empty_tables(uint64_t *t, unsigned level, uintptr_t va, uintptr_t end,
			      struct pt_free_list *fl)
{
	while (va < end) {
		uint64_t *e = &t[pt_index(va, level)], d = pte_read(e);
		uintptr_t next = skip(va, level);

		if ((d & PTE_VALID) && is_table(d, level)) {
			uint64_t *child = table(d);
			free_empty_tables(child, level + 1, va, next < end ? next : end, fl);
			if (table_empty(child)) {
				pte_write(e, 0);
				pt_free_list_add(fl, d & PTE_ADDR_MASK);
			}
		}
		va = next;
	}
}

/* In a user aspace, the tables the range leaves empty are freed once the TLBI has completed;
 * the kernel's tables (TTBR1) are never freed here. */
int arch_mmu_unmap(struct arch_aspace *as, uintptr_t va, size_t len)
{
	struct arch_aspace *t = check_range(as, va, len);
	struct pt_free_list fl = PT_FREE_LIST_INIT;
	unsigned long s;
	bool any;

	if (!t)
		return -EINVAL;
	s = spin_lock_irqsave(&t->lock);
	if (len && range_scan(t->root, va, len) == 2) {
		spin_unlock_irqrestore(&t->lock, s);
		return -EINVAL;
	}
	any = leaves_clear(t->root, va, len);
	if (!t->kernel)
		free_empty_tables(phys_to_virt(t->root), 0, va, va + len, &fl);
	if (any || fl.count)
		tlb_flush_range(t, va, len);
	spin_unlock_irqrestore(&t->lock, s);
	pt_free_list_release(&fl);
	return 0;
}

/* One page's new descriptor. A change of memory type needs break-before-make; a change of
 * permissions only does not (the flush after the range covers it). */
static void protect_one(struct arch_aspace *t, uint64_t *e, uintptr_t va, uint64_t attrs)
{
	uint64_t old = pte_read(e), d = (old & PTE_ADDR_MASK) | attrs | PTE_PAGE;

	if ((old & PTE_ATTRIDX_MASK) != (d & PTE_ATTRIDX_MASK)) {
		pte_write(e, 0);
		tlb_flush_range(t, va, PAGE_SIZE);
	}
	pte_write(e, d);
}

int arch_mmu_protect(struct arch_aspace *as, uintptr_t va, size_t len, unsigned prot)
{
	struct arch_aspace *t = check_range(as, va, len);
	uint64_t attrs = leaf_attrs(va, prot);
	unsigned long s;
	unsigned level;
	int err = 0;

	if (!t || ((prot & MMU_USER) && va >= USER_TOP))
		return -EINVAL;
	if (len == 0)
		return 0;
	s = spin_lock_irqsave(&t->lock);
	if (range_scan(t->root, va, len) == 2)
		err = -EINVAL;
	else if (!range_all_pages(t->root, va, len))
		err = -ENOENT;
	for (uintptr_t a = va; !err && a - va < len; a += PAGE_SIZE)
		protect_one(t, leaf_lookup(t->root, a, &level), a, attrs);
	if (!err)
		tlb_flush_range(t, va, len);
	spin_unlock_irqrestore(&t->lock, s);
	return err;
}

/* A new output address needs break-before-make: invalid, flushed, then the new page. */
int arch_mmu_replace(struct arch_aspace *as, uintptr_t va, uint64_t pa, unsigned prot)
{
	struct arch_aspace *t = check_range(as, va, PAGE_SIZE);
	unsigned long s;
	unsigned level;
	uint64_t *e;
	int err = -ENOENT;

	if (!t || pa % PAGE_SIZE || pa >= PA_LIMIT || ((prot & MMU_USER) && va >= USER_TOP))
		return -EINVAL;
	s = spin_lock_irqsave(&t->lock);
	e = leaf_lookup(t->root, va, &level);
	if (e && level == NLEVELS - 1) {
		pte_write(e, 0);
		tlb_flush_range(t, va, PAGE_SIZE);
		pte_write(e, pa | leaf_attrs(va, prot) | PTE_PAGE);
		__asm__ volatile("dsb ishst\n\tisb" : : : "memory");
		err = 0;
	}
	spin_unlock_irqrestore(&t->lock, s);
	return err;
}

int arch_mmu_query(struct arch_aspace *as, uintptr_t va, uint64_t *pa, unsigned *prot)
{
	struct arch_aspace *t = range_owner(as, va, 1);
	unsigned long s;
	unsigned level;
	uint64_t *e, d = 0;

	if (!t)
		return -ENOENT;
	s = spin_lock_irqsave(&t->lock);
	e = leaf_lookup(t->root, va, &level);
	if (e)
		d = pte_read(e);
	spin_unlock_irqrestore(&t->lock, s);
	if (!e)
		return -ENOENT;
	if (pa)
		*pa = (d & PTE_ADDR_MASK & ~(level_size(level) - 1)) | (va & (level_size(level) - 1));
	if (prot)
		*prot = desc_prot(d);
	return 0;
}

int arch_mmu_next(struct arch_aspace *as, uintptr_t *va, uintptr_t end, uint64_t *pa,
		  unsigned *prot)
{
	uintptr_t a = *va;
	struct arch_aspace *t = a < end ? range_owner(as, a, end - a) : NULL;
	uint64_t *e = NULL, d = 0;
	unsigned level = 0;

	if (!t) {
		*va = end;
		return -ENOENT; /* empty, or not one side of the user/kernel split */
	}
	unsigned long s = spin_lock_irqsave(&t->lock);
	while (a < end) {
		e = leaf_lookup(t->root, a, &level);
		if (e) {
			d = pte_read(e);
			break;
		}
		uintptr_t next = skip(a, level); /* past the whole invalid entry */
		a = next > a ? next : end;        /* 0: past the top */
	}
	spin_unlock_irqrestore(&t->lock, s);
	if (!e || a >= end) {
		*va = end;
		return -ENOENT;
	}
	*va = a;
	if (pa)
		*pa = (d & PTE_ADDR_MASK & ~(level_size(level) - 1)) | (a & (level_size(level) - 1));
	if (prot)
		*prot = desc_prot(d);
	return 0;
}

/* ---- Address spaces ---------------------------------------------------------------------- */

struct arch_aspace *arch_kernel_aspace(void)
{
	return &kernel_as;
}

uint64_t aarch64_kernel_ttbr1(void)
{
	return kernel_as.root ? kernel_as.root : virt_to_phys(boot_kmap_l0);
}

static unsigned asid_alloc(void)
{
	unsigned long s = spin_lock_irqsave(&asid_lock);
	unsigned asid = ASID_SHARED;

	for (unsigned a = ASID_NONE + 1; a < ASID_SHARED; a++) {
		if (!(asid_used[a / 32] & (1u << (a % 32)))) {
			asid_used[a / 32] |= 1u << (a % 32);
			asid = a;
			break;
		}
	}
	spin_unlock_irqrestore(&asid_lock, s);
	return asid;
}

static void asid_free(unsigned asid)
{
	unsigned long s = spin_lock_irqsave(&asid_lock);

	if (asid != ASID_SHARED)
		asid_used[asid / 32] &= ~(1u << (asid % 32));
	spin_unlock_irqrestore(&asid_lock, s);
}

_Static_assert(sizeof(struct arch_aspace) <= PAGE_SIZE - USER_L0_ENTRIES * 8,
	       "struct arch_aspace fits behind the user level-0 table");

struct arch_aspace *arch_aspace_create(void)
{
	uint64_t root = table_alloc();
	struct arch_aspace *as;

	if (!root)
		return NULL;
	as = (struct arch_aspace *)((uint64_t *)phys_to_virt(root) + USER_L0_ENTRIES);
	*as = (struct arch_aspace){
		.root = root, .asid = asid_alloc(), .lock = SPINLOCK_INIT("user page tables"),
	};
	return as;
}

/* Free the tables below the first n entries of a table (the frames its leaves map stay),
 * then the table itself. */
static void tables_free(uint64_t table_pa, unsigned level, unsigned n)
{
	uint64_t *t = phys_to_virt(table_pa);

	for (unsigned i = 0; i < n && level < NLEVELS - 1; i++)
		if (is_table(t[i], level))
			tables_free(t[i] & PTE_ADDR_MASK, level + 1, 512);
	free_page(table_pa);
}

void arch_aspace_destroy(struct arch_aspace *as)
{
	uint64_t asid;

	if (!as || as->kernel)
		return;
	asid = (uint64_t)as->asid << 48;
	__asm__ volatile("dsb ishst\n\ttlbi aside1is, %0\n\tdsb ish\n\tisb" : : "r"(asid) : "memory");
	asid_free(as->asid);
	tables_free(as->root, 0, USER_L0_ENTRIES); /* as itself goes with its page */
}

void arch_aspace_activate(struct arch_aspace *as)
{
	uint64_t tcr = read_sysreg(tcr_el1);

	if (!as || as->kernel) {
		write_sysreg(tcr_el1, tcr | TCR_EPD0);
		isb();
		write_sysreg(ttbr0_el1, 0);
		isb();
		return;
	}
	write_sysreg(ttbr0_el1, as->root | (uint64_t)as->asid << 48);
	isb();
	if (as->asid == ASID_SHARED)
		__asm__ volatile("tlbi aside1, %0\n\tdsb nsh"
				 : : "r"((uint64_t)ASID_SHARED << 48) : "memory");
	write_sysreg(tcr_el1, tcr & ~TCR_EPD0);
	isb();
}

/* ---- Boot: the final kernel tables ------------------------------------------------------- */

static void boot_install(uintptr_t va, uint64_t desc, unsigned level)
{
	int err = 0;
	uint64_t *e = entry_alloc(kernel_as.root, va, level, &err);

	if (!e && err == -ENOMEM)
		panic("mmu: out of memory for the kernel page tables");
	if (e && !(pte_read(e) & PTE_VALID))
		pte_write(e, desc); /* else overlapping RAM ranges: already mapped */
}

/* One RAM range, page-aligned inward: 2 MiB blocks where aligned, pages elsewhere. Returns
 * the bytes mapped. */
static uint64_t map_direct_range(uint64_t base, uint64_t size)
{
	uint64_t start = (base + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1), pa = start;
	uint64_t end = (base + size) & ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t attrs = PTE_NORMAL | PTE_PXN | PTE_UXN;

	if (end > DIRECT_MAP_SIZE)
		end = DIRECT_MAP_SIZE;
	while (pa < end) {
		if (pa % L2_BLOCK == 0 && end - pa >= L2_BLOCK) {
			boot_install(DIRECT_MAP_BASE + pa, pa | attrs | PTE_BLOCK, NLEVELS - 2);
			pa += L2_BLOCK;
		} else {
			boot_install(DIRECT_MAP_BASE + pa, pa | attrs | PTE_PAGE, NLEVELS - 1);
			pa += PAGE_SIZE;
		}
	}
	return end > start ? end - start : 0;
}

/* Attributes of the image page at va: by section (linker.ld). */
static uint64_t image_attrs(uintptr_t va)
{
	uint64_t ro_nx = PTE_NORMAL | PTE_RDONLY | PTE_PXN | PTE_UXN;

	if (va < (uintptr_t)__text_end)
		return PTE_NORMAL | PTE_RDONLY | PTE_UXN;
	if (va >= (uintptr_t)__rodata_start && va < (uintptr_t)__rodata_end)
		return ro_nx;
	if (va >= (uintptr_t)__boot_pgtables_start && va < (uintptr_t)__boot_pgtables_end)
		return ro_nx;
	return PTE_NORMAL | PTE_PXN | PTE_UXN;
}

static void map_image(void)
{
	for (uintptr_t va = (uintptr_t)__kernel_start; va < (uintptr_t)__kernel_end;
	     va += PAGE_SIZE) {
		if (va - (uintptr_t)boot_stack_guard < BOOT_STACK_GUARD_SIZE)
			continue;
		boot_install(va, virt_to_phys((void *)va) | image_attrs(va) | PTE_PAGE, NLEVELS - 1);
	}
}

/* TTBR1 := root, break-before-make, from the identity map (see the top of this file). */
static void switch_kernel_tables(uint64_t root)
{
	void (*replace)(uint64_t) =
		(void (*)(uint64_t))(uintptr_t)virt_to_phys(aarch64_idmap_replace_ttbr1);
	unsigned long s = arch_irq_save();
	uint64_t tcr = read_sysreg(tcr_el1);

	__asm__ volatile("dsb ish" : : : "memory"); /* the new tables, complete for the walker */
	write_sysreg(ttbr0_el1, virt_to_phys(boot_idmap_l0));
	write_sysreg(tcr_el1, tcr & ~TCR_EPD0);
	isb();
	replace(root);
	write_sysreg(tcr_el1, tcr | TCR_EPD0);
	write_sysreg(ttbr0_el1, 0);
	isb();
	__asm__ volatile("tlbi vmalle1\n\tdsb nsh\n\tisb" : : : "memory"); /* the idmap's entries */
	arch_irq_restore(s);
}

void arch_mmu_init(const struct boot_info *bi)
{
	uint64_t direct = 0;
	bool pan;

	kernel_as.root = table_alloc();
	if (!kernel_as.root)
		panic("mmu: out of memory for the kernel page tables");
	for (unsigned i = 0; i < bi->nmem; i++)
		direct += map_direct_range(bi->mem[i].base, bi->mem[i].size);
	map_image();
	boot_install(KERNEL_IMAGE_BASE, 0 | BLOCK_DEVICE, 1);
	switch_kernel_tables(kernel_as.root);
	pan = aarch64_pan_enable();
	kprintf("mmu: kernel tables at 0x%lx: %lu MiB direct map, image %lu KiB (text RX, rodata R, "
		"data RW), boot stack guard; PAN %s\n",
		(unsigned long)kernel_as.root, (unsigned long)(direct >> 20),
		(unsigned long)((__kernel_end - __kernel_start) >> 10),
		pan ? "on" : "not implemented by this CPU");
}
