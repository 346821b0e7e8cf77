/*
 * arch/x86_64/signal.c: Linux's x86_64 rt_sigframe (arch.h, "Signal frames"): laying it out
 * for a handler and reading it back at rt_sigreturn.
 *
 * The frame, from the handler's sp upwards (Linux's arch/x86/kernel/signal_64.c layout, the
 * uapi struct sigcontext / ucontext, checked by the _Static_asserts below):
 *   sp+0    pretcode, the restorer: the handler's return address
 *   sp+8    struct ucontext { uc_flags, uc_link, uc_stack, sigcontext (304 bytes in all) }
 *   sp+312  siginfo (128 bytes)
 *   ...     padding, then the FP image, 64-byte aligned, at the top: the XSAVE standard
 *           format with Linux's fpx_sw_bytes in the legacy area's software bytes and
 *           FP_XSTATE_MAGIC2 right after it (uc_flags UC_FP_XSTATE), or a plain FXSAVE image.
 * Placement as Linux's get_sigframe: the 128-byte red zone is skipped unless core switched to
 * the alternate stack, the FP image goes below, the frame below that with (sp + 8) % 16 == 0
 * as right after a call; a frame that would overflow the alternate stack it started on is
 * refused (-EFAULT: core kills with SIGSEGV, as Linux's bogus-address path does).
 *
 * Every byte goes through copy_to_user / copy_from_user: the stack may be a copy-on-write or
 * untouched page, or no page at all. The FP registers are live in the CPU while the thread
 * runs; user.c saves, resets and loads them with interrupts masked (signal.h). The handler
 * starts with Linux's initial FP state, as Linux's fpu__clear_user_states.
 *
 * rt_sigreturn reads the frame back at sp - 8 (the handler's ret popped pretcode). The user
 * decides every value in it, so: RFLAGS takes only Linux's FIX_EFLAGS bits from it, CS/SS are
 * forced to the user selectors, a rip outside the user half is refused (-EINVAL), and the FP
 * image is copied into a kernel buffer and made acceptable to XRSTOR/FXRSTOR before it is
 * loaded (MXCSR reserved bits cleared, XSTATE_BV within XCR0 and the frame's xfeatures, the
 * header's reserved bytes zero; a missing or inconsistent fpx_sw_bytes means FXSAVE-only, as
 * Linux's check_xstate_in_sigframe). Nothing in a frame can make the kernel fault.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/layout.h"
#include "core/string.h"
#include "core/uaccess.h"
#include "fpu.h"
#include "trapframe.h"
#include "x86.h"

#define RED_ZONE 128
#define SIGINFO_SIZE 128
#define FXSAVE_SIZE 512
#define XSAVE_HDR_END 576 /* legacy area + XSAVE header: the smallest XSAVE image */
#define FX_MXCSR 24
#define FX_SW_BYTES 464
#define XSAVE_HDR 512
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define XFEATURE_FPSSE 3u
#define UC_FP_XSTATE 1u
#define UC_SIGCONTEXT_SS 2u
#define UC_STRICT_RESTORE_SS 4u
#define SS_DISABLE 2
/* Linux's FIX_EFLAGS: the RFLAGS bits rt_sigreturn takes from the frame. */
#define FIX_EFLAGS 0x50dd5u /* AC RF OF DF TF SF ZF AF PF CF */
#define VEC_EXCEPTIONS 32

struct x86_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* user address of the FP image, 0 for none */
	uint64_t reserved1[8];
};

