/*
 * arch/aarch64/user.c: the aarch64 half of user mode (arch.h, "User mode"): per-thread
 * register state, the user trapframe by role, the first entry into EL0, the per-CPU controls
 * EL0 needs, and the AT_HWCAP words.
 *
 * The user frame. A thread running user code has its struct trapframe at the top of its
 * kernel stack (arch_user_tf). SP_EL1 equals that stack top whenever the thread runs at EL0:
 * aarch64_enter_user and every return from an exception pop the frame back to exactly there,
 * and arch_context_switch saves and restores SP_EL1 per thread, so the next exception from
 * EL0 saves its frame at the same place (trap_entry.S).
 *
 * State outside the frame: TPIDR_EL0 (the TLS pointer; musl also writes it with msr from EL0)
 * and the FP/SIMD registers q0-q31, FPSR, FPCR. Both stay live in the CPU while a user thread
 * is in the kernel (the kernel is built with -mgeneral-regs-only and never touches them) and
 * are switched eagerly in arch_thread_switch: saved into prev->arch if prev is a user thread,
 * loaded from next->arch if next is one. A kernel thread in between leaves the registers
 * alone, and the next user thread's load overwrites every one of them, so nothing of one
 * process is visible to another. TPIDRRO_EL0 is kept zero for user code (trap_entry.S borrows
 * it on the fatal stack-overflow path only).
 *
 * Per CPU (aarch64_user_cpu_init, from arch_traps_init on every CPU): CPACR_EL1.FPEN lets EL0
 * and EL1 use FP/SIMD without traps; SCTLR_EL1 gets the EL0 controls Linux sets (cache
 * maintenance, CTR_EL0 reads and DC ZVA allowed, WFE/WFI not trapped, EL0 SP alignment
 * checked); CNTKCTL_EL1 lets EL0 read the virtual counter and its frequency, as under Linux.
 */
#include "arch/arch.h"
#include "core/sched.h"
#include "core/string.h"

#include "aarch64.h"
#include "trapframe.h"

/* The offsets user_entry.S uses for the FP block. */
_Static_assert(offsetof(struct arch_thread, fp.q) % 16 == 0, "q0-q31 16-byte aligned");
_Static_assert(offsetof(struct arch_thread, fp.fpsr) - offsetof(struct arch_thread, fp) == 512,
	       "FP_FPSR");
_Static_assert(offsetof(struct arch_thread, fp.fpcr) - offsetof(struct arch_thread, fp) == 516,
	       "FP_FPCR");

#define CPACR_FPEN_ALL (UL(3) << 20)
#define SCTLR_SA0 (UL(1) << 4)
#define SCTLR_DZE (UL(1) << 14)
#define SCTLR_UCT (UL(1) << 15)
#define SCTLR_NTWI (UL(1) << 16)
#define SCTLR_NTWE (UL(1) << 18)
#define SCTLR_UCI (UL(1) << 26)
#define SCTLR_EL0_CONTROLS (SCTLR_SA0 | SCTLR_DZE | SCTLR_UCT | SCTLR_NTWI | SCTLR_NTWE | SCTLR_UCI)
#define CNTKCTL_EL0VCTEN (UL(1) << 1)

const unsigned arch_elf_machine = 183; /* EM_AARCH64 */

void aarch64_user_cpu_init(void)
{
	write_sysreg(cpacr_el1, read_sysreg(cpacr_el1) | CPACR_FPEN_ALL);
	write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | SCTLR_EL0_CONTROLS);
	write_sysreg(cntkctl_el1, read_sysreg(cntkctl_el1) | CNTKCTL_EL0VCTEN);
	write_sysreg(tpidrro_el0, 0);
	isb();
}

/* ---- Per-thread state --------------------------------------------------------------------- */

int arch_thread_user_init(struct thread *t)
{
	memset(&t->arch, 0, sizeof t->arch); /* FPCR 0: round to nearest, no traps, IEEE */
	return 0;
}

void arch_thread_fork(struct thread *child)
{
	aarch64_fp_save(&child->arch.fp);
	child->arch.tpidr_el0 = read_sysreg(tpidr_el0);
}

