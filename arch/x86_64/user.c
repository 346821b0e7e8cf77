/*
 * arch/x86_64/user.c: the C half of user mode on x86_64: per-CPU setup of SYSCALL and the
 * FPU, per-thread state (FS/GS base, FP/SIMD registers), entering and leaving user mode, the
 * trapframe by role, and the CPU description for the initial stack.
 *
 * Per CPU (x86_user_cpu_init, from cpu.c's x86_cpu_init on every CPU). EFER.SCE, STAR with
 * the kernel CS at bits 47:32 and GDT_USER_DATA - 8 at bits 63:48 (SYSRET then loads SS =
 * base + 8 = user data, CS = base + 16 = user code, both RPL 3: x86.h's GDT order), LSTAR =
 * user_entry.S's x86_syscall_entry, FMASK = IF DF TF AC NT. CR0.MP|NE with EM and TS clear,
 * CR4.OSFXSR|OSXMMEXCPT, and, when CPUID has XSAVE, CR4.OSXSAVE and XCR0 = the user state
 * components we save: x87, SSE, and AVX and AVX-512 when offered (not MPX, PKRU or AMX, which
 * need more than a save area). The boot CPU picks XCR0 and the save area's size (CPUID 0xD
 * with that XCR0); the others load the same. CR4.FSGSBASE stays off: user code changes FS/GS
 * base only through arch_prctl, which keeps a user GS base in the user half (trap_entry.S
 * relies on that to tell the user GS from the kernel's).
 *
 * FP/SIMD (struct arch_thread, arch_thread.h). The kernel never touches these registers
 * (-mgeneral-regs-only), so while a thread is in the kernel its user FP state is still live
 * in the CPU. arch_thread_switch saves it eagerly into the outgoing user thread's area (XSAVE
 * standard format, or FXSAVE) and loads the incoming user thread's; kernel threads have no
 * area and leave the registers alone, so they keep the last user thread's values, which only
 * the next user thread's load replaces. A new area holds Linux's initial state: FCW 0x37f,
 * MXCSR 0x1f80, every register zero, XSTATE_BV = x87|SSE. exec loads that state; fork saves
 * the parent's registers straight into the child's area. Nothing one process leaves in the
 * registers reaches another: every user thread's first instruction runs after a load from
 * its own area (its first switch in, or exec).
 *
 * FS and GS base. The thread pointer is FS_BASE. The user GS base, while the thread is in the
 * kernel, sits in KERNEL_GS_BASE (swapgs on entry put it there). Both stay in the MSRs while
 * the thread runs (user code can reset them by loading a selector, so the MSRs are the
 * truth): arch_thread_switch reads them back into the outgoing user thread's arch_thread and
 * writes the incoming one's.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/kprintf.h"
#include "core/layout.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/signal.h"
#include "core/string.h"
#include "fpu.h"
#include "trapframe.h"
#include "x86.h"

#define XCR0_X87 (1u << 0)
#define XCR0_SSE (1u << 1)
#define XCR0_AVX (1u << 2)
#define XCR0_AVX512 (7u << 5) /* opmask, ZMM_Hi256, Hi16_ZMM: all or none */
#define FXSAVE_SIZE 512
#define FPU_ALIGN 64
#define FX_FCW 0       /* offsets in the legacy (FXSAVE) region */
#define FX_MXCSR 24
#define XSAVE_HDR 512  /* XSTATE_BV, XCOMP_BV, reserved: 64 bytes */
#define FCW_DEFAULT 0x37f
#define MXCSR_DEFAULT 0x1f80
#define CPUID1_ECX_XSAVE (1u << 26)
#define FX_MXCSR_MASK 28
#define MXCSR_MASK_DEFAULT 0xffbf /* what the CPU means by MXCSR_MASK 0 */

extern char x86_syscall_entry[];                      /* user_entry.S */
_Noreturn void x86_enter_user(struct trapframe *tf); /* user_entry.S */
bool x86_user_exit_prepare(struct trapframe *tf);     /* for user_entry.S */

static bool use_xsave;
static uint64_t xcr0;
static uint32_t fpu_size = FXSAVE_SIZE;
static bool fpu_probed;
static uint32_t mxcsr_mask = MXCSR_MASK_DEFAULT;

