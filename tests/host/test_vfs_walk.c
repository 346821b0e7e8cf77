/*
 * tests/host/test_vfs_walk.c: path resolution over tmpfs: ".", "..", odd names, slashes,
 * length limits, symlinks (relative, absolute, dangling, loops, the 40-link limit), *at
 * directories, mounts crossed both ways, and permission checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errno.h"
#include "tests/host/tap.h"
#include "tests/host/vfs_test.h"

static struct tree T;
#define R (&T.root)

static int lookup(const char *path, unsigned flags, uint64_t *ino)
{
	struct path p;
	int err = vfs_lookup(R, NULL, path, flags, &p);
	if (!err) {
		if (ino)
			*ino = p.ino->ino;
		path_put(&p);
	}
	return err;
}

static uint64_t ino_of(const char *path)
{
	uint64_t ino = 0;
	return lookup(path, LOOKUP_FOLLOW, &ino) == 0 ? ino : 0;
}

static void build(void)
{
	tree_new(&T);
	CHECK_EQ(vfs_mkdir(R, NULL, "/a", 0755), 0);
	CHECK_EQ(vfs_mkdir(R, NULL, "/a/b", 0755), 0);
	CHECK_EQ(put_file(R, "/a/b/f", "hello"), 0);
}

static void finish(const char *name)
{
	CHECK_EQ(tree_free(&T), 0);
	tap_point(name);
}

static void test_dots(void)
{
	build();
	uint64_t f = ino_of("/a/b/f");
	CHECK(f != 0);
	CHECK_EQ(ino_of("a/b/f"), f);
	CHECK_EQ(ino_of("//a///b//f"), f);
	CHECK_EQ(ino_of("/./a/./b/./f"), f);
	CHECK_EQ(ino_of("/a/b/../b/f"), f);
	CHECK_EQ(ino_of("/../../a/b/f"), f);
	CHECK_EQ(ino_of("/a/../.."), T.m->sb->root->ino);
	CHECK_EQ(ino_of("/"), T.m->sb->root->ino);
	CHECK_EQ(ino_of("/a/b/.."), ino_of("/a"));
	CHECK_EQ(ino_of("/a/b/"), ino_of("/a/b"));
	CHECK_EQ(ino_of("/a/b/."), ino_of("/a/b"));
	CHECK_EQ(vfs_mkdir(R, NULL, "/a/...", 0755), 0); /* "..." is just a name */
	CHECK_EQ(put_file(R, "/a/.../..f", "x"), 0);
	CHECK(ino_of("/a/.../..f") != 0);
	CHECK(ino_of("/a/...") != ino_of("/a"));
	CHECK_EQ(lookup("/a/..../x", 0, NULL), -ENOENT);
	finish("walk: . .. ... and repeated slashes");
}

static void test_errors(void)
{
	build();
	CHECK_EQ(lookup("", 0, NULL), -ENOENT);
	CHECK_EQ(lookup("/nope", 0, NULL), -ENOENT);
	CHECK_EQ(lookup("/a/nope/f", 0, NULL), -ENOENT);
	CHECK_EQ(lookup("/a/b/f/x", 0, NULL), -ENOTDIR);
	CHECK_EQ(lookup("/a/b/f/", 0, NULL), -ENOTDIR);
	CHECK_EQ(lookup("/a/b/f/.", 0, NULL), -ENOTDIR);
	CHECK_EQ(lookup("/a/b/f/..", 0, NULL), -ENOTDIR);
	CHECK_EQ(lookup("/a/b/f", LOOKUP_DIRECTORY, NULL), -ENOTDIR);
	CHECK_EQ(lookup("/a/b", LOOKUP_DIRECTORY, NULL), 0);
	finish("walk: ENOENT, ENOTDIR, trailing slash on a file");
}

