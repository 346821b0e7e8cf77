/*
 * arch/x86_64/irq.c: the interrupt controllers (8259 PICs, local APIC, IOAPIC) and the C side
 * of every interrupt vector (32-255).
 *
 * Routing. The legacy 8259 pair is masked for good and the LAPIC's LINT0 (where SeaBIOS
 * wires the 8259 as ExtINT) is masked too, so nothing reaches the CPU through the PIC. Device
 * interrupts go through the IOAPIC: pin (GSI) g is programmed to vector VEC_GSI_BASE + g,
 * fixed delivery, physical destination = the boot CPU's APIC id, with the trigger mode and
 * polarity the caller of arch_irq_unmask passes. The LAPIC timer has its own vector
 * (VEC_LAPIC_TIMER, programmed by timer.c), LAPIC errors another (VEC_LAPIC_ERROR), and the
 * spurious-interrupt vector is 0xff. MSIs (arch_msi_alloc) take a free vector from
 * VEC_MSI_FIRST-VEC_MSI_LAST: the message is a write of the vector (fixed delivery, edge) to
 * the boot CPU's LAPIC window, 0xfee00000 | APIC id << 12. Nothing needs routing for them, so
 * arch_irq_mask/unmask on an MSI only flip a flag here; the entry path drops a message that
 * arrives while it is set (after EOI). VEC_SELFTEST runs x86_selftest_hook, which only the
 * port's ktests set (to check the entry path). Vectors 0-31 are the CPU's exceptions (and the
 * NMI, which smp.c uses for TLB shootdowns).
 *
 * Each CPU has its own LAPIC at the same physical (and so the same virtual) address: the boot
 * CPU maps it once in arch_irq_init, and every CPU programs its own with x86_lapic_init_cpu()
 * (secondaries from arch_cpu_init_secondary). Device interrupts all go to the boot CPU.
 * x86_lapic_send_ipi() writes the ICR pair with interrupts masked (an IPI sent from an
 * interrupt handler in between would change the destination) and waits until it is sent.
 *
 * Entry. trap_entry.S saves a full trapframe for every vector and calls x86_trap(), which
 * hands vectors >= 32 to x86_interrupt() here; that returns false for a vector nobody
 * programmed, and x86_trap() panics naming it. GSI and MSI vectors alike reach core as
 * irq_dispatch(vector - VEC_GSI_BASE), so MSI numbers (32-191) sit above the GSIs. Gates
 * are interrupt gates, so IF is clear for the whole handler, as core's irq_dispatch() and
 * timer_tick() require; iretq in trap_common restores every register and RFLAGS
 * (x86_irq_regs_preserved in ktest_x86.c checks it).
 * End-of-interrupt is a write to the LAPIC's EOI register after the handler; a spurious
 * interrupt is not in service, so it gets none. For a level-triggered pin the LAPIC EOI is
 * broadcast to the IOAPIC, which clears the pin's remote IRR.
 *
 * Addresses. The LAPIC base comes from the IA32_APIC_BASE MSR, the IOAPIC's is fixed at
 * 0xfec00000 (q35's MADT, REFERENCE 8; the SMP issue will read the MADT). Both lie above the
 * 2 GiB boot window and are reached through mmio.c's uncached window. The IOAPIC's register
 * pair (select, then window) is a two-step access, so it is serialised by ioapic_lock. The MSI
 * vector table is written under msi_lock and read by the entry path with atomic loads.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/irq.h"
#include "core/kprintf.h"
#include "core/spinlock.h"
#include "core/time.h"
#include "x86.h"

#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REDTBL_LO(pin) (0x10 + 2 * (pin))
#define IOAPIC_REDTBL_HI(pin) (0x11 + 2 * (pin))
#define RTE_ACTIVE_LOW (1u << 13)
#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)
#define RTE_DEST_SHIFT 24 /* in the high word: physical destination APIC id */
#define IOAPIC_MAX_PINS (VEC_MSI_FIRST - VEC_GSI_BASE) /* keep GSI vectors below the MSIs' */
#define NMSI (VEC_MSI_LAST - VEC_MSI_FIRST + 1)

enum { MSI_USED = 1, MSI_MASKED = 2 }; /* msi_state bits */

static volatile uint8_t *lapic;
static volatile uint8_t *ioapic;
static unsigned ioapic_pins; /* 0 until arch_irq_init: every pin is then -EINVAL */
static uint32_t bsp_apic_id;
static struct spinlock ioapic_lock = SPINLOCK_INIT("ioapic");
static uint8_t msi_state[NMSI]; /* by vector - VEC_MSI_FIRST */
static struct spinlock msi_lock = SPINLOCK_INIT("msi vectors");

