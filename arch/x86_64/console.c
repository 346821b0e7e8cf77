/*
 * arch/x86_64/console.c: the boot console on COM1, a 16550 UART at I/O port 0x3f8, polled.
 *
 * x86_console_init() runs once, before the first byte is printed. It never writes FCR: on
 * QEMU, changing the FIFO-enable bit drops a byte already waiting in the receive register
 * (REFERENCE 8), so a key typed before boot would be lost. The FIFOs stay as the firmware
 * left them (off after QEMU's reset: a one-byte receive buffer, and QEMU holds further input
 * back until that byte is read, so nothing is lost, only taken one interrupt at a time).
 * Interrupts from the UART stay disabled (IER = 0) until core's console_input asks for them:
 * then the receive interrupt (data available, or with FIFOs on the character timeout) raises
 * ISA IRQ 4, IOAPIC pin 4, edge, active high (no MADT override on q35).
 */
#include "arch/arch.h"
#include "x86.h"

/* Register offsets from the base port. */
#define UART_DATA 0 /* THR/RBR; with DLAB set: divisor low byte */
#define UART_IER 1  /* with DLAB set: divisor high byte */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define MCR_DTR_RTS_OUT2 0x0b /* OUT2 gates the UART's interrupt line on PCs */
#define IER_RX_AVAILABLE 0x01 /* also enables the FIFO timeout interrupt */
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

void x86_console_init(void)
{
	outb(COM1_PORT + UART_IER, 0);
	outb(COM1_PORT + UART_LCR, LCR_DLAB);
	outb(COM1_PORT + UART_DATA, 1); /* divisor 1: 115200 baud (QEMU ignores the rate) */
	outb(COM1_PORT + UART_IER, 0);
	outb(COM1_PORT + UART_LCR, LCR_8N1);
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

/* OUT2 is already set by x86_console_init; set again so this does not depend on it. */
void arch_console_rx_irq_enable(void)
{
	outb(COM1_PORT + UART_MCR, MCR_DTR_RTS_OUT2);
	outb(COM1_PORT + UART_IER, IER_RX_AVAILABLE);
}
