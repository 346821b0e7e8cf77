/*
 * arch/aarch64/ktest_aarch64.c: in-kernel tests of the aarch64 port's interrupt path, GIC
 * bounds and tick rate (run with ktest=all, like core's).
 *
 * aarch64_irq_regs_preserved fills x0-x28, x29 (= SP) and NZCV, then spins with interrupts
 * enabled across several timer interrupts (the loop is ktest_aarch64.S) and checks that the
 * eret gave everything back: trap_entry.S saves and restores the registers, ELR and SPSR
 * around C code that uses them all, so a mistake there shows up here and not as a rare
 * corruption somewhere else. aarch64_intid_dispatch makes an SPI and a PPI pending by hand
 * and expects each to travel distributor/redistributor -> CPU interface -> vector ->
 * irq_dispatch once. Those INTIDs have no device on QEMU virt, so core sees them unregistered:
 * it counts them, masks them and warns; the count is what is checked. aarch64_its_lpi does the
 * same for an LPI: an MSI allocated for a DeviceID with no device behind it, made pending by
 * the ITS's INT command (as the device's message would), must reach irq_dispatch as irq
 * LPI_IRQ_BASE + n once, and not at all while its property byte says disabled.
 *
 * The MMU and per-CPU tests check what only this port decides (mmu.c): descriptor bits (nG,
 * PXN/UXN, AP), the direct map's 2 MiB blocks and the device window (which unmap/protect must
 * refuse to split), TTBR0 activation with a kernel-only page in the user half (readable even
 * with PAN on), ASID exhaustion falling back to the shared ASID, and PAN matching the ID
 * registers.
 */
#include "arch/arch.h"
#include "core/cpu.h"
#include "core/errno.h"
#include "core/irq.h"
#include "core/ktest.h"
#include "core/layout.h"
#include "core/pmm.h"
#include "core/time.h"

#include "aarch64.h"

#define UNUSED_PPI 20 /* QEMU virt wires PPIs 23 (PMU) and 25-30 (timers, GIC maintenance) */

uint64_t aarch64_ktest_irq_regs(uint64_t counts);

KTEST(aarch64_irq_regs_preserved)
{
	uint64_t before = time_ticks(arch_cpu_id());
	uint64_t bad = aarch64_ktest_irq_regs(arch_counter_freq() / 20); /* 50 ms */
	uint64_t ticks = time_ticks(arch_cpu_id()) - before;

	KT_EXPECT_EQ(bad, 0); /* else 1 + register number; 30 = SP, 31 = NZCV */
	KT_EXPECT(ticks >= 2); /* interrupts did land inside the loop */
	KT_EXPECT(arch_irq_enabled());
}

/* Unmask intid edge-triggered, make it pending, and wait (100 ms at most) for core to see it
 * exactly once. */
static void raise_and_expect(unsigned intid)
{
	uint64_t before = irq_count(intid);
	uint64_t deadline = time_ns() + 100 * 1000 * 1000ull;

	KT_EXPECT_EQ(arch_irq_unmask(intid, IRQ_EDGE), 0);
	KT_EXPECT_EQ(aarch64_gic_set_pending(intid), 0);
	while (irq_count(intid) == before && time_ns() < deadline)
		arch_cpu_relax();
	KT_EXPECT_EQ(irq_count(intid) - before, 1);
	arch_irq_mask(intid);
}

KTEST(aarch64_intid_dispatch)
{
	raise_and_expect(aarch64_gic_spi_end() - 1); /* the last SPI: no device behind it */
	raise_and_expect(UNUSED_PPI);
}

