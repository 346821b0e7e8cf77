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

#define IRQ_MAX 1024 /* GIC INTIDs stop at 1019; IOAPIC GSIs at 23 on q35 */

typedef void (*irq_handler_t)(unsigned irq, void *ctx);

/* Install handler for irq and unmask it with the IRQ_* flags. 0, -EINVAL (out of range or the
 * controller refuses), -EBUSY (another handler is installed). */
int irq_register(unsigned irq, unsigned flags, irq_handler_t handler, void *ctx);

/* Called by the port's interrupt entry. An interrupt nobody registered is counted and
 * masked, so a stuck level-triggered line cannot livelock the CPU. */
void irq_dispatch(unsigned irq);

/* How many times irq has been dispatched (for tests and, later, /proc/interrupts). */
uint64_t irq_count(unsigned irq);

#endif