static void test_lengths(void)
{
	build();
	char name[300], path[PATH_MAX + 10];
	memset(name, 'n', 255);
	name[255] = '\0';
	snprintf(path, sizeof(path), "/a/%s", name);
	CHECK_EQ(put_file(R, path, "long"), 0);
	CHECK_EQ(lookup(path, 0, NULL), 0);
	strcat(path, "n");
	CHECK_EQ(lookup(path, 0, NULL), -ENAMETOOLONG);
	CHECK_EQ(put_file(R, path, "x"), -ENAMETOOLONG);
	CHECK_EQ(vfs_mkdir(R, NULL, path, 0755), -ENAMETOOLONG);
	/* 4095 bytes is a valid path; 4096 is not. */
	path[0] = '/';
	for (int i = 1; i < PATH_MAX - 1; i++)
		path[i] = i % 2 ? '.' : '/';
	path[PATH_MAX - 1] = '\0';
	CHECK_EQ(strlen(path), PATH_MAX - 1);
	CHECK_EQ(lookup(path, 0, NULL), 0);
	path[PATH_MAX - 1] = '/';
	path[PATH_MAX] = '\0';
	CHECK_EQ(lookup(path, 0, NULL), -ENAMETOOLONG);
	finish("walk: NAME_MAX and PATH_MAX give ENAMETOOLONG");
}

static void test_symlinks(void)
{
	build();
	uint64_t f = ino_of("/a/b/f");
	CHECK_EQ(vfs_symlink(R, "b/f", NULL, "/a/rel"), 0);
	CHECK_EQ(vfs_symlink(R, "/a/b", NULL, "/abs"), 0);
	CHECK_EQ(vfs_symlink(R, "../rel", NULL, "/a/b/up"), 0);
	CHECK_EQ(vfs_symlink(R, "/missing", NULL, "/dangle"), 0);
	CHECK_EQ(ino_of("/a/rel"), f);
	CHECK_EQ(ino_of("/abs/f"), f);
	CHECK_EQ(ino_of("/a/b/up"), f);
	uint64_t link;
	CHECK_EQ(lookup("/a/rel", 0, &link), 0); /* not followed: the link itself */
	CHECK(link != f);
	CHECK_EQ(lookup("/dangle", LOOKUP_FOLLOW, NULL), -ENOENT);
	CHECK_EQ(lookup("/dangle", 0, NULL), 0);
	CHECK_EQ(lookup("/abs/", 0, &link), 0); /* a trailing slash follows */
	CHECK_EQ(link, ino_of("/a/b"));
	CHECK_EQ(lookup("/a/rel/", 0, NULL), -ENOTDIR);
	CHECK_EQ(lookup("/abs/../b/f", 0, &link), 0); /* ".." of the target, not of the link */
	CHECK_EQ(link, f);
	CHECK_EQ(vfs_symlink(R, "", NULL, "/empty"), -ENOENT);
	CHECK_EQ(lookup("/abs", LOOKUP_DIRECTORY, NULL), -ENOTDIR); /* the link, unfollowed */
	CHECK_EQ(lookup("/abs", LOOKUP_DIRECTORY | LOOKUP_FOLLOW, NULL), 0);
	finish("walk: symlinks relative, absolute, dangling, trailing slash");
}

