/*
 * arch/aarch64/signal.c: Linux's arm64 rt_sigframe (arch.h, "Signal frames"): laying it out
 * for a handler and reading it back at rt_sigreturn.
 *
 * The frame, from the handler's sp upwards (Linux's arch/arm64/kernel/signal.c layout, the
 * uapi struct sigcontext / ucontext, checked by the _Static_asserts below):
 *   sp+0     siginfo (128 bytes)
 *   sp+128   struct ucontext { uc_flags, uc_link, uc_stack, uc_sigmask (8 bytes and 120 of
 *            padding: Linux's room for a 1024-bit sigset), struct sigcontext { fault_address,
 *            regs[31], sp, pc, pstate, __reserved[4096] } }
 *   sp+4688  struct frame_record { fp, lr }: x29 points at it, so backtraces walk from the
 *            handler into the interrupted code
 * __reserved holds records, each { magic, size } and 16-byte aligned: fpsimd_context (magic
 * 0x46508001, 528 bytes: fpsr, fpcr, v0-v31), then the end record (magic 0, size 0). The
 * frame record sits at round_down(sp - 16, 16) of the stack top core chose (no red zone on
 * arm64), the frame right below it, 16-byte aligned as the AAPCS64 wants.
 *
 * The handler gets x0 = signal, x1 = &info, x2 = &uc, x29 = &frame_record, x30 = the
 * restorer, sp = the frame, and keeps the interrupted FP/SIMD registers and FPCR (Linux does
 * not reset them on arm64). Every byte goes through copy_to_user / copy_from_user (the stack
 * may be a copy-on-write or untouched page, or no page at all). The FP registers are live
 * while the thread runs; they are saved into, and loaded from, the thread's own block with
 * interrupts masked, so that a preemption cannot mix the two halves of a sequence.
 *
 * rt_sigreturn reads the frame at sp (the restorer runs `mov x8, #139; svc #0` with sp back
 * where the handler got it). sp must be 16-byte aligned; PSTATE must be EL0t, AArch64, with
 * DAIF clear (Linux's valid_native_regs), and only the user bits of it are kept; a pc outside
 * the user half is refused; the records must be well formed, with exactly one fpsimd_context
 * of the right size (esr_context records are skipped, anything else is invalid, as Linux
 * without SVE/SME). Any violation gives -EINVAL or -EFAULT and core kills with SIGSEGV.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/layout.h"
#include "core/sched.h"
#include "core/string.h"
#include "core/uaccess.h"

#include "aarch64.h"
#include "trapframe.h"

#define SIGINFO_SIZE 128
#define RESERVED_SIZE 4096
#define FPSIMD_MAGIC 0x46508001u
#define ESR_MAGIC 0x45535201u
#define PSTATE_MODE_MASK 0x1fUL /* M[4]: AArch32; M[3:0]: EL and SP selection */
#define PSTATE_DAIF (0xfUL << 6)

struct a64_stack {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

/* Everything of the frame before __reserved: what setup writes in one copy. */
struct a64_frame_head {
	uint8_t info[SIGINFO_SIZE];
	/* struct ucontext */
	uint64_t uc_flags;
	uint64_t uc_link;
	struct a64_stack uc_stack;
	uint64_t uc_sigmask;
	uint8_t uc_unused[120];
	/* struct sigcontext uc_mcontext, 16-byte aligned */
	uint64_t fault_address __attribute__((aligned(16)));
	uint64_t regs[31];
	uint64_t sp, pc, pstate;
	uint64_t pad; /* __reserved is 16-byte aligned */
};

struct a64_ctx {
	uint32_t magic, size;
};

struct fpsimd_context {
	struct a64_ctx head;
	uint32_t fpsr, fpcr;
	__uint128_t vregs[32];
};

struct frame_record {
	uint64_t fp, lr;
};

#define UC_OFF SIGINFO_SIZE
#define MC_OFF offsetof(struct a64_frame_head, fault_address)
#define RESERVED_OFF sizeof(struct a64_frame_head)
#define FRAME_SIZE (RESERVED_OFF + RESERVED_SIZE) /* struct rt_sigframe */

/* Offsets as in Linux's uapi (asm/sigcontext.h, asm/ucontext.h) and musl's mcontext_t. */
_Static_assert(offsetof(struct a64_frame_head, uc_stack) - UC_OFF == 16, "uc_stack");
_Static_assert(offsetof(struct a64_frame_head, uc_sigmask) - UC_OFF == 40, "uc_sigmask");
_Static_assert(MC_OFF - UC_OFF == 176, "uc_mcontext");
_Static_assert(offsetof(struct a64_frame_head, regs) - MC_OFF == 8, "sc regs");
_Static_assert(offsetof(struct a64_frame_head, sp) - MC_OFF == 256, "sc sp");
_Static_assert(offsetof(struct a64_frame_head, pc) - MC_OFF == 264, "sc pc");
_Static_assert(offsetof(struct a64_frame_head, pstate) - MC_OFF == 272, "sc pstate");
_Static_assert(RESERVED_OFF - MC_OFF == 288, "sc __reserved");
_Static_assert(FRAME_SIZE == 4688 && FRAME_SIZE % 16 == 0, "rt_sigframe");
_Static_assert(sizeof(struct fpsimd_context) == 528, "fpsimd_context");
_Static_assert(offsetof(struct fpsimd_context, vregs) == 16, "fpsimd vregs");
_Static_assert(sizeof(((struct arch_thread *)0)->fp.q) ==
		       sizeof(((struct fpsimd_context *)0)->vregs),
	       "q0-q31");

unsigned long arch_tf_get_return(const struct trapframe *tf)
{
	return tf->x[0];
}

/* The running thread's FP/SIMD registers as an fpsimd_context record. */
static void fpsimd_fill(struct fpsimd_context *c)
{
	struct thread *t = thread_current();
	unsigned long s = arch_irq_save();

	aarch64_fp_save(&t->arch.fp);
	c->head = (struct a64_ctx){FPSIMD_MAGIC, sizeof(*c)};
	c->fpsr = t->arch.fp.fpsr;
	c->fpcr = t->arch.fp.fpcr;
	memcpy(c->vregs, t->arch.fp.q, sizeof(c->vregs));
	arch_irq_restore(s);
}

static void fpsimd_load(const struct fpsimd_context *c)
{
	struct thread *t = thread_current();
	unsigned long s = arch_irq_save();

	memcpy(t->arch.fp.q, c->vregs, sizeof(c->vregs));
	t->arch.fp.fpsr = c->fpsr;
	t->arch.fp.fpcr = c->fpcr;
	aarch64_fp_load(&t->arch.fp);
	arch_irq_restore(s);
}

static void head_fill(struct a64_frame_head *h, const struct trapframe *tf,
		      const struct sigframe_info *si)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->info, si->siginfo, SIGINFO_SIZE);
	h->uc_stack = (struct a64_stack){.ss_sp = si->ss_sp, .ss_flags = si->ss_flags,
					 .ss_size = si->ss_size};
	h->uc_sigmask = si->mask;
	h->fault_address = si->fault_addr;
	memcpy(h->regs, tf->x, sizeof(h->regs));
	h->sp = tf->sp;
	h->pc = tf->elr;
	h->pstate = tf->spsr & SPSR_USER_BITS;
}

