/*
 * arch/aarch64/irq.c: the GICv3 interrupt controller, and the IRQ path from the vectors to core.
 *
 * Layout (REFERENCE 7; addresses from the DTB's arm,gic-v3 node, boot.c):
 *   distributor (GICD) at intc_base[0]: SPIs 32..1019, shared by all CPUs;
 *   redistributors (GICR) from intc_base[1]: one per CPU, each an RD frame (control, wake,
 *   TYPER with the CPU's affinity) followed by an SGI frame that holds the SGI/PPI (0..31)
 *   registers at the same offsets the distributor uses for SPIs. So one set of helpers serves
 *   both: an INTID below 32 goes to this CPU's SGI frame, any other to the distributor.
 *   CPU interface: system registers (ICC_*_EL1), not memory-mapped.
 * Affinity routing is on (QEMU's GICD_CTLR resets to 0x50: ARE, DS). Everything is Group 1
 * (non-secure IRQ, never FIQ), one priority (0xa0) for all, no preemption between interrupts:
 * the handler runs with PSTATE.I set and EOImode 0 (EOIR drops priority and deactivates).
 *
 * LPIs (INTID 8192 and up: PCI MSIs through the ITS) are its.c's: arch_irq_init hands over
 * to aarch64_its_init, and arch_irq_unmask/mask pass core's LPI numbers (LPI_IRQ_BASE and up,
 * aarch64.h) to it.
 *
 * Entry: every IRQ vector (from EL1 and, later, EL0) builds a full trapframe (trap_entry.S)
 * and aarch64_trap calls aarch64_irq, which acknowledges one interrupt (ICC_IAR1_EL1), hands
 * it to the virtual timer or core's irq_dispatch (an LPI as irq LPI_IRQ_BASE + INTID - 8192),
 * and ends it (ICC_EOIR1_EL1; an LPI has no active state, so that only drops the priority).
 * If another is pending the CPU takes the exception again right after the eret; that costs a
 * trip through the vector but keeps the handler free of loops a stuck line could trap it in.
 *
 * Locking: the enable registers are write-1-to-set/clear and need none; the read-modify-write
 * ones (group, priority, trigger) take gic_lock, which also masks interrupts on this CPU.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/irq.h"
#include "core/kprintf.h"
#include "core/panic.h"
#include "core/spinlock.h"

#include "aarch64.h"
#include "trapframe.h"

/* Distributor registers; the SGI frame has the 0x0080..0x0d00 ones for INTIDs 0..31. */
#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR 0x0200
#define GICD_ICPENDR 0x0280
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR 0x0c00
#define GICD_IGRPMODR 0x0d00
#define GICD_IROUTER 0x6000
#define GICD_PIDR2 0xffe8

/* GICD_CTLR. With DS=1 (one security state, QEMU without EL3) bit 0 enables Group 0 and bit 1
 * Group 1; in the non-secure view of a two-state GIC bit 0 is Group 1 and bit 1 Group 1A. */
#define CTLR_EN_BIT0 (1u << 0)
#define CTLR_EN_BIT1 (1u << 1)
#define CTLR_ARE (1u << 4)
#define CTLR_DS (1u << 6)
#define CTLR_RWP (1u << 31)

/* Redistributor RD frame. */
#define GICR_CTLR 0x0000
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_SGI_FRAME 0x10000
#define GICR_CTLR_RWP (1u << 3)
#define TYPER_VLPIS (1ull << 1)
#define TYPER_LAST (1ull << 4)
#define WAKER_PROCESSOR_SLEEP (1u << 1)
#define WAKER_CHILDREN_ASLEEP (1u << 2)
#define GICR_FRAMES_SIZE 0x20000 /* RD + SGI; GICv4 adds two VLPI frames (TYPER.VLPIS) */

/* CPU interface. */
#define ICC_SRE_SRE (1u << 0)
#define ICC_CTLR_EOIMODE (1u << 1)

#define INTID_SPURIOUS 1020 /* 1020..1023 are special: nothing to acknowledge */
#define INTID_SPI_LIMIT 1020
#define PRIO_DEFAULT 0xa0u
#define POLL_LIMIT 1000000 /* register polls before a stuck GIC is a panic */

