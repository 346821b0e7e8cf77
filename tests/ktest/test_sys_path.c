/*
 * tests/ktest/test_sys_path.c: the logic of the path syscalls that needs no user process, on
 * each port: getcwd's name of a directory (path_name) across renames, mounts, removal and short
 * buffers, and the port's struct stat as stat_fill writes it.
 */
#include "core/errno.h"
#include "core/kheap.h"
#include "core/ktest.h"
#include "core/string.h"
#include "core/sys_path.h"
#include "fs/vfs.h"

static bool tmpfs_tree(struct mount **m, struct path *root)
{
	KT_EXPECT_EQ(vfs_init(), 0);
	if (vfs_kern_mount("tmpfs", NULL, "mode=755", m) != 0) {
		ktest_fail(__FILE__, __LINE__, "no tmpfs");
		return false;
	}
	*root = (struct path){*m, (*m)->sb->root};
	return true;
}

/* path_name of path (resolved from root) into buf, or the error. */
static long name_of(const struct path *root, const char *path, char *buf, size_t n)
{
	struct path p;
	int err = vfs_lookup(root, NULL, path, LOOKUP_FOLLOW, &p);
	if (err)
		return err;
	long r = path_name(root, &p, buf, n);
	path_put(&p);
	return r;
}

KTEST(sys_path_name)
{
	struct mount *m;
	struct path root;
	if (!tmpfs_tree(&m, &root))
		return;
	char buf[64];
	KT_EXPECT_EQ(path_name(&root, &root, buf, sizeof(buf)), 1);
	KT_EXPECT_STREQ(buf, "/");
	KT_EXPECT_EQ(vfs_mkdir(&root, NULL, "/a", 0755), 0);
	KT_EXPECT_EQ(vfs_mkdir(&root, NULL, "/a/b", 0755), 0);
	KT_EXPECT_EQ(vfs_mkdir(&root, NULL, "/a/b/c", 0755), 0);
	KT_EXPECT_EQ(vfs_symlink(&root, "a/b", NULL, "/lnk"), 0);
	KT_EXPECT_EQ(name_of(&root, "/a/b/c", buf, sizeof(buf)), 6);
	KT_EXPECT_STREQ(buf, "/a/b/c");
	KT_EXPECT_EQ(name_of(&root, "/lnk/c/..", buf, sizeof(buf)), 4); /* the real name */
	KT_EXPECT_STREQ(buf, "/a/b");

	/* A held directory's name follows a rename of a directory above it. */
	struct path c;
	KT_EXPECT_EQ(vfs_lookup(&root, NULL, "/a/b/c", 0, &c), 0);
	KT_EXPECT_EQ(vfs_rename(&root, NULL, "/a/b", NULL, "/a/renamed", 0), 0);
	KT_EXPECT_EQ(path_name(&root, &c, buf, sizeof(buf)), 12);
	KT_EXPECT_STREQ(buf, "/a/renamed/c");
	/* Exactly big enough (12 + NUL), then one byte short. */
	KT_EXPECT_EQ(path_name(&root, &c, buf, 13), 12);
	KT_EXPECT_EQ(path_name(&root, &c, buf, 12), -ENAMETOOLONG);
	/* Removed: no name any more. */
	KT_EXPECT_EQ(vfs_rmdir(&root, NULL, "/a/renamed/c"), 0);
	KT_EXPECT_EQ(path_name(&root, &c, buf, sizeof(buf)), -ENOENT);
	path_put(&c);

	/* Across a mount: the mount's root is named by its mountpoint. */
	KT_EXPECT_EQ(vfs_mkdir(&root, NULL, "/a/mnt", 0755), 0);
	KT_EXPECT_EQ(vfs_mount_at(&root, NULL, "tmpfs", NULL, "/a/mnt", NULL), 0);
	KT_EXPECT_EQ(vfs_mkdir(&root, NULL, "/a/mnt/inner", 0755), 0);
	KT_EXPECT_EQ(name_of(&root, "/a/mnt", buf, sizeof(buf)), 6);
	KT_EXPECT_STREQ(buf, "/a/mnt");
	KT_EXPECT_EQ(name_of(&root, "/a/mnt/inner/.", buf, sizeof(buf)), 12);
	KT_EXPECT_STREQ(buf, "/a/mnt/inner");
	/* Seen from a root below the mount, the name starts there. */
	struct path sub;
	KT_EXPECT_EQ(vfs_lookup(&root, NULL, "/a/mnt", 0, &sub), 0);
	KT_EXPECT_EQ(name_of(&sub, "/inner", buf, sizeof(buf)), 6);
	KT_EXPECT_STREQ(buf, "/inner");
	struct mount *inner = sub.mnt;
	path_put(&sub);

	KT_EXPECT_EQ(vfs_rmdir(&root, NULL, "/a/mnt/inner"), 0);
	KT_EXPECT_EQ(vfs_umount(inner), 0);
	KT_EXPECT_EQ(vfs_rmdir(&root, NULL, "/a/mnt"), 0);
	KT_EXPECT_EQ(vfs_unlink(&root, NULL, "/lnk"), 0);
	KT_EXPECT_EQ(vfs_rmdir(&root, NULL, "/a/renamed"), 0);
	KT_EXPECT_EQ(vfs_rmdir(&root, NULL, "/a"), 0);
	KT_EXPECT_EQ(vfs_umount(m), 0);
}