static void test_loops(void)
{
	build();
	CHECK_EQ(vfs_symlink(R, "lb", NULL, "/la"), 0);
	CHECK_EQ(vfs_symlink(R, "la", NULL, "/lb"), 0);
	CHECK_EQ(vfs_symlink(R, "self", NULL, "/self"), 0);
	CHECK_EQ(lookup("/la", LOOKUP_FOLLOW, NULL), -ELOOP);
	CHECK_EQ(lookup("/la/x", 0, NULL), -ELOOP);
	CHECK_EQ(lookup("/self", LOOKUP_FOLLOW, NULL), -ELOOP);
	CHECK_EQ(lookup("/la", 0, NULL), 0);
	/* l0 -> /a/b/f, li -> l(i-1): following l39 takes 40 links, l40 takes 41. */
	char name[16], target[16];
	CHECK_EQ(vfs_symlink(R, "/a/b/f", NULL, "/l0"), 0);
	for (int i = 1; i <= 41; i++) {
		snprintf(name, sizeof(name), "/l%d", i);
		snprintf(target, sizeof(target), "l%d", i - 1);
		CHECK_EQ(vfs_symlink(R, target, NULL, name), 0);
	}
	CHECK_EQ(ino_of("/l39"), ino_of("/a/b/f"));
	CHECK_EQ(lookup("/l40", LOOKUP_FOLLOW, NULL), -ELOOP);
	CHECK_EQ(lookup("/l41", LOOKUP_FOLLOW, NULL), -ELOOP);
	/* Nested in directories: dN -> d(N-1)/ resolved through the middle of a path. */
	CHECK_EQ(vfs_symlink(R, "a", NULL, "/d0"), 0);
	for (int i = 1; i <= 40; i++) {
		snprintf(name, sizeof(name), "/d%d", i);
		snprintf(target, sizeof(target), "d%d/", i - 1);
		CHECK_EQ(vfs_symlink(R, target, NULL, name), 0);
	}
	CHECK_EQ(lookup("/d39/b/f", 0, NULL), 0);
	CHECK_EQ(lookup("/d40/b/f", 0, NULL), -ELOOP);
	finish("walk: symlink loops and more than 40 links give ELOOP");
}

static void test_at(void)
{
	build();
	struct path a, f;
	CHECK_EQ(vfs_lookup(R, NULL, "/a", 0, &a), 0);
	CHECK_EQ(vfs_lookup(R, NULL, "/a/b/f", 0, &f), 0);
	struct path out;
	CHECK_EQ(vfs_lookup(R, &a, "b/f", 0, &out), 0);
	CHECK(out.ino == f.ino);
	path_put(&out);
	CHECK_EQ(vfs_lookup(R, &a, "/a/b/f", 0, &out), 0); /* absolute ignores at */
	path_put(&out);
	CHECK_EQ(vfs_lookup(R, &f, "x", 0, &out), -ENOTDIR);
	CHECK_EQ(vfs_lookup(R, &a, "..", 0, &out), 0);
	CHECK(out.ino == T.m->sb->root);
	path_put(&out);
	/* A chroot-like root: ".." cannot climb above it, absolute paths start there. */
	CHECK_EQ(vfs_lookup(&a, NULL, "/../../b/f", 0, &out), 0);
	CHECK(out.ino == f.ino);
	path_put(&out);
	const char *last;
	size_t len;
	CHECK_EQ(vfs_lookup_parent(R, NULL, "/a/b/f", &out, &last, &len), 0);
	CHECK(len == 1 && last[0] == 'f');
	path_put(&out);
	CHECK_EQ(vfs_lookup_parent(R, NULL, "/", &out, &last, &len), -EINVAL);
	CHECK_EQ(vfs_lookup_parent(R, NULL, "/a/.", &out, &last, &len), -EEXIST);
	CHECK_EQ(vfs_lookup_parent(R, NULL, "/a/b/f/g", &out, &last, &len), -ENOTDIR);
	path_put(&a);
	path_put(&f);
	finish("walk: *at directories, private roots, lookup_parent");
}

