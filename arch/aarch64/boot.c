/*
 * arch/aarch64/boot.c: from entry.S to kmain: the device tree becomes a struct boot_info.
 *
 * entry.S arrives here on CPU 0 with the MMU on, running in the top 2 GiB, .bss zeroed and
 * x0 = the DTB's physical address. Order matters:
 *   1. Point TPIDR_EL1 at cpus[0] (arch_cpu_id() and everything that prints read it).
 *   2. Switch off the identity map (TTBR0) so that the whole low half faults, null first.
 *   3. Parse the DTB, printing nothing: the console's address is one of the things in it.
 *      Everything the DTB describes is read from it (core/dtb.h), never assumed.
 *   4. Point the console at the DTB's PL011 (or QEMU virt's, saying so, if the DTB is bad).
 *   5. Name the CPU from its ID registers, install the vectors, and call kmain.
 * RAM (the DTB) is read through phys_to_virt(): the early direct map covers physical
 * 0 - EARLY_MAP_LIMIT. Devices are reached through the port's device window (device_va).
 * Interrupt specifiers are GIC triples <type num flags> (the only controller QEMU virt has):
 * type 0 = SPI (INTID num+32), type 1 = PPI (INTID num+16); the flags' low nibble is the
 * trigger (4 = level high on QEMU's UART), which becomes bi->uart_irq_flags.
 */
#include "arch/arch.h"
#include "core/boot_info.h"
#include "core/cpu.h"
#include "core/dtb.h"
#include "core/errno.h"
#include "core/kprintf.h"
#include "core/layout.h"
#include "core/string.h"

#include "aarch64.h"

#define DTB_MAX_SIZE (2u << 20) /* Linux's limit too; QEMU's blob is 1 MiB */

#define GIC_SPI 0
#define GIC_PPI 1
#define TIMER_VIRT_INDEX 2 /* arm,armv8-timer: secure, non-secure, virtual, hypervisor */

#define PCI_SPACE_MASK 0x03000000u /* phys.hi of a PCI "ranges" child address */
#define PCI_SPACE_IO 0x01000000u
#define PCI_SPACE_MEM32 0x02000000u
#define PCI_SPACE_MEM64 0x03000000u

extern char __kernel_start[], __kernel_end[];

static void add_range(struct phys_range *r, unsigned *n, uint64_t base, uint64_t size)
{
	if (size == 0 || *n >= BOOT_MAX_RANGES)
		return;
	r[*n] = (struct phys_range){base, size};
	(*n)++;
}

/* Copy a string property into buf (always terminated, empty if absent). The blob is not
 * trusted to terminate its strings, so both the property and buf bound the copy. */
static bool prop_str(const struct dtb *dt, int node, const char *name, char *buf, size_t n)
{
	uint32_t len = 0;
	const char *p = node >= 0 ? dtb_prop(dt, node, name, &len) : NULL;
	size_t i = 0;

	for (; p && i < len && i + 1 < n && p[i]; i++)
		buf[i] = p[i];
	buf[i] = '\0';
	return p != NULL;
}

static bool node_enabled(const struct dtb *dt, int node)
{
	char status[16];

	if (!prop_str(dt, node, "status", status, sizeof status))
		return true;
	return strcmp(status, "okay") == 0 || strcmp(status, "ok") == 0;
}

static int first_enabled(const struct dtb *dt, const char *compat)
{
	int n = dtb_next_compatible(dt, -1, compat);

	while (n >= 0 && !node_enabled(dt, n))
		n = dtb_next_compatible(dt, n, compat);
	return n;
}

/* The index-th GIC interrupt of the node as an INTID; 0 if absent or not an SPI/PPI. */
static uint32_t dt_intid(const struct dtb *dt, int node, unsigned index)
{
	uint32_t len;
	const uint8_t *p = dtb_prop(dt, node, "interrupts", &len);

	if (!p || (index + 1) * 12 > len)
		return 0;
	p += index * 12;
	switch (dtb_cells(p, 1)) {
	case GIC_SPI: return (uint32_t)dtb_cells(p + 4, 1) + 32;
	case GIC_PPI: return (uint32_t)dtb_cells(p + 4, 1) + 16;
	default: return 0;
	}
}

