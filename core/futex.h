/*
 * core/futex.h: futexes (FUTEX_WAIT / FUTEX_WAKE and their bitset forms), private and shared.
 *
 * A futex is named by a key: (mm, user address) for a private futex, and the physical address
 * of the word for a shared one, so two processes mapping the same page meet. Waiters sleep on
 * one of a fixed number of hashed wait queues; a waker wakes the waiters whose key matches.
 */
#ifndef CORE_FUTEX_H
#define CORE_FUTEX_H

#include <stdint.h>

struct mm;

struct thread;

/* Thread exit: release the robust futexes t still holds (set_robust_list), in mm. */
void futex_robust_exit(struct thread *t, struct mm *mm);

/* Wake up to n waiters of the private futex at uaddr in mm (clear_child_tid at thread exit).
 * Returns how many were woken. */
int futex_wake_addr(struct mm *mm, uintptr_t uaddr, int n);

#endif
