/*
 * arch/aarch64/aarch64.h: private to the aarch64 port. System-register bit values shared by
 * entry.S and C, small sysreg/MMIO helpers, and the prototypes the port's files call in each
 * other. Portable code never includes this (it sees only arch/arch.h and arch_inline.h).
 *
 * Constants are written so the assembler can use them too: UL() adds the suffix only in C,
 * and everything that is not a plain number sits below the __ASSEMBLER__ guard.
 */
#ifndef ARCH_AARCH64_AARCH64_H
#define ARCH_AARCH64_AARCH64_H

#ifdef __ASSEMBLER__
#define UL(x) x
#else
#define UL(x) x##UL
#endif

#include "core/layout.h" /* plain #defines: usable from the assembler too */

/* QEMU virt's PL011: used only before the DTB is read and when it names no usable UART. */
#define QEMU_VIRT_UART_PHYS 0x09000000

/* The port's private DEVICE WINDOW: physical 0 - DEVICE_WINDOW_SIZE mapped Device-nGnRnE at
 * KERNEL_IMAGE_BASE + phys, by entry.S's early tables and again by arch_mmu_init (one 1 GiB
 * block; the kernel image itself sits in the next GiB). Every MMIO device the port drives
 * sits below it on QEMU virt: GIC, PL011, PL031. Reached only through device_va(); the direct
 * map (phys_to_virt) maps RAM only, as Normal memory. */
#define DEVICE_WINDOW_SIZE UL(0x40000000)

/* SCTLR_EL1. SA catches a misaligned kernel SP at once instead of corrupting a frame; A stays
 * off because the compiler may emit unaligned accesses to Normal memory. */
#define SCTLR_M (UL(1) << 0)
#define SCTLR_A (UL(1) << 1)
#define SCTLR_C (UL(1) << 2)
#define SCTLR_SA (UL(1) << 3)
#define SCTLR_I (UL(1) << 12)
#define SCTLR_WXN (UL(1) << 19)
#define SCTLR_SPAN (UL(1) << 23) /* 0: taking an exception to EL1 sets PSTATE.PAN */
#define SCTLR_E0E (UL(1) << 24)
#define SCTLR_EE (UL(1) << 25)
#define SCTLR_SET (SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I)
#define SCTLR_CLEAR (SCTLR_A | SCTLR_WXN | SCTLR_E0E | SCTLR_EE)

/* MAIR_EL1 attribute indices used by the page tables. */
#define MAIR_IDX_DEVICE 0 /* Device-nGnRnE */
#define MAIR_IDX_NORMAL 1 /* Normal, inner/outer write-back read/write-allocate */
#define MAIR_IDX_NORMAL_NC 2 /* Normal, non-cacheable (for later DMA buffers) */
#define MAIR_VALUE (UL(0x00) << (8 * MAIR_IDX_DEVICE) | UL(0xff) << (8 * MAIR_IDX_NORMAL) | \
		    UL(0x44) << (8 * MAIR_IDX_NORMAL_NC))

/* TCR_EL1: 4 KiB granules, inner-shareable write-back walks, 8-bit ASIDs taken from TTBR0.
 * TTBR1 covers 48 bits (the kernel half from 0xffff000000000000); TTBR0 covers 47 (T0SZ 17),
 * exactly [0, USER_TOP), so a user address at or above USER_TOP faults without a walk and a
 * user level-0 table uses only its first 256 entries (mmu.c keeps the aspace in the rest).
 * IPS (bits 34:32) is filled in at boot from ID_AA64MMFR0_EL1.PARange. */
#define TCR_T0SZ(n) ((n) << 0)
#define TCR_EPD0 (UL(1) << 7)
#define TCR_IRGN0_WBWA (UL(1) << 8)
#define TCR_ORGN0_WBWA (UL(1) << 10)
#define TCR_SH0_INNER (UL(3) << 12)
#define TCR_TG0_4K (UL(0) << 14)
#define TCR_T1SZ(n) ((n) << 16)
#define TCR_IRGN1_WBWA (UL(1) << 24)
#define TCR_ORGN1_WBWA (UL(1) << 26)
#define TCR_SH1_INNER (UL(3) << 28)
#define TCR_EPD1 (UL(1) << 23)
#define TCR_TG1_4K (UL(2) << 30)
#define TCR_IPS_SHIFT 32
#define TCR_IPS_MAX 5 /* 48 bits: 52-bit output addresses need LPA2 with 4 KiB pages */
#define TCR_BOOT (TCR_T0SZ(17) | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | \
		  TCR_TG0_4K | TCR_T1SZ(16) | TCR_IRGN1_WBWA | TCR_ORGN1_WBWA |        \
		  TCR_SH1_INNER | TCR_TG1_4K)

