/*
 * tests/host/test_vfs_ops.c: the namespace operations over tmpfs: mkdir, rmdir, unlink,
 * link, symlink, readlink, rename (every Linux edge case the VFS or tmpfs must get right),
 * and getdents over a large directory that changes while it is read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errno.h"
#include "tests/host/tap.h"
#include "tests/host/vfs_test.h"

static struct tree T;
#define R (&T.root)

static struct inode st(const char *path)
{
	struct inode i;
	memset(&i, 0, sizeof(i));
	if (stat_path(R, path, false, &i) != 0)
		i.ino = 0;
	return i;
}

static int exists(const char *path)
{
	return stat_path(R, path, false, &(struct inode){0});
}

static void finish(const char *name)
{
	CHECK_EQ(tree_free(&T), 0);
	CHECK_EQ(stub_pages_live, 0);
	tap_point(name);
}

static void test_mkdir_rmdir(void)
{
	tree_new(&T);
	uint32_t root_links = st("/").nlink;
	CHECK_EQ(vfs_mkdir(R, NULL, "/d", 0755), 0);
	CHECK_EQ(st("/d").nlink, 2);
	CHECK_EQ(st("/d").mode, S_IFDIR | 0755);
	CHECK_EQ(st("/").nlink, root_links + 1);
	CHECK_EQ(vfs_mkdir(R, NULL, "/d", 0755), -EEXIST);
	CHECK_EQ(vfs_mkdir(R, NULL, "/", 0755), -EEXIST);
	CHECK_EQ(vfs_mkdir(R, NULL, "/d/.", 0755), -EEXIST);
	CHECK_EQ(vfs_mkdir(R, NULL, "/nope/x", 0755), -ENOENT);
	CHECK_EQ(vfs_mkdir(R, NULL, "/d/e/", 0700), 0); /* a trailing slash is fine for mkdir */
	CHECK_EQ(put_file(R, "/d/e/f", "x"), 0);
	CHECK_EQ(vfs_rmdir(R, NULL, "/d"), -ENOTEMPTY);
	CHECK_EQ(vfs_rmdir(R, NULL, "/d/e/f"), -ENOTDIR);
	CHECK_EQ(vfs_rmdir(R, NULL, "/"), -EBUSY);
	CHECK_EQ(vfs_rmdir(R, NULL, "/d/."), -EINVAL);
	CHECK_EQ(vfs_rmdir(R, NULL, "/d/e/.."), -ENOTEMPTY);
	CHECK_EQ(vfs_rmdir(R, NULL, "/missing"), -ENOENT);
	CHECK_EQ(vfs_unlink(R, NULL, "/d/e/f"), 0);
	CHECK_EQ(vfs_rmdir(R, NULL, "/d/e/"), 0);
	CHECK_EQ(st("/d").nlink, 2);
	CHECK_EQ(vfs_rmdir(R, NULL, "/d"), 0);
	CHECK_EQ(exists("/d"), -ENOENT);
	CHECK_EQ(st("/").nlink, root_links);
	finish("ops: mkdir, rmdir and link counts");
}

static void test_unlink(void)
{
	tree_new(&T);
	CHECK_EQ(vfs_mkdir(R, NULL, "/d", 0755), 0);
	CHECK_EQ(put_file(R, "/f", "data"), 0);
	CHECK_EQ(vfs_unlink(R, NULL, "/d"), -EISDIR);
	CHECK_EQ(vfs_unlink(R, NULL, "/f/"), -ENOTDIR);
	CHECK_EQ(vfs_unlink(R, NULL, "/missing"), -ENOENT);
	CHECK_EQ(vfs_unlink(R, NULL, "/"), -EISDIR);
	struct file *f;
	CHECK_EQ(vfs_open(R, NULL, "/f", O_RDWR, 0, &f), 0);
	CHECK_EQ(vfs_unlink(R, NULL, "/f"), 0);
	CHECK_EQ(exists("/f"), -ENOENT);
	CHECK_EQ(f->path.ino->nlink, 0);
	char buf[16] = {0};
	struct uio u = uio_kernel(buf, sizeof(buf));
	CHECK_EQ(vfs_read(f, &u), 4); /* still readable and writable through the open file */
	u = uio_kernel("more", 4);
	CHECK_EQ(vfs_write(f, &u), 4);
	CHECK_EQ(f->path.ino->size, 8);
	CHECK(stub_pages_live > 0);
	file_put(f); /* the last reference: now the pages go */
	CHECK_EQ(stub_pages_live, 0);
	finish("ops: unlink, and unlinked files live until closed");
}

