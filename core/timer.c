/*
 * core/timer.c: callback timers (the contract is in core/timer.h).
 *
 * Design. One list of armed timers for the whole machine, sorted by expiry (earliest first,
 * equal expiries in arming order), behind timer_lock. Every CPU's tick calls ktimer_cb_tick
 * (through ktimer_tick), which pops the expired ones and runs their functions with timer_lock
 * still held; a function's return value re-arms the timer before the lock is dropped. Running
 * functions under the lock is what makes cancel simple: a cancel that has taken timer_lock
 * knows the function is not running anywhere, so the caller may free the timer at once.
 *
 * Precision: a timer fires on the first tick at or after its expiry, so up to 1/TICK_HZ late
 * (never early). Periodic users compute their next expiry from the old one, not from `now`,
 * so a period does not drift by the lateness.
 *
 * Invariants.
 * - kt is on the list iff kt->expires != 0; both change only under timer_lock.
 * - next_expiry is the head's expiry (UINT64_MAX if none), written under the lock and read
 *   without it by the tick as a cheap "anything due?" test; a stale read only delays a timer
 *   to the next tick.
 * - A function runs at most once per tick per timer: a re-armed timer whose new expiry is not
 *   after `now` is pushed to now + 1 (fires next tick), so a broken period cannot loop.
 */
#include "core/timer.h"

#include <stddef.h>

#include "core/spinlock.h"
#include "core/time.h"

static struct spinlock timer_lock = SPINLOCK_INIT("timer");
static struct ktimer_cb *head;       /* guarded by timer_lock */
static unsigned nr_armed;            /* guarded by timer_lock */
static uint64_t next_expiry = UINT64_MAX; /* __atomic */

void ktimer_cb_init(struct ktimer_cb *kt, ktimer_cb_fn fn, void *arg)
{
	*kt = (struct ktimer_cb){.fn = fn, .arg = arg};
}

/* timer_lock held. */
static void update_next(void)
{
	__atomic_store_n(&next_expiry, head ? head->expires : UINT64_MAX, __ATOMIC_RELAXED);
}

/* timer_lock held; kt not on the list, expires != 0. */
static void insert(struct ktimer_cb *kt, uint64_t expires)
{
	struct ktimer_cb *prev = NULL, *cur = head;
	kt->expires = expires;
	while (cur && cur->expires <= expires) {
		prev = cur;
		cur = cur->next;
	}
	kt->prev = prev;
	kt->next = cur;
	if (cur)
		cur->prev = kt;
	if (prev)
		prev->next = kt;
	else
		head = kt;
	nr_armed++;
	update_next();
}

/* timer_lock held; returns the expiry kt had (0: was not armed). */
static uint64_t unlink_timer(struct ktimer_cb *kt)
{
	uint64_t old = kt->expires;
	if (!old)
		return 0;
	if (kt->prev)
		kt->prev->next = kt->next;
	else
		head = kt->next;
	if (kt->next)
		kt->next->prev = kt->prev;
	kt->next = kt->prev = NULL;
	kt->expires = 0;
	nr_armed--;
	update_next();
	return old;
}

void ktimer_cb_arm(struct ktimer_cb *kt, uint64_t expires)
{
	unsigned long s = spin_lock_irqsave(&timer_lock);
	unlink_timer(kt);
	if (expires)
		insert(kt, expires);
	spin_unlock_irqrestore(&timer_lock, s);
}

uint64_t ktimer_cb_cancel(struct ktimer_cb *kt)
{
	unsigned long s = spin_lock_irqsave(&timer_lock);
	uint64_t old = unlink_timer(kt);
	spin_unlock_irqrestore(&timer_lock, s);
	return old;
}

uint64_t ktimer_cb_expires(struct ktimer_cb *kt)
{
	unsigned long s = spin_lock_irqsave(&timer_lock);
	uint64_t e = kt->expires;
	spin_unlock_irqrestore(&timer_lock, s);
	return e;
}

void ktimer_cb_tick(uint64_t now)
{
	if (__atomic_load_n(&next_expiry, __ATOMIC_RELAXED) > now)
		return;
	unsigned long s = spin_lock_irqsave(&timer_lock);
	/* Timers re-armed for now + 1 or later stay behind the loop's `now`: each runs once. */
	while (head && head->expires <= now) {
		struct ktimer_cb *kt = head;
		uint64_t expired = unlink_timer(kt);
		uint64_t next = kt->fn(kt, expired, now);
		if (next)
			insert(kt, next > now ? next : now + 1);
	}
	spin_unlock_irqrestore(&timer_lock, s);
}

unsigned ktimer_cb_pending(void)
{
	unsigned long s = spin_lock_irqsave(&timer_lock);
	unsigned n = nr_armed;
	spin_unlock_irqrestore(&timer_lock, s);
	return n;
}
