/*
 * arch/x86_64/trap.c: the IDT, the trap frame accessors, and what each exception means.
 *
 * All 256 IDT entries point at trap_entry.S's stubs and are interrupt gates, so IF is clear
 * inside every handler. One IDT serves every CPU: the boot CPU fills it in once, and each CPU
 * loads it (and its own TSS, cpu.c) in arch_traps_init().
 *
 * Exceptions (vectors 0-31) take core's one trap path: x86_trap() describes the exception by
 * role in a struct trap_info (core/trap.h): its kind, for #PF the address from CR2 and the
 * write / instruction-fetch / present bits of the error code, and a sentence a person can act
 * on (the exception's name, the decoded error code). core's trap_handle() decides: a fixup,
 * a signal (later), or a panic with the registers (arch_tf_dump) and the backtrace from the
 * frame's rip and rbp. If it returns, trap_common's iretq resumes with the frame as core left
 * it. Vectors 32-255 are interrupts: irq.c's x86_interrupt() handles the ones it programmed,
 * and any other is an unexpected interrupt, which panics with its number. An NMI is first
 * offered to smp.c, whose TLB shootdowns arrive as NMIs.
 *
 * User mode. trap_entry.S sends traps from user mode (except NMIs) through user_entry.S's
 * return path, which calls core's user_return; here they are exceptions like any other, with
 * arch_tf_from_user true, and core decides (a resolved page fault returns, anything else ends
 * the process). x86_user_trap_hook lets the port's ktests see a user trap first.
 *
 * NMIs run on their own IST stack (IST2): one can arrive between the syscall exit path's load
 * of the user rsp and its sysretq. The NMI stack is not a thread's stack, so an NMI is never
 * a way back to user mode through user_return: anything but a TLB shootdown panics.
 *
 * #DF runs on its own IST stack (cpu.c's per-CPU TSS): a double fault usually means the kernel
 * stack itself is unusable, and without a fresh stack it would become a silent triple fault.
 * The commonest one is a kernel stack overflow: the push into the guard page faults (#PF), and
 * delivering that #PF needs the same stack, so the CPU raises #DF. It is reported as
 * TRAP_DOUBLE_FAULT with fault_addr = CR2, still the guard-page address, which is how core
 * tells a stack overflow from other double faults. A #DF is an abort: if core returned, there
 * is nothing to resume, so it panics here.
 */
#include "arch/arch.h"
#include "core/kprintf.h"
#include "core/panic.h"
#include "core/trap.h"
#include "trapframe.h"
#include "x86.h"

#define IDT_VECTORS 256
#define VEC_DIVIDE 0
#define VEC_DEBUG 1
#define VEC_BREAKPOINT 3
#define VEC_INVALID_OPCODE 6
#define VEC_DOUBLE_FAULT 8
#define VEC_INVALID_TSS 10
#define VEC_GENERAL_PROTECTION 13
#define VEC_PAGE_FAULT 14
#define VEC_ALIGNMENT_CHECK 17
#define VEC_CONTROL_PROTECTION 21
#define PF_PRESENT 0x1 /* #PF error code bits */
#define PF_WRITE 0x2
#define PF_USER 0x4
#define PF_RSVD 0x8
#define PF_FETCH 0x10
#define PF_PKEY 0x20
#define PF_SHADOW_STACK 0x40

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};

_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate size");

extern const uintptr_t trap_stub_table[IDT_VECTORS]; /* trap_entry.S */

static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));
bool (*volatile x86_user_trap_hook)(struct trapframe *tf);
static bool idt_ready;

