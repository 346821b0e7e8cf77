/*
 * arch/x86_64/ktest_user.c: in-kernel tests of the x86_64 user-mode half: the fault-safe user
 * copies (uaccess.S) and a round trip through user mode (user_entry.S, user.c).
 *
 * x86_user_copies maps a read-write and a read-only user page (with an unmapped page between
 * them) in a fresh address space, activates it with interrupts masked (a switch would bring
 * the kernel's back), and checks every copy's results and errors through core/uaccess.h, the
 * futex compare-and-exchange, and, when SMAP is on, that a plain kernel read of the user page
 * faults (x86_ktest_smap_probe, through the exception table).
 *
 * x86_user_mode runs ktest_user.S's program in ring 3 from a kernel thread dressed as a user
 * thread: a zeroed stand-in process whose mm holds the test's address space, so the scheduler
 * switches the address space, FS/GS base and FP state with it as for any user thread. The
 * thread first moves its kernel stack below its user trapframe (arch_user_tf is at the top
 * of its stack, where its own first frames are), gives itself an FP area, dirties the FP
 * control words and lets arch_thread_exec_reset restore them, then arch_enter_user. The
 * program's ud2 comes back through x86_user_trap_hook, which records the frame and ends the
 * thread. The test then reads the program's results from its data page.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/ktest.h"
#include "core/mm.h"
#include "core/pmm.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/syscall.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "trapframe.h"
#include "x86.h"

#define UBASE 0x400000ul /* = KT_UCODE in ktest_user.S */
#define UDATA (UBASE + PAGE_SIZE)
#define UHOLE (UBASE + PAGE_SIZE)     /* unmapped, in the copy test */
#define URO (UBASE + 2 * PAGE_SIZE)   /* read-only, in the copy test */
#define VEC_UD 6

extern const char x86_ktest_ucode[], x86_ktest_ucode_ud2[], x86_ktest_ucode_end[];
long x86_ktest_smap_probe(uintptr_t va);

/* ---- User copies ------------------------------------------------------------------------- */

static void check_copies(uint8_t *rw)
{
	char buf[64];

	KT_EXPECT_EQ(copy_to_user(UBASE, "hello", 6), 0);
	KT_EXPECT_STREQ((char *)rw, "hello");
	memset(buf, 0, sizeof(buf));
	KT_EXPECT_EQ(copy_from_user(buf, UBASE, 6), 0);
	KT_EXPECT_STREQ(buf, "hello");
	KT_EXPECT_EQ(strncpy_from_user(buf, UBASE, sizeof(buf)), 5);
	KT_EXPECT_EQ(strncpy_from_user(buf, UBASE, 6), 5);
	KT_EXPECT_EQ(strncpy_from_user(buf, UBASE, 5), -ENAMETOOLONG);
	KT_EXPECT_EQ(clear_user(UBASE, PAGE_SIZE), 0);
	bool zero = true;
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		zero &= rw[i] == 0;
	KT_EXPECT(zero);
	/* Into the unmapped page, wholly or across the boundary. */
	memset(rw, 'x', PAGE_SIZE);
	KT_EXPECT_EQ(copy_from_user(buf, UHOLE, 8), -EFAULT);
	KT_EXPECT_EQ(copy_from_user(buf, UHOLE - 4, 8), -EFAULT);
	KT_EXPECT_EQ(copy_to_user(UHOLE - 4, buf, 8), -EFAULT);
	KT_EXPECT_EQ(clear_user(UHOLE - 4, 8), -EFAULT);
	memset(rw, 'x', PAGE_SIZE); /* the failed copies may have written part of the page */
	KT_EXPECT_EQ(strncpy_from_user(buf, UHOLE - 4, sizeof(buf)), -EFAULT);
	/* The read-only page: readable, not writable. */
	KT_EXPECT_EQ(copy_from_user(buf, URO, 8), 0);
	KT_EXPECT_EQ(copy_to_user(URO, buf, 8), -EFAULT);
	KT_EXPECT_EQ(clear_user(URO, 8), -EFAULT);
	/* Kernel addresses are refused before any access. */
	KT_EXPECT_EQ(copy_from_user(buf, (uintptr_t)rw, 8), -EFAULT);
	KT_EXPECT_EQ(copy_to_user((uintptr_t)buf, rw, 8), -EFAULT);
	KT_EXPECT_EQ(clear_user((uintptr_t)buf, 8), -EFAULT);
	KT_EXPECT_EQ(strncpy_from_user(buf, (uintptr_t)rw, 8), -EFAULT);
}