/* The index-th interrupt's trigger (cell 3, low nibble: 1 rising edge, 2 falling edge, 4 level
 * high, 8 level low; a PPI's CPU mask sits above) as IRQ_* flags. */
static uint32_t dt_intflags(const struct dtb *dt, int node, unsigned index)
{
	uint32_t len, type;
	const uint8_t *p = dtb_prop(dt, node, "interrupts", &len);

	if (!p || (index + 1) * 12 > len)
		return IRQ_LEVEL;
	type = (uint32_t)dtb_cells(p + index * 12 + 8, 1) & 0xf;
	if (type & 0xc)
		return IRQ_LEVEL | (type & 8 ? IRQ_ACTIVE_LOW : 0);
	return IRQ_EDGE | (type & 2 ? IRQ_ACTIVE_LOW : 0);
}

static void dt_memory(const struct dtb *dt, struct boot_info *bi)
{
	uint64_t base, size;

	for (int n = dtb_next_by_type(dt, -1, "memory"); n >= 0;
	     n = dtb_next_by_type(dt, n, "memory")) {
		if (!node_enabled(dt, n))
			continue;
		for (unsigned i = 0; dtb_reg(dt, n, i, &base, &size) == 0; i++) {
			add_range(bi->mem, &bi->nmem, base, size);
			bi->ram_installed += size;
		}
	}
}

/* The blob itself and its /memreserve/ entries (header word 4: offset of the map, a list of
 * big-endian {address, size} pairs ending with {0, 0}). */
static void dt_reserved(const struct dtb *dt, struct boot_info *bi)
{
	uint32_t off = (uint32_t)dtb_cells(dt->blob + 16, 1);

	add_range(bi->reserved, &bi->nreserved, bi->dtb_phys, dt->size);
	for (; off % 8 == 0 && off + 16 <= dt->size; off += 16) {
		uint64_t base = dtb_cells(dt->blob + off, 2);
		uint64_t size = dtb_cells(dt->blob + off + 8, 2);
		if (base == 0 && size == 0)
			break;
		add_range(bi->reserved, &bi->nreserved, base, size);
	}
}

/* /chosen/stdout-path: "/path[:options]" or "alias[:options]". */
static int dt_stdout_node(const struct dtb *dt)
{
	char path[128], target[128];
	char *colon;

	if (!prop_str(dt, dtb_path(dt, "/chosen"), "stdout-path", path, sizeof path))
		return -ENOENT;
	colon = strchr(path, ':');
	if (colon)
		*colon = '\0';
	if (path[0] == '/')
		return dtb_path(dt, path);
	if (!prop_str(dt, dtb_path(dt, "/aliases"), path, target, sizeof target))
		return -ENOENT;
	return dtb_path(dt, target);
}

/* The PL011 that /chosen names for output, else the first enabled one. */
static void dt_uart(const struct dtb *dt, struct boot_info *bi)
{
	int n = dt_stdout_node(dt);
	uint64_t size;

	if (n < 0 || !dtb_is_compatible(dt, n, "arm,pl011"))
		n = first_enabled(dt, "arm,pl011");
	if (n < 0 || dtb_reg(dt, n, 0, &bi->uart_base, &size) != 0)
		return;
	bi->uart_irq = dt_intid(dt, n, 0);
	bi->uart_irq_flags = dt_intflags(dt, n, 0);
}

/* GICv3: reg[0] = distributor, reg[1] = the (first) redistributor region. */
static void dt_intc(const struct dtb *dt, struct boot_info *bi)
{
	int n = first_enabled(dt, "arm,gic-v3");

	for (unsigned i = 0; n >= 0 && i < 2; i++)
		dtb_reg(dt, n, i, &bi->intc_base[i], &bi->intc_size[i]);
}

/* One PCI "ranges" entry. The I/O window keeps its PCI (port) address with the CPU address
 * beside it; memory windows are recorded by CPU address, which is what gets mapped (QEMU
 * maps them 1:1, so it is also the address BARs are programmed with). First one of each
 * kind wins. */