static uintptr_t gicd;
static uint64_t gicr_phys, gicr_size;
static unsigned spi_end;        /* one past the last SPI the distributor implements */
static uint64_t boot_affinity;  /* GICD_IROUTER value naming the boot CPU */
static uintptr_t gicr_rd[BOOT_MAX_CPUS]; /* each CPU's RD frame, 0 until it is set up */
static uint64_t spurious_count; /* acknowledges that found nothing (read it in gdb) */
static struct spinlock gic_lock = SPINLOCK_INIT("gic");

static void wait_clear(uintptr_t reg, uint32_t bits, const char *what)
{
	for (unsigned i = 0; mmio_read32(reg) & bits; i++) {
		if (i == POLL_LIMIT)
			panic("GICv3: %s did not clear (register 0x%x)", what, mmio_read32(reg));
		arch_cpu_relax();
	}
}

static void dist_wait_rwp(void)
{
	wait_clear(gicd + GICD_CTLR, CTLR_RWP, "GICD_CTLR.RWP");
}

static unsigned this_cpu(void)
{
	unsigned cpu = arch_cpu_id();

	if (cpu >= BOOT_MAX_CPUS)
		panic("GICv3: CPU index %u out of range", cpu);
	return cpu;
}

/* Where the registers for intid live: this CPU's SGI frame or the distributor. */
static uintptr_t bank(unsigned intid)
{
	uintptr_t rd = gicr_rd[this_cpu()];

	if (intid >= 32)
		return gicd;
	if (!rd)
		panic("GICv3: CPU %u has no redistributor set up", this_cpu());
	return rd + GICR_SGI_FRAME;
}

static void bank_wait_rwp(unsigned intid)
{
	if (intid >= 32)
		dist_wait_rwp();
	else
		wait_clear(gicr_rd[this_cpu()] + GICR_CTLR, GICR_CTLR_RWP, "GICR_CTLR.RWP");
}

/* One bit per INTID in a write-1 register (enable, pending, active). */
static void write_bit(unsigned intid, unsigned reg)
{
	mmio_write32(bank(intid) + reg + 4 * (intid / 32), 1u << (intid % 32));
}

/* Read-modify-write `width` (1, 2 or 8) bits of intid's field in a register array; gic_lock
 * held. */
static void rmw_field(unsigned intid, unsigned reg, unsigned width, uint32_t value)
{
	unsigned per_word = 32 / width;
	uintptr_t addr = bank(intid) + reg + 4 * (intid / per_word);
	unsigned shift = (intid % per_word) * width;
	uint32_t mask = ((1u << width) - 1) << shift;

	mmio_write32(addr, (mmio_read32(addr) & ~mask) | ((value << shift) & mask));
}

/* Affinity as GICR_TYPER[63:32] spells it: Aff3.Aff2.Aff1.Aff0. */
static uint32_t mpidr_to_typer_aff(uint64_t mpidr)
{
	return (uint32_t)((mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000));
}

/* Walk the redistributor frames for the one whose affinity is this CPU's. */
static uintptr_t find_redistributor(uint64_t mpidr)
{
	uint32_t aff = mpidr_to_typer_aff(mpidr);
	uint64_t off = 0;

	while (off + GICR_FRAMES_SIZE <= gicr_size) {
		uintptr_t rd = device_va(gicr_phys + off, GICR_FRAMES_SIZE);
		uint64_t typer;

		if (!rd)
			break;
		typer = mmio_read64(rd + GICR_TYPER);
		if ((uint32_t)(typer >> 32) == aff)
			return rd;
		if (typer & TYPER_LAST)
			break;
		off += typer & TYPER_VLPIS ? 2 * GICR_FRAMES_SIZE : GICR_FRAMES_SIZE;
	}
	return 0;
}

static void redistributor_wake(uintptr_t rd)
{
	uint32_t waker = mmio_read32(rd + GICR_WAKER);

	mmio_write32(rd + GICR_WAKER, waker & ~WAKER_PROCESSOR_SLEEP);
	wait_clear(rd + GICR_WAKER, WAKER_CHILDREN_ASLEEP, "GICR_WAKER.ChildrenAsleep");
}