/* Translation table descriptors (VMSAv8-64, 4 KiB granule). Levels 0-3; a level-1 block maps
 * 1 GiB, a level-2 block 2 MiB, a level-3 page 4 KiB. */
#define PTE_VALID UL(1)
#define PTE_BLOCK UL(1)      /* levels 1-2 */
#define PTE_TABLE UL(3)      /* levels 0-2 */
#define PTE_PAGE UL(3)       /* level 3 */
#define PTE_TYPE_MASK UL(3)
#define PTE_ATTRIDX(i) ((i) << 2)
#define PTE_ATTRIDX_MASK (UL(7) << 2)
#define PTE_USER (UL(1) << 6)   /* AP[1]: EL0 may access */
#define PTE_RDONLY (UL(1) << 7) /* AP[2]: read-only at every EL */
#define PTE_SH_INNER (UL(3) << 8)
#define PTE_AF (UL(1) << 10)
#define PTE_NG (UL(1) << 11)    /* not global: tagged with the ASID */
#define PTE_ADDR_MASK UL(0x0000fffffffff000)
#define PTE_PXN (UL(1) << 53)
#define PTE_UXN (UL(1) << 54)
#define PTE_NORMAL (PTE_ATTRIDX(MAIR_IDX_NORMAL) | PTE_SH_INNER | PTE_AF)
#define PTE_DEVICE (PTE_ATTRIDX(MAIR_IDX_DEVICE) | PTE_AF | PTE_PXN | PTE_UXN)
/* Early 1 GiB blocks: kernel-only (AP=00), global, never executable by EL0. Only the kernel
 * image's block may be executed by EL1; the direct map's is PXN as well. */
#define BLOCK_DEVICE (PTE_BLOCK | PTE_DEVICE)
#define BLOCK_NORMAL (PTE_BLOCK | PTE_NORMAL | PTE_UXN)
#define BLOCK_NORMAL_NX (BLOCK_NORMAL | PTE_PXN)

/* Secondary CPU start record (smp.c fills it, entry.S reads it): the PSCI context id is its
 * physical address. One cache line, cleaned to memory before CPU_ON because the new CPU reads
 * the first word with its MMU and caches off. */
#define START_TTBR1 0  /* the kernel's TTBR1 tables (physical) */
#define START_STACK 8  /* stack_top */
#define START_ENTRY 16 /* entry(arg) */
#define START_ARG 24
#define START_SIZE 64

/* Per-CPU emergency stacks (trap.c), for exceptions taken with SP in a stack guard. */
#define EMERGENCY_STACK_SHIFT 13
#define EMERGENCY_STACK_SIZE (1 << EMERGENCY_STACK_SHIFT)
#define BOOT_STACK_GUARD_SIZE 4096

/* daifset/daifclr immediate: mask D, A, I and F. */
#define DAIFSET_ALL 15

#ifndef __ASSEMBLER__

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STR_(x) #x
#define STR(x) STR_(x)

#define read_sysreg(reg)                                             \
	({                                                           \
		uint64_t v_;                                         \
		__asm__ volatile("mrs %0, " #reg : "=r"(v_));        \
		v_;                                                  \
	})
#define write_sysreg(reg, val) \
	__asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(val)) : "memory")

static inline void isb(void)
{
	__asm__ volatile("isb" : : : "memory");
}

/* MMIO through explicit single loads and stores: a plain volatile access could be emitted as
 * a writeback or pair instruction, which some hypervisors cannot emulate. */
