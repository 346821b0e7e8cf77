/*
 * arch/x86_64/x86.h: private to the x86_64 port. Constants, instruction wrappers and the
 * functions the port's files share with one another.
 *
 * The constants are plain #defines so entry.S and trap_entry.S include this header too; the C
 * part is hidden from the assembler. This is the only place (with arch_inline.h) where the
 * port writes inline assembly; core never sees any of it.
 */
#ifndef ARCH_X86_64_X86_H
#define ARCH_X86_64_X86_H

#define KERNEL_BASE 0xffffffff80000000 /* core/layout.h KERNEL_IMAGE_BASE, usable from asm */

/* GDT layout, shared by entry.S (which loads it) and cpu.c (which defines it). The slot at
 * 0x18 stays null: SYSRET takes user SS = STAR.base + 8 and user CS = STAR.base + 16, so with
 * base 0x18 the user data and code selectors must follow in that order (processes issue). */
#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_USER_DATA 0x20
#define GDT_USER_CODE 0x28
#define GDT_USER_SS (GDT_USER_DATA | 3) /* the selectors user frames carry (RPL 3) */
#define GDT_USER_CS (GDT_USER_CODE | 3)
#define GDT_TSS_BASE 0x30 /* CPU i's TSS: a 16-byte system descriptor (two slots) */
#define GDT_TSS(i) (GDT_TSS_BASE + 16 * (i))
#define X86_MAX_CPUS 16 /* core's MAX_CPUS (BOOT_MAX_CPUS), usable from asm; cpu.c checks */
#define GDT_ENTRIES (GDT_TSS_BASE / 8 + 2 * X86_MAX_CPUS)

/* Control registers, MSRs and page-table bits used by the boot trampolines and mmu.c. */
#define CR0_PE (1 << 0)
#define CR0_WP (1 << 16)
#define CR0_PG 0x80000000
#define CR4_PAE (1 << 5)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_TS (1 << 3)
#define CR0_NE (1 << 5)
#define CR4_PGE (1 << 7)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define CR4_OSXSAVE (1 << 18)
#define CR4_SMEP (1 << 20)
#define CR4_SMAP (1 << 21)
#define MSR_EFER 0xc0000080
#define EFER_SCE (1 << 0) /* SYSCALL/SYSRET */
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define MSR_STAR 0xc0000081  /* SYSCALL/SYSRET selector bases */
#define MSR_LSTAR 0xc0000082 /* the 64-bit SYSCALL entry point */
#define MSR_FMASK 0xc0000084 /* RFLAGS bits SYSCALL clears */
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102 /* what swapgs exchanges GS_BASE with */
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_U 0x4
#define PTE_PWT 0x8
#define PTE_PCD 0x10 /* with PWT and the power-on PAT: uncacheable, for device registers */
#define PTE_PS 0x80 /* large page, in a page directory (2 MiB) or PDPT (1 GiB) */
#define PTE_G 0x100 /* global: survives CR3 writes (with CR4.PGE) */
#define PTE_NX (1ull << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull
#define PAGE_SIZE 4096
#define LARGE_PAGE_SIZE 0x200000

/* RFLAGS bits. */
#define RFLAGS_CF (1 << 0)
#define RFLAGS_FIXED (1 << 1) /* always 1 */
#define RFLAGS_TF (1 << 8)
#define RFLAGS_IF (1 << 9)
#define RFLAGS_DF (1 << 10)
#define RFLAGS_NT (1 << 14)
#define RFLAGS_RF (1 << 16)
#define RFLAGS_AC (1 << 18)
/* What user code may hold in RFLAGS: CF PF AF ZF SF TF DF OF RF AC ID (IOPL 0, NT 0, no VM). */
#define RFLAGS_USER_MASK 0x250dd5

/* The port-private per-CPU block GS points at (cpu.c, struct percpu): offsets the syscall
 * entry reads with %gs: while no general register is free. */
#define PERCPU_USER_RSP 8 /* the user rsp, parked by the syscall entry */
#define PERCPU_KSTACK 16  /* the running thread's kernel stack top (= TSS.rsp0) */