const unsigned arch_elf_machine = 62; /* EM_X86_64 */

static void xsetbv(uint32_t reg, uint64_t v)
{
	__asm__ volatile("xsetbv" : : "c"(reg), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static uint64_t read_cr0(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static void write_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

/* Boot CPU, FXSAVE enabled: the MXCSR bits this CPU accepts (FXRSTOR of any other faults). */
static void mxcsr_probe(void)
{
	static uint8_t fx[FXSAVE_SIZE] __attribute__((aligned(16)));
	uint32_t mask;

	__asm__ volatile("fxsave64 (%0)" : : "r"(fx) : "memory");
	memcpy(&mask, fx + FX_MXCSR_MASK, sizeof(mask));
	if (mask)
		mxcsr_mask = mask;
}

/* Boot CPU: what XCR0 to use. AVX-512 only with AVX, and its three components together. */
static void fpu_probe(void)
{
	uint32_t r[4];

	cpuid(0, 0, r);
	uint32_t max_leaf = r[0];
	cpuid(1, 0, r);
	if (max_leaf < 0xd || !(r[2] & CPUID1_ECX_XSAVE))
		return;
	cpuid(0xd, 0, r);
	uint64_t offered = r[0] | ((uint64_t)r[3] << 32);
	uint64_t want = offered & (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512);
	if (!(want & XCR0_AVX) || (want & XCR0_AVX512) != XCR0_AVX512)
		want &= ~(uint64_t)XCR0_AVX512;
	use_xsave = true;
	xcr0 = want | XCR0_X87 | XCR0_SSE;
}

void x86_user_cpu_init(void)
{
	bool first = !fpu_probed;

	if (first)
		fpu_probe();
	write_cr0((read_cr0() | CR0_MP | CR0_NE) & ~(uint64_t)(CR0_EM | CR0_TS));
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT | (use_xsave ? CR4_OSXSAVE : 0));
	if (use_xsave)
		xsetbv(0, xcr0);
	if (first)
		mxcsr_probe();
	if (first && use_xsave) {
		uint32_t r[4];
		cpuid(0xd, 0, r);
		fpu_size = r[1]; /* the area XSAVE needs for the XCR0 just loaded */
	}
	fpu_probed = true;

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, ((uint64_t)(GDT_USER_DATA - 8) << 48) | ((uint64_t)GDT_KERNEL_CODE << 32));
	wrmsr(MSR_LSTAR, (uintptr_t)x86_syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC | RFLAGS_NT);
	if (first)
		pr_info("cpu: SYSCALL/SYSRET; FPU state by %s, XCR0 %#lx, %u-byte areas\n",
			use_xsave ? "XSAVE" : "FXSAVE", (unsigned long)xcr0, fpu_size);
}

/* ---- FP/SIMD registers ------------------------------------------------------------------- */

static void fpu_save(void *area)
{
	if (use_xsave)
		__asm__ volatile("xsave64 (%0)"
				 :
				 : "r"(area), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32))
				 : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

static void fpu_load(const void *area)
{
	if (use_xsave)
		__asm__ volatile("xrstor64 (%0)"
				 :
				 : "r"(area), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32))
				 : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

/* Linux's initial FP state: everything zero but the control words (and, for XSAVE, a header
 * saying the x87 and SSE parts are in the area; the rest load their init state). */
static void fpu_init_area(void *area)
{
	uint8_t *a = area;
	uint16_t fcw = FCW_DEFAULT;
	uint32_t mxcsr = MXCSR_DEFAULT;

	memset(a, 0, fpu_size);
	memcpy(a + FX_FCW, &fcw, sizeof(fcw));
	memcpy(a + FX_MXCSR, &mxcsr, sizeof(mxcsr));
	if (use_xsave) {
		uint64_t bv = XCR0_X87 | XCR0_SSE;
		memcpy(a + XSAVE_HDR, &bv, sizeof(bv));
	}
}

int arch_thread_user_init(struct thread *t)
{
	uint8_t *raw = kmalloc(fpu_size + FPU_ALIGN - KHEAP_ALIGN);
	if (!raw)
		return -ENOMEM;
	uintptr_t a = ((uintptr_t)raw + FPU_ALIGN - 1) & ~(uintptr_t)(FPU_ALIGN - 1);

	t->arch = (struct arch_thread){.fpu = (void *)a, .fpu_alloc = raw};
	fpu_init_area(t->arch.fpu);
	return 0;
}

void arch_thread_release(struct thread *t)
{
	kfree(t->arch.fpu_alloc);
	t->arch.fpu_alloc = NULL;
	t->arch.fpu = NULL;
}

void arch_thread_fork(struct thread *child)
{
	child->arch.fs_base = rdmsr(MSR_FS_BASE);
	child->arch.gs_base = rdmsr(MSR_KERNEL_GS_BASE); /* the user GS, while in the kernel */
	if (child->arch.fpu)
		fpu_save(child->arch.fpu);
}

void arch_thread_exec_reset(void)
{
	struct thread *t = thread_current();

	t->arch.fs_base = 0;
	t->arch.gs_base = 0;
	wrmsr(MSR_FS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	if (t->arch.fpu) {
		fpu_init_area(t->arch.fpu);
		fpu_load(t->arch.fpu);
	}
}

void arch_thread_set_tls(struct thread *t, uintptr_t tls)
{
	t->arch.fs_base = tls;
	if (t == thread_current())
		wrmsr(MSR_FS_BASE, tls);
}

uintptr_t arch_thread_get_tls(const struct thread *t)
{
	return t == thread_current() ? rdmsr(MSR_FS_BASE) : t->arch.fs_base;
}

/* The user GS base (arch_prctl ARCH_SET_GS / ARCH_GET_GS, syscall_abi.c). */
void x86_thread_set_user_gs(struct thread *t, uintptr_t base)
{
	t->arch.gs_base = base;
	if (t == thread_current())
		wrmsr(MSR_KERNEL_GS_BASE, base);
}

uintptr_t x86_thread_get_user_gs(const struct thread *t)
{
	return t == thread_current() ? rdmsr(MSR_KERNEL_GS_BASE) : t->arch.gs_base;
}

void arch_thread_switch(struct thread *prev, struct thread *next)
{
	if (prev->proc) {
		prev->arch.fs_base = rdmsr(MSR_FS_BASE);
		prev->arch.gs_base = rdmsr(MSR_KERNEL_GS_BASE);
		if (prev->arch.fpu)
			fpu_save(prev->arch.fpu);
	}
	if (next->proc) {
		wrmsr(MSR_FS_BASE, next->arch.fs_base);
		wrmsr(MSR_KERNEL_GS_BASE, next->arch.gs_base);
		if (next->arch.fpu)
			fpu_load(next->arch.fpu);
	}
	x86_set_kernel_stack(next->stack_top);
}

/* ---- The running thread's FP state, for signal frames (signal.c, signal.h) ----------------
 * The live registers are the truth while the thread runs; the area is rewritten from them at
 * every switch away. So each step that goes between the two runs with interrupts masked: a
 * preemption in the middle would otherwise save the registers over a half-written area. */

uint32_t x86_fpu_size(void)
{
	return fpu_size;
}

bool x86_fpu_uses_xsave(void)
{
	return use_xsave;
}

uint64_t x86_fpu_xcr0(void)
{
	return xcr0;
}

uint32_t x86_fpu_mxcsr_mask(void)
{
	return mxcsr_mask;
}

const void *x86_fpu_save_current(void)
{
	struct thread *t = thread_current();
	unsigned long s = arch_irq_save();

	fpu_save(t->arch.fpu);
	arch_irq_restore(s);
	return t->arch.fpu;
}

void x86_fpu_reset_current(void)
{
	struct thread *t = thread_current();
	unsigned long s = arch_irq_save();

	fpu_init_area(t->arch.fpu);
	fpu_load(t->arch.fpu);
	arch_irq_restore(s);
}

void x86_fpu_load_current(const void *image)
{
	struct thread *t = thread_current();
	unsigned long s = arch_irq_save();

	memcpy(t->arch.fpu, image, fpu_size);
	fpu_load(t->arch.fpu);
	arch_irq_restore(s);
}

/* ---- Entering and leaving user mode ---------------------------------------------------- */

struct trapframe *arch_user_tf(uintptr_t stack_top)
{
	return (struct trapframe *)(stack_top & ~(uintptr_t)15) - 1;
}

void arch_tf_init_user(struct trapframe *tf, uintptr_t pc, uintptr_t sp)
{
	*tf = (struct trapframe){
		.rip = pc,
		.rsp = sp,
		.cs = GDT_USER_CS,
		.ss = GDT_USER_SS,
		.rflags = RFLAGS_IF | RFLAGS_FIXED,
	};
}

void arch_tf_copy(struct trapframe *dst, const struct trapframe *src)
{
	*dst = *src;
}

/* Make the frame safe to return with, whatever core (signals, sigreturn) wrote into it: the
 * user selectors, only the RFLAGS bits user code may hold, interrupts on. A non-canonical rip
 * would make iretq fault in ring 0, so the process gets the SIGSEGV it would on Linux there.
 * True if SYSRET restores the frame exactly (see user_entry.S). */
static bool tf_sanitize(struct trapframe *tf)
{
	tf->cs = GDT_USER_CS;
	tf->ss = GDT_USER_SS;
	tf->rflags = (tf->rflags & RFLAGS_USER_MASK) | RFLAGS_IF | RFLAGS_FIXED;
	if (tf->rip >= USER_TOP)
		proc_fatal_signal(SIGSEGV, tf->rip);
	return tf->rcx == tf->rip && tf->r11 == tf->rflags &&
	       !(tf->rflags & (RFLAGS_TF | RFLAGS_RF));
}

/* user_entry.S's x86_user_exit, interrupts masked, rsp = tf: the last C before user mode. */
bool x86_user_exit_prepare(struct trapframe *tf)
{
	user_return(tf);
	return tf_sanitize(tf);
}

/* The MSRs already hold the thread's bases (switch-in, exec reset, set_tls); writing them
 * again makes sure that no other value (the boot CPU's, a kernel thread's) reaches user mode. */
_Noreturn void arch_enter_user(struct trapframe *tf)
{
	struct thread *t = thread_current();

	wrmsr(MSR_FS_BASE, t->arch.fs_base);
	wrmsr(MSR_KERNEL_GS_BASE, t->arch.gs_base);
	x86_set_kernel_stack((uintptr_t)(tf + 1));
	tf_sanitize(tf);
	x86_enter_user(tf);
}

/* ---- The syscall ABI by role ------------------------------------------------------------- */

unsigned long arch_tf_syscall_nr(const struct trapframe *tf)
{
	return tf->error; /* orig rax: rax itself becomes the return value */
}

unsigned long arch_tf_arg(const struct trapframe *tf, unsigned i)
{
	switch (i) {
	case 0: return tf->rdi;
	case 1: return tf->rsi;
	case 2: return tf->rdx;
	case 3: return tf->r10;
	case 4: return tf->r8;
	case 5: return tf->r9;
	default: return 0;
	}
}

unsigned long arch_tf_syscall_args(const struct trapframe *tf, unsigned long a[6])
{
	a[0] = tf->rdi;
	a[1] = tf->rsi;
	a[2] = tf->rdx;
	a[3] = tf->r10;
	a[4] = tf->r8;
	a[5] = tf->r9;
	return tf->error; /* orig rax */
}

void arch_tf_set_return(struct trapframe *tf, unsigned long value)
{
	tf->rax = value;
}

void arch_tf_set_pc(struct trapframe *tf, uintptr_t pc)
{
	tf->rip = pc;
}

void arch_tf_set_sp(struct trapframe *tf, uintptr_t sp)
{
	tf->rsp = sp;
}

/* Back over the 2-byte syscall instruction (0f 05), with the number back in rax. */
void arch_tf_restart_syscall(struct trapframe *tf)
{
	tf->rip -= 2;
	tf->rax = tf->error;
}

/* ---- What user code is told about the CPU (AT_HWCAP, AT_HWCAP2, AT_PLATFORM) ------------- */

uint64_t arch_hwcap(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	return r[3]; /* what Linux passes on x86_64: CPUID(1).EDX */
}

/* Linux's HWCAP2 bits are RING3MWAIT (bit 0) and FSGSBASE (bit 1): neither is enabled. */
uint64_t arch_hwcap2(void)
{
	return 0;
}

const char *arch_platform(void)
{
	return "x86_64";
}
