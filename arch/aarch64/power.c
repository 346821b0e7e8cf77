/*
 * arch/aarch64/power.c: turning the machine off so that QEMU's exit status means something.
 *
 * Status 0 goes through PSCI SYSTEM_OFF, which QEMU turns into exit code 0 with no extra
 * options. Any other status needs semihosting SYS_EXIT_EXTENDED (QEMU's exit code is exactly
 * the status), which QEMU honours only with -semihosting-config enable=on; PSCI cannot carry
 * a status. The PSCI conduit (hvc, or smc when QEMU emulates EL2/EL3) is what the device
 * tree's psci node says; boot.c passes it in. smp.c makes its CPU_ON calls through the same
 * aarch64_psci_call.
 *
 * Without semihosting, QEMU treats `hlt #0xf000` as an undefined instruction. trap.c asks
 * aarch64_semihost_fixup first, which skips the instruction and makes the call return -1, so
 * power-off can say what went wrong and halt instead of panicking from inside a panic.
 */
#include "arch/arch.h"

#include "aarch64.h"
#include "trapframe.h"

#define PSCI_SYSTEM_OFF 0x84000008u

#define SEMIHOST_SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static bool psci_use_smc;

/* hlt #0xf000 with x0 = operation, x1 = parameter block; the result comes back in x0.
 * An assembly function with a global label on the hlt, so the fixup can recognise it. */
uint64_t aarch64_semihost_call(uint64_t op, uint64_t param);
extern const char aarch64_semihost_hlt[];
__asm__(".pushsection .text, \"ax\"\n"
	".globl aarch64_semihost_call\n"
	".type aarch64_semihost_call, %function\n"
	"aarch64_semihost_call:\n"
	".globl aarch64_semihost_hlt\n"
	"aarch64_semihost_hlt:\n"
	"	hlt #0xf000\n"
	"	ret\n"
	".size aarch64_semihost_call, . - aarch64_semihost_call\n"
	".popsection\n");

void aarch64_psci_init(bool use_smc)
{
	psci_use_smc = use_smc;
}

/* SMCCC: function id and arguments in x0-x3, result in x0; x4-x17 may be clobbered. */
int64_t aarch64_psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	if (psci_use_smc)
		__asm__ volatile("smc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 :
				 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
				   "x14", "x15", "x16", "x17", "memory");
	else
		__asm__ volatile("hvc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 :
				 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
				   "x14", "x15", "x16", "x17", "memory");
	return (int64_t)x0;
}

bool aarch64_semihost_fixup(struct trapframe *tf)
{
	uint32_t ec = (uint32_t)(tf->esr >> 26) & 0x3f;

	if (tf->elr != (uintptr_t)aarch64_semihost_hlt || ec != 0 /* unknown reason */)
		return false;
	tf->elr += 4;
	tf->x[0] = (uint64_t)-1;
	return true;
}

/* Straight to the UART, not kprintf: we may be here from panic with the console lock held. */
static void power_say(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			arch_console_putc('\r');
		arch_console_putc(*s);
	}
}

_Noreturn void arch_power_off(int status)
{
	uint64_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint64_t)status};

	arch_irq_disable();
	if (status == 0)
		aarch64_psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
	/* Status != 0, or PSCI failed: semihosting exits with the same status. */
	if (aarch64_semihost_call(SEMIHOST_SYS_EXIT_EXTENDED, (uintptr_t)block) == (uint64_t)-1)
		power_say("power off: semihosting unavailable (QEMU needs -semihosting-config "
			  "enable=on); halting\n");
	arch_halt();
}

_Noreturn void arch_halt(void)
{
	__asm__ volatile("msr daifset, #" STR(DAIFSET_ALL) : : : "memory");
	for (;;)
		__asm__ volatile("wfi" : : : "memory");
}
