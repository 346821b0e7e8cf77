/*
 * tests/ktest/test_pipe.c: pipes and FIFOs (fs/pipe.c) inside the kernel, through the VFS's
 * read and write with kernel buffers: the 64 KiB ring filled and drained, EOF and EPIPE,
 * O_NONBLOCK's EAGAIN, atomic PIPE_BUF writes, a 1 MiB stream between two kernel threads, and
 * vfs_mknod and FIFO opens (partners, ENXIO) on a private tmpfs.
 */
#include "core/errno.h"
#include "core/kheap.h"
#include "core/ktest.h"
#include "core/sched.h"
#include "core/string.h"
#include "core/time.h"
#include "fs/pipe.h"

static long kwrite(struct file *f, const void *buf, size_t n)
{
	struct uio u = uio_kernel((void *)buf, n);
	return vfs_write(f, &u);
}

static long kread(struct file *f, void *buf, size_t n)
{
	struct uio u = uio_kernel(buf, n);
	return vfs_read(f, &u);
}

KTEST(pipe_fill_drain_nonblock)
{
	struct file *rd, *wr;
	KT_EXPECT_EQ(pipe_create(O_NONBLOCK, &rd, &wr), 0);
	KT_EXPECT(file_is_pipe(rd) && file_is_pipe(wr));
	KT_EXPECT(S_ISFIFO(rd->path.ino->mode) && rd->path.ino == wr->path.ino);
	KT_EXPECT_EQ(rd->flags, O_RDONLY | O_NONBLOCK);
	KT_EXPECT_EQ(wr->flags, O_WRONLY | O_NONBLOCK);
	char *buf = kmalloc(PIPE_SIZE);
	char small[100];
	KT_EXPECT_EQ(kread(rd, small, sizeof(small)), -EAGAIN);
	long total = 0, n;
	while ((n = kwrite(wr, "0123456789abcdefghijklmnopqrstuv", 32)) > 0)
		total += n;
	KT_EXPECT_EQ(n, -EAGAIN);
	KT_EXPECT_EQ(total, PIPE_SIZE);
	KT_EXPECT_EQ(kwrite(wr, "x", 1), -EAGAIN);
	/* Free 100 bytes: a 200-byte (atomic) write still does not fit, a big one fills 100. */
	KT_EXPECT_EQ(kread(rd, small, 100), 100);
	KT_EXPECT(memcmp(small, "0123456789abcdefghijklmnopqrstuv0123", 36) == 0);
	KT_EXPECT_EQ(kwrite(wr, buf, 200), -EAGAIN);
	memset(buf, 'z', PIPE_BUF + 1);
	KT_EXPECT_EQ(kwrite(wr, buf, PIPE_BUF + 1), 100);
	/* Drain: the ring wraps; the last 100 bytes are the z's. */
	KT_EXPECT_EQ(kread(rd, buf, PIPE_SIZE), PIPE_SIZE);
	KT_EXPECT_EQ(buf[PIPE_SIZE - 101], 'v');
	KT_EXPECT(buf[PIPE_SIZE - 100] == 'z' && buf[PIPE_SIZE - 1] == 'z');
	KT_EXPECT_EQ(kread(rd, buf, 1), -EAGAIN);
	KT_EXPECT_EQ(kread(rd, buf, 0), 0);
	/* Not seekable, not positional, not readable at the write end. */
	KT_EXPECT_EQ(vfs_lseek(rd, 0, SEEK_CUR), -ESPIPE);
	struct uio u = uio_kernel(buf, 1);
	KT_EXPECT_EQ(vfs_pread(rd, &u, 0), -ESPIPE);
	KT_EXPECT_EQ(kread(wr, buf, 1), -EBADF);
	KT_EXPECT_EQ(kwrite(rd, buf, 1), -EBADF);
	kfree(buf);
	file_put(rd);
	file_put(wr);
}

KTEST(pipe_eof_and_epipe)
{
	struct file *rd, *wr;
	char b[16];
	KT_EXPECT_EQ(pipe_create(0, &rd, &wr), 0);
	KT_EXPECT_EQ(kwrite(wr, "before close", 12), 12);
	file_get(wr); /* a dup: EOF only when the last reference goes */
	file_put(wr);
	KT_EXPECT_EQ(kread(rd, b, 6), 6);
	file_put(wr);
	KT_EXPECT_EQ(kread(rd, b, sizeof(b)), 6);
	KT_EXPECT(memcmp(b, " close", 6) == 0);
	KT_EXPECT_EQ(kread(rd, b, sizeof(b)), 0);
	KT_EXPECT_EQ(kread(rd, b, sizeof(b)), 0);
	file_put(rd);

	KT_EXPECT_EQ(pipe_create(0, &rd, &wr), 0);
	KT_EXPECT_EQ(kwrite(wr, "a", 1), 1);
	file_put(rd);
	KT_EXPECT_EQ(kwrite(wr, "b", 1), -EPIPE);
	KT_EXPECT_EQ(kwrite(wr, "b", 0), 0); /* Linux: an empty write is 0 even then */
	file_put(wr);
}