static void test_links(void)
{
	tree_new(&T);
	CHECK_EQ(put_file(R, "/src", "shared"), 0);
	CHECK_EQ(vfs_mkdir(R, NULL, "/d", 0755), 0);
	CHECK_EQ(vfs_link(R, NULL, "/src", NULL, "/d/hard"), 0);
	CHECK_EQ(st("/src").ino, st("/d/hard").ino);
	CHECK_EQ(st("/src").nlink, 2);
	CHECK_EQ(vfs_link(R, NULL, "/d", NULL, "/dlink"), -EPERM);
	CHECK_EQ(vfs_link(R, NULL, "/src", NULL, "/d/hard"), -EEXIST);
	CHECK_EQ(vfs_link(R, NULL, "/src", NULL, "/new/"), -ENOENT);
	CHECK_EQ(vfs_link(R, NULL, "/missing", NULL, "/x"), -ENOENT);
	CHECK_EQ(vfs_unlink(R, NULL, "/src"), 0);
	char buf[16];
	CHECK_EQ(get_file(R, "/d/hard", buf, sizeof(buf)), 6);
	CHECK_STREQ(buf, "shared");
	CHECK_EQ(st("/d/hard").nlink, 1);
	/* Symlinks and readlink. */
	CHECK_EQ(vfs_symlink(R, "/d/hard", NULL, "/sym"), 0);
	CHECK_EQ(vfs_symlink(R, "x", NULL, "/sym"), -EEXIST);
	CHECK_EQ(st("/sym").mode & S_IFMT, S_IFLNK);
	CHECK_EQ(st("/sym").size, 7);
	memset(buf, '#', sizeof(buf));
	CHECK_EQ(vfs_readlink(R, NULL, "/sym", buf, sizeof(buf)), 7);
	CHECK(memcmp(buf, "/d/hard#", 8) == 0); /* no NUL */
	CHECK_EQ(vfs_readlink(R, NULL, "/sym", buf, 3), 3);
	CHECK_EQ(vfs_readlink(R, NULL, "/d/hard", buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(vfs_readlink(R, NULL, "/sym", buf, 0), -EINVAL);
	CHECK_EQ(get_file(R, "/sym", buf, sizeof(buf)), 6);
	CHECK_EQ(vfs_link(R, NULL, "/sym", NULL, "/sym2"), 0); /* link() does not follow */
	CHECK_EQ(st("/sym2").ino, st("/sym").ino);
	finish("ops: hard links, symlinks, readlink");
}

static void test_rename_files(void)
{
	tree_new(&T);
	CHECK_EQ(put_file(R, "/a", "AAA"), 0);
	CHECK_EQ(put_file(R, "/b", "BB"), 0);
	uint64_t a = st("/a").ino;
	struct file *held;
	CHECK_EQ(vfs_open(R, NULL, "/b", O_RDONLY, 0, &held), 0);
	CHECK_EQ(vfs_rename(R, NULL, "/a", NULL, "/b", 0), 0);
	CHECK_EQ(exists("/a"), -ENOENT);
	CHECK_EQ(st("/b").ino, a);
	CHECK_EQ(held->path.ino->nlink, 0); /* the replaced file is unlinked */
	file_put(held);
	char buf[8];
	CHECK_EQ(get_file(R, "/b", buf, sizeof(buf)), 3);
	CHECK_EQ(put_file(R, "/c", "C"), 0);
	CHECK_EQ(vfs_rename(R, NULL, "/b", NULL, "/c", RENAME_NOREPLACE), -EEXIST);
	CHECK_EQ(vfs_rename(R, NULL, "/b", NULL, "/c", 2), -EINVAL);
	CHECK_EQ(vfs_rename(R, NULL, "/b", NULL, "/b", 0), 0);
	CHECK_EQ(vfs_link(R, NULL, "/b", NULL, "/b2"), 0);
	CHECK_EQ(vfs_rename(R, NULL, "/b", NULL, "/b2", 0), 0); /* same file: no-op */
	CHECK_EQ(exists("/b"), 0);
	CHECK_EQ(exists("/b2"), 0);
	CHECK_EQ(vfs_rename(R, NULL, "/missing", NULL, "/x", 0), -ENOENT);
	CHECK_EQ(vfs_rename(R, NULL, "/b/", NULL, "/x", 0), -ENOTDIR);
	CHECK_EQ(vfs_rename(R, NULL, "/b", NULL, "/x/", 0), -ENOTDIR);
	CHECK_EQ(vfs_rename(R, NULL, "/.", NULL, "/x", 0), -EBUSY);
	CHECK_EQ(vfs_rename(R, NULL, "/b", NULL, "/", 0), -EBUSY);
	CHECK_EQ(vfs_mkdir(R, NULL, "/d", 0755), 0);
	CHECK_EQ(vfs_rename(R, NULL, "/b", NULL, "/d", 0), -EISDIR);
	CHECK_EQ(vfs_rename(R, NULL, "/d", NULL, "/b", 0), -ENOTDIR);
	CHECK_EQ(vfs_rename(R, NULL, "/b", NULL, "/d/b", 0), 0);
	CHECK_EQ(get_file(R, "/d/b", buf, sizeof(buf)), 3);
	finish("ops: rename of files, replacing, no-ops and errors");
}

static void test_rename_dirs(void)
{
	tree_new(&T);
	CHECK_EQ(vfs_mkdir(R, NULL, "/p1", 0755), 0);
	CHECK_EQ(vfs_mkdir(R, NULL, "/p2", 0755), 0);
	CHECK_EQ(vfs_mkdir(R, NULL, "/p1/d", 0755), 0);
	CHECK_EQ(vfs_mkdir(R, NULL, "/p1/d/sub", 0755), 0);
	CHECK_EQ(put_file(R, "/p1/d/sub/f", "deep"), 0);
	CHECK_EQ(vfs_rename(R, NULL, "/p1/d", NULL, "/p1/d/sub/x", 0), -EINVAL);
	CHECK_EQ(vfs_rename(R, NULL, "/p1/d", NULL, "/p1/d/x", 0), -EINVAL);
	CHECK_EQ(vfs_rename(R, NULL, "/p1", NULL, "/p1/d/sub/x", 0), -EINVAL);
	CHECK_EQ(vfs_rename(R, NULL, "/p1/d/sub", NULL, "/p1", 0), -ENOTEMPTY);
	CHECK_EQ(vfs_mkdir(R, NULL, "/p2/full", 0755), 0);
	CHECK_EQ(put_file(R, "/p2/full/f", "x"), 0);
	CHECK_EQ(vfs_rename(R, NULL, "/p1/d", NULL, "/p2/full", 0), -ENOTEMPTY);
	CHECK_EQ(vfs_mkdir(R, NULL, "/p2/empty", 0755), 0);
	CHECK_EQ(st("/p1").nlink, 3);
	CHECK_EQ(st("/p2").nlink, 4);
	uint64_t d = st("/p1/d").ino;
	CHECK_EQ(vfs_rename(R, NULL, "/p1/d", NULL, "/p2/empty", 0), 0);
	CHECK_EQ(st("/p2/empty").ino, d);
	CHECK_EQ(st("/p1").nlink, 2);
	CHECK_EQ(st("/p2").nlink, 4); /* lost "empty", gained d */
	CHECK_EQ(st("/p2/empty/..").ino, st("/p2").ino);
	char buf[8];
	CHECK_EQ(get_file(R, "/p2/empty/sub/../sub/f", buf, sizeof(buf)), 4);
	CHECK_EQ(vfs_rename(R, NULL, "/p2/empty", NULL, "/top/", 0), 0); /* slash ok for dirs */
	CHECK_EQ(st("/top/..").ino, st("/").ino);
	CHECK_EQ(st("/p2").nlink, 3);
	finish("ops: rename of directories: subtree, nlink, .., ENOTEMPTY");
}

struct listing {
	char names[400][16];
	unsigned n, budget;
};

static int collect(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
		   uint64_t next)
{
	struct listing *l = ctx;
	if (l->budget == 0 || l->n == 400)
		return 1;
	l->budget--;
	snprintf(l->names[l->n++], 16, "%.*s", (int)len, name);
	return 0;
}

static void test_readdir(void)
{
	tree_new(&T);
	CHECK_EQ(vfs_mkdir(R, NULL, "/big", 0755), 0);
	char path[32];
	for (int i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "/big/e%d", i);
		CHECK_EQ(put_file(R, path, ""), 0);
	}
	struct file *f;
	CHECK_EQ(vfs_open(R, NULL, "/big", O_RDONLY | O_DIRECTORY, 0, &f), 0);
	static struct listing l;
	memset(&l, 0, sizeof(l));
	bool changed = false;
	for (int calls = 0; calls < 1000; calls++) {
		unsigned before = l.n;
		l.budget = 7; /* a small buffer: 7 entries per getdents */
		CHECK_EQ(vfs_readdir(f, collect, &l), 0);
		if (l.n == before)
			break;
		if (l.n >= 100 && !changed) { /* entries removed mid-listing */
			changed = true;
			CHECK_EQ(vfs_unlink(R, NULL, "/big/e50"), 0);
			CHECK_EQ(vfs_unlink(R, NULL, "/big/e299"), 0);
		}
	}
	CHECK_EQ(l.n, 301); /* ".", "..", e0..e298 but e50 already listed, e299 gone */
	CHECK_STREQ(l.names[0], ".");
	CHECK_STREQ(l.names[1], "..");
	for (unsigned i = 2; i < l.n; i++) {
		snprintf(path, sizeof(path), "e%u", i - 2);
		CHECK_STREQ(l.names[i], path);
	}
	struct uio u = uio_kernel(path, 4);
	CHECK_EQ(vfs_read(f, &u), -EISDIR);
	file_put(f);
	CHECK_EQ(vfs_open(R, NULL, "/big/e1", O_RDONLY, 0, &f), 0);
	CHECK_EQ(vfs_readdir(f, collect, &l), -ENOTDIR);
	file_put(f);
	finish("ops: getdents of 300 entries in small pieces, stable under changes");
}

static const uint32_t groups[] = {50};
static const struct vfs_cred user = {1000, 1000, 1, groups};
static const struct vfs_cred *user_cred(void)
{
	return &user;
}

static int setattr(const char *path, struct vattr va)
{
	struct path p;
	int err = vfs_lookup(R, NULL, path, 0, &p);
	if (err)
		return err;
	err = vfs_setattr(p.ino, &va);
	path_put(&p);
	return err;
}

static void test_setattr(void)
{
	tree_new(&T);
	CHECK_EQ(put_file(R, "/f", "x"), 0);
	CHECK_EQ(setattr("/f", (struct vattr){.valid = ATTR_MODE, .mode = 04755}), 0);
	CHECK_EQ(st("/f").mode, S_IFREG | 04755);
	CHECK_EQ(setattr("/f", (struct vattr){.valid = ATTR_UID | ATTR_GID, .uid = 1000,
					       .gid = 1000}), 0);
	CHECK_EQ(st("/f").uid, 1000);
	CHECK_EQ(st("/f").mode, S_IFREG | 0755); /* set-user-ID cleared by chown */
	struct timespec64 t = {123456, 789};
	CHECK_EQ(setattr("/f", (struct vattr){.valid = ATTR_ATIME | ATTR_MTIME, .atime = t,
					       .mtime = t}), 0);
	CHECK_EQ(st("/f").mtime.sec, 123456);
	CHECK_EQ(st("/f").atime.nsec, 789);
	CHECK_EQ(put_file(R, "/roots", "x"), 0);
	vfs_current_cred = user_cred;
	CHECK_EQ(setattr("/f", (struct vattr){.valid = ATTR_MODE, .mode = 0600}), 0);
	CHECK_EQ(setattr("/roots", (struct vattr){.valid = ATTR_MODE, .mode = 0777}), -EPERM);
	CHECK_EQ(setattr("/f", (struct vattr){.valid = ATTR_UID, .uid = 0}), -EPERM);
	CHECK_EQ(setattr("/f", (struct vattr){.valid = ATTR_GID, .gid = 50}), 0);
	CHECK_EQ(setattr("/f", (struct vattr){.valid = ATTR_GID, .gid = 51}), -EPERM);
	CHECK_EQ(setattr("/f", (struct vattr){.valid = ATTR_MODE, .mode = 02755}), 0);
	CHECK_EQ(setattr("/roots", (struct vattr){.valid = ATTR_MTIME, .mtime = t}), -EPERM);
	vfs_current_cred = NULL;
	CHECK_EQ(st("/f").gid, 50);
	CHECK_EQ(st("/f").mode, S_IFREG | 02755);
	finish("ops: chmod, chown, utimes permission rules");
}

int main(void)
{
	test_mkdir_rmdir();
	test_unlink();
	test_links();
	test_rename_files();
	test_rename_dirs();
	test_readdir();
	test_setattr();
	return tap_done();
}
