/*
 * arch/x86_64/console.c: the boot console on COM1, a 16550 UART at I/O port 0x3f8, polled.
 *
 * x86_console_init() runs once, before the first byte is printed, and never again: on QEMU,
 * touching the FIFO-enable bit in FCR drops a byte already waiting in the receive register
 * (REFERENCE 8), so a later re-initialisation could eat the first key a test types. Interrupts
 * from the UART stay disabled (IER = 0) until the interrupt issue wants input by IRQ 4.
 */
#include "arch/arch.h"
#include "x86.h"

/* Register offsets from the base port. */
#define UART_DATA 0 /* THR/RBR; with DLAB set: divisor low byte */
#define UART_IER 1  /* with DLAB set: divisor high byte */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR_14 0xc7 /* FIFOs on, both cleared, receive trigger at 14 bytes */
#define MCR_DTR_RTS_OUT2 0x0b    /* OUT2 gates the UART's interrupt line on PCs */
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

void x86_console_init(void)
{
	outb(COM1_PORT + UART_IER, 0);
	outb(COM1_PORT + UART_LCR, LCR_DLAB);
	outb(COM1_PORT + UART_DATA, 1); /* divisor 1: 115200 baud (QEMU ignores the rate) */
	outb(COM1_PORT + UART_IER, 0);
	outb(COM1_PORT + UART_LCR, LCR_8N1);
	outb(COM1_PORT + UART_FCR, FCR_ENABLE_CLEAR_14);
	outb(COM1_PORT + UART_MCR, MCR_DTR_RTS_OUT2);
}

/* Without a UART the port reads 0xff, so the wait ends at once rather than hanging. */
void arch_console_putc(char c)
{
	while (!(inb(COM1_PORT + UART_LSR) & LSR_THR_EMPTY))
		arch_cpu_relax();
	outb(COM1_PORT + UART_DATA, (uint8_t)c);
}

int arch_console_getc(void)
{
	if (!(inb(COM1_PORT + UART_LSR) & LSR_DATA_READY))
		return -1;
	return inb(COM1_PORT + UART_DATA);
}
