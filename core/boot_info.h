/*
 * core/boot_info.h: what a port learned about the machine before kmain.
 *
 * Each port fills one struct boot_info from its firmware's description (PVH start info and
 * ACPI on x86_64, the device tree on aarch64) and hands it to kmain. Core reads only this
 * struct: it never parses firmware tables itself, except through the portable DTB parser that
 * a port may call. Addresses are physical. Anything the platform does not have is zero.
 */
#ifndef CORE_BOOT_INFO_H
#define CORE_BOOT_INFO_H

#include <stdint.h>

#define BOOT_MAX_RANGES 32
#define BOOT_CMDLINE_MAX 1024
#define BOOT_MAX_CPUS 16

struct phys_range {
	uint64_t base;
	uint64_t size;
};

struct boot_info {
	char cpu_model[64];          /* e.g. "ARM Neoverse-N1 r3p1" */
	char cmdline[BOOT_CMDLINE_MAX];

	/* Usable RAM as the firmware reports it, and what is in use inside it (kernel image, boot
	 * page tables, DTB, firmware tables): the frame allocator takes mem minus reserved. */
	struct phys_range mem[BOOT_MAX_RANGES];
	unsigned nmem;
	struct phys_range reserved[BOOT_MAX_RANGES];
	unsigned nreserved;
	uint64_t ram_installed;      /* bytes of RAM the machine was given (QEMU's -m) */

	uint64_t kernel_phys_start;  /* the loaded kernel image, including .bss */
	uint64_t kernel_phys_end;

	/* Console UART. */
	uint64_t uart_base;          /* MMIO address, or I/O port on x86_64 */
	uint32_t uart_irq;           /* platform interrupt number (INTID / GSI) */
	uint32_t uart_irq_flags;     /* IRQ_EDGE / IRQ_LEVEL / IRQ_ACTIVE_LOW (arch/arch.h) */

	/* Interrupt controller: GICv3 distributor and redistributors, or IOAPIC and LAPIC. */
	uint64_t intc_base[2];
	uint64_t intc_size[2];

	/* PCI host bridge (ECAM) and its address windows. */
	uint64_t pci_ecam_base;
	uint64_t pci_ecam_size;
	uint32_t pci_bus_start, pci_bus_end;
	struct phys_range pci_mmio32, pci_mmio64, pci_io;
	uint64_t pci_io_cpu_base;    /* where the I/O window sits in CPU space (0 on x86_64) */

	/* Timer and real-time clock. */
	uint32_t timer_irq;          /* per-CPU timer interrupt (INTID 27 / LAPIC vector) */
	uint64_t timer_freq;         /* counter Hz if the platform states it, else 0 */
	uint64_t rtc_base;           /* PL031 MMIO / CMOS port */

	unsigned ncpus;              /* CPUs described by the firmware */
	uint64_t cpu_hwid[BOOT_MAX_CPUS]; /* MPIDR / APIC id of each */

	uint64_t dtb_phys;           /* device tree blob, if any */
	uint64_t acpi_rsdp;          /* ACPI RSDP, if any */
};

/* The boot_info kmain was given (core/main.c). */
const struct boot_info *kernel_boot_info(void);

#endif
