/*
 * core/sys_path.h: what the path-based syscalls (core/sys_path.c, core/sys_stat.c) share: the
 * *at flag values, how a (dirfd, path) pair becomes a place to start a walk, and the two
 * pieces of logic the kernel tests check without a user process (tests/ktest/test_sys_path.c):
 * the name of a directory as getcwd reports it, and the port's struct stat.
 *
 * A (dirfd, path) argument resolves as Linux's path_init does: an absolute path ignores dirfd
 * (even a bad one); a relative one starts at the cwd (dirfd AT_FDCWD) or at the directory
 * open on dirfd (-EBADF if none, -ENOTDIR if not a directory); an empty path, where the call
 * allows it (AT_EMPTY_PATH), names the dirfd's file itself, of any type. Root and cwd are read
 * under proc->fs_lock and held by reference for the call, so a concurrent chdir cannot free
 * them under the walk.
 */
#ifndef CORE_SYS_PATH_H
#define CORE_SYS_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "fs/vfs.h"

/* The *at flags, the same on both ports (include/uapi/linux/fcntl.h). */
#ifndef AT_FDCWD
#define AT_FDCWD (-100)
#endif
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EACCESS 0x200   /* faccessat */
#define AT_REMOVEDIR 0x200 /* unlinkat */
#define AT_SYMLINK_FOLLOW 0x400
#define AT_NO_AUTOMOUNT 0x800
#define AT_EMPTY_PATH 0x1000
#define AT_STATX_SYNC_TYPE 0x6000

/* Where a walk starts: both hold references (at_start_put drops them). */
struct at_start {
	struct path root; /* the process's root directory */
	struct path at;   /* the start of a relative path, or the object of an empty one */
};

/* Resolve dirfd for the kernel copy of a path argument (rules above). */
int at_start_get(int dirfd, const char *path, struct at_start *s);
void at_start_put(struct at_start *s);

/* The whole job for calls that act on one existing file: copy the user path (an empty one
 * only if allow_empty; a NULL pointer counts as empty then, as Linux 6.11 allows), resolve it
 * with lookup_flags (LOOKUP_FOLLOW, LOOKUP_DIRECTORY). *out: a reference. */
int at_lookup(int dirfd, uintptr_t upath, unsigned lookup_flags, bool allow_empty,
	      struct path *out);

/* The file open on fd (a reference: file_put it), or NULL when fd is not open. With
 * allow_path false an O_PATH file counts as not open, as Linux's fdget does. */
struct file *at_fd_file(int fd, bool allow_path);

/* The name of directory p as seen from root ("/" for root itself), NUL-terminated in
 * buf[size]: its length without the NUL, -ENAMETOOLONG if it does not fit, -ENOENT if p has
 * been removed or is not below root. Found by climbing ".." and searching each parent for
 * the child's inode number, so it is right after any rename; mounts are crossed upwards. */
long path_name(const struct path *root, const struct path *p, char *buf, size_t size);

/* The port's struct stat (arch/<arch>/abi_stat.h) for the file at p. */
void stat_fill(const struct path *p, struct stat *st);

#endif
