/*
 * fs/root.c: choosing and mounting the root file system at boot (kernel only; the host suite
 * mounts its file systems directly). Registers the disk file systems and proc, then hands the device
 * the command line names to vfs_init_root.
 */
#include "core/blkdev.h"
#include "core/cmdline.h"
#include "core/kprintf.h"
#include "fs/ext2/ext2.h"
#include "fs/vfs.h"

/* The root named on the command line: root=<blkdev> (default vda) and rootfstype= (default
 * ext2). With no such device the root is a tmpfs, so a kernel without a disk still has a
 * file tree (ktests, early bring-up); a device that is there but does not mount is an error. */
int vfs_boot(const char *cmdline)
{
	char dev_name[32] = "vda", fstype[16] = "ext2";
	bool named = cmdline_get(cmdline, "root", dev_name, sizeof(dev_name));
	cmdline_get(cmdline, "rootfstype", fstype, sizeof(fstype));
	struct blkdev *dev = blkdev_find(dev_name);
	vfs_register_fs(&ext2_fs_type);
	vfs_register_fs(&procfs_fs_type);
	if (!dev) {
		if (named)
			pr_warn("vfs: root device %s not found\n", dev_name);
		pr_info("vfs: no root device; the root is a tmpfs\n");
		return vfs_init_root("tmpfs", NULL);
	}
	return vfs_init_root(fstype, dev);
}
