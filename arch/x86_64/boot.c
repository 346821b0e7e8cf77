/*
 * arch/x86_64/boot.c: from entry.S to kmain(), and the boot_info core gets.
 *
 * entry.S arrives here on the boot stack, at high addresses, with the boot page tables still
 * mapping physical 0-1 GiB at 0 as well. The order below matters:
 *   0. point GS at cpus[0]'s per-CPU block (arch_set_this_cpu): spinlocks and panic read
 *      the CPU id through it, so it comes before anything that could print;
 *   1. drop that identity map, so address 0 is unmapped from now on and a null dereference
 *      faults (everything physical is reached through phys_to_virt(), core/layout.h), and
 *      unmap the guard page below the boot stack;
 *   2. initialise COM1 once, before the first byte is printed (console.c says why once);
 *   3. mask the legacy 8259 PICs, which SeaBIOS leaves with the timer unmasked on vector 8,
 *      where a tick would pass for a double fault as soon as anyone enabled interrupts;
 *   4. install the GDT's TSS and the IDT, so that even a bad start-info pointer below ends in
 *      a readable panic rather than a triple fault;
 *   5. describe the machine in boot_info from the PVH start info, CPUID, CMOS and the ACPI
 *      MADT (the CPUs: the boot CPU's APIC id first, then every other enabled LAPIC) and
 *      MCFG (the PCI host bridge's ECAM window, pci.c). The interrupt controllers and the
 *      RTC are at q35's fixed places (REFERENCE 8): IOAPIC in intc_base[0], LAPIC in
 *      intc_base[1], timer_irq = the LAPIC timer's vector.
 *
 * Firmware data (start info, memory map, command line, ACPI tables) lies below 2 GiB on QEMU,
 * inside the early direct map (EARLY_MAP_LIMIT); firmware_ptr() refuses anything outside it
 * instead of faulting. ACPI tables are used only here: arch_mmu_init's direct map covers RAM
 * alone. The first MiB stays reserved (BIOS data, EBDA, start info, and smp.c's trampoline
 * page at SMP_TRAMPOLINE_PA).
 */
#include "arch/arch.h"
#include "core/cpu.h"
#include "core/layout.h"
#include "core/panic.h"
#include "core/string.h"
#include "x86.h"

#define PVH_START_MAGIC 0x336ec578
#define E820_RAM 1
#define LOW_MEMORY_END 0x100000 /* BIOS data, EBDA, option ROMs, the PVH start info */
#define MiB (1ull << 20)

_Static_assert(SMP_TRAMPOLINE_PA + PAGE_SIZE <= LOW_MEMORY_END, "trampoline page is reserved");

/* Xen's public/arch-x86/hvm/start_info.h. The memory map fields exist from version 1. */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* E820 types */
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

