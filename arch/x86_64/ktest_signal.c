/*
 * arch/x86_64/ktest_signal.c: in-kernel tests of the x86_64 signal frame (signal.c).
 *
 * x86_sigframe builds a frame on a user stack in a fresh address space, activated with
 * interrupts masked (a switch would bring the kernel's back), reads it back through
 * copy_from_user at Linux's fixed offsets, plays the handler (edits the saved rax, rip-free
 * registers and xmm0 in the FP image, pops pretcode) and checks that rt_sigreturn's half
 * restores exactly that. Then hostile frames: privileged RFLAGS bits and a kernel rip,
 * reserved MXCSR and XSTATE_BV bits, and stacks that are not mapped. The kernel thread running
 * the test gets an FP area for the duration (its registers belong to no user thread here).
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/ktest.h"
#include "core/mm.h"
#include "core/pmm.h"
#include "core/sched.h"
#include "core/string.h"
#include "core/uaccess.h"
#include "fpu.h"
#include "trapframe.h"
#include "x86.h"

#define SBASE 0x400000ul
#define SPAGES 3
#define STOP (SBASE + SPAGES * PAGE_SIZE)
#define HANDLER 0x401234ul
#define RESTORER 0x405678ul
#define OFF_UC 8
#define OFF_MC (OFF_UC + 40)
#define OFF_RAX (OFF_MC + 104)
#define OFF_RSP (OFF_MC + 120)
#define OFF_RIP (OFF_MC + 128)
#define OFF_EFLAGS (OFF_MC + 136)
#define OFF_FPSTATE (OFF_MC + 184)
#define OFF_SIGMASK (OFF_UC + 296)
#define OFF_INFO 312

static uint32_t mxcsr_now(void)
{
	uint32_t m;
	memcpy(&m, (const uint8_t *)x86_fpu_save_current() + 24, sizeof(m));
	return m;
}

/* The FP state with MXCSR = mxcsr and xmm0 = pattern (loaded into the live registers). */
static void fp_set(uint32_t mxcsr, uint64_t pattern)
{
	uint8_t *raw = kmalloc(x86_fpu_size() + 64);
	uint8_t *img = (uint8_t *)(((uintptr_t)raw + 63) & ~(uintptr_t)63);
	memcpy(img, x86_fpu_save_current(), x86_fpu_size());
	memcpy(img + 24, &mxcsr, 4);
	memcpy(img + 160, &pattern, 8); /* xmm0, low half */
	x86_fpu_load_current(img);
	kfree(raw);
}

static uint64_t xmm0_now(void)
{
	uint64_t v;
	memcpy(&v, (const uint8_t *)x86_fpu_save_current() + 160, sizeof(v));
	return v;
}

static void tf_patterns(struct trapframe *tf)
{
	arch_tf_init_user(tf, 0x402000, STOP - 256);
	uint64_t *g = &tf->rax;
	for (unsigned i = 0; i < 15; i++)
		g[i] = 0x1111111111111111ull * (i + 1);
	tf->rflags |= RFLAGS_CF | (1u << 7); /* CF, SF */
}