/* trapframe.vector of a frame built by the syscall entry (no real vector is this high); its
 * error slot holds the syscall number as it was on entry (orig rax). */
#define X86_VEC_SYSCALL 256
#define VEC_NMI 2
#define IST_DOUBLE_FAULT 1
#define IST_NMI 2

/* Legacy I/O ports. */
#define COM1_PORT 0x3f8
#define COM1_IRQ 4
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1
#define RTC_PORT CMOS_INDEX /* boot_info.rtc_base */
#define ACPI_PM_TIMER 0x608 /* FADT PM_TMR_BLK on q35 (REFERENCE 8): 24 bits, 3.579545 MHz */
#define ACPI_PM1A_CNT 0x604 /* where SeaBIOS puts PM1a_CNT on q35 and pc (REFERENCE 1.2) */
#define ISA_DEBUG_EXIT 0xf4

/* SMP (smp.c, entry.S): the secondary CPUs' real-mode trampoline is copied to this page below
 * 1 MiB (SIPI vector = page number), which boot.c keeps out of the frame allocator. */
#define SMP_TRAMPOLINE_PA 0x8000
#define AP_BOOT_CR3 0 /* offsets in struct x86_ap_boot (smp.c), read by entry.S */
#define AP_BOOT_CR4 8
#define AP_BOOT_STACK 16
#define AP_BOOT_ENTRY 24
#define AP_BOOT_ARG 32
#define AP_BOOT_STARTED 40

/* Interrupt controllers (REFERENCE 8, from the MADT of q35). The physical addresses are above
 * the 2 GiB boot window, so mmio.c maps them into its own window (x86_mmio_map). */
#define IOAPIC_PHYS 0xfec00000
#define MSR_APIC_BASE 0x1b
#define APIC_BASE_ENABLE (1 << 11)

/* IDT vectors of the interrupts (irq.c): IOAPIC pin (GSI) g arrives on VEC_GSI_BASE + g; MSIs
 * get vectors VEC_MSI_FIRST-VEC_MSI_LAST. Both are dispatched as irq = vector - VEC_GSI_BASE. */
#define VEC_GSI_BASE 32
#define VEC_MSI_FIRST 0x40
#define VEC_MSI_LAST 0xdf
#define MSI_ADDR_BASE 0xfee00000 /* Intel SDM vol. 3, 11.11.1: dest APIC id in bits 19:12 */
#define MSI_ADDR_DEST_SHIFT 12
#define VEC_LAPIC_TIMER 0xf0
#define VEC_SELFTEST 0xf1 /* ktest_x86.c's self-IPIs */
#define VEC_LAPIC_ERROR 0xfe
#define VEC_SPURIOUS 0xff

/* Local APIC register offsets (Intel SDM vol. 3, table 11-1). */
#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0
#define LAPIC_SVR_ENABLE (1 << 8)
#define LAPIC_ICR_INIT (5 << 8)     /* delivery mode INIT */
#define LAPIC_ICR_NMI (4 << 8)      /* delivery mode NMI (the vector is ignored) */
#define LAPIC_ICR_STARTUP (6 << 8)  /* delivery mode start-up (SIPI); vector = page number */
#define LAPIC_ICR_PENDING (1 << 12) /* delivery status: send pending */
#define LAPIC_ICR_ASSERT (1 << 14)  /* level: assert */
#define LAPIC_ICR_SELF (1 << 18)    /* destination shorthand: this CPU */
#define LAPIC_LVT_MASKED (1 << 16)
#define LAPIC_TIMER_PERIODIC (1 << 17)
#define LAPIC_TIMER_DIV16 0x3

#ifndef __ASSEMBLER__

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

static inline void invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* Device registers: one access each, never merged, split or reordered by the compiler. */
static inline uint32_t mmio_read32(volatile void *reg)
{
	return *(volatile uint32_t *)reg;
}

static inline void mmio_write32(volatile void *reg, uint32_t v)
{
	*(volatile uint32_t *)reg = v;
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr4(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

/* Writing CR3 also flushes every non-global TLB entry: the "memory" clobber keeps page-table
 * stores before it. */
static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(subleaf));
}

