/*
 * core/irq.c: the table of device interrupt handlers.
 *
 * Registration is rare and takes irq_lock; dispatch is frequent and reads the table without
 * it: a slot is written once (handler and context stored before the interrupt is unmasked,
 * with release ordering) and never changes while its interrupt is unmasked. Counters are
 * per interrupt number and updated atomically, so several CPUs may dispatch at once.
 */
#include "core/irq.h"

#include "arch/arch.h"
#include "core/errno.h"
#include "core/kprintf.h"
#include "core/spinlock.h"

struct irq_slot {
	irq_handler_t handler;
	void *ctx;
	uint64_t count;
};

static struct irq_slot slots[IRQ_MAX];
static struct spinlock irq_lock = SPINLOCK_INIT("irq");

int irq_register(unsigned irq, unsigned flags, irq_handler_t handler, void *ctx)
{
	if (irq >= IRQ_MAX || !handler)
		return -EINVAL;
	unsigned long s = spin_lock_irqsave(&irq_lock);
	int err = 0;
	if (slots[irq].handler) {
		err = -EBUSY;
	} else {
		slots[irq].ctx = ctx;
		__atomic_store_n(&slots[irq].handler, handler, __ATOMIC_RELEASE);
		err = arch_irq_unmask(irq, flags);
		if (err)
			__atomic_store_n(&slots[irq].handler, NULL, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&irq_lock, s);
	return err;
}

void irq_dispatch(unsigned irq)
{
	if (irq >= IRQ_MAX)
		return;
	struct irq_slot *slot = &slots[irq];
	__atomic_fetch_add(&slot->count, 1, __ATOMIC_RELAXED);
	irq_handler_t h = __atomic_load_n(&slot->handler, __ATOMIC_ACQUIRE);
	if (h) {
		h(irq, slot->ctx);
		return;
	}
	arch_irq_mask(irq);
	pr_warn("irq: no handler for interrupt %u; masked it\n", irq);
}

uint64_t irq_count(unsigned irq)
{
	return irq < IRQ_MAX ? __atomic_load_n(&slots[irq].count, __ATOMIC_RELAXED) : 0;
}
