/*
 * arch/x86_64/entry.S: the PVH entry point and the trampoline to 64-bit C.
 *
 * QEMU loads the ELF at its physical addresses (p_paddr, 1 MiB up) and, finding the Xen
 * PHYS32_ENTRY note, jumps to _start32 in 32-bit protected mode with paging off and ebx
 * holding the physical address of the hvm_start_info. The kernel is linked to run in the top
 * 2 GiB (virtual = KERNEL_BASE + physical, -mcmodel=kernel), so the 32-bit code may only use
 * PHYS() addresses. It builds boot page tables that map
 *   - physical 0-1 GiB at 0 (identity), only so the instruction after the paging switch and
 *     the far jump still fetch; boot.c removes it first thing, leaving address 0 unmapped;
 *   - physical 0-2 GiB at KERNEL_BASE (PML4[511] -> PDPT[510], [511]), 2 MiB pages;
 *   - the same 2 GiB at DIRECT_MAP_BASE (PML4[256] -> PDPT[0], [1], sharing the two page
 *     directories), so core's phys_to_virt() works from kmain's first line (core/layout.h);
 * enables PAE, long mode, NX and paging, and far-jumps into 64-bit code, which jumps up to the
 * high addresses, reloads the GDT there (the PVH-era GDTR holds a physical address that stops
 * being mapped), zeroes .bss and calls x86_boot(start_info_phys) with rbp = 0, the root
 * frame where the backtrace walk stops.
 *
 * The tables and the stack live in .bootbss, which is NOBITS but outside .bss: zeroing .bss
 * must not wipe the tables in use. The 32-bit code clears the tables itself rather than trust
 * the loader to have zero-filled them. The stack sits above the tables, with a guard page
 * between them that boot.c unmaps, so an overflow faults instead of rewriting the tables.
 * mmu.c's final tables leave the guard page out as well.
 *
 * Also here: arch_switch_stack, and the secondary CPUs' trampoline (smp.c starts them). The
 * trampoline is assembled into .rodata and only ever run from its copy at SMP_TRAMPOLINE_PA,
 * where a SIPI starts the CPU in real mode at CS:IP = 0x0800:0000; so every address inside it
 * is written SMP_TRAMPOLINE_PA + (label - ap_trampoline_start). Real mode -> protected mode
 * (its own flat GDT) -> PAE, LME, NXE, paging on x86_ap_pml4 (smp.c: low memory identity-mapped
 * plus the kernel half, below 4 GiB because CR3 is loaded in 32-bit mode) -> 64-bit code, still
 * at the low copy -> a jump to ap_start_high in .text, which loads the kernel GDT, the BSP's
 * CR4 and the kernel CR3 (no identity map), the stack, and calls entry(arg) with rbp = 0 after
 * telling smp.c it has read x86_ap_boot. The temporary GDT's 64-bit code selector equals the
 * kernel's GDT_KERNEL_CODE, so CS stays valid across the switch to the kernel GDT.
 */
#include "x86.h"

#define PHYS(x) ((x) - KERNEL_BASE)
#define BOOT_STACK_SIZE 16384
#define AP_LOW(x) (SMP_TRAMPOLINE_PA + (x) - ap_trampoline_start) /* in the copy */
#define AP_GDT_CODE64 0x08 /* = GDT_KERNEL_CODE */
#define AP_GDT_DATA 0x10
#define AP_GDT_CODE32 0x18

	.section .note.Xen, "a", @note
	.p2align 2
	.long 4, 8, 18		/* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.p2align 2
	.quad PHYS(_start32)	/* QEMU reads a host size_t: .quad, not .long */

	.section .text.boot, "ax", @progbits
	.code32
	.globl _start32
_start32:
	cli
	cld
	mov $PHYS(boot_stack_top), %esp

	/* Clear the PML4, the three PDPTs and the two page directories. */
	mov $PHYS(boot_pml4), %edi
	mov $(6 * 4096 / 4), %ecx
	xor %eax, %eax
	rep stosl

	movl $(PHYS(boot_pdpt_low) + PTE_P + PTE_W), PHYS(boot_pml4)
	movl $(PHYS(boot_pdpt_direct) + PTE_P + PTE_W), PHYS(boot_pml4) + 256 * 8
	movl $(PHYS(boot_pdpt_high) + PTE_P + PTE_W), PHYS(boot_pml4) + 511 * 8
	movl $(PHYS(boot_pd) + PTE_P + PTE_W), PHYS(boot_pdpt_low)
	movl $(PHYS(boot_pd) + PTE_P + PTE_W), PHYS(boot_pdpt_direct)
	movl $(PHYS(boot_pd) + 4096 + PTE_P + PTE_W), PHYS(boot_pdpt_direct) + 8
	movl $(PHYS(boot_pd) + PTE_P + PTE_W), PHYS(boot_pdpt_high) + 510 * 8
	movl $(PHYS(boot_pd) + 4096 + PTE_P + PTE_W), PHYS(boot_pdpt_high) + 511 * 8

	/* 1024 2 MiB pages: physical 0-2 GiB. The high halves of the entries stay zero. */
	mov $PHYS(boot_pd), %edi
	mov $(PTE_P + PTE_W + PTE_PS), %eax
	mov $1024, %ecx