/* ---- Two threads ------------------------------------------------------------------------- */

#define STREAM_BYTES (1u << 20)

static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 7 + 3) >> 3);
}

struct writer_arg {
	struct file *wr;
	int id;          /* stream writer: -1; record writers: 0.. */
	long result;
};

/* Write the 1 MiB pattern in odd-sized pieces, then close. */
static void stream_writer(void *arg)
{
	struct writer_arg *w = arg;
	static unsigned char out[12345];
	size_t off = 0;
	w->result = 0;
	while (off < STREAM_BYTES) {
		size_t n = STREAM_BYTES - off < sizeof(out) ? STREAM_BYTES - off : sizeof(out);
		for (size_t i = 0; i < n; i++)
			out[i] = pattern(off + i);
		long r = kwrite(w->wr, out, n);
		if (r != (long)n) { /* blocking: a write goes in whole */
			w->result = r < 0 ? r : -1;
			break;
		}
		off += n;
	}
	file_put(w->wr);
}

KTEST(pipe_stream_between_threads)
{
	struct file *rd, *wr;
	KT_EXPECT_EQ(pipe_create(0, &rd, &wr), 0);
	struct writer_arg w = {wr, -1, 1};
	struct thread *t = thread_create("kt_pipe_w", stream_writer, &w);
	KT_EXPECT(t != NULL);
	unsigned char *in = kmalloc(5000);
	size_t got = 0, bad = SIZE_MAX;
	long n;
	while ((n = kread(rd, in, 5000)) > 0) {
		for (long i = 0; i < n; i++)
			if (bad == SIZE_MAX && in[i] != pattern(got + (size_t)i))
				bad = got + (size_t)i;
		got += (size_t)n;
	}
	KT_EXPECT_EQ(n, 0);
	KT_EXPECT_EQ(got, STREAM_BYTES);
	KT_EXPECT_EQ(bad, SIZE_MAX);
	if (t)
		thread_join(t);
	KT_EXPECT_EQ(w.result, 0);
	kfree(in);
	file_put(rd);
}

/* 4 writers, 64 records each of PIPE_BUF bytes all equal to the writer's id and sequence. */
#define RECORDS 64

static void record_writer(void *arg)
{
	struct writer_arg *w = arg;
	unsigned char *rec = kmalloc(PIPE_BUF);
	w->result = 0;
	for (int r = 0; r < RECORDS && rec; r++) {
		memset(rec, (w->id << 6) | r, PIPE_BUF);
		if (kwrite(w->wr, rec, PIPE_BUF) != PIPE_BUF) {
			w->result = -1;
			break;
		}
		if (r % 8 == 0)
			sched_yield();
	}
	kfree(rec);
	file_put(w->wr);
}

KTEST(pipe_atomic_records)
{
	struct file *rd, *wr;
	KT_EXPECT_EQ(pipe_create(0, &rd, &wr), 0);
	struct writer_arg w[4];
	struct thread *t[4];
	for (int i = 0; i < 4; i++) {
		file_get(wr);
		w[i] = (struct writer_arg){wr, i, 1};
		t[i] = thread_create("kt_pipe_rec", record_writer, &w[i]);
		KT_EXPECT(t[i] != NULL);
	}
	file_put(wr);
	unsigned char *rec = kmalloc(PIPE_BUF);
	int next[4] = {0}, bad = 0, records = 0;
	for (;;) {
		/* Read one record in odd pieces: it must be one writer's bytes throughout. */
		size_t have = 0;
		long n = 0;
		while (have < PIPE_BUF) {
			size_t ask = have ? 1000 : 3000;
			if (ask > PIPE_BUF - have)
				ask = PIPE_BUF - have;
			if ((n = kread(rd, rec + have, ask)) <= 0)
				break;
			have += (size_t)n;
		}
		if (have == 0)
			break;
		int id = rec[0] >> 6, seq = rec[0] & 63;
		for (size_t i = 0; i < PIPE_BUF; i++)
			if (rec[i] != rec[0])
				bad++;
		if (have != PIPE_BUF || seq != next[id])
			bad++;
		next[id]++;
		records++;
	}
	KT_EXPECT_EQ(records, 4 * RECORDS);
	KT_EXPECT_EQ(bad, 0);
	for (int i = 0; i < 4; i++) {
		if (t[i])
			thread_join(t[i]);
		KT_EXPECT_EQ(w[i].result, 0);
		KT_EXPECT_EQ(next[i], RECORDS);
	}
	kfree(rec);
	file_put(rd);
}

/* A reader blocked on an empty pipe wakes for the data, and a writer blocked on a full one
 * wakes for the drain. */
static void late_writer(void *arg)
{
	struct writer_arg *w = arg;
	time_delay_ns(20 * 1000000ull);
	w->result = kwrite(w->wr, "late", 4);
}

static void late_reader(void *arg)
{
	struct writer_arg *w = arg; /* wr here is the read end */
	static char sink[PIPE_SIZE];
	time_delay_ns(20 * 1000000ull);
	w->result = kread(w->wr, sink, sizeof(sink));
}

