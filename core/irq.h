/*
 * core/irq.h: device interrupt handlers, registered by platform interrupt number.
 *
 * A driver calls irq_register(); the port's interrupt entry calls irq_dispatch() with
 * interrupts masked on this CPU, between acknowledging the controller and end-of-interrupt.
 * Handlers run in interrupt context: they must not sleep and must not take a lock that is
 * held with interrupts enabled (every spinlock masks interrupts, so any spinlock is fine).
 */
#ifndef CORE_IRQ_H
#define CORE_IRQ_H

#include <stdint.h>

/* Platform interrupt numbers are below IRQ_MAX: IOAPIC GSIs (0-23 on q35) and MSI vectors
 * (32-191) on x86_64; GIC INTIDs (up to 1019) and LPIs (as 1024 + LPI - 8192) on aarch64.
 * arch_msi_alloc (arch/arch.h) hands out MSI numbers in that space. */
#define IRQ_MAX 1088

typedef void (*irq_handler_t)(unsigned irq, void *ctx);

/* Install handler for irq and unmask it with the IRQ_* flags. 0, -EINVAL (out of range or the
 * controller refuses), -EBUSY (another handler is installed). */
int irq_register(unsigned irq, unsigned flags, irq_handler_t handler, void *ctx);

/* Called by the port's interrupt entry. An interrupt nobody registered is counted and
 * masked, so a stuck level-triggered line cannot livelock the CPU. */
void irq_dispatch(unsigned irq);

/* Called by the port as the last step of every interrupt it handled (after end-of-interrupt,
 * interrupts still masked): switches threads there if the tick or a wake-up asked for it and
 * no spinlock is held. Defined in core/sched.c. */
void sched_preempt_check(void);

/* How many times irq has been dispatched (for tests and, later, /proc/interrupts). */
uint64_t irq_count(unsigned irq);

#endif