static void check_setup(struct trapframe *tf, const struct trapframe *orig, uint8_t *info)
{
	struct sigframe_info si = {
		.sig = 10, .siginfo = info, .handler = HANDLER, .restorer = RESTORER,
		.mask = 0x1234, .sp = tf->rsp, .ss_sp = 0x7000, .ss_size = 8192, .ss_flags = 2,
		.fault_addr = 0xdead,
	};
	KT_EXPECT_EQ(arch_signal_frame_setup(tf, &si), 0);
	uintptr_t f = tf->rsp;
	KT_EXPECT_EQ((f + 8) % 16, 0);
	KT_EXPECT(f < orig->rsp - 128 - 440);
	KT_EXPECT_EQ(tf->rip, HANDLER);
	KT_EXPECT_EQ(tf->rdi, 10);
	KT_EXPECT_EQ(tf->rsi, f + OFF_INFO);
	KT_EXPECT_EQ(tf->rdx, f + OFF_UC);
	KT_EXPECT_EQ(tf->rax, 0);
	KT_EXPECT_EQ(KT_UREAD64(f), RESTORER);
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_RAX), orig->rax);
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_MC), orig->r8);
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_RSP), orig->rsp);
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_RIP), orig->rip);
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_EFLAGS), orig->rflags);
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_MC + 176), 0xdead); /* cr2 */
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_MC + 168), 0x1234); /* oldmask */
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_SIGMASK), 0x1234);
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_UC + 16), 0x7000);  /* uc_stack.ss_sp */
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_UC + 32), 8192);    /* uc_stack.ss_size */
	KT_EXPECT_EQ(KT_UREAD64(f + OFF_INFO + 8), 0x0f0e0d0c0b0a0908ull);
	uint64_t fp = KT_UREAD64(f + OFF_FPSTATE);
	KT_EXPECT(fp % 64 == 0 && fp > f + 440 && fp + x86_fpu_size() <= orig->rsp - 128);
	KT_EXPECT_EQ(KT_UREAD64(fp + 160), 0xabcdef0123456789ull); /* xmm0 in the image */
	KT_EXPECT_EQ(KT_UREAD64(fp + 24) & 0xffffffff, 0x1fa0);    /* MXCSR in the image */
	if (x86_fpu_uses_xsave()) {
		KT_EXPECT_EQ(KT_UREAD64(f + OFF_UC) & 7, 7); /* UC_FP_XSTATE|SIGCONTEXT_SS|STRICT_SS */
		KT_EXPECT_EQ(KT_UREAD64(fp + 464) & 0xffffffff, 0x46505853u);
		KT_EXPECT_EQ(KT_UREAD64(fp + x86_fpu_size()) & 0xffffffff, 0x46505845u);
		KT_EXPECT_EQ(KT_UREAD64(fp + 512) & 3, 3);
	}
	/* The handler starts with the initial FP state. */
	KT_EXPECT_EQ(mxcsr_now(), 0x1f80);
	KT_EXPECT_EQ(xmm0_now(), 0);
}

/* The handler edits rax and xmm0 in the frame and returns; sigreturn restores the rest. */
static void check_restore(struct trapframe *tf, const struct trapframe *orig)
{
	uintptr_t f = tf->rsp;
	uint64_t fp = KT_UREAD64(f + OFF_FPSTATE);
	KT_UWRITE64(f + OFF_RAX, 42);
	KT_UWRITE64(fp + 160, 0x5555aaaa5555aaaaull);
	tf->rsp = f + 8; /* ret popped pretcode */
	for (uint64_t *g = &tf->rax; g <= &tf->r15; g++)
		*g = 0xbad;
	uint64_t mask = 0, ss_size = 0;
	uintptr_t ss_sp = 0;
	int ss_flags = 0;
	KT_EXPECT_EQ(arch_signal_frame_restore(tf, &mask, &ss_sp, &ss_size, &ss_flags), 0);
	KT_EXPECT_EQ(arch_tf_get_return(tf), 42);
	KT_EXPECT_EQ(tf->rbx, orig->rbx);
	KT_EXPECT_EQ(tf->r15, orig->r15);
	KT_EXPECT_EQ(tf->rsp, orig->rsp);
	KT_EXPECT_EQ(tf->rip, orig->rip);
	KT_EXPECT_EQ(tf->rflags, orig->rflags);
	KT_EXPECT_EQ(mask, 0x1234);
	KT_EXPECT_EQ(ss_sp, 0x7000);
	KT_EXPECT_EQ(ss_size, 8192);
	KT_EXPECT_EQ(ss_flags, 2);
	KT_EXPECT_EQ(xmm0_now(), 0x5555aaaa5555aaaaull);
	KT_EXPECT_EQ(mxcsr_now(), 0x1fa0);
}

/* A frame the handler made hostile: privileged RFLAGS, bad MXCSR and XSTATE_BV bits are
 * dropped; a kernel rip is refused. */
