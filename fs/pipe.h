/*
 * fs/pipe.h: pipes (pipe2) and FIFOs (named pipes on any file system).
 *
 * A pipe is a 64 KiB ring buffer with Linux's semantics: reads block until data or EOF (no
 * writer left), writes block until room or EPIPE (no reader left), O_NONBLOCK turns each
 * wait into -EAGAIN, and writes of at most PIPE_BUF bytes go in whole or not at all. Both
 * kinds of pipe are plain struct files whose file_ops are the pipe's; lseek, pread and pwrite
 * give -ESPIPE (the VFS refuses them for S_IFIFO inodes).
 */
#ifndef FS_PIPE_H
#define FS_PIPE_H

#include <stdbool.h>

#include "fs/vfs.h"

#define PIPE_BUF 4096     /* writes up to this size are atomic */
#define PIPE_SIZE 65536   /* the ring's capacity (Linux's default pipe size) */

/* An anonymous pipe: *rd (O_RDONLY) and *wr (O_WRONLY), each a new file with one reference.
 * flags may hold O_NONBLOCK (both ends); the caller checks everything else. Their inode is an
 * anonymous S_IFIFO inode of the internal pipefs mount, so fstat and fchmod work on them.
 * 0 or -ENOMEM. */
int pipe_create(unsigned flags, struct file **rd, struct file **wr);

/* Give f, just opened by vfs_open on an S_IFIFO inode (f->ops NULL, not O_PATH), the pipe
 * shared by every open of that inode, with open(2)'s FIFO rules: O_RDONLY waits for a writer
 * and O_WRONLY for a reader unless O_NONBLOCK (then a writer with no reader gets -ENXIO);
 * O_RDWR never waits. On error f is left as it was (the caller file_puts it). */
int fifo_open(struct file *f);

/* True if f is either kind of pipe (its file_ops are the pipe's). */
bool file_is_pipe(const struct file *f);

#endif
