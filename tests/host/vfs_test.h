/*
 * tests/host/vfs_test.h: what the VFS host tests share (tests/host/vfs_stubs.c).
 */
#ifndef TESTS_HOST_VFS_TEST_H
#define TESTS_HOST_VFS_TEST_H

#include <stdbool.h>
#include <stddef.h>

#include "fs/vfs.h"

/* The stub console: console_write appends to out; console_input_getc replays in. */
struct stub_console {
	char out[8192];
	size_t out_len;
	const char *in;
	size_t in_len, in_pos;
};
extern struct stub_console stub_console;
/* The stand-in terminal (core/tty.c is not in the host build): reads return what the stub
 * console has buffered; with nothing there, a read calls devfs_console_wait (which a test may
 * point at something that "types") and tries again. */
extern void (*devfs_console_wait)(void);
/* Frames the stub allocator has handed out and not had back. */
extern long stub_pages_live;

/* A private tmpfs tree (vfs_kern_mount): root is borrowed from the mount. */
struct tree {
	struct mount *m;
	struct path root;
};
void tree_new(struct tree *t);
int tree_free(struct tree *t); /* vfs_umount: 0 only if no reference leaked */

int put_file(const struct path *root, const char *path, const char *content);
long get_file(const struct path *root, const char *path, char *buf, size_t n);
/* A copy of the inode's fields (stat). */
int stat_path(const struct path *root, const char *path, bool follow, struct inode *st);

#endif
