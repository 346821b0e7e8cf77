/*
 * fs/vfs_init.c: bringing up the file system tree at boot.
 *
 * vfs_init registers the built-in file systems (devfs, tmpfs; ext2 and proc are registered by
 * the kernel's vfs_boot, fs/root.c, so the host suite, which has neither, gets no /proc).
 * vfs_init_root mounts the root file system, then devfs on /dev and proc on /proc, creating
 * each directory when the root lacks it and can be written (a read-only root without it boots
 * with a warning and without that mount). /tmp gets a tmpfs when the root is not a writable disk (a read-only disk, or a
 * tmpfs root without one): on a writable disk /tmp is
 * the disk's own directory, as on a classic Unix and in the Linux reference runs, so files
 * there share the root's file system (rename and link into /test work, statfs("/") sees
 * them). Called once from kmain, single-threaded.
 */
#include "core/blkdev.h"
#include "core/errno.h"
#include "core/kprintf.h"
#include "fs/vfs_internal.h"

int vfs_init(void)
{
	static const struct file_system_type *const builtin[] = {&devfs_fs_type, &tmpfs_fs_type};
	for (unsigned i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		int err = vfs_register_fs(builtin[i]);
		if (err && err != -EEXIST)
			return err;
	}
	return 0;
}

/* Mount fstype on the directory `dir` of the root, making the directory if need be. */
static int mount_on(const char *dir, uint32_t mode, const char *fstype)
{
	struct path p;
	int err = vfs_lookup(NULL, NULL, dir, LOOKUP_FOLLOW, &p);
	if (err == 0)
		path_put(&p);
	else if (err == -ENOENT)
		err = vfs_mkdir(NULL, NULL, dir, mode);
	if (!err)
		err = vfs_mount(fstype, NULL, dir, NULL);
	if (err)
		pr_warn("vfs: no %s on %s (error %d)\n", fstype, dir, err);
	return err;
}

int vfs_init_root(const char *root_fstype, struct blkdev *dev)
{
	int err = vfs_init();
	if (!err)
		err = vfs_mount(root_fstype, dev, "/", NULL);
	if (err) {
		pr_err("vfs: cannot mount the %s root (error %d)\n", root_fstype, err);
		return err;
	}
	int err_dev = mount_on("/dev", 0755, "devfs");
	int err_proc = vfs_fs_registered("proc") ? mount_on("/proc", 0555, "proc") : -ENODEV;
	int err_tmp = -EROFS;
	if (!dev || dev->read_only)
		err_tmp = mount_on("/tmp", 01777, "tmpfs");
	pr_info("vfs: %s root mounted%s%s%s\n", root_fstype, err_dev ? "" : ", devfs on /dev",
		err_proc ? "" : ", proc on /proc", err_tmp ? "" : ", tmpfs on /tmp");
	return err_dev ? err_dev : (!dev || dev->read_only ? err_tmp : 0);
}