KTEST(pipe_blocking_wakeups)
{
	struct file *rd, *wr;
	char b[8];
	KT_EXPECT_EQ(pipe_create(0, &rd, &wr), 0);
	struct writer_arg w = {wr, 0, 0};
	struct thread *t = thread_create("kt_pipe_late", late_writer, &w);
	KT_EXPECT_EQ(kread(rd, b, sizeof(b)), 4);
	if (t)
		thread_join(t);
	KT_EXPECT_EQ(w.result, 4);

	char *fill = kzalloc(PIPE_SIZE);
	KT_EXPECT_EQ(kwrite(wr, fill, PIPE_SIZE), PIPE_SIZE);
	struct writer_arg r = {rd, 0, 0};
	t = thread_create("kt_pipe_drain", late_reader, &r);
	uint64_t t0 = time_ns();
	KT_EXPECT_EQ(kwrite(wr, "more", 4), 4); /* sleeps until the drain */
	KT_EXPECT(time_ns() - t0 >= 10 * 1000000ull);
	if (t)
		thread_join(t);
	KT_EXPECT_EQ(r.result, PIPE_SIZE);
	KT_EXPECT_EQ(kread(rd, b, sizeof(b)), 4);
	kfree(fill);
	file_put(rd);
	file_put(wr);
}

/* ---- FIFOs ----------------------------------------------------------------------------------- */

static int fifo_open_path(const struct path *root, unsigned flags, struct file **out)
{
	int err = vfs_open(root, NULL, "/fifo", flags, 0, out);
	if (!err && (err = fifo_open(*out)) != 0)
		file_put(*out);
	return err;
}

struct opener {
	const struct path *root;
	unsigned flags;
	struct file *f;
	int err;
};

static void fifo_opener(void *arg)
{
	struct opener *o = arg;
	o->err = fifo_open_path(o->root, o->flags, &o->f);
}

KTEST(pipe_fifo_opens)
{
	KT_EXPECT_EQ(vfs_init(), 0);
	struct mount *m;
	if (vfs_kern_mount("tmpfs", NULL, "mode=755", &m) != 0) {
		ktest_fail(__FILE__, __LINE__, "no tmpfs");
		return;
	}
	struct path root = {m, m->sb->root};
	KT_EXPECT_EQ(vfs_mknod(&root, NULL, "/fifo", S_IFIFO | 0644, 0), 0);
	KT_EXPECT_EQ(vfs_mknod(&root, NULL, "/fifo", S_IFIFO | 0644, 0), -EEXIST);
	KT_EXPECT_EQ(vfs_mknod(&root, NULL, "/d", S_IFDIR | 0755, 0), -EPERM);
	KT_EXPECT_EQ(vfs_mknod(&root, NULL, "/x", 0170000, 0), -EINVAL);
	KT_EXPECT_EQ(vfs_mknod(&root, NULL, "/nodir/f", S_IFIFO | 0644, 0), -ENOENT);
	struct path fp;
	KT_EXPECT_EQ(vfs_lookup(&root, NULL, "/fifo", 0, &fp), 0);
	KT_EXPECT_EQ(fp.ino->mode, S_IFIFO | 0644);
	path_put(&fp);

	struct file *r, *w, *rw;
	KT_EXPECT_EQ(fifo_open_path(&root, O_WRONLY | O_NONBLOCK, &w), -ENXIO);
	KT_EXPECT_EQ(fifo_open_path(&root, O_RDONLY | O_NONBLOCK, &r), 0);
	char b[32];
	KT_EXPECT_EQ(kread(r, b, sizeof(b)), 0); /* no writer: EOF */
	KT_EXPECT_EQ(fifo_open_path(&root, O_WRONLY | O_NONBLOCK, &w), 0);
	KT_EXPECT_EQ(kread(r, b, sizeof(b)), -EAGAIN);
	KT_EXPECT_EQ(kwrite(w, "fifo data", 9), 9);
	KT_EXPECT_EQ(kread(r, b, sizeof(b)), 9);
	file_put(r);
	KT_EXPECT_EQ(kwrite(w, "x", 1), -EPIPE);
	file_put(w);

	/* A blocking reader waits for a writer; O_RDWR never waits. */
	struct opener o = {&root, O_RDONLY, NULL, 1};
	struct thread *t = thread_create("kt_fifo_open", fifo_opener, &o);
	time_delay_ns(20 * 1000000ull);
	KT_EXPECT_EQ(__atomic_load_n(&o.err, __ATOMIC_ACQUIRE), 1); /* still waiting */
	KT_EXPECT_EQ(fifo_open_path(&root, O_RDWR, &rw), 0);
	if (t)
		thread_join(t);
	KT_EXPECT_EQ(o.err, 0);
	KT_EXPECT_EQ(kwrite(rw, "hi", 2), 2);
	if (o.err == 0) {
		KT_EXPECT_EQ(kread(o.f, b, sizeof(b)), 2);
		file_put(o.f);
	}
	file_put(rw);
	KT_EXPECT_EQ(vfs_unlink(&root, NULL, "/fifo"), 0);
	KT_EXPECT_EQ(vfs_umount(m), 0);
}