/* Shared between the port's files. */
struct trapframe;
_Noreturn void x86_boot(uint64_t start_info_phys);        /* boot.c, called by entry.S */
void x86_trap(struct trapframe *tf);                     /* trap.c, called by trap_entry.S */
void x86_console_init(void);                             /* console.c */
void x86_cpu_init(void);                                 /* cpu.c: this CPU's TSS, ltr */
void x86_set_kernel_stack(uintptr_t top);                /* cpu.c: TSS.rsp0 + syscall stack */
void x86_user_cpu_init(void);                            /* user.c: SYSCALL MSRs, FPU, XCR0 */
struct thread;
void x86_thread_set_user_gs(struct thread *t, uintptr_t base); /* user.c: arch_prctl */
uintptr_t x86_thread_get_user_gs(const struct thread *t);     /* user.c: arch_prctl */
extern uint8_t x86_smap_on;                              /* mmu.c: CR4.SMAP set (stac/clac) */
extern bool (*volatile x86_user_trap_hook)(struct trapframe *tf); /* trap.c: ktests only */
void x86_cpu_identify(char *buf, unsigned size);         /* cpu.c */
unsigned x86_apic_id(void);                              /* cpu.c */
void x86_pic_mask(void);                                 /* irq.c: both 8259s */
void x86_lapic_init_cpu(void);                           /* irq.c: this CPU's LAPIC */
bool x86_interrupt(uint64_t vector);                     /* irq.c: false if not ours */
uint32_t x86_lapic_read(unsigned reg);                   /* irq.c */
void x86_lapic_write(unsigned reg, uint32_t v);          /* irq.c */
void x86_lapic_send_ipi(uint32_t apic_id, uint32_t icr); /* irq.c: waits until sent */
uint64_t x86_kernel_pml4(void);                          /* mmu.c: physical */
void x86_tlb_flush_local(uintptr_t va, size_t npages);   /* mmu.c: this CPU only */
void x86_tlb_join(void);                                 /* smp.c: receive shootdowns */
/* smp.c: flush [va, va + npages pages) on the CPUs in mask (this one excluded; ~0u: all). */
void x86_tlb_shootdown(uintptr_t va, size_t npages, uint32_t mask);
bool x86_tlb_shootdown_nmi(void);                        /* smp.c: false if not for it */
void x86_mmio_install(uint64_t *pdpt_top);               /* mmio.c: into PML4[511]'s PDPT */
uint8_t x86_cmos_read(uint8_t reg);                      /* timer.c, serialised */
uint64_t x86_unix_seconds(unsigned year, unsigned month, unsigned day, unsigned hour,
			  unsigned min, unsigned sec);          /* timer.c: the RTC's date math */
volatile void *x86_mmio_map(uint64_t pa, uint64_t size); /* mmio.c: uncached, never unmapped */
void x86_pci_mcfg(struct boot_info *bi, const void *mcfg); /* pci.c: ECAM from ACPI MCFG */
extern void (*volatile x86_selftest_hook)(void);         /* irq.c: runs on VEC_SELFTEST */

/* entry.S: the boot page tables (see its comment), the boot stack's guard page and the
 * secondary CPUs' trampoline (copied, never run in place). */
extern uint64_t boot_pml4[512];
extern uint64_t boot_pd[2 * 512]; /* 2 MiB pages, physical 0-2 GiB */
extern uint64_t boot_pt[512];
extern char boot_stack_guard[4096];
extern const char ap_trampoline_start[], ap_trampoline_end[];

/* smp.c, read by entry.S's trampoline: the tables it switches to (below 4 GiB, in the image)
 * and what the starting CPU loads (AP_BOOT_* offsets). */
extern uint64_t x86_ap_pml4[512];
struct x86_ap_boot {
	uint64_t cr3, cr4, stack, entry, arg;
	uint32_t started; /* set by the CPU once it has read the rest: smp.c may reuse them */
};
extern struct x86_ap_boot x86_ap_boot;

#endif /* !__ASSEMBLER__ */

#endif
