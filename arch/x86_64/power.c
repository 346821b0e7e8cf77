/*
 * arch/x86_64/power.c: power-off with an exit status QEMU passes on, and halting for good.
 *
 * QEMU has no way to exit with status 0 through isa-debug-exit (its rc is 2*value+1), so 0
 * goes through ACPI S5 instead: SLP_EN in PM1a_CNT, at the port SeaBIOS programs (0x604, from
 * the FADT; REFERENCE 8), with SLP_TYP 0, the S5 value in the \_S5 package of QEMU's DSDT
 * (reading it from the DSDT would need an AML walk). Any other status goes to isa-debug-exit
 * at 0xf4. When the device is missing (real hardware, another machine type) the writes do
 * nothing and the CPU halts.
 */
#include "arch/arch.h"
#include "x86.h"

#define PM1_SLP_TYP_S5 (0 << 10) /* QEMU's \_S5 */
#define PM1_SLP_EN (1 << 13)

_Noreturn void arch_power_off(int status)
{
	arch_irq_disable();
	if (status == 0)
		outw(ACPI_PM1A_CNT, PM1_SLP_TYP_S5 | PM1_SLP_EN);
	else
		outl(ISA_DEBUG_EXIT, (uint32_t)status);
	arch_halt();
}

/* hlt with IF clear still wakes for NMI and SMI, hence the loop. */
_Noreturn void arch_halt(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" : : : "memory");
}