void (*volatile x86_selftest_hook)(void);

uint32_t x86_lapic_read(unsigned reg)
{
	return mmio_read32(lapic + reg);
}

void x86_lapic_write(unsigned reg, uint32_t v)
{
	mmio_write32(lapic + reg, v);
}

/* Caller holds ioapic_lock (or is alone, during init). */
static uint32_t ioapic_read(unsigned reg)
{
	mmio_write32(ioapic + IOAPIC_REGSEL, reg);
	return mmio_read32(ioapic + IOAPIC_WINDOW);
}

static void ioapic_write(unsigned reg, uint32_t v)
{
	mmio_write32(ioapic + IOAPIC_REGSEL, reg);
	mmio_write32(ioapic + IOAPIC_WINDOW, v);
}

void x86_pic_mask(void)
{
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}

void x86_lapic_send_ipi(uint32_t apic_id, uint32_t icr)
{
	unsigned long s = arch_irq_save();
	x86_lapic_write(LAPIC_ICR_HI, apic_id << 24);
	x86_lapic_write(LAPIC_ICR_LO, icr);
	while (x86_lapic_read(LAPIC_ICR_LO) & LAPIC_ICR_PENDING)
		arch_cpu_relax();
	arch_irq_restore(s);
}

/* Enable this CPU's LAPIC with every local interrupt masked except LINT1 (NMI, as the
 * firmware set it) and errors; the timer stays masked until timer.c starts it. The boot CPU
 * maps the registers first (lapic_init); every CPU has them at the same address. */
void x86_lapic_init_cpu(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_ENABLE))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	x86_lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | VEC_LAPIC_TIMER);
	x86_lapic_write(LAPIC_LVT_LINT0, LAPIC_LVT_MASKED);
	x86_lapic_write(LAPIC_LVT_ERROR, VEC_LAPIC_ERROR);
	x86_lapic_write(LAPIC_ESR, 0); /* back-to-back writes clear stale errors */
	x86_lapic_write(LAPIC_ESR, 0);
	x86_lapic_write(LAPIC_TPR, 0);
	x86_lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | VEC_SPURIOUS);
}

static void lapic_init(void)
{
	lapic = x86_mmio_map(rdmsr(MSR_APIC_BASE) & PTE_ADDR_MASK, PAGE_SIZE);
	x86_lapic_init_cpu();
	bsp_apic_id = x86_lapic_read(LAPIC_ID) >> 24;
}

static void ioapic_init(void)
{
	ioapic = x86_mmio_map(IOAPIC_PHYS, PAGE_SIZE);
	unsigned pins = ((ioapic_read(IOAPIC_REG_VERSION) >> 16) & 0xff) + 1;
	if (pins > IOAPIC_MAX_PINS)
		pins = IOAPIC_MAX_PINS;
	for (unsigned pin = 0; pin < pins; pin++) {
		ioapic_write(IOAPIC_REDTBL_LO(pin), RTE_MASKED | (VEC_GSI_BASE + pin));
		ioapic_write(IOAPIC_REDTBL_HI(pin), 0);
	}
	ioapic_pins = pins;
}

void arch_irq_init(const struct boot_info *bi)
{
	x86_pic_mask();
	lapic_init();
	ioapic_init();
	pr_info("irq: LAPIC id %u at %#lx, IOAPIC at %#x with %u pins on vectors %u-%u\n",
		bsp_apic_id, (unsigned long)(rdmsr(MSR_APIC_BASE) & PTE_ADDR_MASK), IOAPIC_PHYS,
		ioapic_pins, VEC_GSI_BASE, VEC_GSI_BASE + ioapic_pins - 1);
}

/* The msi_state slot of an MSI's irq number; false if irq is not in the MSI range. */
static bool msi_slot(unsigned irq, unsigned *slot)
{
	if (irq < VEC_MSI_FIRST - VEC_GSI_BASE || irq > VEC_MSI_LAST - VEC_GSI_BASE)
		return false;
	*slot = irq + VEC_GSI_BASE - VEC_MSI_FIRST;
	return true;
}

/* Set or clear MSI_MASKED of an allocated MSI; -EINVAL if it is not allocated. */
static int msi_set_masked(unsigned slot, bool masked)
{
	int err = 0;
	unsigned long s = spin_lock_irqsave(&msi_lock);
	uint8_t st = msi_state[slot];
	if (!(st & MSI_USED))
		err = -EINVAL;
	else
		__atomic_store_n(&msi_state[slot], masked ? st | MSI_MASKED : st & ~MSI_MASKED,
				 __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&msi_lock, s);
	return err;
}