struct x86_stack {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

struct x86_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct x86_stack uc_stack;
	struct x86_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

struct x86_rt_sigframe {
	uint64_t pretcode;
	struct x86_ucontext uc;
	uint8_t info[SIGINFO_SIZE];
};

/* Linux's struct _fpx_sw_bytes, in the FXSAVE area's bytes 464-511. */
struct fpx_sw_bytes {
	uint32_t magic1;
	uint32_t extended_size; /* xstate_size + 4 (MAGIC2) */
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint32_t padding[7];
};

/* Offsets as in Linux's uapi (asm/sigcontext.h, asm/ucontext.h) and musl's mcontext_t. */
_Static_assert(offsetof(struct x86_sigcontext, r8) == 0, "sc r8");
_Static_assert(offsetof(struct x86_sigcontext, rdi) == 64, "sc rdi");
_Static_assert(offsetof(struct x86_sigcontext, rax) == 104, "sc rax");
_Static_assert(offsetof(struct x86_sigcontext, rsp) == 120, "sc rsp");
_Static_assert(offsetof(struct x86_sigcontext, rip) == 128, "sc rip");
_Static_assert(offsetof(struct x86_sigcontext, eflags) == 136, "sc eflags");
_Static_assert(offsetof(struct x86_sigcontext, cs) == 144, "sc cs");
_Static_assert(offsetof(struct x86_sigcontext, ss) == 150, "sc ss");
_Static_assert(offsetof(struct x86_sigcontext, err) == 152, "sc err");
_Static_assert(offsetof(struct x86_sigcontext, trapno) == 160, "sc trapno");
_Static_assert(offsetof(struct x86_sigcontext, oldmask) == 168, "sc oldmask");
_Static_assert(offsetof(struct x86_sigcontext, cr2) == 176, "sc cr2");
_Static_assert(offsetof(struct x86_sigcontext, fpstate) == 184, "sc fpstate");
_Static_assert(sizeof(struct x86_sigcontext) == 256, "sigcontext");
_Static_assert(offsetof(struct x86_ucontext, uc_stack) == 16, "uc_stack");
_Static_assert(offsetof(struct x86_ucontext, uc_mcontext) == 40, "uc_mcontext");
_Static_assert(offsetof(struct x86_ucontext, uc_sigmask) == 296, "uc_sigmask");
_Static_assert(sizeof(struct x86_ucontext) == 304, "ucontext");
_Static_assert(offsetof(struct x86_rt_sigframe, uc) == 8, "frame uc");
_Static_assert(offsetof(struct x86_rt_sigframe, info) == 312, "frame info");
_Static_assert(sizeof(struct x86_rt_sigframe) == 440, "rt_sigframe");
_Static_assert(sizeof(struct fpx_sw_bytes) == 48, "fpx_sw_bytes");

unsigned long arch_tf_get_return(const struct trapframe *tf)
{
	return tf->rax;
}

/* Linux's on_sig_stack: sp within (ss_sp, ss_sp + ss_size]. */
static bool on_altstack(const struct sigframe_info *si, uintptr_t sp)
{
	return si->ss_size && !(si->ss_flags & SS_DISABLE) && sp > si->ss_sp &&
	       sp - si->ss_sp <= si->ss_size;
}

static uint32_t fp_frame_size(void)
{
	return x86_fpu_size() + (x86_fpu_uses_xsave() ? sizeof(uint32_t) : 0);
}

/* The running thread's FP registers as Linux's sigframe image at ufp. With XSAVE, the
 * legacy area and header are patched on a copy: fpx_sw_bytes, and XSTATE_BV with x87|SSE set
 * so that edits a handler makes to the legacy area are loaded back (Linux does the same). */
static int fp_write(uintptr_t ufp)
{
	const uint8_t *area = x86_fpu_save_current();
	uint32_t size = x86_fpu_size();

	if (!x86_fpu_uses_xsave())
		return copy_to_user(ufp, area, size);
	uint8_t head[XSAVE_HDR_END];
	memcpy(head, area, sizeof(head));
	struct fpx_sw_bytes sw = {
		.magic1 = FP_XSTATE_MAGIC1,
		.extended_size = size + sizeof(uint32_t),
		.xfeatures = x86_fpu_xcr0(),
		.xstate_size = size,
	};
	memcpy(head + FX_SW_BYTES, &sw, sizeof(sw));
	uint64_t bv;
	memcpy(&bv, head + XSAVE_HDR, sizeof(bv));
	bv |= XFEATURE_FPSSE;
	memcpy(head + XSAVE_HDR, &bv, sizeof(bv));
	uint32_t magic2 = FP_XSTATE_MAGIC2;
	if (copy_to_user(ufp, head, sizeof(head)) ||
	    copy_to_user(ufp + sizeof(head), area + sizeof(head), size - sizeof(head)) ||
	    copy_to_user(ufp + size, &magic2, sizeof(magic2)))
		return -EFAULT;
	return 0;
}

static void sigcontext_fill(struct x86_sigcontext *sc, const struct trapframe *tf,
			    const struct sigframe_info *si, uintptr_t ufp)
{
	*sc = (struct x86_sigcontext){
		.r8 = tf->r8, .r9 = tf->r9, .r10 = tf->r10, .r11 = tf->r11,
		.r12 = tf->r12, .r13 = tf->r13, .r14 = tf->r14, .r15 = tf->r15,
		.rdi = tf->rdi, .rsi = tf->rsi, .rbp = tf->rbp, .rbx = tf->rbx,
		.rdx = tf->rdx, .rax = tf->rax, .rcx = tf->rcx, .rsp = tf->rsp,
		.rip = tf->rip, .eflags = tf->rflags,
		.cs = GDT_USER_CS, .ss = GDT_USER_SS,
		.oldmask = si->mask,
		.cr2 = si->fault_addr,
		.fpstate = ufp,
	};
	if (tf->vector < VEC_EXCEPTIONS) { /* a fault: which, and its error code (page faults) */
		sc->trapno = tf->vector;
		sc->err = tf->error;
	}
}

int arch_signal_frame_setup(struct trapframe *tf, const struct sigframe_info *si)
{
	if (!si->restorer) /* x86_64 has no default restorer: Linux refuses, too */
		return -EFAULT;
	uintptr_t sp = si->sp;
	if (sp == tf->rsp) /* not switching to the alternate stack */
		sp -= RED_ZONE;
	uintptr_t ufp = (sp - fp_frame_size()) & ~(uintptr_t)63;
	uintptr_t frame = ((ufp - sizeof(struct x86_rt_sigframe)) & ~(uintptr_t)15) - 8;
	if (frame > ufp || (on_altstack(si, sp) && !on_altstack(si, frame)))
		return -EFAULT;

	struct x86_rt_sigframe f = {
		.pretcode = si->restorer,
		.uc = {
			.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS |
				    (x86_fpu_uses_xsave() ? UC_FP_XSTATE : 0),
			.uc_stack = {.ss_sp = si->ss_sp, .ss_flags = si->ss_flags,
				     .ss_size = si->ss_size},
			.uc_sigmask = si->mask,
		},
	};
	sigcontext_fill(&f.uc.uc_mcontext, tf, si, ufp);
	memcpy(f.info, si->siginfo, SIGINFO_SIZE);
	if (fp_write(ufp) || copy_to_user(frame, &f, sizeof(f)))
		return -EFAULT;

	x86_fpu_reset_current();
	tf->rdi = (uint64_t)si->sig;
	tf->rsi = frame + offsetof(struct x86_rt_sigframe, info);
	tf->rdx = frame + offsetof(struct x86_rt_sigframe, uc);
	tf->rax = 0;
	tf->rsp = frame;
	tf->rip = si->handler;
	tf->rflags &= ~(uint64_t)(RFLAGS_DF | RFLAGS_RF | RFLAGS_TF);
	tf->cs = GDT_USER_CS;
	tf->ss = GDT_USER_SS;
	return 0;
}

/* How much of the image at ufp is XSAVE state: fpx_sw_bytes' xstate_size if they and
 * MAGIC2 are consistent (Linux's check_xstate_in_sigframe), else 0 for an FXSAVE-only image. */
static uint32_t xstate_size_of(uintptr_t ufp, const uint8_t *legacy, uint64_t *xfeatures)
{
	struct fpx_sw_bytes sw;
	uint32_t magic2;

	memcpy(&sw, legacy + FX_SW_BYTES, sizeof(sw));
	if (sw.magic1 != FP_XSTATE_MAGIC1 || sw.xstate_size < XSAVE_HDR_END ||
	    sw.xstate_size > x86_fpu_size() || sw.xstate_size > sw.extended_size)
		return 0;
	if (copy_from_user(&magic2, ufp + sw.xstate_size, sizeof(magic2)))
		return 0;
	if (magic2 != FP_XSTATE_MAGIC2)
		return 0;
	*xfeatures = sw.xfeatures;
	return sw.xstate_size;
}

/* Read the image at ufp into img (x86_fpu_size bytes, zeroed, 64-byte aligned) and make it
 * one XRSTOR/FXRSTOR accepts. */
static int fp_read(uint8_t *img, uintptr_t ufp)
{
	if (copy_from_user(img, ufp, FXSAVE_SIZE))
		return -EFAULT;
	uint32_t mxcsr;
	memcpy(&mxcsr, img + FX_MXCSR, sizeof(mxcsr));
	mxcsr &= x86_fpu_mxcsr_mask();
	memcpy(img + FX_MXCSR, &mxcsr, sizeof(mxcsr));
	if (!x86_fpu_uses_xsave())
		return 0;

	uint64_t xfeatures = XFEATURE_FPSSE, bv = XFEATURE_FPSSE;
	uint32_t size = xstate_size_of(ufp, img, &xfeatures);
	if (size) {
		if (copy_from_user(img + FXSAVE_SIZE, ufp + FXSAVE_SIZE, size - FXSAVE_SIZE))
			return -EFAULT;
		memcpy(&bv, img + XSAVE_HDR, sizeof(bv));
	}
	bv &= xfeatures & x86_fpu_xcr0();
	memset(img + XSAVE_HDR, 0, XSAVE_HDR_END - XSAVE_HDR); /* XCOMP_BV, reserved: 0 */
	memcpy(img + XSAVE_HDR, &bv, sizeof(bv));
	return 0;
}

/* The FP part of rt_sigreturn: no image means Linux's initial state. */
static int fp_restore(uintptr_t ufp)
{
	if (!ufp) {
		x86_fpu_reset_current();
		return 0;
	}
	uint32_t size = x86_fpu_size();
	uint8_t *raw = kmalloc(size + 64);
	if (!raw)
		return -ENOMEM;
	uint8_t *img = (uint8_t *)(((uintptr_t)raw + 63) & ~(uintptr_t)63);
	memset(img, 0, size);
	int err = fp_read(img, ufp);
	if (!err)
		x86_fpu_load_current(img);
	kfree(raw);
	return err;
}

int arch_signal_frame_restore(struct trapframe *tf, uint64_t *mask, uintptr_t *ss_sp,
			      uint64_t *ss_size, int *ss_flags)
{
	struct x86_ucontext uc;
	uintptr_t frame = tf->rsp - 8;

	if (copy_from_user(&uc, frame + offsetof(struct x86_rt_sigframe, uc), sizeof(uc)))
		return -EFAULT;
	const struct x86_sigcontext *sc = &uc.uc_mcontext;
	if (sc->rip >= USER_TOP)
		return -EINVAL;
	int err = fp_restore(sc->fpstate);
	if (err)
		return err;

	tf->r8 = sc->r8, tf->r9 = sc->r9, tf->r10 = sc->r10, tf->r11 = sc->r11;
	tf->r12 = sc->r12, tf->r13 = sc->r13, tf->r14 = sc->r14, tf->r15 = sc->r15;
	tf->rdi = sc->rdi, tf->rsi = sc->rsi, tf->rbp = sc->rbp, tf->rbx = sc->rbx;
	tf->rdx = sc->rdx, tf->rax = sc->rax, tf->rcx = sc->rcx, tf->rsp = sc->rsp;
	tf->rip = sc->rip;
	tf->rflags = (tf->rflags & ~(uint64_t)FIX_EFLAGS) | (sc->eflags & FIX_EFLAGS);
	tf->cs = GDT_USER_CS;
	tf->ss = GDT_USER_SS;
	*mask = uc.uc_sigmask;
	*ss_sp = uc.uc_stack.ss_sp;
	*ss_size = uc.uc_stack.ss_size;
	*ss_flags = uc.uc_stack.ss_flags;
	return 0;
}

/* x86_64's ABI requires SA_RESTORER (every libc sets it): no trampoline. */
size_t arch_sigtramp_code(void *buf)
{
	(void)buf;
	return 0;
}
