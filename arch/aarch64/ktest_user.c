/*
 * arch/aarch64/ktest_user.c: in-kernel tests of the aarch64 user-mode hooks that do not need a
 * process: the user copies (uaccess.S, through core/uaccess.h), the futex cmpxchg, the
 * trapframe by role, the FP/SIMD save/load pair and the AT_HWCAP words.
 *
 * The copy tests build a user address space by hand: a read-write user page, an unmapped hole
 * after it, a read-only user page and a kernel-only page in the user half (mapped without
 * MMU_USER: EL1 could touch it, EL0 could not, so the unprivileged LDTR/STTR must refuse it).
 * The test thread activates it with interrupts masked for the whole time: a switch away would
 * give this (kernel) thread the kernel aspace back on return. Faults are then resolved by the
 * exception table alone (no process, so nothing for mm_fault to page in).
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/ktest.h"
#include "core/pmm.h"
#include "core/string.h"
#include "core/uaccess.h"

#include "aarch64.h"
#include "trapframe.h"

#define PAGE 4096ul
#define U_RW 0x10000ul    /* user read-write */
#define U_HOLE 0x11000ul  /* unmapped */
#define U_RO 0x12000ul    /* user read-only */
#define U_KONLY 0x14000ul /* kernel-only page in the user half */

struct uspace {
	struct arch_aspace *as;
	uint64_t rw, ro, konly;
	unsigned long irq;
};

static bool uspace_setup(struct uspace *u)
{
	u->as = arch_aspace_create();
	u->rw = alloc_page();
	u->ro = alloc_page();
	u->konly = alloc_page();
	if (!u->as || !u->rw || !u->ro || !u->konly)
		return false;
	memset(phys_to_virt(u->ro), 0x5a, PAGE);
	KT_EXPECT_EQ(arch_mmu_map(u->as, U_RW, u->rw, PAGE, MMU_USER | MMU_READ | MMU_WRITE), 0);
	KT_EXPECT_EQ(arch_mmu_map(u->as, U_RO, u->ro, PAGE, MMU_USER | MMU_READ), 0);
	KT_EXPECT_EQ(arch_mmu_map(u->as, U_KONLY, u->konly, PAGE, MMU_READ | MMU_WRITE), 0);
	u->irq = arch_irq_save();
	arch_aspace_activate(u->as);
	return true;
}

static void uspace_teardown(struct uspace *u)
{
	arch_aspace_activate(arch_kernel_aspace());
	arch_irq_restore(u->irq);
	if (u->as)
		arch_aspace_destroy(u->as);
	free_page(u->rw);
	free_page(u->ro);
	free_page(u->konly);
}

static bool pan_is_set(void)
{
	if (!(aarch64_cpu_features & CPU_FEAT_PAN))
		return true; /* nothing to check */
	return read_sysreg(s3_0_c4_c2_3) & (1ul << 22);
}

KTEST(aarch64_uaccess_round_trip)
{
	static char big[3000], back[3000];
	struct uspace u = {0};
	char buf[64];
	uint64_t v = 0;

	if (uspace_setup(&u)) {
		for (size_t i = 0; i < sizeof big; i++)
			big[i] = (char)(i * 7 + 1);
		KT_EXPECT_EQ(copy_to_user(U_RW + 5, "hello, world", 13), 0);
		KT_EXPECT_EQ(copy_from_user(buf, U_RW + 5, 13), 0);
		KT_EXPECT_STREQ(buf, "hello, world");
		KT_EXPECT_EQ(memcmp(phys_to_virt(u.rw) + 5, "hello, world", 13), 0);
		KT_EXPECT_EQ(strncpy_from_user(buf, U_RW + 5, sizeof buf), 12);
		KT_EXPECT_STREQ(buf, "hello, world");
		KT_EXPECT_EQ(strncpy_from_user(buf, U_RW + 5, 13), 12);
		KT_EXPECT_EQ(strncpy_from_user(buf, U_RW + 5, 12), -ENAMETOOLONG);
		KT_EXPECT_EQ(copy_to_user(U_RW + 1, big, sizeof big), 0); /* both loops, unaligned */
		KT_EXPECT_EQ(copy_from_user(back, U_RW + 1, sizeof back), 0);
		KT_EXPECT_EQ(memcmp(big, back, sizeof big), 0);
		KT_EXPECT_EQ(clear_user(U_RW + 3, 2001), 0);
		KT_EXPECT_EQ(copy_from_user(back, U_RW, 2010), 0);
		KT_EXPECT(back[2] == big[1] && back[3] == 0 && back[2003] == 0 &&
			  back[2004] == big[2003]);
		KT_EXPECT_EQ(get_user(&v, U_RO + 8), 0);
		KT_EXPECT_EQ(v, 0x5a5a5a5a5a5a5a5aull);
		KT_EXPECT(pan_is_set());
	}
	uspace_teardown(&u);
}