/* ACPI 6.5, 5.2.5 (RSDP), 5.2.6 (table header), 5.2.12 (MADT). */
struct acpi_rsdp {
	char sig[8]; /* "RSD PTR " */
	uint8_t checksum; /* of the first 20 bytes (revision 0's whole structure) */
	char oem[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length; /* revision 2+: the extended fields below */
	uint64_t xsdt;
	uint8_t xchecksum;
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_sdt {
	char sig[4];
	uint32_t length; /* of the whole table, header included */
	uint8_t revision;
	uint8_t checksum;
	char oem[6];
	char oem_table[8];
	uint32_t oem_revision;
	uint32_t creator;
	uint32_t creator_revision;
} __attribute__((packed));

#define MADT_ENTRIES_OFFSET 44 /* header, local APIC address, flags */
#define MADT_LOCAL_APIC 0      /* type, length 8, ACPI processor id, APIC id, flags */
#define MADT_LAPIC_ENABLED 1

extern char __kernel_start[], __kernel_end[]; /* linker.ld, virtual */

static struct boot_info bi;

/* A pointer to size bytes of firmware data, or NULL if they are not all in the boot window. */
static const void *firmware_ptr(uint64_t pa, uint64_t size)
{
	if (pa == 0 || size > EARLY_MAP_LIMIT || pa > EARLY_MAP_LIMIT - size)
		return NULL;
	return phys_to_virt(pa);
}

/* Split the 2 MiB page holding the boot stack into 4 KiB pages, leaving out the guard page
 * below the stack: running off the stack is then a page fault, taken as a double fault on
 * its own stack (trap.c), instead of a silent rewrite of the page tables below it. */
static void guard_boot_stack(void)
{
	uint64_t guard = virt_to_phys(boot_stack_guard);
	uint64_t base = guard & ~(uint64_t)(LARGE_PAGE_SIZE - 1);

	for (unsigned i = 0; i < 512; i++)
		boot_pt[i] = (base + (uint64_t)i * PAGE_SIZE) | PTE_P | PTE_W;
	boot_pt[(guard - base) / PAGE_SIZE] = 0;
	boot_pd[guard / LARGE_PAGE_SIZE] = virt_to_phys(boot_pt) | PTE_P | PTE_W;
}

/* Unmap the identity map entry.S needed for the switch, and the stack guard; the CR3 reload
 * flushes both from the TLB. */
static void finish_boot_page_tables(void)
{
	boot_pml4[0] = 0;
	guard_boot_stack();
	write_cr3(read_cr3());
}

static void add_range(struct phys_range *r, unsigned *n, uint64_t base, uint64_t size)
{
	if (size == 0)
		return;
	if (*n >= BOOT_MAX_RANGES) {
		pr_warn("boot: more than %d memory ranges, ignoring %#lx+%#lx\n", BOOT_MAX_RANGES,
			(unsigned long)base, (unsigned long)size);
		return;
	}
	r[(*n)++] = (struct phys_range){base, size};
}

/* QEMU's -m as QEMU reports it to the BIOS in CMOS (hw/i386/pc.c, pc_cmos_init): 0x34/0x35
 * count 64 KiB above 16 MiB and below 4 GiB, 0x5b-0x5d 64 KiB above 4 GiB. The memory map
 * cannot give this: it omits the holes (VGA, BIOS, ACPI tables, the PCI window) that -m covers.
 * With under 16 MiB, 0x34/0x35 is 0 and 0x30/0x31 holds the KiB above 1 MiB. */
static uint64_t cmos_ram_size(void)
{
	uint64_t mid = (uint64_t)(x86_cmos_read(0x35) << 8 | x86_cmos_read(0x34)) << 16;
	uint64_t high = (uint64_t)(x86_cmos_read(0x5d) << 16 | x86_cmos_read(0x5c) << 8 |
				   x86_cmos_read(0x5b))
			<< 16;

	if (mid == 0)
		return 1 * MiB + ((uint64_t)(x86_cmos_read(0x31) << 8 | x86_cmos_read(0x30)) << 10);
	return 16 * MiB + mid + high;
}

static void read_cmdline(uint64_t pa)
{
	const char *s = firmware_ptr(pa, BOOT_CMDLINE_MAX);
	if (!s)
		return;
	size_t n = strnlen(s, BOOT_CMDLINE_MAX - 1);
	memcpy(bi.cmdline, s, n);
	bi.cmdline[n] = '\0';
}

/* RAM from the E820-style map. Start info version 0 has no map; then nmem stays 0 and the
 * memory issue's allocator has nothing to hand out, which it reports. */
static void read_memmap(const struct hvm_start_info *si)
{
	if (si->version < 1)
		return;
	const struct hvm_memmap_entry *e =
		firmware_ptr(si->memmap_paddr, (uint64_t)si->memmap_entries * sizeof(*e));
	for (uint32_t i = 0; e && i < si->memmap_entries; i++)
		if (e[i].type == E820_RAM)
			add_range(bi.mem, &bi.nmem, e[i].addr, e[i].size);
}

/* Modules (-initrd) sit in RAM near its top: keep the frame allocator off them. */
static void reserve_modules(const struct hvm_start_info *si)
{
	const struct hvm_modlist_entry *m =
		firmware_ptr(si->modlist_paddr, (uint64_t)si->nr_modules * sizeof(*m));
	for (uint32_t i = 0; m && i < si->nr_modules; i++)
		add_range(bi.reserved, &bi.nreserved, m[i].paddr, m[i].size);
}

static bool acpi_checksum_ok(const void *p, uint32_t len)
{
	uint8_t sum = 0;
	for (uint32_t i = 0; i < len; i++)
		sum += ((const uint8_t *)p)[i];
	return sum == 0;
}

/* A mapped, checksummed ACPI table at pa, or NULL. */
static const struct acpi_sdt *acpi_table(uint64_t pa)
{
	const struct acpi_sdt *t = firmware_ptr(pa, sizeof(*t));
	if (!t || t->length < sizeof(*t) || !firmware_ptr(pa, t->length) ||
	    !acpi_checksum_ok(t, t->length))
		return NULL;
	return t;
}

/* The table with signature sig, through the XSDT (revision 2+) or the RSDT (q35's RSDP is
 * revision 0: RSDT only, REFERENCE 8). */
static const struct acpi_sdt *acpi_find(uint64_t rsdp_pa, const char *sig)
{
	const struct acpi_rsdp *r = firmware_ptr(rsdp_pa, 20);
	if (!r || memcmp(r->sig, "RSD PTR ", 8) != 0 || !acpi_checksum_ok(r, 20))
		return NULL;
	bool x = r->revision >= 2 && firmware_ptr(rsdp_pa, sizeof(*r)) && r->xsdt;
	const struct acpi_sdt *root = acpi_table(x ? r->xsdt : r->rsdt);
	if (!root)
		return NULL;
	unsigned width = x ? 8 : 4, n = (root->length - sizeof(*root)) / width;
	const uint8_t *entries = (const uint8_t *)(root + 1);
	for (unsigned i = 0; i < n; i++) {
		uint64_t pa = 0;
		memcpy(&pa, entries + i * width, width);
		const struct acpi_sdt *t = acpi_table(pa);
		if (t && memcmp(t->sig, sig, 4) == 0)
			return t;
	}
	return NULL;
}

static void add_cpu(uint64_t apic_id)
{
	for (unsigned i = 0; i < bi.ncpus; i++)
		if (bi.cpu_hwid[i] == apic_id)
			return;
	if (bi.ncpus == BOOT_MAX_CPUS) {
		pr_warn("boot: more than %d CPUs, ignoring APIC id %lu\n", BOOT_MAX_CPUS,
			(unsigned long)apic_id);
		return;
	}
	bi.cpu_hwid[bi.ncpus++] = apic_id;
}

/* The boot CPU first (core's cpus[0]), then each enabled processor-local-APIC entry of the
 * MADT. Entries with only the online-capable bit are hot-plug slots, not CPUs. */
static void find_cpus(uint64_t rsdp_pa)
{
	bi.ncpus = 0;
	add_cpu(x86_apic_id());
	const struct acpi_sdt *madt = acpi_find(rsdp_pa, "APIC");
	if (!madt) {
		pr_warn("boot: no ACPI MADT: starting the boot CPU only\n");
		return;
	}
	const uint8_t *p = (const uint8_t *)madt + MADT_ENTRIES_OFFSET;
	const uint8_t *end = (const uint8_t *)madt + madt->length;
	for (; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1]) {
		if (p[0] != MADT_LOCAL_APIC || p[1] < 8)
			continue;
		uint32_t flags;
		memcpy(&flags, p + 4, sizeof(flags));
		if (flags & MADT_LAPIC_ENABLED)
			add_cpu(p[3]);
	}
}

static void fill_boot_info(const struct hvm_start_info *si)
{
	x86_cpu_identify(bi.cpu_model, sizeof(bi.cpu_model));
	read_cmdline(si->cmdline_paddr);
	read_memmap(si);
	bi.kernel_phys_start = virt_to_phys(__kernel_start);
	bi.kernel_phys_end = virt_to_phys(__kernel_end);
	add_range(bi.reserved, &bi.nreserved, 0, LOW_MEMORY_END);
	add_range(bi.reserved, &bi.nreserved, bi.kernel_phys_start,
		  bi.kernel_phys_end - bi.kernel_phys_start);
	reserve_modules(si);
	bi.ram_installed = cmos_ram_size();
	bi.uart_base = COM1_PORT;
	bi.uart_irq = COM1_IRQ;
	bi.uart_irq_flags = IRQ_EDGE; /* ISA: edge, active high */
	bi.intc_base[0] = IOAPIC_PHYS;
	bi.intc_size[0] = PAGE_SIZE;
	bi.intc_base[1] = rdmsr(MSR_APIC_BASE) & PTE_ADDR_MASK;
	bi.intc_size[1] = PAGE_SIZE;
	bi.timer_irq = VEC_LAPIC_TIMER;
	bi.rtc_base = RTC_PORT;
	bi.acpi_rsdp = si->rsdp_paddr;
	find_cpus(si->rsdp_paddr);
	x86_pci_mcfg(&bi, acpi_find(si->rsdp_paddr, "MCFG"));
}

_Noreturn void x86_boot(uint64_t start_info_phys)
{
	arch_set_this_cpu(&cpus[0]);
	finish_boot_page_tables();
	x86_console_init();
	x86_pic_mask();
	arch_traps_init();

	const struct hvm_start_info *si = firmware_ptr(start_info_phys, sizeof(*si));
	if (!si || si->magic != PVH_START_MAGIC)
		panic("no PVH start info at %#lx (magic %#x): not booted by a PVH loader?",
		      (unsigned long)start_info_phys, si ? si->magic : 0);
	fill_boot_info(si);
	kmain(&bi);
}