KTEST(aarch64_its_lpi)
{
	unsigned irq;
	uint64_t addr;
	uint32_t data;
	int err = arch_msi_alloc(0x00f8, &irq, &addr, &data); /* 00:1f.0: nothing there */
	if (err == -ENODEV) {
		ktest_skip("no usable ITS");
		return;
	}
	KT_EXPECT_EQ(err, 0);
	if (err)
		return;
	KT_EXPECT(irq >= LPI_IRQ_BASE && irq < IRQ_MAX);
	uint64_t before = irq_count(irq), t = time_ns();
	KT_EXPECT_EQ(aarch64_its_raise(irq), 0); /* disabled: not forwarded to the CPU */
	while (time_ns() < t + 10 * 1000 * 1000ull)
		arch_cpu_relax();
	KT_EXPECT_EQ(irq_count(irq), before);
	KT_EXPECT_EQ(arch_irq_unmask(irq, IRQ_EDGE), 0);
	KT_EXPECT_EQ(aarch64_its_raise(irq), 0);
	for (t = time_ns(); irq_count(irq) == before && time_ns() < t + 100 * 1000 * 1000ull;)
		arch_cpu_relax();
	/* Once, or twice on a GIC that kept the disabled one pending (QEMU drops it). */
	KT_EXPECT(irq_count(irq) - before >= 1 && irq_count(irq) - before <= 2);
	arch_msi_free(irq); /* core masked it (no handler); DISCARD drops anything left */
	KT_EXPECT_EQ(aarch64_its_raise(irq), -EINVAL);
}

KTEST(aarch64_irq_bounds)
{
	KT_EXPECT_EQ(arch_irq_unmask(0, IRQ_EDGE), -EINVAL);  /* SGIs are not device inputs */
	KT_EXPECT_EQ(arch_irq_unmask(15, IRQ_EDGE), -EINVAL);
	KT_EXPECT_EQ(arch_irq_unmask(aarch64_gic_spi_end(), IRQ_LEVEL), -EINVAL);
	KT_EXPECT_EQ(arch_irq_unmask(1020, IRQ_LEVEL), -EINVAL);
	KT_EXPECT_EQ(arch_irq_unmask(IRQ_MAX, IRQ_LEVEL), -EINVAL);
	KT_EXPECT_EQ(arch_irq_unmask(33, IRQ_LEVEL | IRQ_ACTIVE_LOW), -EINVAL);
	KT_EXPECT_EQ(aarch64_gic_set_pending(1), -EINVAL);
	arch_irq_mask(1000); /* out of range: ignored, not a wild register write */
}

KTEST(aarch64_per_cpu_register)
{
	KT_EXPECT_EQ(read_sysreg(tpidr_el1), (uintptr_t)arch_this_cpu());
	KT_EXPECT(arch_this_cpu() >= &cpus[0] && arch_this_cpu() < &cpus[MAX_CPUS]);
	KT_EXPECT_EQ(arch_cpu_id(), (unsigned)(arch_this_cpu() - cpus));
}

/* PSTATE.PAN (bit 22 of the PAN register) is set exactly when the CPU implements PAN. */
KTEST(aarch64_pan_state)
{
	bool has_pan = (read_sysreg(id_aa64mmfr1_el1) >> 20) & 0xf;

	if (!has_pan) {
		ktest_skip("this CPU has no PAN");
		return;
	}
	KT_EXPECT(read_sysreg(s3_0_c4_c2_3) & (1ul << 22));
	KT_EXPECT(!(read_sysreg(sctlr_el1) & SCTLR_SPAN));
}

/* The direct map's blocks and the device window: query sees them; unmap and protect refuse to
 * split them and change nothing; mapping over them is -EEXIST. */
KTEST(aarch64_mmu_blocks)
{
	struct arch_aspace *k = arch_kernel_aspace();
	uint64_t pa = virt_to_phys(&cpus[0]), got;
	uintptr_t dm = (uintptr_t)phys_to_virt(pa), uart = device_va(QEMU_VIRT_UART_PHYS, 4096);
	unsigned prot;

	KT_EXPECT_EQ(arch_mmu_query(k, dm, &got, &prot), 0);
	KT_EXPECT_EQ(got, pa);
	KT_EXPECT_EQ(prot & (MMU_READ | MMU_WRITE | MMU_EXEC | MMU_USER), MMU_READ | MMU_WRITE);
	KT_EXPECT_EQ(arch_mmu_query(k, uart, &got, &prot), 0);
	KT_EXPECT_EQ(got, QEMU_VIRT_UART_PHYS);
	KT_EXPECT_EQ(prot & (MMU_DEVICE | MMU_EXEC), MMU_DEVICE);
	KT_EXPECT_EQ(arch_mmu_unmap(k, dm & ~4095ul, 4096), -EINVAL);
	KT_EXPECT_EQ(arch_mmu_protect(k, uart, 4096, MMU_READ), -EINVAL);
	KT_EXPECT_EQ(arch_mmu_map(k, dm & ~4095ul, pa & ~4095ul, 4096, MMU_READ), -EEXIST);
	KT_EXPECT_EQ(arch_mmu_query(k, dm, &got, &prot), 0);
	KT_EXPECT_EQ(prot & MMU_WRITE, MMU_WRITE);
}