static void check_futex_cmpxchg(uint8_t *rw)
{
	uint32_t v = 5, old = 0;

	memcpy(rw, &v, 4);
	KT_EXPECT_EQ(arch_futex_cmpxchg(UBASE, 5, 9, &old), 0);
	KT_EXPECT_EQ(old, 5);
	memcpy(&v, rw, 4);
	KT_EXPECT_EQ(v, 9);
	KT_EXPECT_EQ(arch_futex_cmpxchg(UBASE, 5, 7, &old), 0); /* no match: unchanged */
	KT_EXPECT_EQ(old, 9);
	memcpy(&v, rw, 4);
	KT_EXPECT_EQ(v, 9);
	KT_EXPECT_EQ(arch_futex_cmpxchg(UHOLE, 0, 1, &old), -EFAULT);
	KT_EXPECT_EQ(arch_futex_cmpxchg(URO, 0, 1, &old), -EFAULT);
}

KTEST(x86_user_copies)
{
	struct arch_aspace *as = arch_aspace_create();
	uint64_t rw_pa = alloc_page(), ro_pa = alloc_page();
	KT_EXPECT(as && rw_pa && ro_pa);
	if (!as || !rw_pa || !ro_pa)
		return;
	uint8_t *rw = phys_to_virt(rw_pa);
	memset(phys_to_virt(ro_pa), 0, PAGE_SIZE);
	KT_EXPECT_EQ(arch_mmu_map(as, UBASE, rw_pa, PAGE_SIZE, MMU_USER | MMU_READ | MMU_WRITE), 0);
	KT_EXPECT_EQ(arch_mmu_map(as, URO, ro_pa, PAGE_SIZE, MMU_USER | MMU_READ), 0);

	unsigned long s = arch_irq_save();
	arch_aspace_activate(as);
	check_copies(rw);
	check_futex_cmpxchg(rw);
	if (x86_smap_on) {
		KT_EXPECT_EQ(x86_ktest_smap_probe(UBASE), -EFAULT);
		KT_EXPECT_EQ(x86_ktest_smap_probe(UBASE + PAGE_SIZE - 1), -EFAULT);
	}
	KT_EXPECT(!(x86_read_rflags() & RFLAGS_AC)); /* every path closed user access */
	arch_aspace_activate(arch_kernel_aspace());
	arch_irq_restore(s);

	arch_aspace_destroy(as);
	free_page(rw_pa);
	free_page(ro_pa);
}

/* ---- A round trip through user mode ------------------------------------------------------ */

static struct {
	struct arch_aspace *as;
	struct mm mm;
	struct proc proc;
	struct trapframe tf; /* the frame of the trap that ended the program */
	uint64_t ticks_before, ticks_after;
	int fpu_init;
} ut;

static _Noreturn void user_test_exit(struct thread *t)
{
	x86_user_trap_hook = NULL;
	t->proc = NULL;
	arch_thread_release(t);
	thread_exit();
}

static bool user_test_trap(struct trapframe *tf)
{
	ut.tf = *tf;
	ut.ticks_after = time_ticks(arch_cpu_id());
	user_test_exit(thread_current());
}

/* On a root frame below the thread's user trapframe, interrupts masked. */
static _Noreturn void user_test_body(void *unused)
{
	struct thread *t = thread_current();
	uint16_t fcw = 0x27f;
	uint32_t mxcsr = 0x7f80;

	(void)unused;
	ut.fpu_init = arch_thread_user_init(t);
	if (ut.fpu_init)
		user_test_exit(t);
	t->proc = &ut.proc;
	arch_aspace_activate(ut.as);
	/* What a previous image might have left: exec must put the defaults back. */
	__asm__ volatile("fldcw %0; ldmxcsr %1" : : "m"(fcw), "m"(mxcsr));
	arch_thread_exec_reset();
	x86_user_trap_hook = user_test_trap;
	ut.ticks_before = time_ticks(arch_cpu_id());
	struct trapframe *tf = arch_user_tf(t->stack_top);
	arch_tf_init_user(tf, UBASE, UDATA + PAGE_SIZE);
	arch_enter_user(tf);
}

static void user_test_thread(void *unused)
{
	(void)unused;
	arch_irq_disable();
	arch_switch_stack((uintptr_t)arch_user_tf(thread_current()->stack_top), user_test_body, NULL);
}

static uint64_t out(const uint8_t *data, unsigned n)
{
	uint64_t v;
	memcpy(&v, data + 8 * n, sizeof(v));
	return v;
}

