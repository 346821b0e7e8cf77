/*
 * core/sys_fd.h: descriptor helpers the file syscalls share (core/sys_fd.c, core/sys_file.c;
 * other syscall files may use them too).
 *
 * Linux has two ways to turn a descriptor into a file: fdget, which refuses O_PATH files
 * (EBADF for read, write, ioctl, ...), and fdget_raw, which takes them (fstat, fchdir, fcntl,
 * close, dup, a dirfd). fget and fget_raw are those.
 */
#ifndef CORE_SYS_FD_H
#define CORE_SYS_FD_H

#include <stdbool.h>

#include "fs/vfs.h"

#define AT_FDCWD (-100)
#define NR_OPEN 1048576u   /* Linux's fs.nr_open: the most descriptors a table may have */

/* The running process's descriptor table, its limit first brought in line with
 * RLIMIT_NOFILE (so setrlimit takes effect at the next descriptor allocation). */
struct fdtable *fdt_current(void);

/* The file at fd with a new reference (file_put it), or NULL: EBADF. fget also gives NULL
 * for an O_PATH file. */
struct file *fget(int fd);
struct file *fget_raw(int fd);

/* fd_install into the running process's table (lowest free >= min); on failure the caller
 * still owns f. */
int fd_install_current(struct file *f, unsigned min, unsigned fdflags);

/* True if f is the console (/dev/console or /dev/tty, 5:1 or 5:0): a terminal for ioctl,
 * and not seekable (pread, pwrite: ESPIPE), as Linux's ttys. */
bool file_is_console(const struct file *f);

/* The status flags of an open file (file->flags, the VFS's encoding, fs/vfs.h) in the port's
 * user encoding, as F_GETFL reports them. */
unsigned long open_flags_to_user(unsigned kflags);

/* Kernel-side status bits the VFS does not define but open(2) keeps in file->flags, so that
 * F_GETFL reports them and write(2) honours O_SYNC / O_DSYNC. Values chosen clear of every
 * O_* of fs/vfs.h; KO_DSYNC, KO_NOATIME and KO_SYNC are also the user values (the same on
 * both ports). */
#define KO_DSYNC 010000
#define KO_DIRECT 0200000
#define KO_LARGEFILE 0400000
#define KO_NOATIME 01000000
#define KO_SYNC 04000000   /* with KO_DSYNC: O_SYNC is __O_SYNC | O_DSYNC, as on Linux */

#endif