static void pci_window(struct boot_info *bi, uint32_t space, uint64_t pci, uint64_t cpu,
		       uint64_t size)
{
	if (space == PCI_SPACE_IO && !bi->pci_io.size) {
		bi->pci_io = (struct phys_range){pci, size};
		bi->pci_io_cpu_base = cpu;
	} else if (space == PCI_SPACE_MEM32 && !bi->pci_mmio32.size) {
		bi->pci_mmio32 = (struct phys_range){cpu, size};
	} else if (space == PCI_SPACE_MEM64 && !bi->pci_mmio64.size) {
		bi->pci_mmio64 = (struct phys_range){cpu, size};
	}
}

/* Each entry: child address (3 cells: phys.hi, 64-bit PCI address), parent address (the
 * parent's #address-cells), size (the bridge's #size-cells). */
static void dt_pci_ranges(const struct dtb *dt, int node, struct boot_info *bi)
{
	uint32_t len;
	const uint8_t *p = dtb_prop(dt, node, "ranges", &len);
	int parent = dtb_parent(dt, node);
	unsigned pac = parent >= 0 ? dtb_prop_u32(dt, parent, "#address-cells", 2) : 2;
	unsigned sc = dtb_prop_u32(dt, node, "#size-cells", 2);
	uint32_t stride = (3 + pac + sc) * 4;

	if (!p || pac < 1 || pac > 2 || sc < 1 || sc > 2)
		return;
	for (uint32_t off = 0; off + stride <= len; off += stride) {
		const uint8_t *e = p + off;
		pci_window(bi, (uint32_t)dtb_cells(e, 1) & PCI_SPACE_MASK, dtb_cells(e + 4, 2),
			   dtb_cells(e + 12, pac), dtb_cells(e + 12 + 4 * pac, sc));
	}
}

static void dt_pci(const struct dtb *dt, struct boot_info *bi)
{
	int n = first_enabled(dt, "pci-host-ecam-generic");
	uint32_t len;
	const uint8_t *range;

	if (n < 0 || dtb_reg(dt, n, 0, &bi->pci_ecam_base, &bi->pci_ecam_size) != 0)
		return;
	range = dtb_prop(dt, n, "bus-range", &len);
	if (range && len == 8) {
		bi->pci_bus_start = (uint32_t)dtb_cells(range, 1);
		bi->pci_bus_end = (uint32_t)dtb_cells(range + 4, 1);
	} else if (bi->pci_ecam_size >= (1u << 20)) { /* ECAM: 1 MiB per bus */
		bi->pci_bus_end = (uint32_t)(bi->pci_ecam_size >> 20) - 1;
	}
	dt_pci_ranges(dt, n, bi);
}

/* The virtual timer's PPI. A "clock-frequency" property overrides CNTFRQ_EL0 (the binding
 * keeps it for firmware that leaves CNTFRQ unset); QEMU has none. */
static void dt_timer(const struct dtb *dt, struct boot_info *bi)
{
	int n = first_enabled(dt, "arm,armv8-timer");
	uint32_t freq;

	if (n < 0)
		return;
	bi->timer_irq = dt_intid(dt, n, TIMER_VIRT_INDEX);
	freq = dtb_prop_u32(dt, n, "clock-frequency", 0);
	if (freq)
		bi->timer_freq = freq;
}

static void dt_rtc(const struct dtb *dt, struct boot_info *bi)
{
	int n = first_enabled(dt, "arm,pl031");
	uint64_t size;

	if (n >= 0)
		dtb_reg(dt, n, 0, &bi->rtc_base, &size);
}

/* A cpu node's reg is its MPIDR affinity, the id PSCI CPU_ON takes. */
static void dt_cpus(const struct dtb *dt, struct boot_info *bi)
{
	uint64_t hwid, size;

	for (int n = dtb_next_by_type(dt, -1, "cpu"); n >= 0 && bi->ncpus < BOOT_MAX_CPUS;
	     n = dtb_next_by_type(dt, n, "cpu"))
		if (node_enabled(dt, n) && dtb_reg(dt, n, 0, &hwid, &size) == 0)
			bi->cpu_hwid[bi->ncpus++] = hwid;
}