/* SGIs and PPIs: all Group 1, disabled, nothing pending or active, default priority. */
static void redistributor_reset_ppis(uintptr_t rd)
{
	uintptr_t sgi = rd + GICR_SGI_FRAME;

	mmio_write32(sgi + GICD_ICENABLER, ~0u);
	wait_clear(rd + GICR_CTLR, GICR_CTLR_RWP, "GICR_CTLR.RWP");
	mmio_write32(sgi + GICD_ICPENDR, ~0u);
	mmio_write32(sgi + GICD_ICACTIVER, ~0u);
	mmio_write32(sgi + GICD_IGROUPR, ~0u);
	mmio_write32(sgi + GICD_IGRPMODR, 0);
	for (unsigned i = 0; i < 32; i += 4)
		mmio_write32(sgi + GICD_IPRIORITYR + i, PRIO_DEFAULT * 0x01010101u);
}

/* System-register CPU interface: on, every priority unmasked, no subpriority split,
 * EOImode 0, Group 1 enabled. */
static void cpu_interface_init(void)
{
	write_sysreg(icc_sre_el1, read_sysreg(icc_sre_el1) | ICC_SRE_SRE);
	isb();
	if (!(read_sysreg(icc_sre_el1) & ICC_SRE_SRE))
		panic("GICv3: ICC_SRE_EL1.SRE stays 0 (system registers disabled from EL2/EL3)");
	write_sysreg(icc_pmr_el1, 0xff);
	write_sysreg(icc_bpr1_el1, 0);
	write_sysreg(icc_ctlr_el1, read_sysreg(icc_ctlr_el1) & ~(uint64_t)ICC_CTLR_EOIMODE);
	write_sysreg(icc_igrpen1_el1, 1);
	isb();
}

void aarch64_gic_cpu_init(void)
{
	uint64_t mpidr = read_sysreg(mpidr_el1);
	unsigned cpu = this_cpu();
	uintptr_t rd = find_redistributor(mpidr);

	if (!rd)
		panic("GICv3: no redistributor for MPIDR 0x%lx in 0x%lx+0x%lx", (unsigned long)mpidr,
		      (unsigned long)gicr_phys, (unsigned long)gicr_size);
	redistributor_wake(rd);
	redistributor_reset_ppis(rd);
	gicr_rd[cpu] = rd;
	cpu_interface_init();
}

/* Groups off, then every SPI disabled, cleared, Group 1, default priority; then ARE and
 * Group 1 on (ARE is read-only 1 on QEMU; writing it matters on a GIC that resets it to 0). */
static void distributor_init(void)
{
	uint32_t ctlr = mmio_read32(gicd + GICD_CTLR);

	mmio_write32(gicd + GICD_CTLR, ctlr & ~(CTLR_EN_BIT0 | CTLR_EN_BIT1));
	dist_wait_rwp();
	for (unsigned i = 32; i < spi_end; i += 32) {
		mmio_write32(gicd + GICD_ICENABLER + i / 8, ~0u);
		mmio_write32(gicd + GICD_ICPENDR + i / 8, ~0u);
		mmio_write32(gicd + GICD_ICACTIVER + i / 8, ~0u);
		mmio_write32(gicd + GICD_IGROUPR + i / 8, ~0u);
		mmio_write32(gicd + GICD_IGRPMODR + i / 8, 0);
	}
	for (unsigned i = 32; i < spi_end; i += 4)
		mmio_write32(gicd + GICD_IPRIORITYR + i, PRIO_DEFAULT * 0x01010101u);
	dist_wait_rwp();
	ctlr = CTLR_ARE | CTLR_EN_BIT1 | (ctlr & CTLR_DS ? 0 : CTLR_EN_BIT0);
	mmio_write32(gicd + GICD_CTLR, ctlr);
	dist_wait_rwp();
}

static void gic_locate(const struct boot_info *bi)
{
	uint32_t arch_rev, lines;

	gicd = device_va(bi->intc_base[0], 0x10000);
	gicr_phys = bi->intc_base[1];
	gicr_size = bi->intc_size[1];
	if (!gicd || !gicr_phys)
		panic("GICv3: no usable arm,gic-v3 node in the device tree (GICD 0x%lx, GICR 0x%lx); "
		      "QEMU needs -M virt,gic-version=3", (unsigned long)bi->intc_base[0],
		      (unsigned long)gicr_phys);
	arch_rev = (mmio_read32(gicd + GICD_PIDR2) >> 4) & 0xf;
	if (arch_rev != 3 && arch_rev != 4)
		panic("GICv3: distributor at 0x%lx reports architecture %u",
		      (unsigned long)bi->intc_base[0], arch_rev);
	lines = mmio_read32(gicd + GICD_TYPER) & 0x1f; /* ITLinesNumber */
	spi_end = 32 * (lines + 1);
	if (spi_end > INTID_SPI_LIMIT)
		spi_end = INTID_SPI_LIMIT;
}

