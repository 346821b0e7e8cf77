/*
 * fs/vfs_internal.h: what the VFS's own files (fs/namei.c, fs/file.c, fs/mount.c) share and
 * no file system needs: the parent walk with the kind of its last component, and the
 * permission helpers of the namespace operations.
 */
#ifndef FS_VFS_INTERNAL_H
#define FS_VFS_INTERNAL_H

#include "fs/vfs.h"

#define S_ISUID 04000
#define S_ISGID 02000
#define S_ISVTX 01000

/* The last component of a path, as a parent walk leaves it (Linux's LAST_* types). */
enum { LAST_NORM, LAST_ROOT, LAST_DOT, LAST_DOTDOT };
struct vfs_last {
	const char *name; /* into the caller's path; not NUL-terminated at len */
	size_t len;
	int type;
	bool slash;       /* one or more '/' followed it */
};

/* Resolve all but the last component: *dir (a reference) and *last. For LAST_ROOT ("/")
 * *dir is the root and last->len is 0. */
int vfs_walk_parent(const struct path *root, const struct path *at, const char *path,
		    struct path *dir, struct vfs_last *last);

/* Look up one name in dir, whose lock the caller holds; mounts are not crossed. */
int vfs_dir_lookup(struct inode *dir, const char *name, size_t len, struct inode **out);

/* A symlink's target, NUL-terminated in a new PATH_MAX buffer (kfree it): 0, or -ENOENT
 * (empty), -ENAMETOOLONG, -ENOMEM, -EINVAL (not readable as a link). */
int vfs_link_body(struct inode *ino, char **out);

/* Replace a path by the root of whatever is mounted on it (repeatedly). */
void vfs_cross_mounts(struct path *p);

/* The wall clock, for timestamps the VFS sets. */
struct timespec64 vfs_now(void);

#endif
