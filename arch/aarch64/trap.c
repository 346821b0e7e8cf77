/*
 * arch/aarch64/trap.c: exceptions, from trap_entry.S to a readable panic.
 *
 * IRQs (from any of the four vector groups) go to the GIC driver (irq.c). Every other
 * exception is fatal except one (a semihosting call QEMU did not enable, see power.c). The
 * message says which vector fired, what the syndrome register (ESR_EL1) means (exception
 * class; for aborts the fault status, access direction and FAR), so a panic line alone
 * usually tells what happened. Later issues add the handled cases (syscalls, user
 * faults) in aarch64_trap before the panic.
 */
#include "arch/arch.h"
#include "core/kprintf.h"
#include "core/panic.h"
#include "core/string.h"

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
	case 0x1c: return "pointer authentication failure";
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

void aarch64_trap(struct trapframe *tf, unsigned vec)
{
	char text[192];
	struct msgbuf m = {text, sizeof text, 0};

	if ((vec & 3) == VEC_IRQ) {
		aarch64_irq(tf);
		return;
	}
	if ((vec & 3) == VEC_SYNC && aarch64_semihost_fixup(tf))
		return;
	text[0] = '\0';
	msg_add(&m, "%s: ", vector_names[vec & 15]);
	if ((vec & 3) == VEC_SYNC || (vec & 3) == VEC_SERROR)
		describe_sync(&m, tf);
	else
		msg_add(&m, "unexpected interrupt");
	msg_add(&m, " (esr 0x%08lx)", (unsigned long)tf->esr);
	panic_tf(tf, "%s", text);
}

void arch_traps_init(void)
{
	write_sysreg(vbar_el1, (uintptr_t)aarch64_vectors);
	isb();
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
