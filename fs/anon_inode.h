/*
 * fs/anon_inode.h: files with no name and no file system of their own (epoll instances;
 * later eventfd, timerfd, signalfd), as Linux's anon_inode_getfile.
 *
 * Every such file shares one inode of an internal "anon_inodefs" mount, made on first use:
 * mode 0600 with no file type bits, owned by root, as Linux's anon inode, so fstat works
 * through the ordinary inode path. The file's state lives in its file_ops and f->priv.
 */
#ifndef FS_ANON_INODE_H
#define FS_ANON_INODE_H

#include "fs/vfs.h"

/* A new file (one reference) with fops, priv and status flags (O_RDWR, O_NONBLOCK, ...) on
 * the shared anonymous inode: 0 or -ENOMEM. fops->open is not called. */
int anon_inode_file(const struct file_ops *fops, void *priv, unsigned flags,
		    struct file **out);

#endif