void arch_irq_init(const struct boot_info *bi)
{
	uint64_t mpidr = read_sysreg(mpidr_el1);

	gic_locate(bi);
	boot_affinity = mpidr & 0xff00ffffffull; /* Aff3, Aff2..Aff0; IRM = 0 */
	distributor_init();
	aarch64_gic_cpu_init();
	kprintf("GICv3 at 0x%lx: %u SPIs, redistributor 0x%lx for MPIDR 0x%lx\n",
		(unsigned long)bi->intc_base[0], spi_end - 32,
		(unsigned long)(gicr_rd[this_cpu()] - KERNEL_IMAGE_BASE), (unsigned long)mpidr);
	aarch64_its_init(bi, gicr_rd[this_cpu()]);
}

/* PPIs 16..31 and the SPIs this distributor has; SGIs are for IPIs, not devices. */
static bool valid_intid(unsigned intid)
{
	return intid >= 16 && intid < (spi_end ? spi_end : 32);
}

/* SPIs are routed to the boot CPU; a PPI is unmasked on the calling CPU's redistributor (each
 * CPU unmasks its own, as arch_timer_start does). The GIC senses level-high and rising-edge
 * inputs only: an active-low line is refused. */
int arch_irq_unmask(unsigned irq, unsigned flags)
{
	unsigned long s;

	if (irq >= LPI_IRQ_BASE)
		return aarch64_lpi_unmask(irq, flags);
	if (!valid_intid(irq) || (flags & IRQ_ACTIVE_LOW))
		return -EINVAL;
	s = spin_lock_irqsave(&gic_lock);
	rmw_field(irq, GICD_ICFGR, 2, flags & IRQ_LEVEL ? 0 : 2);
	rmw_field(irq, GICD_IPRIORITYR, 8, PRIO_DEFAULT);
	rmw_field(irq, GICD_IGROUPR, 1, 1);
	if (irq >= 32)
		mmio_write64(gicd + GICD_IROUTER + 8 * irq, boot_affinity);
	write_bit(irq, GICD_ISENABLER);
	spin_unlock_irqrestore(&gic_lock, s);
	return 0;
}

/* Returns once the GIC no longer forwards irq (RWP), though one already taken may still be
 * acknowledged on another CPU. */
void arch_irq_mask(unsigned irq)
{
	unsigned long s;

	if (irq >= LPI_IRQ_BASE) {
		aarch64_lpi_mask(irq);
		return;
	}
	if (!valid_intid(irq))
		return;
	s = arch_irq_save();
	write_bit(irq, GICD_ICENABLER);
	bank_wait_rwp(irq);
	arch_irq_restore(s);
}

int aarch64_gic_set_pending(unsigned intid)
{
	unsigned long s;

	if (!valid_intid(intid))
		return -EINVAL;
	s = arch_irq_save();
	write_bit(intid, GICD_ISPENDR);
	arch_irq_restore(s);
	return 0;
}

unsigned aarch64_gic_spi_end(void)
{
	return spi_end;
}

/* The IRQ vectors' C half. Interrupts are masked (PSTATE.I) throughout. The dsb after the
 * acknowledge orders it before the handler's device accesses; the isb after EOI makes the
 * priority drop take effect before the eret (as Linux does). */
void aarch64_irq(struct trapframe *tf)
{
	uint32_t intid = (uint32_t)read_sysreg(icc_iar1_el1) & 0xffffff;

	(void)tf;
	if (intid >= INTID_SPURIOUS && intid <= 1023) {
		spurious_count++;
		return;
	}
	__asm__ volatile("dsb sy" : : : "memory");
	if (intid == aarch64_timer_intid && intid != 0)
		aarch64_timer_irq();
	else if (intid < INTID_SPI_LIMIT)
		irq_dispatch(intid);
	else if (intid >= LPI_INTID_BASE && intid - LPI_INTID_BASE < IRQ_MAX - LPI_IRQ_BASE)
		irq_dispatch(LPI_IRQ_BASE + (intid - LPI_INTID_BASE));
	write_sysreg(icc_eoir1_el1, intid);
	isb();
	sched_preempt_check();
}