/* PSCI's conduit is port-private (power.c), not boot_info. Default hvc: QEMU's without EL2. */
static void dt_psci(const struct dtb *dt)
{
	char method[8];
	int n = first_enabled(dt, "arm,psci-1.0");

	if (n < 0)
		n = first_enabled(dt, "arm,psci-0.2");
	prop_str(dt, n, "method", method, sizeof method);
	aarch64_psci_init(strcmp(method, "smc") == 0);
}

static int dt_parse(struct boot_info *bi, uint64_t dtb_phys)
{
	struct dtb dt;
	uint64_t max = EARLY_MAP_LIMIT - dtb_phys;
	int err;

	/* FDT blobs are 8-byte aligned; anything outside the early map cannot be read yet. */
	if (dtb_phys == 0 || dtb_phys % 8 || dtb_phys >= EARLY_MAP_LIMIT)
		return -EINVAL;
	err = dtb_init(&dt, phys_to_virt(dtb_phys), max < DTB_MAX_SIZE ? max : DTB_MAX_SIZE);
	if (err)
		return err;
	bi->dtb_phys = dtb_phys;
	dt_memory(&dt, bi);
	dt_reserved(&dt, bi);
	prop_str(&dt, dtb_path(&dt, "/chosen"), "bootargs", bi->cmdline, sizeof bi->cmdline);
	dt_uart(&dt, bi);
	dt_intc(&dt, bi);
	dt_pci(&dt, bi);
	dt_timer(&dt, bi);
	dt_rtc(&dt, bi);
	dt_cpus(&dt, bi);
	dt_psci(&dt);
	return 0;
}

/* What is known without a device tree: where the kernel is, and the counter frequency. */
static void boot_info_defaults(struct boot_info *bi)
{
	bi->kernel_phys_start = virt_to_phys(__kernel_start);
	bi->kernel_phys_end = virt_to_phys(__kernel_end);
	add_range(bi->reserved, &bi->nreserved, bi->kernel_phys_start,
		  bi->kernel_phys_end - bi->kernel_phys_start);
	bi->timer_freq = read_sysreg(cntfrq_el0);
}

/* The identity map was only needed to switch the MMU on. With TTBR0 walks disabled the whole
 * low half, address 0 included, takes a level 0 translation fault until an address space is
 * activated (mmu.c). The flush drops the identity map's global TLB entries. */
static void low_half_off(void)
{
	write_sysreg(tcr_el1, read_sysreg(tcr_el1) | TCR_EPD0);
	isb();
	__asm__ volatile("tlbi vmalle1\n\tdsb nsh\n\tisb" : : : "memory");
}

_Noreturn void aarch64_boot(uint64_t dtb_phys)
{
	static struct boot_info bi; /* kmain keeps the pointer; 2.5 KiB off the boot stack */
	int err;

	arch_set_this_cpu(&cpus[0]);
	low_half_off();
	boot_info_defaults(&bi);
	err = dt_parse(&bi, dtb_phys);
	if (!bi.uart_base) {
		bi.uart_base = QEMU_VIRT_UART_PHYS;
		aarch64_console_init(bi.uart_base);
		kprintf("aarch64: %s at 0x%lx (error %d); assuming a PL011 at 0x%x\n",
			err ? "no usable device tree" : "no PL011 in the device tree",
			(unsigned long)dtb_phys, err, QEMU_VIRT_UART_PHYS);
	} else if (!aarch64_console_init(bi.uart_base)) {
		kprintf("aarch64: PL011 at 0x%lx is outside the device window; staying on 0x%x\n",
			(unsigned long)bi.uart_base, QEMU_VIRT_UART_PHYS);
	}
	aarch64_cpu_identify(bi.cpu_model, sizeof bi.cpu_model);
	arch_traps_init();
	kmain(&bi);
}
