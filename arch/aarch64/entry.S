/*
 * arch/aarch64/entry.S: the arm64 Image header, the first instructions up to C, the secondary
 * CPUs' entry, and the few routines that must run with a particular mapping or stack.
 *
 * QEMU loads kernel.bin (an arm64 Linux Image) at RAM base + text_offset = 0x40200000 and
 * enters the first byte at EL1 with the MMU and caches off, DAIF masked and x0 = the DTB's
 * physical address. The kernel is linked at KERNEL_IMAGE_BASE + physical, so until the MMU is
 * on every address here must be PC-relative (adr/adrp); absolute addresses (ldr =sym) are
 * used only to jump to the high half. Code that runs with the MMU off or through the identity
 * map lives in .text.head, which the identity map covers.
 *
 * Early page tables, five zeroed pages outside .bss (zeroing .bss must not wipe them):
 *   TTBR0: L0[0] -> L1: [0] = phys 0-1 GiB Device-nGnRnE, [1] = phys 1-2 GiB Normal WB.
 *          The identity map; needed only for the instructions between "MMU on" and the jump
 *          high. boot.c turns it off (TCR_EL1.EPD0) so address 0 faults. It stays in memory:
 *          secondary CPUs switch their MMU on through it, and mmu.c runs
 *          aarch64_idmap_replace_ttbr1 through it.
 *   TTBR1: L0[256] -> L1: [0] = phys 0-1 GiB device, [1] = phys 1-2 GiB normal, not
 *          executable: DIRECT_MAP_BASE + [0, EARLY_MAP_LIMIT), so phys_to_virt() works from
 *          the first line of C.
 *          L0[511] -> L1: [510] = phys 0-1 GiB device (the port's device window, device_va),
 *          [511] = phys 1-2 GiB normal: KERNEL_IMAGE_BASE + phys, where the image runs.
 * arch_mmu_init replaces the TTBR1 half with final tables (mmu.c).
 *
 * Only CPU 0 boots here; any other CPU that arrives parks forever. Secondary CPUs are started
 * through PSCI CPU_ON at aarch64_secondary_entry (smp.c).
 */
#include "aarch64.h"

#define BOOT_STACK_SIZE (32 * 1024)
#define L0_INDEX(va) (((va) >> 39) & 511)

	.section .text.head, "ax"
	.globl	_head
_head:
	b	primary_entry
	.long	0
	.quad	0x200000		// text_offset: QEMU loads at RAM base + this
	.quad	__image_size		// includes .bss and the boot tables: QEMU keeps it free
	.quad	0xa			// LE, 4 KiB pages, "anywhere" (QEMU ignores it; checked below)
	.quad	0, 0, 0
	.ascii	"ARM\x64"
	.long	0			// no PE/COFF header

primary_entry:
	mov	x19, x0			// DTB physical address, kept in a callee-saved reg
	mrs	x1, mpidr_el1
	mov	x2, #0xffffff		// Aff2..Aff0
	movk	x2, #0xff, lsl #32	// Aff3
	tst	x1, x2
	b.ne	park			// not CPU 0

	mrs	x1, CurrentEL
	cmp	x1, #(1 << 2)
	adr	x0, msg_not_el1
	b.ne	early_fail

	adr	x1, _head		// where we run
	ldr	x2, =_head		// where we are linked
	ldr	x3, =KERNEL_IMAGE_BASE
	sub	x2, x2, x3
	cmp	x1, x2
	adr	x0, msg_bad_load
	b.ne	early_fail

	bl	build_boot_tables
	adrp	x0, boot_kmap_l0
	bl	enable_mmu
	ldr	x0, =high_entry		// first absolute address: the TTBR1 alias
	br	x0

/* Zero the table pages, fill in the entries listed above, then invalidate their cache
 * lines: with the MMU off the stores went straight to memory, and the table walker (which
 * reads through the cache once TCR says write-back) must not see stale lines. */
build_boot_tables:
	adrp	x0, __boot_pgtables_start
	adrp	x1, __boot_pgtables_end