/* Live registers only: the saved copy in current->arch is rewritten from them at the next
 * switch. A preemption halfway through saves and restores a half-zeroed set, which the rest
 * of the loop finishes. */
void arch_thread_exec_reset(void)
{
	aarch64_fp_zero();
	write_sysreg(tpidr_el0, 0);
}

void arch_thread_release(struct thread *t)
{
	(void)t; /* nothing allocated: the state is embedded in struct thread */
}

void arch_thread_set_tls(struct thread *t, uintptr_t tls)
{
	unsigned long s = arch_irq_save(); /* the register and the copy agree across a switch */

	t->arch.tpidr_el0 = tls;
	if (t == thread_current())
		write_sysreg(tpidr_el0, tls);
	arch_irq_restore(s);
}

uintptr_t arch_thread_get_tls(const struct thread *t)
{
	unsigned long s = arch_irq_save();
	uintptr_t tls = t == thread_current() ? read_sysreg(tpidr_el0) : t->arch.tpidr_el0;

	arch_irq_restore(s);
	return tls;
}

void arch_thread_switch(struct thread *prev, struct thread *next)
{
	if (prev == next)
		return;
	if (prev->proc) {
		aarch64_fp_save(&prev->arch.fp);
		prev->arch.tpidr_el0 = read_sysreg(tpidr_el0);
	}
	if (next->proc) {
		aarch64_fp_load(&next->arch.fp);
		write_sysreg(tpidr_el0, next->arch.tpidr_el0);
		write_sysreg(tpidrro_el0, 0);
	}
}

/* ---- The user frame ----------------------------------------------------------------------- */

struct trapframe *arch_user_tf(uintptr_t stack_top)
{
	return (struct trapframe *)((stack_top & ~(uintptr_t)15) - sizeof(struct trapframe));
}

/* SPSR 0: EL0t, AArch64, DAIF clear (interrupts enabled), flags clear. */
void arch_tf_init_user(struct trapframe *tf, uintptr_t pc, uintptr_t sp)
{
	memset(tf, 0, sizeof *tf);
	tf->elr = pc;
	tf->sp = sp;
}

void arch_tf_copy(struct trapframe *dst, const struct trapframe *src)
{
	*dst = *src;
}

_Noreturn void arch_enter_user(struct trapframe *tf)
{
	/* user_return has run (arch.h); what is left of aarch64_user_return is the SPSR check,
	 * which must not call user_return again. */
	tf->spsr &= SPSR_USER_BITS;
	aarch64_enter_user(tf);
}

unsigned long arch_tf_syscall_nr(const struct trapframe *tf)
{
	return tf->x[8];
}

unsigned long arch_tf_arg(const struct trapframe *tf, unsigned i)
{
	if (i == 0)
		return tf->orig_x0;
	return i < 6 ? tf->x[i] : 0;
}

unsigned long arch_tf_syscall_args(const struct trapframe *tf, unsigned long a[6])
{
	a[0] = tf->orig_x0;
	for (unsigned i = 1; i < 6; i++)
		a[i] = tf->x[i];
	return tf->x[8];
}

void arch_tf_set_return(struct trapframe *tf, unsigned long value)
{
	tf->x[0] = value;
}

void arch_tf_set_pc(struct trapframe *tf, uintptr_t pc)
{
	tf->elr = pc;
}

void arch_tf_set_sp(struct trapframe *tf, uintptr_t sp)
{
	tf->sp = sp;
}

/* SVC is 4 bytes; ELR points past it. */
void arch_tf_restart_syscall(struct trapframe *tf)
{
	tf->elr -= 4;
	tf->x[0] = tf->orig_x0;
}

/* ---- AT_HWCAP, AT_HWCAP2, AT_PLATFORM ----------------------------------------------------
 * Linux's bits (arch/arm64/include/uapi/asm/hwcap.h) for what the ID registers report and this
 * kernel lets user code use. Left out on purpose: EVTSTRM (the event stream is off), CPUID
 * (EL0 reads of ID registers are not emulated), SVE/SME (their state is not switched), PACA/
 * PACG (no pointer-authentication keys), BTI and MTE (no PROT_BTI / PROT_MTE mappings).
 */

#define ID_FIELD(reg, shift) (((reg) >> (shift)) & 0xf)

