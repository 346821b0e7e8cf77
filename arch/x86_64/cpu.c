/*
 * arch/x86_64/cpu.c: the GDT, the TSS and CPU identification.
 *
 * Segmentation is vestigial in long mode, but the CPU still needs a GDT for the code and data
 * selectors and a TSS for the stacks it switches to: the IST entry for #DF (so a double fault
 * caused by a broken kernel stack still has a stack to report on) and, later, rsp0 for traps
 * from user mode. entry.S loads this GDT before the TSS exists; x86_cpu_init() fills in the TSS
 * descriptor and loads the task register.
 *
 * One TSS for now, so this runs on the boot CPU only: ltr marks the descriptor busy and a
 * second CPU loading it would fault. The SMP issue gives each CPU its own TSS and descriptor.
 */
#include <stddef.h>

#include "arch/arch.h"
#include "core/string.h"
#include "x86.h"

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

static struct tss tss;

/* A TSS descriptor is 16 bytes: the usual 8 plus the upper 32 bits of the base. */
static void gdt_set_tss(uintptr_t base, uint32_t limit)
{
	uint64_t lo = (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
		      (0x89ull << 40) /* present, 64-bit TSS (available) */ |
		      ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)((base >> 24) & 0xff) << 56);

	gdt[GDT_TSS / 8] = lo;
	gdt[GDT_TSS / 8 + 1] = base >> 32;
}

void x86_cpu_init(uintptr_t df_stack_top)
{
	tss.ist[0] = df_stack_top;
	tss.iomap_base = sizeof(tss); /* no I/O bitmap: user mode gets no port access */
	gdt_set_tss((uintptr_t)&tss, sizeof(tss) - 1);
	__asm__ volatile("ltr %w0" : : "r"(GDT_TSS) : "memory");
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
