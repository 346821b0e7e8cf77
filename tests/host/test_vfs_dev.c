/*
 * tests/host/test_vfs_dev.c: devfs (null, zero, full, random, urandom, console, tty) with a
 * stub console, device nodes on tmpfs, and vfs_init_root building the global tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errno.h"
#include "tests/host/tap.h"
#include "tests/host/vfs_test.h"

static struct tree T;
#define R (&T.root)

static struct file *open_ok(const char *path, unsigned flags)
{
	struct file *f = NULL;
	CHECK_EQ(vfs_open(R, NULL, path, flags, 0644, &f), 0);
	return f;
}

static long rd(struct file *f, void *buf, size_t n)
{
	struct uio u = uio_kernel(buf, n);
	return vfs_read(f, &u);
}

static long wr(struct file *f, const void *buf, size_t n)
{
	struct uio u = uio_kernel((void *)buf, n);
	return vfs_write(f, &u);
}

static struct mount *mount_dev(void)
{
	tree_new(&T);
	CHECK_EQ(vfs_mkdir(R, NULL, "/dev", 0755), 0);
	CHECK_EQ(vfs_mount_at(R, NULL, "devfs", NULL, "/dev", NULL), 0);
	struct path p;
	CHECK_EQ(vfs_lookup(R, NULL, "/dev", 0, &p), 0);
	struct mount *m = p.mnt;
	path_put(&p);
	return m;
}

static void finish(struct mount *dev, const char *name)
{
	CHECK_EQ(vfs_umount(dev), 0);
	CHECK_EQ(tree_free(&T), 0);
	tap_point(name);
}

struct names {
	char list[256];
};

static int add_name(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
		    uint64_t next)
{
	struct names *n = ctx;
	size_t at = strlen(n->list);
	snprintf(n->list + at, sizeof(n->list) - at, "%.*s:%u ", (int)len, name, type);
	return 0;
}

static void test_listing(void)
{
	struct mount *dev = mount_dev();
	struct file *d = open_ok("/dev", O_RDONLY | O_DIRECTORY);
	struct names n = {{0}};
	CHECK_EQ(vfs_readdir(d, add_name, &n), 0);
	CHECK_STREQ(n.list, ".:4 ..:4 null:2 zero:2 full:2 random:2 urandom:2 tty:2 console:2 ");
	file_put(d);
	static const struct {
		const char *path;
		unsigned major, minor;
	} want[] = {{"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
		    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
		    {"/dev/console", 5, 1}};
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct inode st;
		CHECK_EQ(stat_path(R, want[i].path, true, &st), 0);
		CHECK(S_ISCHR(st.mode));
		CHECK_EQ(MAJOR(st.rdev), want[i].major);
		CHECK_EQ(MINOR(st.rdev), want[i].minor);
	}
	CHECK_EQ(vfs_open(R, NULL, "/dev/nope", O_RDONLY, 0, &d), -ENOENT);
	CHECK_EQ(vfs_open(R, NULL, "/dev/new", O_RDWR | O_CREAT, 0644, &d), -EACCES);
	struct inode st;
	CHECK_EQ(stat_path(R, "/dev/..", true, &st), 0);
	CHECK_EQ(st.ino, T.m->sb->root->ino);
	finish(dev, "devfs: listing and device numbers");
}

static void test_memory_devices(void)
{
	struct mount *dev = mount_dev();
	unsigned char buf[64];
	struct file *f = open_ok("/dev/null", O_RDWR);
	CHECK_EQ(wr(f, "twenty-four bytes of it!", 24), 24);
	CHECK_EQ(rd(f, buf, sizeof(buf)), 0);
	CHECK_EQ(vfs_lseek(f, 100, SEEK_SET), 0);
	file_put(f);
	f = open_ok("/dev/zero", O_RDWR);
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(rd(f, buf, 32), 32);
	CHECK(buf[0] == 0 && buf[31] == 0 && buf[32] == 0xff);
	CHECK_EQ(wr(f, buf, 10), 10);
	file_put(f);
	f = open_ok("/dev/full", O_RDWR);
	CHECK_EQ(wr(f, "x", 1), -ENOSPC);
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(rd(f, buf, 16), 16);
	CHECK(buf[0] == 0 && buf[15] == 0);
	file_put(f);
	unsigned char a[16], b[16], zero[16] = {0};
	f = open_ok("/dev/urandom", O_RDONLY);
	CHECK_EQ(rd(f, a, 16), 16);
	CHECK_EQ(rd(f, b, 16), 16);
	CHECK(memcmp(a, zero, 16) != 0 && memcmp(a, b, 16) != 0);
	file_put(f);
	f = open_ok("/dev/random", O_RDWR);
	CHECK_EQ(wr(f, "seed material", 13), 13);
	CHECK_EQ(rd(f, b, 16), 16);
	CHECK(memcmp(a, b, 16) != 0);
	file_put(f);
	finish(dev, "devfs: null, zero, full, random, urandom");
}

/* The console wait hook: the first wait "types" a line. */
static int waits;
static void type_line(void)
{
	waits++;
	stub_console.in = "typed\n";
	stub_console.in_len = 6;
	stub_console.in_pos = 0;
}