static const char *const exception_names[32] = {
	"divide error", "debug exception", "non-maskable interrupt", "breakpoint",
	"overflow", "bound range exceeded", "invalid opcode", "device not available",
	"double fault", "coprocessor segment overrun", "invalid TSS", "segment not present",
	"stack-segment fault", "general protection fault", "page fault", "reserved exception 15",
	"x87 floating-point error", "alignment check", "machine check", "SIMD floating-point error",
	"virtualization exception", "control protection exception", "reserved exception 22",
	"reserved exception 23", "reserved exception 24", "reserved exception 25",
	"reserved exception 26", "reserved exception 27", "hypervisor injection exception",
	"VMM communication exception", "security exception", "reserved exception 31",
};

static void idt_set(unsigned vector, uintptr_t handler, unsigned ist)
{
	idt[vector] = (struct idt_gate){
		.offset_lo = handler & 0xffff,
		.selector = GDT_KERNEL_CODE,
		.ist = (uint8_t)ist,
		/* present, 64-bit interrupt gate; DPL 3 only for int3 (#BP) and into (#OF), which
		 * user code raises itself (as on Linux), so they arrive as themselves, not as #GP */
		.type_attr = vector == 3 || vector == 4 ? 0xee : 0x8e,
		.offset_mid = (handler >> 16) & 0xffff,
		.offset_hi = (uint32_t)(handler >> 32),
	};
}

/* Every CPU, after arch_set_this_cpu: the shared IDT (filled in by the first caller, the boot
 * CPU, before any other CPU runs) and this CPU's TSS. */
void arch_traps_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = {sizeof(idt) - 1, (uintptr_t)idt};

	x86_cpu_init();
	if (!idt_ready) {
		for (unsigned v = 0; v < IDT_VECTORS; v++)
			idt_set(v, trap_stub_table[v],
				v == VEC_DOUBLE_FAULT ? IST_DOUBLE_FAULT
				: v == VEC_NMI	      ? IST_NMI
						      : 0);
		idt_ready = true;
	}
	__asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
}

static enum trap_kind trap_kind_of(uint64_t v)
{
	switch (v) {
	case VEC_PAGE_FAULT:
		return TRAP_PAGE_FAULT;
	case VEC_ALIGNMENT_CHECK:
		return TRAP_ALIGNMENT;
	case VEC_INVALID_OPCODE:
		return TRAP_UNDEFINED;
	case VEC_DEBUG:
	case VEC_BREAKPOINT:
		return TRAP_BREAKPOINT;
	case VEC_DIVIDE:
		return TRAP_DIVIDE;
	case VEC_INVALID_TSS ... VEC_GENERAL_PROTECTION:
	case VEC_CONTROL_PROTECTION:
		return TRAP_PROTECTION;
	case VEC_DOUBLE_FAULT:
		return TRAP_DOUBLE_FAULT;
	default:
		return TRAP_OTHER;
	}
}

/* "page fault at 0x10 (kernel write, page not present; null pointer?)", from the #PF error
 * code bits P, W, U, RSVD, I, PK, SS. */
static void describe_page_fault(char *buf, size_t n, uint64_t err, uint64_t addr)
{
	const char *access = (err & PF_FETCH) ? "instruction fetch" : (err & PF_WRITE) ? "write"
										       : "read";

	ksnprintf(buf, n, "page fault at 0x%lx (%s %s, %s%s%s%s%s)", (unsigned long)addr,
		  (err & PF_USER) ? "user" : "kernel", access,
		  (err & PF_PRESENT) ? "protection violation" : "page not present",
		  (err & PF_RSVD) ? ", reserved bit set in a page-table entry" : "",
		  (err & PF_PKEY) ? ", protection key" : "",
		  (err & PF_SHADOW_STACK) ? ", shadow stack" : "",
		  addr < 4096 ? "; null pointer?" : "");
}

static void describe_exception(char *buf, size_t n, const struct trapframe *tf, uint64_t cr2)
{
	if (tf->vector == VEC_PAGE_FAULT)
		describe_page_fault(buf, n, tf->error, cr2);
	else if (tf->vector == VEC_DOUBLE_FAULT)
		ksnprintf(buf, n, "double fault, cr2 0x%lx", (unsigned long)cr2);
	else
		ksnprintf(buf, n, "%s (vector %lu, error code %#lx)", exception_names[tf->vector],
			  (unsigned long)tf->vector, (unsigned long)tf->error);
}