static void test_mounts(void)
{
	build();
	CHECK_EQ(vfs_mkdir(R, NULL, "/mnt", 0755), 0);
	CHECK_EQ(put_file(R, "/mnt/under", "hidden"), 0);
	CHECK_EQ(vfs_mount_at(R, NULL, "tmpfs", NULL, "/mnt", NULL), 0);
	CHECK_EQ(lookup("/mnt/under", 0, NULL), -ENOENT); /* covered */
	CHECK_EQ(put_file(R, "/mnt/over", "on top"), 0);
	CHECK_EQ(ino_of("/mnt/.."), T.m->sb->root->ino);
	CHECK_EQ(ino_of("/mnt/../a/b/f"), ino_of("/a/b/f"));
	struct path mroot;
	CHECK_EQ(vfs_lookup(R, NULL, "/mnt", 0, &mroot), 0);
	struct mount *m = mroot.mnt;
	CHECK(m != T.m && mroot.ino == m->sb->root);
	CHECK_EQ(vfs_rmdir(R, NULL, "/mnt"), -EBUSY);
	CHECK_EQ(vfs_rename(R, NULL, "/mnt/over", NULL, "/over", 0), -EXDEV);
	CHECK_EQ(vfs_link(R, NULL, "/mnt/over", NULL, "/over"), -EXDEV);
	CHECK_EQ(vfs_rename(R, NULL, "/mnt", NULL, "/mnt2", 0), -EBUSY);
	CHECK_EQ(vfs_umount(m), -EBUSY); /* mroot holds it */
	CHECK_EQ(tree_free(&T), -EBUSY); /* the child mount holds the parent */
	path_put(&mroot);
	CHECK_EQ(vfs_umount(m), 0);
	char buf[32];
	CHECK_EQ(get_file(R, "/mnt/under", buf, sizeof(buf)), 6);
	finish("walk: mounts crossed down and up, EBUSY, EXDEV");
}

static const struct vfs_cred user = {1000, 1000, 0, NULL};
static const struct vfs_cred *user_cred(void)
{
	return &user;
}

static void test_permissions(void)
{
	build();
	CHECK_EQ(vfs_mkdir(R, NULL, "/secret", 0700), 0);
	CHECK_EQ(put_file(R, "/secret/s", "x"), 0);
	CHECK_EQ(put_file(R, "/ro", "x"), 0);
	CHECK_EQ(vfs_mkdir(R, NULL, "/sticky", 01777), 0);
	CHECK_EQ(put_file(R, "/sticky/roots", "x"), 0);
	struct path p;
	CHECK_EQ(vfs_lookup(R, NULL, "/ro", 0, &p), 0);
	CHECK_EQ(vfs_permission(p.ino, MAY_READ | MAY_WRITE), 0); /* root */
	CHECK_EQ(vfs_permission(p.ino, MAY_EXEC), -EACCES);     /* root needs an x bit */
	vfs_current_cred = user_cred;
	CHECK_EQ(vfs_permission(p.ino, MAY_READ), 0);
	CHECK_EQ(vfs_permission(p.ino, MAY_WRITE), -EACCES);
	path_put(&p);
	CHECK_EQ(lookup("/secret/s", 0, NULL), -EACCES);
	struct file *f;
	CHECK_EQ(vfs_open(R, NULL, "/ro", O_WRONLY, 0, &f), -EACCES);
	CHECK_EQ(vfs_open(R, NULL, "/new", O_WRONLY | O_CREAT, 0644, &f), -EACCES);
	CHECK_EQ(vfs_mkdir(R, NULL, "/sticky/mine", 0755), 0);
	CHECK_EQ(vfs_unlink(R, NULL, "/sticky/roots"), -EPERM);
	CHECK_EQ(vfs_rmdir(R, NULL, "/sticky/mine"), 0);
	vfs_current_cred = NULL;
	finish("walk: search permission, root bypass, sticky directories");
}

/* With no global root mounted (the kernel's root failed to mount), a walk from the global
 * root is a clean -ENOENT, not a fault (it once put an uninitialised root path). */
static void test_no_global_root(void)
{
	struct path p;
	struct file *f;
	CHECK_EQ(vfs_lookup(NULL, NULL, "/hello.txt", LOOKUP_FOLLOW, &p), -ENOENT);
	CHECK_EQ(vfs_open(NULL, NULL, "/hello.txt", O_RDONLY, 0, &f), -ENOENT);
	tap_point("no global root: lookups and opens give ENOENT");
}

int main(void)
{
	test_no_global_root();
	test_dots();
	test_errors();
	test_lengths();
	test_symlinks();
	test_loops();
	test_at();
	test_mounts();
	test_permissions();
	return tap_done();
}
