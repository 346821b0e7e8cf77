/*
 * fs/ext2/ext2.h: the ext2 file system, as seen from outside: one file_system_type.
 *
 * Register it with vfs_register_fs(&ext2_fs_type) and mount a block device with it. Options:
 * NULL, "", "rw" or "ro". What is supported, and how each feature is treated, is described in
 * fs/ext2/super.c; the on-disk structures and the internal interfaces are in fs/ext2/ext2_fs.h.
 */
#ifndef FS_EXT2_EXT2_H
#define FS_EXT2_EXT2_H

#include "fs/vfs.h"

#define EXT2_SUPER_MAGIC 0xEF53

extern const struct file_system_type ext2_fs_type;

#endif