static inline uint32_t mmio_read32(uintptr_t addr)
{
	uint32_t v;
	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	__asm__ volatile("str %w0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}

static inline uint64_t mmio_read64(uintptr_t addr)
{
	uint64_t v;
	__asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void mmio_write64(uintptr_t addr, uint64_t v)
{
	__asm__ volatile("str %x0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}

/* Virtual address of [phys, phys + size) in the device window, or 0 if it does not fit there
 * (then it is not mapped Device, and the caller must not touch it). */
static inline uintptr_t device_va(uint64_t phys, uint64_t size)
{
	if (phys == 0 || phys >= DEVICE_WINDOW_SIZE || size > DEVICE_WINDOW_SIZE - phys)
		return 0;
	return (uintptr_t)(KERNEL_IMAGE_BASE + phys);
}

/* CPU features found in the ID registers (cpu.c); the memory and locking issues use them. */
enum { CPU_FEAT_PAN = 1u << 0, CPU_FEAT_LSE = 1u << 1 };
extern unsigned aarch64_cpu_features;

struct trapframe;

/* entry.S / trap_entry.S */
extern const char aarch64_vectors[];
extern char boot_idmap_l0[], boot_kmap_l0[]; /* early tables (the idmap stays for CPU starts) */
extern char boot_stack_guard[];              /* unmapped by arch_mmu_init */
extern const char aarch64_secondary_entry[]; /* PSCI CPU_ON entry: run at its physical address */
_Noreturn void aarch64_boot(uint64_t dtb_phys); /* boot.c, called by entry.S */
/* Runs at its physical address through the boot identity map in TTBR0: disables TTBR1 walks,
 * flushes this CPU's TLB, installs ttbr1 and re-enables them, touching no memory meanwhile.
 * mmu.c's break-before-make for the kernel half. */
void aarch64_idmap_replace_ttbr1(uint64_t ttbr1);

/* cpu.c: fill buf with "<vendor> <part> rXpY (features)" and set aarch64_cpu_features.
 * aarch64_pan_enable: PAN on this CPU if its ID registers say it has it; true if on. */
void aarch64_cpu_identify(char *buf, size_t n);
bool aarch64_pan_enable(void);

/* user.c: this CPU's controls for EL0 (FP/SIMD access, SCTLR_EL1's EL0 bits, counter access
 * from EL0); called by arch_traps_init on every CPU. */
void aarch64_user_cpu_init(void);

/* user_entry.S: the first eret to EL0 (SP = tf, then trap_entry.S's restore), and the FP/SIMD
 * register file to and from struct arch_thread's fp block (fp_zero: all registers, FPSR and
 * FPCR to 0). */
_Noreturn void aarch64_enter_user(struct trapframe *tf);
void aarch64_fp_save(void *fp);
void aarch64_fp_load(const void *fp);
void aarch64_fp_zero(void);

/* console.c: switch the PL011 to the physical address the device tree gave; false if it lies
 * outside the device window (the console then stays where it was). */
bool aarch64_console_init(uint64_t uart_phys);

/* mmu.c: physical address of the kernel's TTBR1 tables, for starting CPUs. */
uint64_t aarch64_kernel_ttbr1(void);

/* trap.c: the emergency stacks' C entry, called by trap_entry.S on the emergency stack with
 * the frame of an exception whose SP had run into a stack guard. Never returns. */
extern char aarch64_emergency_stacks[][EMERGENCY_STACK_SIZE];
_Noreturn void aarch64_stack_overflow(struct trapframe *tf, unsigned vec);

/* irq.c: the GICv3. aarch64_irq is the IRQ vectors' C entry (from aarch64_trap).
 * aarch64_gic_cpu_init brings up the calling CPU's redistributor and CPU interface (the boot
 * CPU's from arch_irq_init; the others' from arch_cpu_init_secondary). aarch64_gic_set_pending
 * makes an SPI or PPI pending as if its device had raised it (tests). */
void aarch64_irq(struct trapframe *tf);
void aarch64_gic_cpu_init(void);
int aarch64_gic_set_pending(unsigned intid);
unsigned aarch64_gic_spi_end(void); /* one past the last SPI the distributor has */

/* its.c: LPIs and the GICv3 ITS, for PCI MSIs (arch_msi_alloc/free live there too). LPI
 * INTID LPI_INTID_BASE + n is core's irq LPI_IRQ_BASE + n. aarch64_its_init (from
 * arch_irq_init) finds the ITS in the DTB and gives it and the boot CPU's redistributor rd
 * their tables; without a usable ITS it logs why and MSIs stay unavailable. The mask/unmask
 * pair backs arch_irq_mask/unmask for LPIs; aarch64_its_raise makes an allocated LPI pending
 * with the ITS's INT command, as if its device had written the message (tests). */
#define LPI_INTID_BASE 8192
#define LPI_IRQ_BASE 1024
struct boot_info;
void aarch64_its_init(const struct boot_info *bi, uintptr_t rd);
int aarch64_lpi_unmask(unsigned irq, unsigned flags);
void aarch64_lpi_mask(unsigned irq);
int aarch64_its_raise(unsigned irq);

/* pci.c: the DeviceID under which MSI controller `ctrl` (a phandle) sees requester id rid,
 * from the host bridge's msi-map (or msi-parent); 0, or -ENOENT. */
int aarch64_pci_msi_devid(unsigned rid, uint32_t ctrl, uint32_t *devid);

/* timer.c: the virtual timer's INTID (0 until arch_time_init) and its interrupt handler. */
extern unsigned aarch64_timer_intid;
void aarch64_timer_irq(void);

/* power.c: PSCI through the conduit the device tree names (SMCCC: x0 = function, result in
 * x0). */
void aarch64_psci_init(bool use_smc);
int64_t aarch64_psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
/* True if tf is the trap that a semihosting call raises when QEMU runs without semihosting;
 * the call is then skipped so power-off can report it instead of recursing into panic. */
bool aarch64_semihost_fixup(struct trapframe *tf);

#endif /* !__ASSEMBLER__ */

#endif