KTEST(aarch64_uaccess_faults)
{
	struct uspace u = {0};
	char buf[64];
	uint64_t v = 1;

	if (uspace_setup(&u)) {
		KT_EXPECT_EQ(copy_from_user(buf, U_HOLE, 8), -EFAULT);
		KT_EXPECT_EQ(copy_from_user(buf, U_HOLE - 4, 8), -EFAULT); /* runs into the hole */
		KT_EXPECT_EQ(copy_to_user(U_HOLE + 100, buf, 1), -EFAULT);
		KT_EXPECT_EQ(clear_user(U_HOLE - 1, 2), -EFAULT);
		KT_EXPECT_EQ(put_user(U_RO, &v), -EFAULT); /* read-only */
		KT_EXPECT_EQ(clear_user(U_RO + 7, 1), -EFAULT);
		KT_EXPECT_EQ(*(volatile uint64_t *)phys_to_virt(u.ro), 0x5a5a5a5a5a5a5a5aull);
		KT_EXPECT_EQ(get_user(&v, U_KONLY), -EFAULT); /* EL0 may not: neither may we */
		KT_EXPECT_EQ(put_user(U_KONLY, &v), -EFAULT);
		KT_EXPECT_EQ(strncpy_from_user(buf, U_HOLE, sizeof buf), -EFAULT);
		memcpy(phys_to_virt(u.rw) + PAGE - 3, "abc", 3); /* no NUL before the hole */
		KT_EXPECT_EQ(strncpy_from_user(buf, U_HOLE - 3, sizeof buf), -EFAULT);
		KT_EXPECT_EQ(strncpy_from_user(buf, U_HOLE - 3, 3), -ENAMETOOLONG);
		/* Kernel addresses are refused before any access (core/uaccess.c). */
		KT_EXPECT_EQ(copy_from_user(buf, (uintptr_t)&v, 8), -EFAULT);
		KT_EXPECT_EQ(copy_to_user((uintptr_t)buf, &v, 8), -EFAULT);
		KT_EXPECT_EQ(strncpy_from_user(buf, (uintptr_t)"kernel", sizeof buf), -EFAULT);
		KT_EXPECT(pan_is_set());
	}
	uspace_teardown(&u);
}

KTEST(aarch64_futex_cmpxchg)
{
	struct uspace u = {0};
	uint32_t old = 99, *k;

	if (uspace_setup(&u)) {
		k = (uint32_t *)phys_to_virt(u.rw) + 4;
		*k = 0;
		KT_EXPECT_EQ(arch_futex_cmpxchg(U_RW + 16, 0, 5, &old), 0);
		KT_EXPECT_EQ(old, 0);
		KT_EXPECT_EQ(*k, 5);
		KT_EXPECT_EQ(arch_futex_cmpxchg(U_RW + 16, 1, 7, &old), 0); /* no match: unchanged */
		KT_EXPECT_EQ(old, 5);
		KT_EXPECT_EQ(*k, 5);
		KT_EXPECT(pan_is_set());
		KT_EXPECT_EQ(arch_futex_cmpxchg(U_RO, 0x5a5a5a5a, 1, &old), -EFAULT);
		KT_EXPECT(pan_is_set());
		KT_EXPECT_EQ(arch_futex_cmpxchg(U_HOLE, 0, 1, &old), -EFAULT);
		KT_EXPECT(pan_is_set());
		KT_EXPECT_EQ(*(uint32_t *)phys_to_virt(u.ro), 0x5a5a5a5a);
	}
	uspace_teardown(&u);
}

