/*
 * arch/aarch64/ktest_signal.c: in-kernel tests of the aarch64 signal frame (signal.c).
 *
 * aarch64_sigframe builds a frame on a user stack in a fresh address space, activated with
 * interrupts masked (a switch would bring the kernel's back), reads it back through
 * copy_from_user at Linux's fixed offsets, plays the handler (edits the saved x0 and v0 in
 * the fpsimd record, leaves sp at the frame) and checks that rt_sigreturn's half restores
 * exactly that. Then hostile frames: EL1 or DAIF in PSTATE, a kernel pc, a missing or
 * malformed fpsimd record, an unaligned sp, unmapped stacks. The FP registers the test
 * clobbers belong to no user thread (the kernel thread running it has no user state).
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/ktest.h"
#include "core/mm.h"
#include "core/pmm.h"
#include "core/sched.h"
#include "core/string.h"
#include "core/uaccess.h"

#include "aarch64.h"
#include "trapframe.h"

#define SBASE 0x400000ul
#define SPAGES 3
#define STOP (SBASE + SPAGES * PAGE_SIZE)
#define HANDLER 0x401234ul
#define RESTORER 0x405678ul
#define OFF_UC 128
#define OFF_SIGMASK (OFF_UC + 40)
#define OFF_MC (OFF_UC + 176)
#define OFF_REGS (OFF_MC + 8)
#define OFF_SP (OFF_MC + 256)
#define OFF_PC (OFF_MC + 264)
#define OFF_PSTATE (OFF_MC + 272)
#define OFF_RES (OFF_MC + 288)
#define FRAME_SIZE 4688

static struct arch_thread fpb;

static uint64_t v0_now(void)
{
	aarch64_fp_save(&fpb.fp);
	return (uint64_t)fpb.fp.q[0];
}

static void tf_patterns(struct trapframe *tf)
{
	arch_tf_init_user(tf, 0x402000, STOP - 256);
	for (unsigned i = 0; i < 31; i++)
		tf->x[i] = 0x0101010101010101ull * (i + 1);
	tf->spsr = 0x60000000; /* Z, C */
}

static void check_setup(struct trapframe *tf, const struct trapframe *orig, uint8_t *info)
{
	struct sigframe_info si = {
		.sig = 10, .siginfo = info, .handler = HANDLER, .restorer = RESTORER,
		.mask = 0x1234, .sp = tf->sp, .ss_sp = 0x7000, .ss_size = 8192, .ss_flags = 2,
		.fault_addr = 0xdead,
	};
	KT_EXPECT_EQ(arch_signal_frame_setup(tf, &si), 0);
	uintptr_t f = tf->sp;
	KT_EXPECT_EQ(f % 16, 0);
	KT_EXPECT_EQ(f, orig->sp - 16 - FRAME_SIZE);
	KT_EXPECT_EQ(tf->elr, HANDLER);
	KT_EXPECT_EQ(tf->x[0], 10);
	KT_EXPECT_EQ(tf->x[1], f);
	KT_EXPECT_EQ(tf->x[2], f + OFF_UC);
	KT_EXPECT_EQ(tf->x[29], f + FRAME_SIZE);
	KT_EXPECT_EQ(tf->x[30], RESTORER);
	KT_EXPECT_EQ(KT_UREAD64(f + FRAME_SIZE), orig->x[29]); /* frame record */
	KT_EXPECT_EQ(KT_UREAD64(f + FRAME_SIZE + 8), orig->x[30]);
	KT_EXPECT_EQ(KT_UREAD64(f + 8), 0x0f0e0d0c0b0a0908ull); /* siginfo */
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_UC), 0);                /* uc_flags */
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_UC + 16), 0x7000);      /* uc_stack.ss_sp */
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_UC + 32), 8192);        /* uc_stack.ss_size */
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_SIGMASK), 0x1234);
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_MC), 0xdead); /* fault_address */
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_REGS), orig->x[0]);
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_REGS + 30 * 8), orig->x[30]);
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_SP), orig->sp);
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_PC), orig->elr);
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_PSTATE), orig->spsr);
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_RES), 528ull << 32 | 0x46508001u); /* fpsimd head */
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_RES + 8), 0x00400000ull << 32 | 0x10);  /* fpsr, fpcr */
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_RES + 16), 0xabcdef0123456789ull);     /* v0 low */
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_RES + 528), 0);                        /* end record */
	KT_EXPECT_EQ(v0_now(), 0xabcdef0123456789ull); /* the handler keeps the FP state */
}

static void check_restore(struct trapframe *tf, const struct trapframe *orig)
{
	uintptr_t f = tf->sp;
	KT_UWRITE64(f + OFF_REGS, 42);
	KT_UWRITE64(f + OFF_RES + 16, 0x5555aaaa5555aaaaull);
	for (unsigned i = 0; i < 31; i++)
		tf->x[i] = 0xbad;
	uint64_t mask = 0, ss_size = 0;
	uintptr_t ss_sp = 0;
	int ss_flags = 0;
	KT_EXPECT_EQ(arch_signal_frame_restore(tf, &mask, &ss_sp, &ss_size, &ss_flags), 0);
	KT_EXPECT_EQ(arch_tf_get_return(tf), 42);
	KT_EXPECT_EQ(tf->x[1], orig->x[1]);
	KT_EXPECT_EQ(tf->x[29], orig->x[29]);
	KT_EXPECT_EQ(tf->x[30], orig->x[30]);
	KT_EXPECT_EQ(tf->sp, orig->sp);
	KT_EXPECT_EQ(tf->elr, orig->elr);
	KT_EXPECT_EQ(tf->spsr, orig->spsr);
	KT_EXPECT_EQ(mask, 0x1234);
	KT_EXPECT_EQ(ss_sp, 0x7000);
	KT_EXPECT_EQ(ss_size, 8192);
	KT_EXPECT_EQ(ss_flags, 2);
	KT_EXPECT_EQ(v0_now(), 0x5555aaaa5555aaaaull);
}