int arch_signal_frame_setup(struct trapframe *tf, const struct sigframe_info *si)
{
	uintptr_t rec = (si->sp - sizeof(struct frame_record)) & ~(uintptr_t)15;
	uintptr_t frame = rec - FRAME_SIZE;
	if (frame > si->sp)
		return -EFAULT;

	struct a64_frame_head h;
	struct fpsimd_context fp;
	struct a64_ctx end = {0, 0};
	struct frame_record fr = {tf->x[29], tf->x[30]};
	head_fill(&h, tf, si);
	fpsimd_fill(&fp);
	if (copy_to_user(frame, &h, sizeof(h)) ||
	    copy_to_user(frame + RESERVED_OFF, &fp, sizeof(fp)) ||
	    copy_to_user(frame + RESERVED_OFF + sizeof(fp), &end, sizeof(end)) ||
	    copy_to_user(rec, &fr, sizeof(fr)))
		return -EFAULT;

	tf->x[0] = (uint64_t)si->sig;
	tf->x[1] = frame;
	tf->x[2] = frame + UC_OFF;
	tf->x[29] = rec;
	tf->x[30] = si->restorer;
	tf->sp = frame;
	tf->elr = si->handler;
	tf->spsr &= SPSR_USER_BITS;
	return 0;
}

/* Walk the __reserved records of the frame at frame: exactly one fpsimd_context of the right
 * size, optional esr_context records, the end record; into *fp. */
static int records_read(uintptr_t frame, struct fpsimd_context *fp)
{
	uintptr_t base = frame + RESERVED_OFF;
	bool have_fp = false;

	for (size_t off = 0; RESERVED_SIZE - off >= sizeof(struct a64_ctx);) {
		struct a64_ctx c;
		if (copy_from_user(&c, base + off, sizeof(c)))
			return -EFAULT;
		if (c.magic == 0)
			return c.size == 0 && have_fp ? 0 : -EINVAL;
		if (c.size < sizeof(c) || c.size % 16 || c.size > RESERVED_SIZE - off)
			return -EINVAL;
		if (c.magic == FPSIMD_MAGIC) {
			if (have_fp || c.size != sizeof(*fp))
				return -EINVAL;
			if (copy_from_user(fp, base + off, sizeof(*fp)))
				return -EFAULT;
			have_fp = true;
		} else if (c.magic != ESR_MAGIC) {
			return -EINVAL;
		}
		off += c.size;
	}
	return -EINVAL; /* no end record */
}

int arch_signal_frame_restore(struct trapframe *tf, uint64_t *mask, uintptr_t *ss_sp,
			      uint64_t *ss_size, int *ss_flags)
{
	uintptr_t frame = tf->sp;
	struct a64_frame_head h;
	struct fpsimd_context fp;

	if (frame & 15)
		return -EFAULT;
	if (copy_from_user(&h, frame, sizeof(h)))
		return -EFAULT;
	if ((h.pstate & (PSTATE_MODE_MASK | PSTATE_DAIF)) || h.pc >= USER_TOP)
		return -EINVAL;
	int err = records_read(frame, &fp);
	if (err)
		return err;

	fpsimd_load(&fp);
	memcpy(tf->x, h.regs, sizeof(h.regs));
	tf->sp = h.sp;
	tf->elr = h.pc;
	tf->spsr = h.pstate & SPSR_USER_BITS;
	*mask = h.uc_sigmask;
	*ss_sp = h.uc_stack.ss_sp;
	*ss_size = h.uc_stack.ss_size;
	*ss_flags = h.uc_stack.ss_flags;
	return 0;
}

/* Linux arm64's vDSO __kernel_rt_sigreturn: `mov x8, #139 (rt_sigreturn); svc #0`, used as
 * x30 for handlers installed without SA_RESTORER (glibc's). */
size_t arch_sigtramp_code(void *buf)
{
	static const uint32_t code[] = {0xd2801168u, 0xd4000001u};
	memcpy(buf, code, sizeof(code));
	return sizeof(code);
}
