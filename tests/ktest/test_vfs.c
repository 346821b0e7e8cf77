/*
 * tests/ktest/test_vfs.c: the VFS inside the kernel on each port: a private tmpfs tree with
 * devfs mounted in it, files written and read back, the memory devices, and every frame and
 * heap object given back once the tree is unmounted.
 */
#include "core/errno.h"
#include "core/kheap.h"
#include "core/ktest.h"
#include "core/pmm.h"
#include "core/string.h"
#include "fs/vfs.h"

struct vfs_tree {
	struct mount *root_mnt, *dev_mnt;
	struct path root;
};

static bool tree_up(struct vfs_tree *t)
{
	KT_EXPECT_EQ(vfs_init(), 0);
	if (vfs_kern_mount("tmpfs", NULL, "mode=755", &t->root_mnt) != 0) {
		ktest_fail(__FILE__, __LINE__, "no tmpfs");
		return false;
	}
	t->root = (struct path){t->root_mnt, t->root_mnt->sb->root};
	KT_EXPECT_EQ(vfs_mkdir(&t->root, NULL, "/dev", 0755), 0);
	KT_EXPECT_EQ(vfs_mount_at(&t->root, NULL, "devfs", NULL, "/dev", NULL), 0);
	struct path dev;
	KT_EXPECT_EQ(vfs_lookup(&t->root, NULL, "/dev", 0, &dev), 0);
	t->dev_mnt = dev.mnt;
	path_put(&dev);
	return true;
}

static void tree_down(struct vfs_tree *t)
{
	KT_EXPECT_EQ(vfs_umount(t->dev_mnt), 0);
	KT_EXPECT_EQ(vfs_umount(t->root_mnt), 0);
}

static long xfer(struct file *f, void *buf, size_t n, bool write)
{
	struct uio u = uio_kernel(buf, n);
	return write ? vfs_write(f, &u) : vfs_read(f, &u);
}

KTEST(vfs_tmpfs_files)
{
	kheap_release_free_pages(); /* so the final release frees only what the test left */
	uint64_t frames = pmm_free_frames();
	struct kheap_stats before, after;
	kheap_get_stats(&before);
	struct vfs_tree t;
	if (!tree_up(&t))
		return;
	struct file *f;
	KT_EXPECT_EQ(vfs_mkdir(&t.root, NULL, "/tmp", 01777), 0);
	KT_EXPECT_EQ(vfs_open(&t.root, NULL, "/tmp/w.txt", O_RDWR | O_CREAT | O_TRUNC, 0644, &f), 0);
	static char buf[16384];
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i % 251);
	KT_EXPECT_EQ(xfer(f, buf, sizeof(buf), true), sizeof(buf));
	KT_EXPECT_EQ(vfs_lseek(f, 0, SEEK_SET), 0);
	memset(buf, 0, sizeof(buf));
	KT_EXPECT_EQ(xfer(f, buf, sizeof(buf), false), sizeof(buf));
	KT_EXPECT_EQ((unsigned char)buf[300], 300 % 251);
	KT_EXPECT_EQ(xfer(f, buf, 1, false), 0);
	file_put(f);
	KT_EXPECT_EQ(vfs_symlink(&t.root, "tmp/w.txt", NULL, "/link"), 0);
	KT_EXPECT_EQ(vfs_rename(&t.root, NULL, "/link", NULL, "/tmp/link2", 0), 0);
	KT_EXPECT_EQ(vfs_open(&t.root, NULL, "/tmp/link2", O_RDONLY, 0, &f), -ENOENT);
	KT_EXPECT_EQ(vfs_unlink(&t.root, NULL, "/tmp/link2"), 0);
	KT_EXPECT_EQ(vfs_unlink(&t.root, NULL, "/tmp/w.txt"), 0);
	KT_EXPECT_EQ(vfs_rmdir(&t.root, NULL, "/tmp"), 0);
	tree_down(&t);
	kheap_release_free_pages();
	kheap_get_stats(&after);
	KT_EXPECT_EQ(after.objects, before.objects);
	KT_EXPECT_EQ(pmm_free_frames(), frames);
}

KTEST(vfs_dev_null_zero_full)
{
	struct vfs_tree t;
	if (!tree_up(&t))
		return;
	struct file *f;
	unsigned char buf[32];
	KT_EXPECT_EQ(vfs_open(&t.root, NULL, "/dev/null", O_RDWR, 0, &f), 0);
	KT_EXPECT_EQ(xfer(f, "twenty-four bytes of it!", 24, true), 24);
	KT_EXPECT_EQ(xfer(f, buf, sizeof(buf), false), 0);
	file_put(f);
	KT_EXPECT_EQ(vfs_open(&t.root, NULL, "/dev/zero", O_RDONLY, 0, &f), 0);
	memset(buf, 0xff, sizeof(buf));
	KT_EXPECT_EQ(xfer(f, buf, sizeof(buf), false), 32);
	KT_EXPECT(buf[0] == 0 && buf[31] == 0);
	file_put(f);
	KT_EXPECT_EQ(vfs_open(&t.root, NULL, "/dev/full", O_RDWR, 0, &f), 0);
	KT_EXPECT_EQ(xfer(f, buf, 1, true), -ENOSPC);
	KT_EXPECT_EQ(xfer(f, buf, 8, false), 8);
	file_put(f);
	unsigned char a[16], b[16];
	KT_EXPECT_EQ(vfs_open(&t.root, NULL, "/dev/urandom", O_RDONLY, 0, &f), 0);
	KT_EXPECT_EQ(xfer(f, a, 16, false), 16);
	KT_EXPECT_EQ(xfer(f, b, 16, false), 16);
	KT_EXPECT(memcmp(a, b, 16) != 0);
	file_put(f);
	KT_EXPECT_EQ(vfs_open(&t.root, NULL, "/dev/console", O_WRONLY, 0, &f), 0);
	KT_EXPECT_EQ(xfer(f, "# devfs console write\n", 22, true), 22);
	file_put(f);
	tree_down(&t);
}
