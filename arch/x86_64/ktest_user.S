/*
 * arch/x86_64/ktest_user.S: assembly for ktest_user.c: a small user program, copied into a
 * user page, that exercises the SYSCALL entry and both return paths, and a probe that reads
 * user memory without stac (to see SMAP refuse it).
 *
 * The program runs at KT_UCODE with its data page at KT_UDATA (ktest_user.c maps both). It
 * loads a pattern into every register the syscall ABI preserves, makes an unknown syscall
 * (1000: -ENOSYS, returned by SYSRET), uses arch_prctl to set, read through %fs and get back
 * the FS base and to get it into a kernel address (-EFAULT) and set a kernel one (-EPERM),
 * records the FP control words exec left, spins long enough for timer interrupts to arrive
 * from user mode (their return is by iretq), and ends on ud2, whose #UD the test's trap hook
 * takes. Results go to the data page at the KT_OUT_* offsets.
 */
#define KT_UCODE 0x400000
#define KT_UDATA 0x401000
#define OUT(n) (KT_UDATA + 8 * (n))
#define KT_TLS (KT_UDATA + 0x800)
#define SPINS 20000000

	.section .rodata
	.globl x86_ktest_ucode, x86_ktest_ucode_ud2, x86_ktest_ucode_end
	.p2align 4
x86_ktest_ucode:
	movabs $0x1111111111111111, %rbx
	movabs $0x2222222222222222, %rbp
	movabs $0x3333333333333333, %r12
	movabs $0x4444444444444444, %r13
	movabs $0x5555555555555555, %r14
	movabs $0x6666666666666666, %r15
	movabs $0x7777777777777777, %rdx
	movabs $0x8888888888888888, %r8
	movabs $0x9999999999999999, %r9
	movabs $0xaaaaaaaaaaaaaaaa, %r10
	mov $1000, %eax
	syscall
	mov %rax, OUT(0)		/* -ENOSYS */
	mov %rcx, OUT(1)		/* SYSRET's rip */
	mov %r11, OUT(2)		/* SYSRET's rflags */
	movq $0x77, KT_TLS + 8
	mov $158, %eax
	mov $0x1002, %edi		/* ARCH_SET_FS */
	mov $KT_TLS, %esi
	syscall
	mov %rax, OUT(3)		/* 0 */
	mov %fs:8, %rax
	mov %rax, OUT(4)		/* 0x77 */
	mov $158, %eax
	mov $0x1003, %edi		/* ARCH_GET_FS */
	mov $OUT(5), %esi		/* KT_TLS */
	syscall
	mov %rax, OUT(6)		/* 0 */
	mov $158, %eax
	mov $0x1003, %edi
	movabs $0xffffffff80000000, %rsi
	syscall
	mov %rax, OUT(7)		/* -EFAULT */
	mov $158, %eax
	mov $0x1002, %edi
	movabs $0xffff800000000000, %rsi
	syscall
	mov %rax, OUT(8)		/* -EPERM */
	fnstcw OUT(9)			/* 0x37f */
	stmxcsr OUT(10)			/* 0x1f80 */
	movq %xmm0, %rax
	mov %rax, OUT(11)		/* 0 */
	mov $SPINS, %ecx
1:	dec %rcx
	jnz 1b
	mov $0x12345678, %eax
x86_ktest_ucode_ud2:
	ud2
x86_ktest_ucode_end:

/* long x86_ktest_smap_probe(uintptr_t va): read a byte at va without opening user access; 0,
 * or -EFAULT (14) through the exception table. */
	.text
	.globl x86_ktest_smap_probe
	.type x86_ktest_smap_probe, @function
x86_ktest_smap_probe:
	xor %eax, %eax
.Lprobe:
	movb (%rdi), %cl
	ret
.Lprobe_fault:
	mov $-14, %rax
	ret
	.size x86_ktest_smap_probe, . - x86_ktest_smap_probe
	.pushsection .extable, "a"
	.balign 8
	.quad .Lprobe, .Lprobe_fault
	.popsection