static void check_user_results(const uint8_t *data)
{
	size_t ud2 = (size_t)(x86_ktest_ucode_ud2 - x86_ktest_ucode);

	KT_EXPECT_EQ(ut.tf.vector, VEC_UD);
	KT_EXPECT_EQ(ut.tf.rip, UBASE + ud2);
	KT_EXPECT_EQ(ut.tf.cs, GDT_USER_CS);
	KT_EXPECT_EQ(ut.tf.ss, GDT_USER_SS);
	KT_EXPECT(ut.tf.rflags & RFLAGS_IF);
	KT_EXPECT_EQ(ut.tf.rax, 0x12345678);
	KT_EXPECT_EQ(ut.tf.rbx, 0x1111111111111111ull); /* through syscalls and interrupts */
	KT_EXPECT_EQ(ut.tf.rbp, 0x2222222222222222ull);
	KT_EXPECT_EQ(ut.tf.r12, 0x3333333333333333ull);
	KT_EXPECT_EQ(ut.tf.r13, 0x4444444444444444ull);
	KT_EXPECT_EQ(ut.tf.r14, 0x5555555555555555ull);
	KT_EXPECT_EQ(ut.tf.r15, 0x6666666666666666ull);
	KT_EXPECT_EQ(ut.tf.rdx, 0x7777777777777777ull);
	KT_EXPECT_EQ(ut.tf.r8, 0x8888888888888888ull);
	KT_EXPECT_EQ(ut.tf.r9, 0x9999999999999999ull);
	KT_EXPECT_EQ(ut.tf.r10, 0xaaaaaaaaaaaaaaaaull);
	KT_EXPECT_EQ(ut.tf.rsp, UDATA + PAGE_SIZE);
	KT_EXPECT_EQ((long)out(data, 0), -ENOSYS);
	KT_EXPECT(out(data, 1) > UBASE && out(data, 1) < UBASE + ud2); /* rcx: the next rip */
	KT_EXPECT(out(data, 2) & RFLAGS_IF);                           /* r11: rflags */
	KT_EXPECT_EQ(out(data, 3), 0);
	KT_EXPECT_EQ(out(data, 4), 0x77);
	KT_EXPECT_EQ(out(data, 5), UDATA + 0x800);
	KT_EXPECT_EQ(out(data, 6), 0);
	KT_EXPECT_EQ((long)out(data, 7), -EFAULT);
	KT_EXPECT_EQ((long)out(data, 8), -EPERM);
	KT_EXPECT_EQ(out(data, 9) & 0xffff, 0x37f);
	KT_EXPECT_EQ(out(data, 10) & 0xffffffff, 0x1f80);
	KT_EXPECT_EQ(out(data, 11), 0);
	KT_EXPECT(ut.ticks_after > ut.ticks_before); /* interrupts came in user mode */
}

KTEST(x86_user_mode)
{
	size_t len = (size_t)(x86_ktest_ucode_end - x86_ktest_ucode);
	uint64_t code_pa = alloc_page(), data_pa = alloc_page();

	memset(&ut, 0, sizeof(ut));
	ut.as = arch_aspace_create();
	KT_EXPECT(ut.as && code_pa && data_pa && len <= PAGE_SIZE);
	if (!ut.as || !code_pa || !data_pa)
		return;
	ut.mm.as = ut.as;
	ut.proc.mm = &ut.mm;
	memset(phys_to_virt(code_pa), 0xcc, PAGE_SIZE); /* int3 after the program */
	memcpy(phys_to_virt(code_pa), x86_ktest_ucode, len);
	memset(phys_to_virt(data_pa), 0, PAGE_SIZE);
	KT_EXPECT_EQ(arch_mmu_map(ut.as, UBASE, code_pa, PAGE_SIZE, MMU_USER | MMU_READ | MMU_EXEC), 0);
	KT_EXPECT_EQ(arch_mmu_map(ut.as, UDATA, data_pa, PAGE_SIZE, MMU_USER | MMU_READ | MMU_WRITE), 0);

	uint64_t syscalls = syscall_count();
	struct thread *t = thread_create_on(arch_cpu_id(), "ktest-user", user_test_thread, NULL);
	KT_EXPECT(t != NULL);
	if (t)
		thread_join(t);
	KT_EXPECT_EQ(ut.fpu_init, 0);
	KT_EXPECT_EQ(syscall_count() - syscalls, 5);
	check_user_results(phys_to_virt(data_pa));

	arch_aspace_destroy(ut.as);
	free_page(code_pa);
	free_page(data_pa);
}