static void check_hostile(struct trapframe *tf, uint8_t *info)
{
	struct sigframe_info si = {.sig = 12, .siginfo = info, .handler = HANDLER,
				   .restorer = RESTORER, .sp = tf->rsp};
	uint64_t mask, ss_size;
	uintptr_t ss_sp;
	int ss_flags;

	KT_EXPECT_EQ(arch_signal_frame_setup(tf, &si), 0);
	uintptr_t f = tf->rsp;
	uint64_t fp = KT_UREAD64(f + OFF_FPSTATE);
	KT_UWRITE64(f + OFF_EFLAGS, 0x3000 | 0x4000 | 0x20000 | 0x200 | 0x1); /* IOPL NT VM IF CF */
	KT_UWRITE64(fp + 24, 0xffffffffull << 0 | 0x1f80); /* every MXCSR bit */
	if (x86_fpu_uses_xsave())
		KT_UWRITE64(fp + 512, ~0ull); /* XSTATE_BV: every component */
	tf->rsp = f + 8;
	KT_EXPECT_EQ(arch_signal_frame_restore(tf, &mask, &ss_sp, &ss_size, &ss_flags), 0);
	KT_EXPECT_EQ(tf->rflags & (0x3000 | 0x4000 | 0x20000), 0);
	KT_EXPECT(tf->rflags & 1);
	KT_EXPECT_EQ(tf->cs, GDT_USER_CS);
	KT_EXPECT_EQ(tf->ss, GDT_USER_SS);
	KT_EXPECT_EQ(mxcsr_now() & ~x86_fpu_mxcsr_mask(), 0);

	KT_EXPECT_EQ(arch_signal_frame_setup(tf, &si), 0);
	f = tf->rsp;
	KT_UWRITE64(f + OFF_RIP, 0xffff800000001000ull);
	tf->rsp = f + 8;
	KT_EXPECT_EQ(arch_signal_frame_restore(tf, &mask, &ss_sp, &ss_size, &ss_flags), -EINVAL);
	KT_UWRITE64(f + OFF_RIP, 0x0000800000000000ull); /* non-canonical */
	KT_EXPECT_EQ(arch_signal_frame_restore(tf, &mask, &ss_sp, &ss_size, &ss_flags), -EINVAL);

	/* Unmapped stacks, and no restorer. */
	tf->rsp = SBASE + 64;
	si.sp = tf->rsp;
	KT_EXPECT_EQ(arch_signal_frame_setup(tf, &si), -EFAULT);
	tf->rsp = SBASE - 0x1000;
	KT_EXPECT_EQ(arch_signal_frame_restore(tf, &mask, &ss_sp, &ss_size, &ss_flags), -EFAULT);
	si.sp = tf->rsp = STOP - 64;
	si.restorer = 0;
	KT_EXPECT_EQ(arch_signal_frame_setup(tf, &si), -EFAULT);
}

/* An alternate stack: no red zone when switching to it; overflowing it is refused. */
static void check_altstack(struct trapframe *tf, uint8_t *info)
{
	struct sigframe_info si = {.sig = 12, .siginfo = info, .handler = HANDLER,
				   .restorer = RESTORER, .sp = STOP, .ss_sp = SBASE + PAGE_SIZE,
				   .ss_size = 2 * PAGE_SIZE};
	tf->rsp = SBASE + 128;
	KT_EXPECT_EQ(arch_signal_frame_setup(tf, &si), 0);
	KT_EXPECT_EQ(KT_UREAD64(tf->rsp + OFF_FPSTATE), (STOP - x86_fpu_size() - 4) & ~63ul);
	si.ss_sp = STOP - 1024;
	si.ss_size = 1024;
	tf->rsp = SBASE + 128;
	KT_EXPECT_EQ(arch_signal_frame_setup(tf, &si), -EFAULT);
}

KTEST(x86_sigframe)
{
	struct arch_aspace *as = arch_aspace_create();
	uint64_t pa[SPAGES];
	struct thread *t = thread_current();
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
	KT_EXPECT_EQ(arch_thread_user_init(t), 0);

	unsigned long s = arch_irq_save();
	arch_aspace_activate(as);
	struct trapframe tf, orig;
	tf_patterns(&tf);
	orig = tf;
	fp_set(0x1fa0, 0xabcdef0123456789ull);
	check_setup(&tf, &orig, info);
	check_restore(&tf, &orig);
	check_hostile(&tf, info);
	check_altstack(&tf, info);
	x86_fpu_reset_current();
	arch_aspace_activate(arch_kernel_aspace());
	arch_irq_restore(s);

	arch_thread_release(t);
	arch_aspace_destroy(as);
	for (unsigned i = 0; i < SPAGES; i++)
		free_page(pa[i]);
}