KTEST(sys_stat_fill)
{
	struct mount *m, *m2;
	struct path root;
	if (!tmpfs_tree(&m, &root))
		return;
	KT_EXPECT_EQ(vfs_kern_mount("tmpfs", NULL, NULL, &m2), 0);
	KT_EXPECT(m2->sb->devno != m->sb->devno);
	struct file *f;
	KT_EXPECT_EQ(vfs_open(&root, NULL, "/f", O_RDWR | O_CREAT, 0640, &f), 0);
	char data[] = "hello";
	struct uio u = uio_kernel(data, 5);
	KT_EXPECT_EQ(vfs_write(f, &u), 5);

	struct stat st;
	memset(&st, 0xa5, sizeof(st));
	stat_fill(&f->path, &st);
	KT_EXPECT_EQ(st.st_size, 5);
	KT_EXPECT_EQ(st.st_mode, S_IFREG | 0640);
	KT_EXPECT_EQ(st.st_nlink, 1);
	KT_EXPECT_EQ(st.st_ino, f->path.ino->ino);
	KT_EXPECT_EQ(st.st_dev, m->sb->devno);
	KT_EXPECT_EQ(st.st_blksize, m->sb->block_size);
	KT_EXPECT_EQ(st.st_blocks, f->path.ino->blocks);
	KT_EXPECT_EQ(st.st_mtime, f->path.ino->mtime.sec);
	KT_EXPECT_EQ(st.st_mtime_nsec, f->path.ino->mtime.nsec);
	KT_EXPECT_EQ(st.st_rdev, 0);
	/* Every byte is written: no stale kernel data in padding. */
	const unsigned char *b = (const unsigned char *)&st;
	bool pad_clear = true;
	for (size_t i = sizeof(st) - 8; i < sizeof(st); i++)
		pad_clear = pad_clear && b[i] == 0;
	KT_EXPECT(pad_clear);
	/* The offsets user programs read (tests/user/fs_stat.c ABI-009). */
	uint64_t size_at_48;
	memcpy(&size_at_48, b + 48, 8);
	KT_EXPECT_EQ(size_at_48, 5);
	file_put(f);

	KT_EXPECT_EQ(vfs_mkdir(&root, NULL, "/d", 0755), 0);
	struct path d;
	KT_EXPECT_EQ(vfs_lookup(&root, NULL, "/d", 0, &d), 0);
	stat_fill(&d, &st);
	KT_EXPECT_EQ(st.st_mode, S_IFDIR | 0755);
	KT_EXPECT(st.st_nlink >= 2);
	path_put(&d);

	KT_EXPECT_EQ(vfs_rmdir(&root, NULL, "/d"), 0);
	KT_EXPECT_EQ(vfs_unlink(&root, NULL, "/f"), 0);
	KT_EXPECT_EQ(vfs_umount(m2), 0);
	KT_EXPECT_EQ(vfs_umount(m), 0);
}

