/*
 * core/futex_robust.c: robust futex lists (set_robust_list, get_robust_list, and the walk at
 * thread exit), Linux's semantics.
 *
 * A thread registers the head of a user-space list of the robust mutexes it holds:
 *   struct robust_list_head { struct robust_list *next; long futex_offset;
 *                             struct robust_list *list_op_pending; };
 * When the thread exits, the kernel walks the list (at most ROBUST_LIST_LIMIT entries, so a
 * corrupt or circular list cannot hang it) and for each futex word (entry + futex_offset)
 * still owned by the thread (its low 30 bits are the tid) sets FUTEX_OWNER_DIED, keeps
 * FUTEX_WAITERS, and wakes one waiter if there were any; list_op_pending (a lock or unlock in
 * progress) is handled the same way. Every access goes through the fault-safe copies; a bad
 * pointer just ends the walk.
 */
#include "arch/arch.h"
#include "core/errno.h"
#include "core/futex.h"
#include "core/proc.h"
#include "core/syscall.h"
#include "core/uaccess.h"

#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu
#define ROBUST_LIST_LIMIT 2048
#define ROBUST_HEAD_SIZE 24

SYSCALL_DECLARE(set_robust_list);
SYSCALL_DECLARE(get_robust_list);

long sys_set_robust_list(const unsigned long *a)
{
	if (a[1] != ROBUST_HEAD_SIZE)
		return -EINVAL;
	thread_current()->robust_list = a[0];
	return 0;
}

long sys_get_robust_list(const unsigned long *a)
{
	int tid = (int)a[0];
	struct thread *t = thread_current();
	if (tid != 0 && tid != t->tid)
		return -ESRCH; /* only the caller's own list (Linux also allows a ptrace-able one) */
	uint64_t head = t->robust_list, size = ROBUST_HEAD_SIZE;
	if (put_user(a[1], &head) || put_user(a[2], &size))
		return -EFAULT;
	return 0;
}

/* The futex word at uaddr belonged to tid, who is gone: mark it and wake a waiter. */
static void owner_died(struct mm *mm, uintptr_t uaddr, int tid)
{
	for (int tries = 0; tries < 16; tries++) {
		uint32_t val;
		if (uaddr % 4 || get_user(&val, uaddr) || (val & FUTEX_TID_MASK) != (uint32_t)tid)
			return;
		uint32_t nval = (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED, old;
		if (!user_range_ok(uaddr, 4) || arch_futex_cmpxchg(uaddr, val, nval, &old))
			return;
		if (old != val)
			continue; /* changed under us: look again */
		if (val & FUTEX_WAITERS)
			futex_wake_addr(mm, uaddr, 1);
		return;
	}
}

void futex_robust_exit(struct thread *t, struct mm *mm)
{
	uint64_t head[3]; /* next, futex_offset, list_op_pending */
	if (!t->robust_list || copy_from_user(head, t->robust_list, sizeof(head)))
		return;
	int64_t off = (int64_t)head[1];
	uint64_t entry = head[0];
	for (int n = 0; entry != t->robust_list && n < ROBUST_LIST_LIMIT; n++) {
		uint64_t next;
		if (get_user(&next, entry))
			break;
		if (entry != head[2])
			owner_died(mm, (uintptr_t)(entry + (uint64_t)off), t->tid);
		entry = next;
	}
	if (head[2])
		owner_died(mm, (uintptr_t)(head[2] + (uint64_t)off), t->tid);
}
