/*
 * tests/ktest/test_poll.c: wait-queue hooks (core/waitq.h) and the poll table (core/poll.h):
 * hooks run on every wake-up and never after wait_hook_del; a poller registered on a pipe is
 * woken by a write from another thread; a poll table sleep ends at its deadline, not before.
 */
#include "core/errno.h"
#include "core/ktest.h"
#include "core/poll.h"
#include "core/sched.h"
#include "core/time.h"
#include "fs/pipe.h"

static unsigned hook_calls;

static void count_hook(struct wait_hook *h)
{
	(void)h;
	__atomic_add_fetch(&hook_calls, 1, __ATOMIC_RELAXED);
}

KTEST(waitq_hooks)
{
	struct waitq wq;
	struct wait_hook h1 = {0}, h2 = {0};
	waitq_init(&wq, "kt hooks");
	hook_calls = 0;
	wait_hook_add(&wq, &h1, count_hook);
	wait_hook_add(&wq, &h2, count_hook);
	KT_EXPECT(!wake_up_one(&wq)); /* no thread woken, but both hooks ran */
	KT_EXPECT_EQ(hook_calls, 2);
	KT_EXPECT_EQ(wake_up_all(&wq), 0);
	KT_EXPECT_EQ(hook_calls, 4);
	wait_hook_del(&h1);
	wait_hook_del(&h1); /* a no-op once off */
	wake_up_all(&wq);
	KT_EXPECT_EQ(hook_calls, 5);
	wait_hook_del(&h2);
	wake_up_all(&wq);
	KT_EXPECT_EQ(hook_calls, 5);
	KT_EXPECT(wq.hooks == NULL);
}

static void late_writer(void *arg)
{
	struct file *wr = arg;
	uint64_t until = time_ns() + 20 * 1000000ull;
	while (time_ns() < until)
		sched_yield();
	struct uio u = uio_kernel("x", 1);
	vfs_write(wr, &u);
}

KTEST(poll_table_pipe_wakeup)
{
	struct file *rd, *wr;
	KT_EXPECT_EQ(pipe_create(0, &rd, &wr), 0);
	KT_EXPECT_EQ(vfs_poll(wr, NULL), POLLOUT | POLLWRNORM);
	struct poll_table pt;
	poll_table_init(&pt);
	KT_EXPECT_EQ(vfs_poll(rd, &pt), 0);
	struct thread *t = thread_create("kt_poll_w", late_writer, wr);
	uint64_t start = time_ns(), deadline = start + 5 * NSEC_PER_SEC;
	unsigned m = 0;
	while (!(m = vfs_poll(rd, NULL)) && !poll_table_sleep(&pt, deadline))
		;
	KT_EXPECT_EQ(m, POLLIN | POLLRDNORM);
	KT_EXPECT(time_ns() - start < 2 * NSEC_PER_SEC); /* woken by the write, not the clock */
	poll_table_free(&pt);
	thread_join(t);
	file_put(wr);
	KT_EXPECT_EQ(vfs_poll(rd, NULL), POLLIN | POLLRDNORM | POLLHUP);
	file_put(rd);
}

KTEST(poll_table_deadline)
{
	struct poll_table pt;
	poll_table_init(&pt);
	uint64_t start = time_ns(), deadline = start + 30 * 1000000ull;
	while (!poll_table_sleep(&pt, deadline))
		;
	KT_EXPECT(time_ns() >= deadline);
	poll_table_free(&pt);
}