/* Ranges outside both halves, user ranges on the kernel aspace, and MMU_USER on kernel
 * addresses are -EINVAL. */
KTEST(aarch64_mmu_bad_ranges)
{
	struct arch_aspace *k = arch_kernel_aspace();
	uintptr_t va = VMAP_AREA_BASE + VMAP_AREA_SIZE - 64 * 4096ul;
	uint64_t pa = alloc_page();

	KT_EXPECT_EQ(arch_mmu_map(k, 0x400000, pa, 4096, MMU_READ), -EINVAL);
	KT_EXPECT_EQ(arch_mmu_map(k, USER_TOP, pa, 4096, MMU_READ), -EINVAL);
	KT_EXPECT_EQ(arch_mmu_map(k, DIRECT_MAP_BASE - 4096, pa, 8192, MMU_READ), -EINVAL);
	KT_EXPECT_EQ(arch_mmu_map(k, va, pa, 4096, MMU_READ | MMU_USER), -EINVAL);
	KT_EXPECT_EQ(arch_mmu_map(k, va, pa + 1, 4096, MMU_READ), -EINVAL);
	KT_EXPECT_EQ(arch_mmu_map(k, va, pa, 100, MMU_READ), -EINVAL);
	KT_EXPECT_EQ(arch_mmu_unmap(k, 0x400000, 4096), -EINVAL);
	KT_EXPECT_EQ(arch_mmu_query(k, va, NULL, NULL), -ENOENT);
	free_page(pa);
}

/* A user aspace through TTBR0: a kernel-only page in the user half is written through its
 * user address (allowed with PAN: EL0 has no access to it) and read back through the direct
 * map; the descriptor-level view of user pages is nG + PXN. */
KTEST(aarch64_mmu_activate)
{
	struct arch_aspace *as = arch_aspace_create();
	uint64_t before = pmm_free_frames(), pa = alloc_page(), got;
	volatile uint64_t *user = (volatile uint64_t *)0x10000;
	unsigned prot;
	unsigned long s;

	KT_EXPECT(as != NULL);
	if (!as)
		return;
	KT_EXPECT_EQ(arch_mmu_map(as, 0x10000, pa, 4096, MMU_READ | MMU_WRITE), 0);
	KT_EXPECT_EQ(arch_mmu_query(as, 0x10000, &got, &prot), 0);
	KT_EXPECT_EQ(prot & (MMU_USER | MMU_EXEC | MMU_WRITE), MMU_WRITE);
	s = arch_irq_save();
	arch_aspace_activate(as);
	*user = 0x6a616e7573ull;
	arch_aspace_activate(arch_kernel_aspace());
	arch_irq_restore(s);
	KT_EXPECT_EQ(*(volatile uint64_t *)phys_to_virt(pa), 0x6a616e7573ull);
	KT_EXPECT(read_sysreg(tcr_el1) & TCR_EPD0);
	arch_aspace_destroy(as);
	free_page(pa);
	KT_EXPECT(pmm_free_frames() >= before);
}

/* More aspaces than there are ASIDs: all work (the rest share ASID 255) and all frames come
 * back. */
KTEST(aarch64_mmu_asid_exhaustion)
{
	enum { N = 300 };
	static struct arch_aspace *as[N];
	uint64_t before = pmm_free_frames(), got;
	unsigned prot;
	uint64_t pa = alloc_page();

	for (unsigned i = 0; i < N; i++) {
		as[i] = arch_aspace_create();
		KT_EXPECT(as[i] != NULL);
		if (as[i])
			KT_EXPECT_EQ(arch_mmu_map(as[i], 0x200000, pa, 4096, MMU_READ | MMU_USER), 0);
	}
	for (unsigned i = 0; i < N; i++) {
		if (!as[i])
			continue;
		KT_EXPECT_EQ(arch_mmu_query(as[i], 0x200000, &got, &prot), 0);
		arch_aspace_destroy(as[i]);
	}
	free_page(pa);
	KT_EXPECT_EQ(pmm_free_frames(), before);
}