/* Set up a frame, let edit() spoil it, expect restore to say want. */
static void check_bad(struct trapframe *tf, const struct sigframe_info *si, uintptr_t off,
		      uint64_t value, int want)
{
	uint64_t mask, ss_size;
	uintptr_t ss_sp;
	int ss_flags;

	tf->sp = STOP - 256;
	KT_EXPECT_EQ(arch_signal_frame_setup(tf, si), 0);
	KT_UWRITE64(tf->sp + off, value);
	KT_EXPECT_EQ(arch_signal_frame_restore(tf, &mask, &ss_sp, &ss_size, &ss_flags), want);
}

static void check_hostile(struct trapframe *tf, uint8_t *info)
{
	struct sigframe_info si = {.sig = 12, .siginfo = info, .handler = HANDLER,
				   .restorer = RESTORER};
	uint64_t fphead = 528ull << 32 | 0x46508001u;

	si.sp = STOP - 256;
	check_bad(tf, &si, OFF_PSTATE, 0x5, -EINVAL);      /* EL1h */
	check_bad(tf, &si, OFF_PSTATE, 0x10, -EINVAL);     /* AArch32 */
	check_bad(tf, &si, OFF_PSTATE, 0x3c0, -EINVAL);    /* DAIF */
	check_bad(tf, &si, OFF_PC, 0xffff000000001000ull, -EINVAL);
	check_bad(tf, &si, OFF_RES, 0, -EINVAL);           /* no fpsimd record */
	check_bad(tf, &si, OFF_RES, 512ull << 32 | 0x46508001u, -EINVAL); /* wrong size */
	check_bad(tf, &si, OFF_RES, 528ull << 32 | 0x12345678u, -EINVAL); /* unknown */
	check_bad(tf, &si, OFF_RES + 528, 16ull << 32 | 0x45535201u, 0); /* esr: skipped */
	check_bad(tf, &si, OFF_RES + 528, 0x10ull << 32, -EINVAL); /* end with a size */
	check_bad(tf, &si, OFF_RES + 528, 16ull << 32 | 0x46508001u, -EINVAL); /* two fpsimd */
	check_bad(tf, &si, OFF_RES, fphead, 0);
	/* Privileged PSTATE bits beside a valid mode are dropped. */
	check_bad(tf, &si, OFF_PSTATE, 0xf0000000ull | 1ull << 21 | 1ull << 22, 0);
	KT_EXPECT_EQ(tf->spsr, 0xf0000000ull);

	uint64_t mask, ss_size;
	uintptr_t ss_sp;
	int ss_flags;
	tf->sp = STOP - 256 + 8; /* unaligned */
	KT_EXPECT_EQ(arch_signal_frame_restore(tf, &mask, &ss_sp, &ss_size, &ss_flags), -EFAULT);
	tf->sp = SBASE - 0x2000; /* unmapped */
	KT_EXPECT_EQ(arch_signal_frame_restore(tf, &mask, &ss_sp, &ss_size, &ss_flags), -EFAULT);
	si.sp = tf->sp = SBASE + 64;
	KT_EXPECT_EQ(arch_signal_frame_setup(tf, &si), -EFAULT);
}

KTEST(aarch64_sigframe)
{
	struct arch_aspace *as = arch_aspace_create();
	uint64_t pa[SPAGES];
	KT_EXPECT(as != NULL);
	for (unsigned i = 0; i < SPAGES; i++) {
		pa[i] = alloc_page();
		KT_EXPECT(pa[i] != 0);
		KT_EXPECT_EQ(arch_mmu_map(as, SBASE + i * PAGE_SIZE, pa[i], PAGE_SIZE,
					  MMU_USER | MMU_READ | MMU_WRITE), 0);
	}
	uint8_t info[128];
	for (unsigned i = 0; i < sizeof(info); i++)
		info[i] = (uint8_t)i;

	unsigned long s = arch_irq_save();
	arch_aspace_activate(as);
	memset(&fpb, 0, sizeof(fpb));
	fpb.fp.q[0] = 0xabcdef0123456789ull;
	fpb.fp.fpsr = 0x10;
	fpb.fp.fpcr = 0x00400000; /* RMode towards +inf */
	aarch64_fp_load(&fpb.fp);
	struct trapframe tf, orig;
	tf_patterns(&tf);
	orig = tf;
	check_setup(&tf, &orig, info);
	check_restore(&tf, &orig);
	check_hostile(&tf, info);
	aarch64_fp_zero();
	arch_aspace_activate(arch_kernel_aspace());
	arch_irq_restore(s);

	arch_aspace_destroy(as);
	for (unsigned i = 0; i < SPAGES; i++)
		free_page(pa[i]);
}
