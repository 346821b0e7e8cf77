/*
 * fs/anon_inode.h: files with no name and no file system of their own (epoll instances;
 * later eventfd, timerfd, signalfd), as Linux's anon_inode_getfile.
 *
 * Such files live on an internal "anon_inodefs" mount, made on first use. Every file of one
 * class (its name, "[eventpoll]") shares one inode: mode 0600 with no file type bits, owned
 * by root, as Linux's anon inode, so fstat works through the ordinary inode path; unlike
 * Linux, each class has an inode of its own, which is how /proc/<pid>/fd names the file
 * ("anon_inode:[eventpoll]"). The file's state lives in its file_ops and f->priv.
 */
#ifndef FS_ANON_INODE_H
#define FS_ANON_INODE_H

#include "fs/vfs.h"

#include <stddef.h>

#define ANON_INODE_FS_MAGIC 0x09041934 /* Linux's, for statfs and procfs */

/* A new file (one reference) with fops, priv and status flags (O_RDWR, O_NONBLOCK, ...) on
 * the inode of class name (a string that lives forever): 0 or -ENOMEM (also when more than
 * 8 classes are asked for). fops->open is not called. */
int anon_inode_file(const char *name, const struct file_ops *fops, void *priv, unsigned flags,
		    struct file **out);

/* "anon_inode:<class name>" for an inode of the mount into buf[0, n) (procfs' fd links):
 * its length, or -ENOENT. */
long anon_inode_name(const struct inode *ino, char *buf, size_t n);

#endif