1:	mov %eax, (%edi)
	add $0x200000, %eax
	add $8, %edi
	loop 1b

	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $PHYS(boot_pml4), %eax
	mov %eax, %cr3
	/* Every QEMU CPU model has NX (REFERENCE 8); setting NXE without it would #GP. */
	mov $MSR_EFER, %ecx
	rdmsr
	or $(EFER_LME + EFER_NXE), %eax
	wrmsr
	/* WP: the kernel obeys read-only pages too, once the memory issue makes some. */
	mov %cr0, %eax
	or $(CR0_PG + CR0_WP + CR0_PE), %eax
	mov %eax, %cr0

	lgdt PHYS(gdtr_phys)
	ljmp $GDT_KERNEL_CODE, $PHYS(start64_low)

	.code64
start64_low:
	movabs $start64_high, %rax
	jmp *%rax

start64_high:
	lgdt gdtr_virt(%rip)
	mov $GDT_KERNEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	lea boot_stack_top(%rip), %rsp

	/* The upper halves of the registers are undefined after the mode switch. */
	mov %ebx, %ebx
	lea __bss_start(%rip), %rdi
	lea __bss_end(%rip), %rcx
	sub %rdi, %rcx
	xor %eax, %eax
	rep stosb

	xor %ebp, %ebp
	mov %rbx, %rdi
	call x86_boot
2:	cli
	hlt
	jmp 2b

	/* Pseudo-descriptors for the GDT that cpu.c defines: one for the 32-bit lgdt (a physical
	 * base), one for the 64-bit reload (virtual). */
	.section .rodata
	.p2align 3
	.word 0, 0, 0		/* so that the base fields below are naturally aligned */
gdtr_phys:
	.word GDT_ENTRIES * 8 - 1
	.long PHYS(gdt)
	.p2align 3
	.word 0, 0, 0
gdtr_virt:
	.word GDT_ENTRIES * 8 - 1
	.quad gdt

/* arch_switch_stack(stack_top, fn, arg): a fresh root frame (rbp = 0) on the new stack, with
 * rsp 16-byte aligned at the call as the ABI wants. fn must not return. */
	.text
	.globl arch_switch_stack
	.type arch_switch_stack, @function
arch_switch_stack:
	mov %rdi, %rsp
	and $-16, %rsp
	xor %ebp, %ebp
	mov %rsi, %rax
	mov %rdx, %rdi
	call *%rax
	ud2
	.size arch_switch_stack, . - arch_switch_stack

/* Secondary CPUs, second half: at the high address, on x86_ap_pml4, interrupts masked. */
	.p2align 4
ap_start_high:
	lgdt gdtr_virt(%rip)
	mov $GDT_KERNEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	lea x86_ap_boot(%rip), %rbx
	mov AP_BOOT_CR4(%rbx), %rax
	mov %rax, %cr4
	mov AP_BOOT_CR3(%rbx), %rax
	mov %rax, %cr3
	mov AP_BOOT_STACK(%rbx), %rsp
	mov AP_BOOT_ENTRY(%rbx), %rax
	mov AP_BOOT_ARG(%rbx), %rdi
	movl $1, AP_BOOT_STARTED(%rbx)	/* x86_ap_boot is free for the next CPU from here */
	xor %ebp, %ebp
	call *%rax
3:	cli
	hlt
	jmp 3b

/* Secondary CPUs, first half: the real-mode trampoline, run only from its copy. */
	.section .rodata
	.p2align 4
	.globl ap_trampoline_start, ap_trampoline_end
	.code16
ap_trampoline_start:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	lgdtl ap_gdtr - ap_trampoline_start	/* ds-relative: the offset in the page */
	mov %cr0, %eax
	or $CR0_PE, %eax
	mov %eax, %cr0
	ljmpl $AP_GDT_CODE32, $AP_LOW(ap_start32)

	.code32
ap_start32:
	mov $AP_GDT_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $PHYS(x86_ap_pml4), %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $(EFER_LME + EFER_NXE), %eax
	wrmsr
	mov %cr0, %eax
	or $(CR0_PG + CR0_WP), %eax
	mov %eax, %cr0
	ljmp $AP_GDT_CODE64, $AP_LOW(ap_start64)

	.code64
ap_start64:
	movabs $ap_start_high, %rax
	jmp *%rax

	.p2align 3
ap_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code, as GDT_KERNEL_CODE */
	.quad 0x00cf92000000ffff	/* 0x10: flat data */
	.quad 0x00cf9a000000ffff	/* 0x18: flat 32-bit code */
	.word 0
ap_gdtr:
	.word 4 * 8 - 1
	.long AP_LOW(ap_gdt)
ap_trampoline_end:

	.section .bootbss, "aw", @nobits
	.p2align 12
	.globl boot_pml4, boot_pd, boot_pt, boot_stack_guard
boot_pml4:
	.skip 4096
boot_pdpt_low:
	.skip 4096
boot_pdpt_direct:		/* PML4[256]: the early direct map */
	.skip 4096
boot_pdpt_high:
	.skip 4096
boot_pd:
	.skip 2 * 4096
boot_pt:			/* boot.c maps the stack's 2 MiB with it, to unmap the guard */
	.skip 4096
boot_stack_guard:	/* never mapped once boot.c has run: an overflow faults here */
	.skip 4096
boot_stack:
	.skip BOOT_STACK_SIZE
boot_stack_top:
