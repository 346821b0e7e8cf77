/*
 * arch/aarch64/trap.c: exceptions, from trap_entry.S to core's trap_handle().
 *
 * IRQs (from any of the four vector groups) go to the GIC driver (irq.c). A semihosting call
 * QEMU did not enable is skipped (power.c). Every other exception is described by role in a
 * struct trap_info (core/trap.h) and handed to trap_handle(), which resolves it or panics;
 * if it returns, the (possibly edited) frame is resumed. The role comes from the syndrome
 * register (ESR_EL1):
 *   kind        from the exception class (EC); aborts with a translation, access flag,
 *               permission or address size fault status are TRAP_PAGE_FAULT, an alignment
 *               fault status TRAP_ALIGNMENT
 *   fault_addr  FAR_EL1 for aborts (0 if the syndrome says FAR is not valid) and PC alignment
 *   write       ISS.WnR of a data abort; exec: an instruction abort
 *   present     the fault status is a permission fault (a mapping exists)
 *   desc        the readable text: which vector, what the EC means, for aborts the fault
 *               status, the access and the address, and the raw ESR
 * The emergency-stack path (trap_entry.S) arrives at aarch64_stack_overflow instead and is
 * reported as TRAP_DOUBLE_FAULT with the same description.
 *
 * From EL0 (user_trap): an SVC is a syscall (core's syscall_handle), an IRQ goes the same way
 * as from EL1, every other exception is described as above and handed to trap_handle, which
 * turns it into a resolved fault or a signal. Every return to EL0 ends in aarch64_user_return
 * (core's user_return, then SPSR forced back to a plain EL0t state).
 */
#include "arch/arch.h"
#include "core/cpu.h"
#include "core/kprintf.h"
#include "core/panic.h"
#include "core/proc.h"
#include "core/string.h"
#include "core/syscall.h"
#include "core/trap.h"

#include "aarch64.h"
#include "trapframe.h"

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define ESR_ISS(esr) ((esr) & 0x1ffffff)

/* Exception classes that have their own decoding below. */
#define EC_UNKNOWN 0x00
#define EC_SVC64 0x15
#define EC_IABT_LOW 0x20
#define EC_IABT_CUR 0x21
#define EC_PC_ALIGN 0x22
#define EC_DABT_LOW 0x24
#define EC_DABT_CUR 0x25
#define EC_BRK64 0x3c

/* Data abort ISS bits. */
#define ISS_WNR (1u << 6)  /* write, not read */
#define ISS_CM (1u << 8)   /* cache maintenance */
#define ISS_FNV (1u << 10) /* FAR not valid */
#define FSC_PERMISSION(fsc) (((fsc) & 0x3c) == 0x0c)
#define FSC_ALIGNMENT 0x21

/* trap_entry.S reads the CPU's id at offset 0 of the struct cpu TPIDR_EL1 points at. */
_Static_assert(offsetof(struct cpu, id) == 0, "struct cpu.id must come first");

char aarch64_emergency_stacks[MAX_CPUS][EMERGENCY_STACK_SIZE] __attribute__((aligned(16)));

static const char *const vector_names[16] = {
	"sync from EL1t", "IRQ from EL1t", "FIQ from EL1t", "SError from EL1t",
	"sync from EL1h", "IRQ from EL1h", "FIQ from EL1h", "SError from EL1h",
	"sync from EL0 (AArch64)", "IRQ from EL0 (AArch64)", "FIQ from EL0 (AArch64)",
	"SError from EL0 (AArch64)", "sync from EL0 (AArch32)", "IRQ from EL0 (AArch32)",
	"FIQ from EL0 (AArch32)", "SError from EL0 (AArch32)",
};

static const char *ec_name(unsigned ec)
{
	switch (ec) {
	case EC_UNKNOWN: return "undefined instruction";
	case 0x01: return "trapped WFI/WFE";
	case 0x07: return "FP/SIMD access trapped";
	case 0x0d: return "branch target exception";
	case 0x0e: return "illegal execution state";
	case EC_SVC64: return "SVC";
	case 0x16: return "HVC";
	case 0x17: return "SMC";
	case 0x18: return "trapped MSR/MRS/system instruction";
	case 0x19: return "SVE access trapped";
	case 0x1c: return "pointer authentication failure";
	case 0x1d: return "SME access trapped";
	case EC_IABT_LOW: return "instruction abort from EL0";
	case EC_IABT_CUR: return "instruction abort";
	case EC_PC_ALIGN: return "PC alignment fault";
	case EC_DABT_LOW: return "data abort from EL0";
	case EC_DABT_CUR: return "data abort";
	case 0x26: return "SP alignment fault";
	case 0x2c: return "FP exception";
	case 0x2f: return "SError";
	case 0x30: case 0x31: return "breakpoint";
	case 0x32: case 0x33: return "software step";
	case 0x34: case 0x35: return "watchpoint";
	case EC_BRK64: return "BRK instruction";
	default: return "unknown exception class";
	}
}

/* Append to a message buffer; never overruns, silently truncates. */
struct msgbuf {
	char *buf;
	size_t size, len;
};

static void PRINTF_LIKE(2, 3) msg_add(struct msgbuf *m, const char *fmt, ...)
{
	va_list ap;

	if (m->len >= m->size)
		return;
	va_start(ap, fmt);
	int n = kvsnprintf(m->buf + m->len, m->size - m->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		m->len += (size_t)n;
}

/* Data/instruction fault status code (ISS[5:0]). */
static void describe_fsc(struct msgbuf *m, unsigned fsc)
{
	static const char *const leveled[] = {"address size fault", "translation fault",
					      "access flag fault", "permission fault", NULL,
					      "external abort on table walk"};
	unsigned kind = fsc >> 2;

	if (kind < 6 && leveled[kind])
		msg_add(m, "%s, level %u", leveled[kind], fsc & 3);
	else if (fsc == 0x10)
		msg_add(m, "synchronous external abort");
	else if (fsc == 0x21)
		msg_add(m, "alignment fault");
	else if (fsc == 0x30)
		msg_add(m, "TLB conflict abort");
	else if (fsc == 0x31)
		msg_add(m, "unsupported atomic update");
	else
		msg_add(m, "fault status 0x%02x", fsc);
}

static void describe_abort(struct msgbuf *m, const struct trapframe *tf, bool data)
{
	uint32_t iss = ESR_ISS(tf->esr);

	msg_add(m, ": ");
	describe_fsc(m, iss & 0x3f);
	if (!data)
		msg_add(m, ", execute");
	else
		msg_add(m, iss & ISS_CM ? ", cache maintenance" : iss & ISS_WNR ? ", write" : ", read");
	if (iss & ISS_FNV)
		msg_add(m, ", address unknown");
	else
		msg_add(m, " at 0x%016lx", (unsigned long)tf->far);
}

static void describe_sync(struct msgbuf *m, const struct trapframe *tf)
{
	unsigned ec = ESR_EC(tf->esr);

	msg_add(m, "%s", ec_name(ec));
	switch (ec) {
	case EC_IABT_LOW: case EC_IABT_CUR:
		describe_abort(m, tf, false);
		break;
	case EC_DABT_LOW: case EC_DABT_CUR:
		describe_abort(m, tf, true);
		break;
	case EC_PC_ALIGN:
		msg_add(m, " at 0x%016lx", (unsigned long)tf->far);
		break;
	case EC_SVC64: case EC_BRK64:
		msg_add(m, " #0x%x", (unsigned)(tf->esr & 0xffff));
		break;
	default:
		break;
	}
}

/* Translation, access flag, permission and address size faults: the page-table kind. */
static bool fsc_is_mmu_fault(unsigned fsc)
{
	return fsc < 0x10;
}

static void abort_info(struct trap_info *info, const struct trapframe *tf, bool data)
{
	uint32_t iss = ESR_ISS(tf->esr);
	unsigned fsc = iss & 0x3f;

	if (fsc == FSC_ALIGNMENT)
		info->kind = TRAP_ALIGNMENT;
	else if (fsc_is_mmu_fault(fsc))
		info->kind = TRAP_PAGE_FAULT;
	else
		info->kind = TRAP_OTHER;
	info->fault_addr = iss & ISS_FNV ? 0 : tf->far;
	info->write = data && (iss & ISS_WNR);
	info->exec = !data;
	info->present = FSC_PERMISSION(fsc);
}

/* The role of a synchronous exception (or SError, which has an ESR too). */
static void sync_info(struct trap_info *info, const struct trapframe *tf)
{
	unsigned ec = ESR_EC(tf->esr);

	switch (ec) {
	case EC_IABT_LOW: case EC_IABT_CUR:
		abort_info(info, tf, false);
		break;
	case EC_DABT_LOW: case EC_DABT_CUR:
		abort_info(info, tf, true);
		break;
	case EC_PC_ALIGN:
		info->kind = TRAP_ALIGNMENT;
		info->fault_addr = tf->far;
		info->exec = true;
		break;
	case EC_UNKNOWN: case 0x07: case 0x18: case 0x19: case 0x1d:
		/* undefined; FP/SIMD, system register, SVE or SME access trapped (EL0 gets none) */
		info->kind = TRAP_UNDEFINED;
		break;
	case 0x2c: /* trapped floating-point exception: the arithmetic kind, like x86's #DE */
		info->kind = TRAP_DIVIDE;
		break;
	case 0x0d: case 0x0e: case 0x1c: case 0x26: /* BTI, illegal state, PAC, SP alignment */
		info->kind = TRAP_PROTECTION;
		break;
	case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35: case EC_BRK64:
		info->kind = TRAP_BREAKPOINT;
		break;
	default:
		info->kind = TRAP_OTHER;
		break;
	}
}

/* The description ("sync from EL1h: data abort: ...") and, for sync and SError, the role. */
static void describe(struct trap_info *info, struct msgbuf *m, const struct trapframe *tf,
		     unsigned vec)
{
	*info = (struct trap_info){.kind = TRAP_OTHER, .desc = m->buf};
	m->buf[0] = '\0';
	msg_add(m, "%s: ", vector_names[vec & 15]);
	if ((vec & 3) == VEC_SYNC || (vec & 3) == VEC_SERROR) {
		describe_sync(m, tf);
		sync_info(info, tf);
		msg_add(m, " (esr 0x%08lx)", (unsigned long)tf->esr);
	} else {
		/* An IRQ arrives here only on the emergency-stack path; a FIQ never should. */
		msg_add(m, "%s", (vec & 3) == VEC_IRQ ? "interrupt" : "unexpected interrupt");
	}
}

/* An exception from EL0 (trap_entry.S has saved the frame at arch_user_tf). SVC64 goes to the
 * syscall dispatcher with x0 kept for restarts; an IRQ to the GIC driver (which then lets the
 * scheduler preempt); anything else, AArch32 included, to trap_handle, which resolves the
 * fault or ends the process. user_return is the last step, with interrupts masked. */
static void user_trap(struct trapframe *tf, unsigned vec)
{
	char text[192];
	struct msgbuf m = {text, sizeof text, 0};
	struct trap_info info;

	if ((vec & 3) == VEC_IRQ) {
		aarch64_irq(tf);
	} else if (vec == VEC_EL0_64 + VEC_SYNC && ESR_EC(tf->esr) == EC_SVC64) {
		tf->orig_x0 = tf->x[0];
		syscall_handle(tf);
	} else {
		describe(&info, &m, tf, vec);
		trap_handle(tf, &info);
	}
	arch_irq_disable();
	aarch64_user_return(tf);
}

/* The last step before any return to EL0 (here and arch_enter_user). core's user_return may
 * switch threads or end this one; the frame it leaves is made safe to eret to: whatever a
 * signal frame or ptrace-like path put in SPSR, the CPU goes to EL0t with interrupts on. */
void aarch64_user_return(struct trapframe *tf)
{
	user_return(tf);
	tf->spsr &= SPSR_USER_BITS;
}

void aarch64_trap(struct trapframe *tf, unsigned vec)
{
	char text[192];
	struct msgbuf m = {text, sizeof text, 0};
	struct trap_info info;

	if (vec >= VEC_EL0_64) {
		user_trap(tf, vec);
		return;
	}
	if ((vec & 3) == VEC_IRQ) {
		aarch64_irq(tf);
		return;
	}
	if ((vec & 3) == VEC_SYNC && aarch64_semihost_fixup(tf))
		return;
	describe(&info, &m, tf, vec);
	trap_handle(tf, &info);
}

/* On the emergency stack (trap_entry.S). fault_addr: FAR for an abort, which is what ran into
 * the guard; otherwise (an interrupt, a BRK...) where the frame would have gone. The frame's
 * sp is the SP that overflowed. Resuming is impossible: SP_EL1 is the emergency stack now. */
_Noreturn void aarch64_stack_overflow(struct trapframe *tf, unsigned vec)
{
	char text[192];
	struct msgbuf m = {text, sizeof text, 0};
	struct trap_info info;
	unsigned ec = ESR_EC(tf->esr);
	bool abort = (vec & 3) == VEC_SYNC && (ec == EC_DABT_CUR || ec == EC_IABT_CUR);

	describe(&info, &m, tf, vec);
	msg_add(&m, "; kernel stack overflow, SP 0x%016lx", (unsigned long)tf->sp);
	info.kind = TRAP_DOUBLE_FAULT;
	info.fault_addr = abort && !(tf->esr & ISS_FNV) ? tf->far : tf->sp - TF_SIZE;
	trap_handle(tf, &info);
	panic_tf(tf, "%s (trap_handle returned; cannot resume on the emergency stack)", text);
}

/* Every CPU, early: the vectors, and the per-CPU controls user mode needs (user.c). */
void arch_traps_init(void)
{
	write_sysreg(vbar_el1, (uintptr_t)aarch64_vectors);
	isb();
	aarch64_user_cpu_init();
}

uintptr_t arch_tf_pc(const struct trapframe *tf)
{
	return tf->elr;
}

uintptr_t arch_tf_sp(const struct trapframe *tf)
{
	return tf->sp;
}

uintptr_t arch_tf_fp(const struct trapframe *tf)
{
	return tf->x[29];
}

/* SPSR.M[4:0] = 0b00000: AArch64 EL0 with SP_EL0 (EL0t). */
bool arch_tf_from_user(const struct trapframe *tf)
{
	return (tf->spsr & 0x1f) == 0;
}

/* x0-x30, sp, then the exception registers, four to a line; one kprintf per line so another
 * CPU's output cannot split one. */
void arch_tf_dump(const struct trapframe *tf)
{
	static const char *const sys_names[] = {"sp", "elr", "spsr", "esr", "far"};
	const uint64_t sys[] = {tf->sp, tf->elr, tf->spsr, tf->esr, tf->far};
	char line[128], name[8];
	size_t len = 0;

	for (unsigned i = 0; i < 31 + 5; i++) {
		if (i < 31)
			ksnprintf(name, sizeof name, "x%u", i);
		else
			strlcpy(name, sys_names[i - 31], sizeof name);
		len += (size_t)ksnprintf(line + len, sizeof line - len, "  %-4s 0x%016lx", name,
					 (unsigned long)(i < 31 ? tf->x[i] : sys[i - 31]));
		if (i % 4 == 3) {
			kprintf("%s\n", line);
			len = 0;
		}
	}
}