static void exception(struct trapframe *tf, uint64_t cr2)
{
	char desc[192];
	struct trap_info info = {.kind = trap_kind_of(tf->vector), .desc = desc};

	if (tf->vector == VEC_PAGE_FAULT) {
		info.fault_addr = cr2;
		info.write = tf->error & PF_WRITE;
		info.exec = tf->error & PF_FETCH;
		info.present = tf->error & PF_PRESENT;
	} else if (tf->vector == VEC_DOUBLE_FAULT) {
		info.fault_addr = cr2;
	}
	describe_exception(desc, sizeof(desc), tf, cr2);
	trap_handle(tf, &info);
	if (tf->vector == VEC_DOUBLE_FAULT)
		panic_tf(tf, "%s: an abort, which cannot be resumed", desc);
}

void x86_trap(struct trapframe *tf)
{
	/* First, before anything else can fault and overwrite it. */
	uint64_t cr2 = read_cr2();
	uint64_t v = tf->vector;

	if (v == VEC_NMI) {
		if (x86_tlb_shootdown_nmi())
			return; /* smp.c's TLB shootdown */
		panic_tf(tf, "non-maskable interrupt (not a TLB shootdown) at pc %#lx",
			 (unsigned long)tf->rip);
	}
	if (v < 32 && arch_tf_from_user(tf) && x86_user_trap_hook && x86_user_trap_hook(tf))
		return;
	if (v < 32) {
		exception(tf, cr2);
		return; /* trap_common's iretq resumes with the frame as core left it */
	}
	if (x86_interrupt(v))
		return; /* irq.c handled it */
	panic_tf(tf, "unexpected interrupt: vector %lu at pc %#lx", (unsigned long)v,
		 (unsigned long)tf->rip);
}

uintptr_t arch_tf_pc(const struct trapframe *tf)
{
	return tf->rip;
}

uintptr_t arch_tf_sp(const struct trapframe *tf)
{
	return tf->rsp;
}

uintptr_t arch_tf_fp(const struct trapframe *tf)
{
	return tf->rbp;
}

/* The requested privilege level of the saved CS: 3 for user mode. */
bool arch_tf_from_user(const struct trapframe *tf)
{
	return (tf->cs & 3) == 3;
}

/* Three registers a line. cr2 and cr3 are read now: nothing between the trap and the dump
 * changes them unless the panic itself faults, and then the nested panic says so. */
void arch_tf_dump(const struct trapframe *tf)
{
	const struct {
		const char *name;
		uint64_t value;
	} r[] = {
		{"rax", tf->rax}, {"rbx", tf->rbx}, {"rcx", tf->rcx},
		{"rdx", tf->rdx}, {"rsi", tf->rsi}, {"rdi", tf->rdi},
		{"rbp", tf->rbp}, {"rsp", tf->rsp}, {"r8", tf->r8},
		{"r9", tf->r9}, {"r10", tf->r10}, {"r11", tf->r11},
		{"r12", tf->r12}, {"r13", tf->r13}, {"r14", tf->r14},
		{"r15", tf->r15}, {"rip", tf->rip}, {"rflags", tf->rflags},
		{"cs", tf->cs}, {"ss", tf->ss}, {"cr2", read_cr2()},
		{"cr3", read_cr3()}, {"vector", tf->vector}, {"error", tf->error},
	};

	for (unsigned i = 0; i + 2 < sizeof(r) / sizeof(r[0]); i += 3)
		kprintf("  %-6s 0x%016lx  %-6s 0x%016lx  %-6s 0x%016lx\n", r[i].name,
			(unsigned long)r[i].value, r[i + 1].name, (unsigned long)r[i + 1].value,
			r[i + 2].name, (unsigned long)r[i + 2].value);
}