int arch_msi_alloc(unsigned rid, unsigned *irq, uint64_t *addr, uint32_t *data)
{
	(void)rid; /* no interrupt remapping: every function's message looks the same */
	if (!lapic)
		return -ENODEV;
	unsigned long s = spin_lock_irqsave(&msi_lock);
	unsigned i = 0;
	while (i < NMSI && msi_state[i])
		i++;
	if (i < NMSI)
		__atomic_store_n(&msi_state[i], MSI_USED | MSI_MASKED, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&msi_lock, s);
	if (i == NMSI)
		return -ENOSPC;
	*irq = VEC_MSI_FIRST + i - VEC_GSI_BASE;
	*addr = MSI_ADDR_BASE | (uint64_t)bsp_apic_id << MSI_ADDR_DEST_SHIFT;
	*data = VEC_MSI_FIRST + i; /* delivery mode fixed, edge: every other bit 0 */
	return 0;
}

void arch_msi_free(unsigned irq)
{
	unsigned slot;
	if (!msi_slot(irq, &slot))
		return;
	unsigned long s = spin_lock_irqsave(&msi_lock);
	__atomic_store_n(&msi_state[slot], 0, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&msi_lock, s);
}

int arch_irq_unmask(unsigned irq, unsigned flags)
{
	unsigned slot;
	if (msi_slot(irq, &slot))
		return flags == IRQ_EDGE ? msi_set_masked(slot, false) : -EINVAL;
	if (irq >= ioapic_pins)
		return -EINVAL;
	uint32_t lo = (VEC_GSI_BASE + irq) | ((flags & IRQ_LEVEL) ? RTE_LEVEL : 0) |
		      ((flags & IRQ_ACTIVE_LOW) ? RTE_ACTIVE_LOW : 0);
	unsigned long s = spin_lock_irqsave(&ioapic_lock);
	ioapic_write(IOAPIC_REDTBL_HI(irq), bsp_apic_id << RTE_DEST_SHIFT);
	ioapic_write(IOAPIC_REDTBL_LO(irq), lo); /* the low word last: it unmasks */
	spin_unlock_irqrestore(&ioapic_lock, s);
	return 0;
}

void arch_irq_mask(unsigned irq)
{
	unsigned slot;
	if (msi_slot(irq, &slot)) {
		msi_set_masked(slot, true);
		return;
	}
	if (irq >= ioapic_pins)
		return;
	unsigned long s = spin_lock_irqsave(&ioapic_lock);
	ioapic_write(IOAPIC_REDTBL_LO(irq), ioapic_read(IOAPIC_REDTBL_LO(irq)) | RTE_MASKED);
	spin_unlock_irqrestore(&ioapic_lock, s);
}

/* The ESR latches on a write; the bits say what went wrong (illegal vector, send error...). */
static void lapic_error(void)
{
	x86_lapic_write(LAPIC_ESR, 0);
	pr_warn("irq: local APIC error, ESR %#x\n", x86_lapic_read(LAPIC_ESR));
}

/* An allocated MSI vector is dispatched unless masked; false for any other vector. */
static bool msi_interrupt(uint64_t vector)
{
	if (vector < VEC_MSI_FIRST || vector > VEC_MSI_LAST)
		return false;
	uint8_t st = __atomic_load_n(&msi_state[vector - VEC_MSI_FIRST], __ATOMIC_ACQUIRE);
	if (!(st & MSI_USED))
		return false;
	if (!(st & MSI_MASKED))
		irq_dispatch((unsigned)(vector - VEC_GSI_BASE));
	return true;
}

bool x86_interrupt(uint64_t vector)
{
	if (!lapic)
		return false; /* nothing is programmed yet: x86_trap reports the vector */
	if (vector == VEC_SPURIOUS)
		return true; /* not in service: no EOI */
	if (vector == VEC_LAPIC_TIMER)
		timer_tick();
	else if (vector >= VEC_GSI_BASE && vector < VEC_GSI_BASE + ioapic_pins)
		irq_dispatch((unsigned)(vector - VEC_GSI_BASE));
	else if (vector == VEC_LAPIC_ERROR)
		lapic_error();
	else if (vector == VEC_SELFTEST && x86_selftest_hook)
		x86_selftest_hook();
	else if (!msi_interrupt(vector))
		return false;
	x86_lapic_write(LAPIC_EOI, 0);
	sched_preempt_check();
	return true;
}
