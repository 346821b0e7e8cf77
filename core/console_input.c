/*
 * core/console_input.c: the console's receive ring.
 *
 * The UART interrupt handler is the only producer and drains the UART completely each time
 * (which is also what clears a level-triggered UART interrupt); readers are the consumers.
 * Both sides take ring_lock, which masks interrupts, so a reader on the interrupted CPU can
 * never deadlock against the handler. When the ring is full new bytes are dropped and counted:
 * losing the newest typing is better than corrupting what a reader has half consumed.
 * A reader with nothing to read sleeps on rx_wait (console_input_wait), which the handler
 * wakes after each batch, instead of spinning on the ring. Pollers (console_input_poll) hook
 * into rx_wait too, so the same wake-up reaches them.
 */
#include "core/console_input.h"

#include "arch/arch.h"
#include "core/irq.h"
#include "core/kprintf.h"
#include "core/poll.h"
#include "core/spinlock.h"
#include "core/waitq.h"

#define RING_SIZE 4096u /* a power of two: indices wrap with a mask */

static struct {
	struct spinlock lock;
	unsigned char buf[RING_SIZE];
	uint32_t head, tail; /* guarded by lock; head - tail = bytes buffered */
	uint64_t dropped;
} ring = {.lock = SPINLOCK_INIT("console_input")};

static struct waitq rx_wait = WAITQ_INIT("console_input rx");

static void uart_irq(unsigned irq, void *ctx)
{
	unsigned long s = spin_lock_irqsave(&ring.lock);
	int c;
	while ((c = arch_console_getc()) >= 0) {
		if (ring.head - ring.tail == RING_SIZE) {
			ring.dropped++;
			continue;
		}
		ring.buf[ring.head++ & (RING_SIZE - 1)] = (unsigned char)c;
	}
	spin_unlock_irqrestore(&ring.lock, s);
	wake_up_all(&rx_wait);
}

void console_input_init(const struct boot_info *bi)
{
	int err = irq_register(bi->uart_irq, bi->uart_irq_flags, uart_irq, NULL);
	if (err) {
		pr_warn("console: no receive interrupt (irq %u: error %d); input disabled\n",
			bi->uart_irq, err);
		return;
	}
	arch_console_rx_irq_enable();
}

int console_input_getc(void)
{
	int c = -1;
	unsigned long s = spin_lock_irqsave(&ring.lock);
	if (ring.head != ring.tail)
		c = ring.buf[ring.tail++ & (RING_SIZE - 1)];
	spin_unlock_irqrestore(&ring.lock, s);
	return c;
}

static bool ring_nonempty(void)
{
	unsigned long s = spin_lock_irqsave(&ring.lock);
	bool any = ring.head != ring.tail;
	spin_unlock_irqrestore(&ring.lock, s);
	return any;
}

unsigned console_input_poll(struct file *f, struct poll_table *pt)
{
	poll_wait(f, &rx_wait, pt);
	return ring_nonempty() ? POLLIN | POLLRDNORM : 0;
}

void console_input_wait(void)
{
	wait_event(&rx_wait, ring_nonempty());
}

uint64_t console_input_dropped(void)
{
	unsigned long s = spin_lock_irqsave(&ring.lock);
	uint64_t d = ring.dropped;
	spin_unlock_irqrestore(&ring.lock, s);
	return d;
}