1:	stp	xzr, xzr, [x0], #16
	cmp	x0, x1
	b.lo	1b

	adrp	x0, boot_idmap_l0
	adrp	x1, boot_idmap_l1
	orr	x2, x1, #PTE_TABLE
	str	x2, [x0]			// L0[0]
	ldr	x2, =(0x00000000 | BLOCK_DEVICE)
	str	x2, [x1, #0 * 8]		// L1[0]
	ldr	x2, =(0x40000000 | BLOCK_NORMAL)
	str	x2, [x1, #1 * 8]		// L1[1]

	adrp	x0, boot_kmap_l0
	adrp	x1, boot_dmap_l1
	orr	x2, x1, #PTE_TABLE
	str	x2, [x0, #L0_INDEX(DIRECT_MAP_BASE) * 8]
	ldr	x2, =(0x00000000 | BLOCK_DEVICE)
	str	x2, [x1, #0 * 8]		// direct map L1[0]
	ldr	x2, =(0x40000000 | BLOCK_NORMAL_NX)
	str	x2, [x1, #1 * 8]		// direct map L1[1]

	adrp	x1, boot_kmap_l1
	orr	x2, x1, #PTE_TABLE
	str	x2, [x0, #L0_INDEX(KERNEL_IMAGE_BASE) * 8]
	ldr	x2, =(0x00000000 | BLOCK_DEVICE)
	str	x2, [x1, #510 * 8]		// device window L1[510]
	ldr	x2, =(0x40000000 | BLOCK_NORMAL)
	str	x2, [x1, #511 * 8]		// kernel image L1[511]

	dsb	sy
	mrs	x3, ctr_el0
	ubfx	x3, x3, #16, #4			// DminLine: log2(words per line)
	mov	x2, #4
	lsl	x2, x2, x3			// line size in bytes
	adrp	x0, __boot_pgtables_start
	adrp	x1, __boot_pgtables_end
2:	dc	ivac, x0
	add	x0, x0, x2
	cmp	x0, x1
	b.lo	2b
	dsb	sy
	ret

/* x0 = TTBR1 tables (physical). MAIR, TCR (IPS from the CPU's physical address size), TTBR0 =
 * the identity map, TTBR1 = x0, then SCTLR. Returns with the MMU on, still executing through
 * the identity map. Used by the boot CPU and by every secondary, so all run the same
 * configuration. Touches no memory. */
enable_mmu:
	msr	ttbr1_el1, x0
	ldr	x0, =MAIR_VALUE
	msr	mair_el1, x0
	ldr	x0, =TCR_BOOT
	mrs	x1, id_aa64mmfr0_el1
	and	x1, x1, #0xf			// PARange
	mov	x2, #TCR_IPS_MAX
	cmp	x1, x2
	csel	x1, x1, x2, ls
	bfi	x0, x1, #TCR_IPS_SHIFT, #3
	msr	tcr_el1, x0
	adrp	x0, boot_idmap_l0
	msr	ttbr0_el1, x0
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	mrs	x0, sctlr_el1
	ldr	x1, =SCTLR_SET
	orr	x0, x0, x1
	ldr	x1, =SCTLR_CLEAR
	bic	x0, x0, x1
	msr	sctlr_el1, x0
	isb
	ic	iallu
	dsb	nsh
	isb
	ret

/* PSCI CPU_ON lands here: EL1, MMU and caches off, interrupts masked, x0 = the context id =
 * the physical address of the start record (aarch64.h START_*), which smp.c cleaned to memory
 * so that this uncached read sees it. */
	.globl	aarch64_secondary_entry
aarch64_secondary_entry:
	mov	x19, x0
	ldr	x0, [x19, #START_TTBR1]
	bl	enable_mmu
	ldr	x0, =secondary_high
	br	x0

/* void aarch64_idmap_replace_ttbr1(uint64_t ttbr1), called at its physical address with the
 * identity map in TTBR0 and interrupts masked (mmu.c). Break-before-make for the whole kernel
 * half: TTBR1 walks off (EPD1), this CPU's TLB flushed, so no entry of the old tables can
 * meet one of the new (a TLB conflict), then the new tables on. No memory is touched and no
 * TTBR1 address is used until the ret, which returns to the caller's high address. */
	.globl	aarch64_idmap_replace_ttbr1
aarch64_idmap_replace_ttbr1:
	mrs	x1, tcr_el1
	orr	x2, x1, #TCR_EPD1
	msr	tcr_el1, x2
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	msr	ttbr1_el1, x0
	bic	x1, x1, #TCR_EPD1
	msr	tcr_el1, x1
	isb
	ret

/* x0 = message (physical). Writes it to QEMU virt's PL011 with the MMU off, where the DTB
 * has not been read yet, then parks: there is nothing else to report the failure with. */
early_fail:
	mov	x1, #QEMU_VIRT_UART_PHYS
1:	ldrb	w2, [x0], #1
	cbz	w2, park
2:	ldr	w3, [x1, #0x18]			// FR
	tbnz	w3, #5, 2b			// TXFF
	str	w2, [x1]			// DR
	b	1b

	.globl	park
park:
	msr	daifset, #DAIFSET_ALL
1:	wfe
	b	1b

msg_not_el1:
	.asciz	"Janus: entered above EL1 (virtualization=on?); this kernel needs EL1\r\n"
msg_bad_load:
	.asciz	"Janus: Image not loaded at physical 0x40200000 (text_offset ignored?)\r\n"
	.balign	8			// 64-bit literals: Device memory faults if misaligned
	.ltorg

/* Now running at the link address through TTBR1. */
	.text
high_entry:
	adrp	x0, boot_stack_top
	add	x0, x0, :lo12:boot_stack_top
	mov	sp, x0
	adrp	x0, aarch64_vectors
	add	x0, x0, :lo12:aarch64_vectors
	msr	vbar_el1, x0
	isb

	adrp	x0, __bss_start
	add	x0, x0, :lo12:__bss_start
	adrp	x1, __bss_end
	add	x1, x1, :lo12:__bss_end
1:	cmp	x0, x1
	b.hs	2f
	stp	xzr, xzr, [x0], #16		// bounds are 16-aligned (linker.ld)
	b	1b

2:	mov	x29, xzr			// end of the frame chain for backtraces
	mov	x30, xzr
	mov	x0, x19
	bl	aarch64_boot
	b	park

/* A secondary CPU at its high address, x19 = start record (physical). Identity map off and
 * flushed (its entries are global), the record read through the direct map, then the stack,
 * the vectors and a root frame, and entry(arg), which never returns. TPIDR_EL1 is zeroed:
 * entry's first act is arch_set_this_cpu. */
secondary_high:
	mrs	x0, tcr_el1
	orr	x0, x0, #TCR_EPD0
	msr	tcr_el1, x0
	msr	ttbr0_el1, xzr
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	ldr	x0, =DIRECT_MAP_BASE
	add	x19, x19, x0
	ldr	x0, [x19, #START_STACK]
	mov	sp, x0
	adrp	x0, aarch64_vectors
	add	x0, x0, :lo12:aarch64_vectors
	msr	vbar_el1, x0
	msr	tpidr_el1, xzr
	isb
	ldr	x1, [x19, #START_ENTRY]
	ldr	x0, [x19, #START_ARG]
	mov	x29, xzr
	mov	x30, xzr
	blr	x1
	b	park

/* _Noreturn void arch_switch_stack(uintptr_t stack_top, void (*fn)(void *), void *arg) */
	.globl	arch_switch_stack
	.type	arch_switch_stack, %function
arch_switch_stack:
	mov	sp, x0
	mov	x29, xzr			// fn's frame is the root of the chain
	mov	x30, xzr
	mov	x0, x2
	blr	x1
	b	park
	.size	arch_switch_stack, . - arch_switch_stack

/* The boot stack, with a page below it that arch_mmu_init leaves unmapped (the guard), and
 * which trap_entry.S's stack check knows. */
	.section .bss.boot_stack, "aw", %nobits
	.balign	4096
	.globl	boot_stack_guard
boot_stack_guard:
	.space	BOOT_STACK_GUARD_SIZE
boot_stack:
	.space	BOOT_STACK_SIZE
	.globl	boot_stack_top
boot_stack_top:

	.section .boot_pgtables, "aw", %nobits
	.balign	4096
	.globl	boot_idmap_l0, boot_idmap_l1, boot_kmap_l0, boot_dmap_l1, boot_kmap_l1
boot_idmap_l0:	.space	4096
boot_idmap_l1:	.space	4096
boot_kmap_l0:	.space	4096
boot_dmap_l1:	.space	4096
boot_kmap_l1:	.space	4096
