/*
 * tests/host/vfs_stubs.c: the kernel services fs/ uses beyond tests/host/kshim.c, for the
 * VFS host tests: a console that records what is written and replays scripted input, clocks
 * that tick on each read, and a frame allocator over aligned_alloc whose "physical" addresses
 * turn back into the same pointers through phys_to_virt. Plus helpers the tests share.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/console.h"
#include "core/console_input.h"
#include "core/errno.h"
#include "core/layout.h"
#include "core/pmm.h"
#include "core/signal.h"
#include "core/time.h"
#include "core/tty.h"
#include "core/uio.h"
#include "tests/host/vfs_test.h"

struct stub_console stub_console;
long stub_pages_live;

void console_write(const char *s, unsigned len)
{
	size_t room = sizeof(stub_console.out) - 1 - stub_console.out_len;
	size_t n = len < room ? len : room;
	memcpy(stub_console.out + stub_console.out_len, s, n);
	stub_console.out_len += n;
	stub_console.out[stub_console.out_len] = '\0';
}

int console_input_getc(void)
{
	if (stub_console.in_pos >= stub_console.in_len)
		return -1;
	return (unsigned char)stub_console.in[stub_console.in_pos++];
}

/* The tests that read the console set devfs_console_wait to feed it; this default only
 * returns (the reader then polls the ring again). */
void console_input_wait(void)
{
}

/* The console's poll: readable while stub input is left (no wait queue to register on). */
unsigned console_input_poll(struct file *f, struct poll_table *pt)
{
	return stub_console.in_pos < stub_console.in_len ? 0x041u : 0; /* POLLIN | POLLRDNORM */
}

/* ---- The stand-in terminal for devfs's /dev/console and /dev/tty ---- */

void (*devfs_console_wait)(void) = console_input_wait;

static long stub_tty_read(struct file *f, struct uio *u, uint64_t pos)
{
	if (u->resid == 0)
		return 0;
	int c;
	while ((c = console_input_getc()) < 0) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		devfs_console_wait();
	}
	char buf[256];
	size_t n = 0;
	do
		buf[n++] = (char)c;
	while (n < sizeof(buf) && n < u->resid && (c = console_input_getc()) >= 0);
	return uio_copy_out(u, buf, n);
}

static long stub_tty_write(struct file *f, struct uio *u, uint64_t pos)
{
	char buf[256];
	long done = 0;
	while (u->resid > 0) {
		long r = uio_copy_in(u, buf, sizeof(buf));
		if (r < 0)
			return done ? done : r;
		console_write(buf, (unsigned)r);
		done += r;
	}
	return done;
}

static int64_t stub_tty_seek(struct file *f, int64_t off, int whence)
{
	return -ESPIPE;
}

const struct file_ops tty_console_fops = {
	.read = stub_tty_read, .write = stub_tty_write, .llseek = stub_tty_seek};
const struct file_ops tty_dev_fops = {
	.read = stub_tty_read, .write = stub_tty_write, .llseek = stub_tty_seek};

static uint64_t fake_ns = 1000000000ull;

/* No signals on the host: a console read waits until its input comes. */
bool signal_pending(void)
{
	return false;
}

uint64_t time_ns(void)
{
	return fake_ns += 1234567;
}

uint64_t time_realtime_ns(void)
{
	return 1700000000ull * NSEC_PER_SEC + time_ns();
}

void time_delay_ns(uint64_t ns)
{
	fake_ns += ns;
}

uint64_t alloc_pages(unsigned order)
{
	size_t bytes = (size_t)PAGE_SIZE << order;
	void *p = aligned_alloc(PAGE_SIZE, bytes);
	if (!p)
		return 0;
	stub_pages_live += 1l << order;
	return (uint64_t)(uintptr_t)p - DIRECT_MAP_BASE;
}

void free_pages(uint64_t pa, unsigned order)
{
	stub_pages_live -= 1l << order;
	free(phys_to_virt(pa));
}

/* ---- Shared test helpers ---------------------------------------------------------------------- */

void tree_new(struct tree *t)
{
	if (vfs_init() != 0 || vfs_kern_mount("tmpfs", NULL, "mode=755", &t->m) != 0)
		abort();
	t->root = (struct path){t->m, t->m->sb->root};
}

int tree_free(struct tree *t)
{
	return vfs_umount(t->m);
}

int put_file(const struct path *root, const char *path, const char *content)
{
	struct file *f;
	int err = vfs_open(root, NULL, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f);
	if (err)
		return err;
	struct uio u = uio_kernel((void *)content, strlen(content));
	long n = vfs_write(f, &u);
	file_put(f);
	return n < 0 ? (int)n : 0;
}

long get_file(const struct path *root, const char *path, char *buf, size_t n)
{
	struct file *f;
	int err = vfs_open(root, NULL, path, O_RDONLY, 0, &f);
	if (err)
		return err;
	struct uio u = uio_kernel(buf, n - 1);
	long r = vfs_read(f, &u);
	file_put(f);
	buf[r > 0 ? r : 0] = '\0';
	return r;
}

int stat_path(const struct path *root, const char *path, bool follow, struct inode *st)
{
	struct path p;
	int err = vfs_lookup(root, NULL, path, follow ? LOOKUP_FOLLOW : 0, &p);
	if (err)
		return err;
	*st = *p.ino;
	path_put(&p);
	return 0;
}