static uint64_t hwcap_pfr0(uint64_t pfr0)
{
	uint64_t h = 0;
	unsigned fp = ID_FIELD(pfr0, 16), simd = ID_FIELD(pfr0, 20);

	if (fp != 0xf)
		h |= 1UL << 0 | (fp >= 1 ? 1UL << 9 : 0); /* FP, FPHP */
	if (simd != 0xf)
		h |= 1UL << 1 | (simd >= 1 ? 1UL << 10 : 0); /* ASIMD, ASIMDHP */
	if (ID_FIELD(pfr0, 48) >= 1)
		h |= 1UL << 24; /* DIT */
	return h;
}

static uint64_t hwcap_isar0(uint64_t isar0)
{
	static const struct {
		uint8_t shift, min, bit;
	} map[] = {
		{4, 1, 3},   /* AES */
		{4, 2, 4},   /* PMULL */
		{8, 1, 5},   /* SHA1 */
		{12, 1, 6},  /* SHA2 */
		{12, 2, 21}, /* SHA512 */
		{16, 1, 7},  /* CRC32 */
		{20, 2, 8},  /* ATOMICS (LSE) */
		{28, 1, 12}, /* ASIMDRDM */
		{32, 1, 17}, /* SHA3 */
		{36, 1, 18}, /* SM3 */
		{40, 1, 19}, /* SM4 */
		{44, 1, 20}, /* ASIMDDP */
		{48, 1, 23}, /* ASIMDFHM */
		{52, 1, 27}, /* FLAGM */
	};
	uint64_t h = 0;

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (ID_FIELD(isar0, map[i].shift) >= map[i].min)
			h |= 1UL << map[i].bit;
	return h;
}

static uint64_t hwcap_isar1(uint64_t isar1)
{
	uint64_t h = 0;

	if (ID_FIELD(isar1, 0) >= 1)
		h |= 1UL << 16; /* DCPOP */
	if (ID_FIELD(isar1, 12) >= 1)
		h |= 1UL << 13; /* JSCVT */
	if (ID_FIELD(isar1, 16) >= 1)
		h |= 1UL << 14; /* FCMA */
	if (ID_FIELD(isar1, 20) >= 1)
		h |= 1UL << 15; /* LRCPC */
	if (ID_FIELD(isar1, 20) >= 2)
		h |= 1UL << 26; /* ILRCPC */
	if (ID_FIELD(isar1, 36) >= 1)
		h |= 1UL << 29; /* SB */
	return h;
}

uint64_t arch_hwcap(void)
{
	uint64_t h = hwcap_pfr0(read_sysreg(id_aa64pfr0_el1)) |
		     hwcap_isar0(read_sysreg(id_aa64isar0_el1)) |
		     hwcap_isar1(read_sysreg(id_aa64isar1_el1));

	if (ID_FIELD(read_sysreg(id_aa64pfr1_el1), 4) >= 2)
		h |= 1UL << 28; /* SSBS (with the MSR/MRS form) */
	if (ID_FIELD(read_sysreg(id_aa64mmfr2_el1), 32) >= 1)
		h |= 1UL << 25; /* USCAT */
	return h;
}

uint64_t arch_hwcap2(void)
{
	uint64_t isar0 = read_sysreg(id_aa64isar0_el1), isar1 = read_sysreg(id_aa64isar1_el1);
	uint64_t h = 0;

	if (ID_FIELD(isar1, 0) >= 2)
		h |= 1UL << 0; /* DCPODP */
	if (ID_FIELD(isar0, 52) >= 2)
		h |= 1UL << 7; /* FLAGM2 */
	if (ID_FIELD(isar1, 32) >= 1)
		h |= 1UL << 8; /* FRINT */
	if (ID_FIELD(isar1, 52) >= 1)
		h |= 1UL << 13; /* I8MM */
	if (ID_FIELD(isar1, 44) >= 1)
		h |= 1UL << 14; /* BF16 */
	if (ID_FIELD(isar1, 48) >= 1)
		h |= 1UL << 15; /* DGH */
	if (ID_FIELD(isar0, 60) >= 1)
		h |= 1UL << 16; /* RNG */
	return h;
}

const char *arch_platform(void)
{
	return "aarch64";
}
