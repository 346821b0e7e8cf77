/*
 * arch/x86_64/trap.c: the IDT, the trap frame accessors, and what each trap means.
 *
 * All 256 IDT entries point at trap_entry.S's stubs and are interrupt gates, so IF is clear
 * inside every handler. For now every trap is fatal: x86_trap() turns it into a panic_tf()
 * with a sentence a person can act on (the exception's name, the decoded page-fault error
 * code, the faulting address), and core prints the registers through arch_tf_dump() and the
 * backtrace from the frame's rip and rbp. Vectors 32-255 are interrupts: irq.c's
 * x86_interrupt() handles the ones it programmed, and any other is an unexpected interrupt,
 * which panics with its number. The processes issue adds user-mode faults that signal instead
 * of panicking.
 *
 * #DF runs on its own IST stack (cpu.c's TSS): a double fault usually means the kernel stack
 * itself is unusable, and without a fresh stack it would become a silent triple fault.
 */
#include "arch/arch.h"
#include "core/kprintf.h"
#include "core/panic.h"
#include "trapframe.h"
#include "x86.h"

#define IDT_VECTORS 256
#define VEC_DOUBLE_FAULT 8
#define VEC_PAGE_FAULT 14
#define IST_DOUBLE_FAULT 1
#define DF_STACK_SIZE 8192

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
static uint8_t df_stack[DF_STACK_SIZE] __attribute__((aligned(16)));

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
		.type_attr = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
		.offset_mid = (handler >> 16) & 0xffff,
		.offset_hi = (uint32_t)(handler >> 32),
	};
}

void arch_traps_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = {sizeof(idt) - 1, (uintptr_t)idt};

	x86_cpu_init((uintptr_t)(df_stack + sizeof(df_stack)));
	for (unsigned v = 0; v < IDT_VECTORS; v++)
		idt_set(v, trap_stub_table[v], v == VEC_DOUBLE_FAULT ? IST_DOUBLE_FAULT : 0);
	__asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
}

/* "kernel write, page not present", from the #PF error code bits P, W, U, RSVD, I, PK, SS. */
static void describe_page_fault(char *buf, size_t n, uint64_t err, uint64_t addr)
{
	const char *access = (err & 0x10) ? "instruction fetch" : (err & 0x2) ? "write" : "read";

	ksnprintf(buf, n, "%s %s, %s%s%s%s%s", (err & 0x4) ? "user" : "kernel", access,
		  (err & 0x1) ? "protection violation" : "page not present",
		  (err & 0x8) ? ", reserved bit set in a page-table entry" : "",
		  (err & 0x20) ? ", protection key" : "", (err & 0x40) ? ", shadow stack" : "",
		  addr < 4096 ? "; null pointer?" : "");
}

void x86_trap(struct trapframe *tf)
{
	/* First, before anything else can fault and overwrite it. */
	uint64_t cr2 = read_cr2();
	uint64_t v = tf->vector;

	if (v >= 32 && x86_interrupt(v))
		return; /* irq.c handled it; trap_common's iretq resumes the interrupted code */
	if (v == VEC_PAGE_FAULT) {
		char why[160];
		describe_page_fault(why, sizeof(why), tf->error, cr2);
		panic_tf(tf, "page fault at 0x%lx (%s) at pc %#lx", (unsigned long)cr2, why,
			 (unsigned long)tf->rip);
	}
	if (v < 32)
		panic_tf(tf, "%s (vector %lu, error code %#lx) at pc %#lx", exception_names[v],
			 (unsigned long)v, (unsigned long)tf->error, (unsigned long)tf->rip);
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
