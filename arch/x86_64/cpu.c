/*
 * arch/x86_64/cpu.c: the GDT, the per-CPU block (GS base, TSS, #DF stack) and CPU
 * identification.
 *
 * Per-CPU block. Each CPU has a port-private struct percpu, and its GS_BASE points there
 * whenever the CPU runs kernel code; KERNEL_GS_BASE holds the user GS base meanwhile (swapgs
 * exchanges the two on every entry from and return to user mode; see user_entry.S). Its first
 * word is the CPU's struct cpu (core/cpu.h, which the port may not extend), so arch_this_cpu()
 * is one gs-relative load (arch_inline.h). arch_set_this_cpu() must run before anything that
 * takes a spinlock or prints: boot.c calls it first thing with &cpus[0], core's secondary
 * entry with &cpus[i]. The block is chosen by the struct's index in cpus[].
 *
 * Segmentation is vestigial in long mode, but the CPU still needs a GDT for the code and data
 * selectors and a TSS for the stacks it switches to: the IST entry for #DF (so a double fault
 * caused by a broken kernel stack, a guard-page overflow included, still has a stack to report
 * on), the IST entry for NMIs (an NMI can arrive in the instructions between loading the user
 * rsp and sysretq, where the current stack is the user's), and rsp0, the stack a trap from
 * user mode lands on. One GDT serves every CPU; CPU i's TSS
 * descriptor is at GDT_TSS(i) (ltr marks a descriptor busy, so they cannot share one). entry.S
 * and the secondary trampoline load the GDT; x86_cpu_init() fills in this CPU's TSS and
 * descriptor and loads the task register (rewriting the descriptor as available first, so a
 * second call on the same CPU is harmless).
 */
#include <stddef.h>

#include "arch/arch.h"
#include "core/cpu.h"
#include "core/string.h"
#include "x86.h"

#define DF_STACK_SIZE 16384 /* room for a whole panic report */
#define NMI_STACK_SIZE 16384

_Static_assert(X86_MAX_CPUS == MAX_CPUS, "x86.h's X86_MAX_CPUS follows core's MAX_CPUS");

const char arch_name[] = "x86_64";

/* 64-bit TSS (Intel SDM vol. 3, 8.7). */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3]; /* stacks for traps from rings 0-2 */
	uint64_t reserved1;
	uint64_t ist[7]; /* IST1-IST7 */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss) == 104, "64-bit TSS size");

/* Flat descriptors: base 0, limit 4 GiB; L=1 for the 64-bit code segments. Referenced by name
 * from entry.S (gdtr_phys, gdtr_virt). */
__attribute__((aligned(16))) uint64_t gdt[GDT_ENTRIES] = {
	[GDT_KERNEL_CODE / 8] = 0x00af9a000000ffff, /* present, DPL 0, code, L */
	[GDT_KERNEL_DATA / 8] = 0x00cf92000000ffff, /* present, DPL 0, data, writable */
	[GDT_USER_DATA / 8] = 0x00cff2000000ffff,   /* DPL 3 */
	[GDT_USER_CODE / 8] = 0x00affa000000ffff,   /* DPL 3, L */
};

/* The user_rsp and kstack_top words are the syscall entry's (user_entry.S): only this CPU
 * touches them, with interrupts masked. kstack_top always equals tss.rsp[0]. */
struct percpu {
	struct cpu *self; /* first: arch_this_cpu() reads %gs:0 */
	uintptr_t user_rsp;
	uintptr_t kstack_top;
	struct tss tss;
	uint8_t df_stack[DF_STACK_SIZE] __attribute__((aligned(16)));
	uint8_t nmi_stack[NMI_STACK_SIZE] __attribute__((aligned(16)));
};

_Static_assert(offsetof(struct percpu, self) == 0, "arch_this_cpu reads %gs:0");
_Static_assert(offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP, "PERCPU_USER_RSP");
_Static_assert(offsetof(struct percpu, kstack_top) == PERCPU_KSTACK, "PERCPU_KSTACK");

static struct percpu percpu[MAX_CPUS];

void arch_set_this_cpu(struct cpu *c)
{
	if (c < cpus || c >= cpus + MAX_CPUS)
		arch_halt(); /* cannot panic: panic needs this very pointer */
	struct percpu *p = &percpu[c - cpus];

	p->self = c;
	wrmsr(MSR_GS_BASE, (uintptr_t)p);
	wrmsr(MSR_KERNEL_GS_BASE, 0); /* no user GS base yet */
}

/* A TSS descriptor is 16 bytes: the usual 8 plus the upper 32 bits of the base. */
static void gdt_set_tss(unsigned sel, uintptr_t base, uint32_t limit)
{
	uint64_t lo = (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
		      (0x89ull << 40) /* present, 64-bit TSS (available) */ |
		      ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)((base >> 24) & 0xff) << 56);

	gdt[sel / 8] = lo;
	gdt[sel / 8 + 1] = base >> 32;
}

/* This CPU's TSS: IST1 is its own #DF stack, IST2 its NMI stack (trap.c's IDT sends them
 * there); then the user-mode setup of user.c (SYSCALL MSRs, FPU control registers). */
void x86_cpu_init(void)
{
	unsigned i = (unsigned)(arch_this_cpu() - cpus);
	struct percpu *p = &percpu[i];

	p->tss.ist[IST_DOUBLE_FAULT - 1] = (uintptr_t)(p->df_stack + sizeof(p->df_stack));
	p->tss.ist[IST_NMI - 1] = (uintptr_t)(p->nmi_stack + sizeof(p->nmi_stack));
	p->tss.iomap_base = sizeof(p->tss); /* no I/O bitmap: user mode gets no port access */
	gdt_set_tss(GDT_TSS(i), (uintptr_t)&p->tss, sizeof(p->tss) - 1);
	__asm__ volatile("ltr %w0" : : "r"(GDT_TSS(i)) : "memory");
	x86_user_cpu_init();
}

/* The kernel stack traps and syscalls from user mode land on: the top of the running
 * thread's stack, where its user trapframe lives. Interrupts masked (this CPU's block). */
void x86_set_kernel_stack(uintptr_t top)
{
	struct percpu *p = &percpu[arch_cpu_id()];

	p->tss.rsp[0] = top;
	p->kstack_top = top;
}

/* The brand string from CPUID 0x80000002-4, without Intel's leading and the trailing padding;
 * the vendor ("GenuineIntel") when the CPU has no brand string. */
void x86_cpu_identify(char *buf, unsigned size)
{
	char s[49] = {0};
	uint32_t r[4];

	cpuid(0x80000000, 0, r);
	if (r[0] >= 0x80000004) {
		for (unsigned i = 0; i < 3; i++) {
			cpuid(0x80000002 + i, 0, r);
			memcpy(s + 16 * i, r, 16);
		}
	} else {
		cpuid(0, 0, r);
		memcpy(s, &r[1], 4); /* the vendor string is in ebx, edx, ecx */
		memcpy(s + 4, &r[3], 4);
		memcpy(s + 8, &r[2], 4);
	}
	const char *p = s;
	while (*p == ' ')
		p++;
	size_t len = strlen(p);
	while (len > 0 && p[len - 1] == ' ')
		len--;
	size_t n = len < size - 1 ? len : size - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
}

/* The initial APIC id of the running CPU (CPUID leaf 1, ebx bits 31-24). */
unsigned x86_apic_id(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	return r[1] >> 24;
}