/* The syscall ABI by role: x8, orig_x0 then x1-x5, x0 for the result, restart. */
KTEST(aarch64_tf_roles)
{
	static struct trapframe tf, copy;

	arch_tf_init_user(&tf, 0x400000, 0x7ff000);
	KT_EXPECT_EQ(arch_tf_pc(&tf), 0x400000);
	KT_EXPECT_EQ(arch_tf_sp(&tf), 0x7ff000);
	KT_EXPECT(arch_tf_from_user(&tf));
	KT_EXPECT_EQ(tf.spsr, 0); /* EL0t, interrupts enabled */
	for (unsigned i = 0; i < 31; i++)
		tf.x[i] = 100 + i;
	tf.orig_x0 = tf.x[0];
	tf.elr += 4; /* past the svc */
	KT_EXPECT_EQ(arch_tf_syscall_nr(&tf), 108);
	arch_tf_set_return(&tf, (unsigned long)-EINTR);
	KT_EXPECT_EQ(arch_tf_arg(&tf, 0), 100);
	KT_EXPECT_EQ(arch_tf_arg(&tf, 5), 105);
	KT_EXPECT_EQ(tf.x[0], (uint64_t)-EINTR);
	arch_tf_restart_syscall(&tf);
	KT_EXPECT_EQ(tf.x[0], 100);
	KT_EXPECT_EQ(arch_tf_pc(&tf), 0x400000);
	arch_tf_copy(&copy, &tf);
	KT_EXPECT_EQ(memcmp(&copy, &tf, sizeof tf), 0);
	KT_EXPECT_EQ((uintptr_t)arch_user_tf(0x1000) + sizeof(struct trapframe), 0x1000);
}

/* What the save writes is what the load put in. The kernel thread running this has no user
 * state, so clobbering the live registers is harmless; they are left zero. */
KTEST(aarch64_fp_save_load)
{
	static struct arch_thread a, b;

	for (unsigned i = 0; i < 32; i++)
		a.fp.q[i] = ((__uint128_t)(0x1111111111111111ull * (i % 15 + 1)) << 64) | (i + 1);
	a.fp.fpsr = 0x0800001f; /* QC and the cumulative exception flags */
	a.fp.fpcr = 0x00c00000; /* RMode = towards zero */
	aarch64_fp_load(&a.fp);
	aarch64_fp_save(&b.fp);
	KT_EXPECT_EQ(memcmp(&a.fp, &b.fp, sizeof a.fp), 0);
	memset(&a, 0, sizeof a);
	aarch64_fp_load(&a.fp);
	aarch64_fp_save(&b.fp);
	KT_EXPECT_EQ(memcmp(&a.fp, &b.fp, sizeof a.fp), 0);
	KT_EXPECT(read_sysreg(cpacr_el1) & (3ul << 20));
}

/* neoverse-n1 and max have FP, ASIMD, AES, PMULL, SHA1/2, CRC32 and LSE; cortex-a72 all of
 * those but LSE. The check is that the bits follow the ID registers, not a model list. */
KTEST(aarch64_hwcap)
{
	uint64_t h = arch_hwcap(), isar0 = read_sysreg(id_aa64isar0_el1);

	KT_EXPECT((h & 3) == 3); /* FP, ASIMD: every Linux-capable arm64 CPU */
	KT_EXPECT_EQ(!!(h & (1ul << 8)), ((isar0 >> 20) & 0xf) >= 2); /* ATOMICS = LSE */
	KT_EXPECT_EQ(!!(h & (1ul << 7)), ((isar0 >> 16) & 0xf) >= 1); /* CRC32 */
	KT_EXPECT_EQ(!!(h & (1ul << 8)), !!(aarch64_cpu_features & CPU_FEAT_LSE));
	KT_EXPECT_EQ(h & (1ul << 22 | 1ul << 30 | 1ul << 31 | 1ul << 11 | 1ul << 2), 0);
	KT_EXPECT_STREQ(arch_platform(), "aarch64");
	KT_EXPECT_EQ(arch_elf_machine, 183);
}