static struct vfs_cred test_cred = {.uid = 1000, .gid = 1000};

static const struct vfs_cred *test_cred_fn(void)
{
	return &test_cred;
}

/* The VFS pieces added for these syscalls: permission for given credentials, linking a
 * resolved path, and ATTR_TOUCH (utimensat(NULL) by a non-owner who may write). */
KTEST(sys_path_vfs_additions)
{
	struct mount *m;
	struct path root;
	if (!tmpfs_tree(&m, &root))
		return;
	struct file *f;
	KT_EXPECT_EQ(vfs_open(&root, NULL, "/f", O_RDWR | O_CREAT, 0620, &f), 0);
	struct inode *ino = f->path.ino;
	struct vfs_cred owner = {.uid = 5, .gid = 7}, grp = {.uid = 6, .gid = 7};
	ino->uid = 5;
	ino->gid = 7;
	KT_EXPECT_EQ(vfs_permission_cred(ino, MAY_READ | MAY_WRITE, &owner), 0);
	KT_EXPECT_EQ(vfs_permission_cred(ino, MAY_EXEC, &owner), -EACCES);
	KT_EXPECT_EQ(vfs_permission_cred(ino, MAY_WRITE, &grp), 0);
	KT_EXPECT_EQ(vfs_permission_cred(ino, MAY_READ, &grp), -EACCES);
	KT_EXPECT_EQ(vfs_permission_cred(ino, MAY_READ | MAY_WRITE, &test_cred), -EACCES);
	KT_EXPECT_EQ(vfs_permission_cred(ino, MAY_READ | MAY_WRITE, NULL), 0); /* root */
	KT_EXPECT_EQ(vfs_permission_cred(ino, MAY_EXEC, NULL), -EACCES);      /* no x bit */

	/* link of a resolved path; not once its last name is gone. */
	KT_EXPECT_EQ(vfs_link_path(&root, &f->path, NULL, "/g"), 0);
	KT_EXPECT_EQ(ino->nlink, 2);
	KT_EXPECT_EQ(vfs_link_path(&root, &f->path, NULL, "/g"), -EEXIST);
	KT_EXPECT_EQ(vfs_unlink(&root, NULL, "/f"), 0);
	KT_EXPECT_EQ(vfs_unlink(&root, NULL, "/g"), 0);
	KT_EXPECT_EQ(vfs_link_path(&root, &f->path, NULL, "/h"), -ENOENT);

	/* ATTR_TOUCH: a non-owner may set both times to now; explicit times need the owner. */
	const struct vfs_cred *(*saved)(void) = vfs_current_cred;
	vfs_current_cred = test_cred_fn;
	struct vattr va = {.valid = ATTR_ATIME | ATTR_MTIME, .atime = {1, 0}, .mtime = {1, 0}};
	KT_EXPECT_EQ(vfs_setattr(ino, &va), -EPERM);
	va.valid |= ATTR_TOUCH;
	KT_EXPECT_EQ(vfs_setattr(ino, &va), 0);
	KT_EXPECT_EQ(ino->mtime.sec, 1);
	struct vattr mode = {.valid = ATTR_MODE | ATTR_TOUCH, .mode = 0777};
	KT_EXPECT_EQ(vfs_setattr(ino, &mode), -EPERM);
	vfs_current_cred = saved;

	file_put(f);
	KT_EXPECT_EQ(vfs_umount(m), 0);
}
