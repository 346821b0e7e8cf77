/*
 * arch/x86_64/uaccess.S: the fault-safe user copies of arch.h (arch_copy_from_user and
 * friends). core/uaccess.c has already checked that the range lies below USER_TOP, so every
 * address here is a user one; whether it is mapped, and writable, is found out by touching
 * it.
 *
 * Faults. Each instruction that touches user memory is listed in the exception table
 * (.extable: { insn, fixup } pairs of absolute addresses, core/trap.h). On a fault there, core
 * first tries to resolve it (demand paging, copy-on-write) and the instruction runs again
 * (rep movs/stos carry on where they stopped: rcx, rsi and rdi are live in the frame);
 * otherwise core resumes at the fixup, which closes user access and returns -EFAULT. How many
 * bytes were copied before the fault is not reported (the contract allows that).
 *
 * SMAP. With CR4.SMAP on, a kernel access to a user page faults unless RFLAGS.AC is set, so
 * each function opens the window with stac and closes it with clac on every way out,
 * fixups included, and the window covers nothing but the user accesses. Without SMAP stac and
 * clac are #UD, so they run only when mmu.c found SMAP and set x86_smap_on (a flag test
 * instead of patching the code). An interrupt in the window does not inherit AC (trap_entry.S
 * clears it) and gets it back with iretq.
 *
 * Interrupts are left as the caller had them: the copies are plain thread code and may
 * sleep in the fault handler.
 *
 * Bulk moves go by quadwords (rep movsq / stosq), the last n % 8 bytes by bytes: under QEMU's
 * TCG every iteration of a rep string instruction is a translation block of its own, so a
 * byte-wise rep movsb (fastest on hardware with ERMS) costs eight times as much as movsq
 * there (docs/performance.md: warm reads spent 60% of their blocks in it).
 */
#include "x86.h"

#define EFAULT 14
#define ENAMETOOLONG 36

	.macro STAC
	testb $1, x86_smap_on(%rip)
	jz .Lno_stac\@
	stac
.Lno_stac\@:
	.endm

	.macro CLAC
	testb $1, x86_smap_on(%rip)
	jz .Lno_clac\@
	clac
.Lno_clac\@:
	.endm

/* List the instruction at label `insn` in the exception table with its fixup. */
	.macro EXTABLE insn, fixup
	.pushsection .extable, "a"
	.balign 8
	.quad \insn, \fixup
	.popsection
	.endm

	.text

/* long arch_copy_from_user(void *dst [rdi], uintptr_t usrc [rsi], size_t n [rdx]) */
	.globl arch_copy_from_user
	.type arch_copy_from_user, @function
	.p2align 4
arch_copy_from_user:
	mov %rdx, %rcx
	shr $3, %rcx
	STAC
.Lcfu_copy:
	rep movsq
	mov %edx, %ecx
	and $7, %ecx
.Lcfu_copy_tail:
	rep movsb
	CLAC
	mov %rdx, %rax
	ret
	EXTABLE .Lcfu_copy, uaccess_efault
	EXTABLE .Lcfu_copy_tail, uaccess_efault
	.size arch_copy_from_user, . - arch_copy_from_user

/* long arch_copy_to_user(uintptr_t udst [rdi], const void *src [rsi], size_t n [rdx]) */
	.globl arch_copy_to_user
	.type arch_copy_to_user, @function
	.p2align 4
arch_copy_to_user:
	mov %rdx, %rcx
	shr $3, %rcx
	STAC
.Lctu_copy:
	rep movsq
	mov %edx, %ecx
	and $7, %ecx
.Lctu_copy_tail:
	rep movsb
	CLAC
	mov %rdx, %rax
	ret
	EXTABLE .Lctu_copy, uaccess_efault
	EXTABLE .Lctu_copy_tail, uaccess_efault
	.size arch_copy_to_user, . - arch_copy_to_user

/* long arch_clear_user(uintptr_t udst [rdi], size_t n [rsi]) */
	.globl arch_clear_user
	.type arch_clear_user, @function
	.p2align 4
arch_clear_user:
	mov %rsi, %rcx
	shr $3, %rcx
	xor %eax, %eax
	STAC
.Lclear:
	rep stosq
	mov %esi, %ecx
	and $7, %ecx
.Lclear_tail:
	rep stosb
	CLAC
	mov %rsi, %rax
	ret
	EXTABLE .Lclear, uaccess_efault
	EXTABLE .Lclear_tail, uaccess_efault
	.size arch_clear_user, . - arch_clear_user

/* long arch_strncpy_from_user(char *dst [rdi], uintptr_t usrc [rsi], size_t n [rdx]): a
 * byte at a time (paths and names are short), the NUL copied too. rax counts the bytes. */
	.globl arch_strncpy_from_user
	.type arch_strncpy_from_user, @function
	.p2align 4
arch_strncpy_from_user:
	xor %eax, %eax
	STAC
1:	cmp %rdx, %rax
	jae 2f
.Lstr_load:
	movzbl (%rsi,%rax), %ecx
	mov %cl, (%rdi,%rax)
	test %cl, %cl
	jz 3f
	inc %rax
	jmp 1b
2:	CLAC
	mov $-ENAMETOOLONG, %rax
	ret
3:	CLAC			/* rax = the length without the NUL */
	ret
	EXTABLE .Lstr_load, uaccess_efault
	.size arch_strncpy_from_user, . - arch_strncpy_from_user

/* int arch_futex_cmpxchg(uintptr_t uaddr [rdi], uint32_t expected [esi],
 *                        uint32_t desired [edx], uint32_t *old [rcx]): a locked
 * read-modify-write, so it needs a writable page even when the values differ. */
	.globl arch_futex_cmpxchg
	.type arch_futex_cmpxchg, @function
	.p2align 4
arch_futex_cmpxchg:
	mov %esi, %eax
	STAC
.Lcmpxchg:
	lock cmpxchg %edx, (%rdi)
	CLAC
	mov %eax, (%rcx)	/* *old is kernel memory: after clac */
	xor %eax, %eax
	ret
	EXTABLE .Lcmpxchg, uaccess_efault
	.size arch_futex_cmpxchg, . - arch_futex_cmpxchg

/* Every fixup: shut the user window and fail the copy. */
	.type uaccess_efault, @function
	.p2align 4
uaccess_efault:
	CLAC
	mov $-EFAULT, %rax
	ret
	.size uaccess_efault, . - uaccess_efault