static void test_console(void)
{
	struct mount *dev = mount_dev();
	struct file *f = open_ok("/dev/console", O_RDWR);
	stub_console.out_len = 0;
	CHECK_EQ(wr(f, "hello console\n", 14), 14);
	CHECK_STREQ(stub_console.out, "hello console\n");
	static char big[1000];
	memset(big, 'z', sizeof(big));
	CHECK_EQ(wr(f, big, sizeof(big)), 1000);
	CHECK_EQ(stub_console.out_len, 1014);
	char buf[100] = {0};
	stub_console.in = "ab";
	stub_console.in_len = 2;
	stub_console.in_pos = 0;
	CHECK_EQ(rd(f, buf, sizeof(buf)), 2); /* what is there, without waiting for more */
	CHECK_STREQ(buf, "ab");
	f->flags |= O_NONBLOCK;
	CHECK_EQ(rd(f, buf, sizeof(buf)), -EAGAIN);
	f->flags &= ~O_NONBLOCK;
	void (*saved)(void) = devfs_console_wait;
	devfs_console_wait = type_line;
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(rd(f, buf, 3), 3); /* waits, then returns at most what was asked */
	CHECK_EQ(waits, 1);
	CHECK_STREQ(buf, "typ");
	CHECK_EQ(rd(f, buf, sizeof(buf)), 3);
	devfs_console_wait = saved;
	CHECK_EQ(vfs_lseek(f, 0, SEEK_SET), -ESPIPE);
	file_put(f);
	f = open_ok("/dev/tty", O_WRONLY);
	CHECK_EQ(wr(f, "T", 1), 1);
	CHECK_EQ(stub_console.out[stub_console.out_len - 1], 'T');
	file_put(f);
	finish(dev, "devfs: console and tty write out and read typed input");
}

static void test_nodes_and_attrs(void)
{
	struct mount *dev = mount_dev();
	/* A device node on tmpfs opens the registered device. */
	struct inode *root = T.m->sb->root, *n1, *n2;
	mutex_lock(&root->lock);
	CHECK_EQ(root->ops->create(root, "mynull", 6, S_IFCHR | 0666, MKDEV(1, 3), &n1), 0);
	CHECK_EQ(root->ops->create(root, "bogus", 5, S_IFCHR | 0666, MKDEV(99, 1), &n2), 0);
	mutex_unlock(&root->lock);
	vfs_iput(n1);
	vfs_iput(n2);
	struct file *f = open_ok("/mynull", O_WRONLY);
	CHECK_EQ(wr(f, "abc", 3), 3);
	file_put(f);
	CHECK_EQ(vfs_open(R, NULL, "/bogus", O_RDONLY, 0, &f), -ENXIO);
	/* chmod of a devfs inode survives its eviction. */
	struct path p;
	CHECK_EQ(vfs_lookup(R, NULL, "/dev/zero", 0, &p), 0);
	struct vattr va = {.valid = ATTR_MODE, .mode = 0600};
	CHECK_EQ(p.ino->ops->setattr(p.ino, &va), 0);
	path_put(&p);
	struct inode st;
	CHECK_EQ(stat_path(R, "/dev/zero", true, &st), 0);
	CHECK_EQ(st.mode, S_IFCHR | 0600);
	finish(dev, "devfs: device nodes elsewhere, attributes kept");
}

static void test_init_root(void)
{
	CHECK_EQ(vfs_sync_all(), 0);
	struct path root;
	CHECK_EQ(vfs_root(&root), -ENOENT);
	CHECK_EQ(vfs_init_root("nosuchfs", NULL), -ENODEV);
	CHECK_EQ(vfs_init_root("tmpfs", NULL), 0);
	CHECK_EQ(vfs_root(&root), 0);
	struct file *f;
	CHECK_EQ(vfs_open(NULL, NULL, "/dev/null", O_WRONLY, 0, &f), 0);
	CHECK_EQ(wr(f, "x", 1), 1);
	file_put(f);
	struct inode st;
	CHECK_EQ(stat_path(NULL, "/tmp", true, &st), 0);
	CHECK_EQ(st.mode, S_IFDIR | 01777);
	CHECK_EQ(put_file(NULL, "/tmp/w.txt", "written"), 0);
	CHECK_EQ(vfs_rename(NULL, NULL, "/tmp/w.txt", NULL, "/w.txt", 0), -EXDEV);
	CHECK_EQ(vfs_mount("tmpfs", NULL, "/", NULL), 0); /* stacking on "/" is allowed */
	CHECK_EQ(vfs_sync_all(), 0);
	/* Take it apart again: innermost first; the root is busy while we hold it. */
	struct path tmp, dev, over;
	CHECK_EQ(vfs_lookup(NULL, NULL, "/tmp", 0, &tmp), 0);
	CHECK_EQ(vfs_lookup(NULL, NULL, "/dev", 0, &dev), 0);
	over.mnt = root.ino->covered;
	struct mount *mt = tmp.mnt, *md = dev.mnt, *mr = root.mnt;
	path_put(&tmp);
	path_put(&dev);
	CHECK_EQ(vfs_umount(over.mnt), 0);
	CHECK_EQ(vfs_umount(mt), 0);
	CHECK_EQ(vfs_umount(md), 0);
	CHECK_EQ(vfs_umount(mr), -EBUSY);
	path_put(&root);
	CHECK_EQ(vfs_umount(mr), 0);
	CHECK_EQ(vfs_root(&root), -ENOENT);
	CHECK_EQ(stub_pages_live, 0);
	tap_point("vfs_init_root: tmpfs root with devfs on /dev and tmpfs on /tmp");
}

int main(void)
{
	test_listing();
	test_memory_devices();
	test_console();
	test_nodes_and_attrs();
	test_init_root();
	return tap_done();
}
