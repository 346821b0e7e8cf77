/*
 * arch/aarch64/console.c: the boot console on a PL011 UART, polled.
 *
 * QEMU's PL011 needs no setup (baud rate and line control are ignored; the receiver is on),
 * so the driver is two registers: DR for data and FR for the FIFO flags. The base address
 * comes from the device tree (boot.c calls aarch64_console_init before anything is printed)
 * and is reached through the port's device window (device_va), never the direct map.
 * Until then it points at QEMU virt's UART, which is also the fallback when the DTB is
 * unusable, so that a fault during DTB parsing still reaches the screen through panic.
 * Serialisation is the caller's job (core's console lock).
 *
 * Receive interrupts (arch_console_rx_irq_enable): RXIM and RTIM, with the FIFO left as it is
 * (QEMU resets it off: a one-byte holding register, so every byte raises RX). Both conditions
 * clear when reading DR empties the receiver; to be sure of it on any PL011, getc also writes
 * ICR once it finds the receiver empty, then looks again, so a byte that arrives between the
 * look and the write is not stranded without an interrupt.
 */
#include "arch/arch.h"

#include "aarch64.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_IMSC 0x38 /* interrupt mask set/clear: 1 = enabled */
#define UART_ICR 0x44  /* interrupt clear: write 1 */
#define FR_RXFE (1u << 4) /* receive FIFO empty */
#define FR_TXFF (1u << 5) /* transmit FIFO full */
#define INT_RX (1u << 4)  /* receive (FIFO at its trigger level; any byte with no FIFO) */
#define INT_RT (1u << 6)  /* receive timeout: bytes waiting, line idle */

static uintptr_t uart = KERNEL_IMAGE_BASE + QEMU_VIRT_UART_PHYS;
static bool rx_irq_enabled;

bool aarch64_console_init(uint64_t uart_phys)
{
	uintptr_t va = device_va(uart_phys, 0x1000);

	if (va)
		uart = va;
	return va != 0;
}

void arch_console_putc(char c)
{
	while (mmio_read32(uart + UART_FR) & FR_TXFF)
		arch_cpu_relax();
	mmio_write32(uart + UART_DR, (uint8_t)c);
}

int arch_console_getc(void)
{
	if (mmio_read32(uart + UART_FR) & FR_RXFE) {
		if (!rx_irq_enabled)
			return -1;
		mmio_write32(uart + UART_ICR, INT_RX | INT_RT);
		if (mmio_read32(uart + UART_FR) & FR_RXFE)
			return -1;
	}
	return (int)(mmio_read32(uart + UART_DR) & 0xff); /* bits 8-11 are error flags */
}

/* Bytes already waiting raise the interrupt as soon as it is unmasked; the handler drains them. */
void arch_console_rx_irq_enable(void)
{
	rx_irq_enabled = true;
	mmio_write32(uart + UART_IMSC, mmio_read32(uart + UART_IMSC) | INT_RX | INT_RT);
}
