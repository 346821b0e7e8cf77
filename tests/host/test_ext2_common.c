/* tests/host/test_ext2_common.c: see test_ext2_common.h. Only libc headers that do not clash
 * with fs/vfs.h (the host file system is reached through test_ext2_host.c). */
#include "test_ext2_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bcache.h"
#include "core/errno.h"
#include "host_blkdev.h"

/* The kernel gets this from fs/namei.c; weak so the VFS itself may be linked too. */
__attribute__((weak)) const struct vfs_cred *(*vfs_current_cred)(void);

/* ---- Mounting ----------------------------------------------------------------------------- */

int tfs_mount(struct tfs *t, const char *img, const char *opts)
{
	memset(t, 0, sizeof(*t));
	t->dev = host_blkdev_open(img, false);
	if (!t->dev)
		return -ENODEV;
	mutex_init(&t->sb.icache_lock, "icache");
	int err = ext2_fs_type.mount(&t->sb, t->dev, opts);
	if (err) {
		if (bcache_invalidate(t->dev))
			printf("# mount failed and left buffers referenced\n");
		host_blkdev_close(t->dev);
		t->dev = NULL;
		return err;
	}
	t->mounted = true;
	return 0;
}

size_t tfs_umount(struct tfs *t)
{
	size_t leaks = 0;
	if (!t->mounted)
		return 0;
	vfs_iput(t->sb.root);
	for (size_t i = 0; i < sizeof(t->sb.icache) / sizeof(t->sb.icache[0]); i++)
		for (struct inode *ino = t->sb.icache[i]; ino; ino = ino->hash_next) {
			printf("# inode %llu still referenced (%d) at unmount\n",
			       (unsigned long long)ino->ino, ino->refs);
			leaks++;
		}
	t->sb.ops->put_super(&t->sb);
	leaks += bcache_invalidate(t->dev);
	host_blkdev_close(t->dev);
	t->mounted = false;
	return leaks;
}

/* ---- Paths -------------------------------------------------------------------------------- */

int tfs_walk(struct tfs *t, const char *path, struct inode **out)
{
	struct inode *cur = t->sb.root;
	vfs_igrab(cur);
	while (*path) {
		while (*path == '/')
			path++;
		size_t len = strcspn(path, "/");
		if (len == 0)
			break;
		struct inode *next;
		int err = cur->ops && cur->ops->lookup ? cur->ops->lookup(cur, path, len, &next)
						       : -ENOTDIR;
		vfs_iput(cur);
		if (err)
			return err;
		cur = next;
		path += len;
	}
	*out = cur;
	return 0;
}

int tfs_parent(struct tfs *t, const char *path, struct inode **dir, const char **name)
{
	const char *slash = strrchr(path, '/');
	char buf[4096];
	if (!slash) {
		*name = path;
		return tfs_walk(t, "", dir);
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)(slash - path), path);
	*name = slash + 1;
	return tfs_walk(t, buf, dir);
}

int tfs_create(struct tfs *t, const char *path, uint32_t mode, uint32_t rdev)
{
	struct inode *dir, *ino;
	const char *name;
	int err = tfs_parent(t, path, &dir, &name);
	if (err)
		return err;
	err = dir->ops->create(dir, name, strlen(name), mode, rdev, &ino);
	if (!err)
		vfs_iput(ino);
	vfs_iput(dir);
	return err;
}

int tfs_mkdir(struct tfs *t, const char *path, uint32_t mode)
{
	struct inode *dir, *ino;
	const char *name;
	int err = tfs_parent(t, path, &dir, &name);
	if (err)
		return err;
	err = dir->ops->mkdir(dir, name, strlen(name), S_IFDIR | mode, &ino);
	if (!err)
		vfs_iput(ino);
	vfs_iput(dir);
	return err;
}

int tfs_symlink(struct tfs *t, const char *path, const char *target)
{
	struct inode *dir, *ino;
	const char *name;
	int err = tfs_parent(t, path, &dir, &name);
	if (err)
		return err;
	err = dir->ops->symlink(dir, name, strlen(name), target, &ino);
	if (!err)
		vfs_iput(ino);
	vfs_iput(dir);
	return err;
}

int tfs_link(struct tfs *t, const char *oldpath, const char *newpath)
{
	struct inode *dir, *target;
	const char *name;
	int err = tfs_walk(t, oldpath, &target);
	if (err)
		return err;
	err = tfs_parent(t, newpath, &dir, &name);
	if (!err) {
		err = dir->ops->link(dir, name, strlen(name), target);
		vfs_iput(dir);
	}
	vfs_iput(target);
	return err;
}

static int remove_name(struct tfs *t, const char *path, bool dir_op)
{
	struct inode *dir;
	const char *name;
	int err = tfs_parent(t, path, &dir, &name);
	if (err)
		return err;
	err = dir_op ? dir->ops->rmdir(dir, name, strlen(name))
		     : dir->ops->unlink(dir, name, strlen(name));
	vfs_iput(dir);
	return err;
}

int tfs_unlink(struct tfs *t, const char *path)
{
	return remove_name(t, path, false);
}

int tfs_rmdir(struct tfs *t, const char *path)
{
	return remove_name(t, path, true);
}

int tfs_rename(struct tfs *t, const char *oldpath, const char *newpath, unsigned flags)
{
	struct inode *od, *nd;
	const char *on, *nn;
	int err = tfs_parent(t, oldpath, &od, &on);
	if (err)
		return err;
	err = tfs_parent(t, newpath, &nd, &nn);
	if (!err) {
		err = od->ops->rename(od, on, strlen(on), nd, nn, strlen(nn), flags);
		vfs_iput(nd);
	}
	vfs_iput(od);
	return err;
}

int tfs_setattr(struct tfs *t, const char *path, const struct vattr *va)
{
	struct inode *ino;
	int err = tfs_walk(t, path, &ino);
	if (err)
		return err;
	err = ino->ops->setattr(ino, va);
	vfs_iput(ino);
	return err;
}

int tfs_truncate(struct tfs *t, const char *path, uint64_t size)
{
	struct vattr va = {.valid = ATTR_SIZE, .size = size};
	return tfs_setattr(t, path, &va);
}

long tfs_readlink(struct tfs *t, const char *path, char *buf, size_t n)
{
	struct inode *ino;
	long err = tfs_walk(t, path, &ino);
	if (err)
		return err;
	err = ino->ops->readlink ? ino->ops->readlink(ino, buf, n) : -EINVAL;
	vfs_iput(ino);
	return err;
}

/* ---- I/O ---------------------------------------------------------------------------------- */

long ino_pread(struct inode *ino, void *buf, size_t n, uint64_t pos)
{
	struct file f = {.path = {NULL, ino}, .ops = ino->fops};
	struct uio u = uio_kernel(buf, n);
	if (!ino->fops || !ino->fops->read)
		return -EINVAL;
	return ino->fops->read(&f, &u, pos);
}

long ino_pwrite(struct inode *ino, const void *buf, size_t n, uint64_t pos)
{
	struct file f = {.path = {NULL, ino}, .ops = ino->fops};
	struct uio u = uio_kernel((void *)buf, n);
	if (!ino->fops || !ino->fops->write)
		return -EINVAL;
	return ino->fops->write(&f, &u, pos);
}

long tfs_pwrite(struct tfs *t, const char *path, const void *buf, size_t n, uint64_t pos)
{
	struct inode *ino;
	long err = tfs_walk(t, path, &ino);
	if (err)
		return err;
	err = ino_pwrite(ino, buf, n, pos);
	vfs_iput(ino);
	return err;
}

long tfs_pread(struct tfs *t, const char *path, void *buf, size_t n, uint64_t pos)
{
	struct inode *ino;
	long err = tfs_walk(t, path, &ino);
	if (err)
		return err;
	err = ino_pread(ino, buf, n, pos);
	vfs_iput(ino);
	return err;
}

struct collect {
	struct tdirent *v;
	size_t n, cap;
};

static int collect_one(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
		       uint64_t next_pos)
{
	struct collect *c = ctx;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
	}
	struct tdirent *d = &c->v[c->n++];
	snprintf(d->name, sizeof(d->name), "%.*s", (int)len, name);
	d->ino = ino;
	d->type = type;
	return 0;
}

long ino_readdir_all(struct inode *dir, struct tdirent **out)
{
	struct file f = {.path = {NULL, dir}, .ops = dir->fops};
	struct collect c = {0};
	uint64_t pos = 0;
	if (!dir->fops || !dir->fops->readdir)
		return -ENOTDIR;
	int err = dir->fops->readdir(&f, &pos, collect_one, &c);
	if (err) {
		free(c.v);
		return err;
	}
	*out = c.v;
	return (long)c.n;
}

/* ---- Comparing with the host ------------------------------------------------------------ */

static long ndiff;

#define DIFF(...)                                   \
	do {                                        \
		printf("# diff: " __VA_ARGS__);     \
		printf("\n");                       \
		ndiff++;                            \
	} while (0)

static unsigned dt_of_mode(uint32_t mode)
{
	return (mode & S_IFMT) >> 12;
}

static void compare_file(struct inode *ino, const char *ipath, const char *hpath)
{
	static char a[1 << 18], b[1 << 18];
	for (uint64_t pos = 0;; pos += sizeof(a)) {
		long hn = host_pread(hpath, a, sizeof(a), pos);
		long in = ino_pread(ino, b, sizeof(b), pos);
		if (hn != in || (hn > 0 && memcmp(a, b, (size_t)hn) != 0)) {
			DIFF("%s: contents differ at %llu (host %ld, image %ld bytes)", ipath,
			     (unsigned long long)pos, hn, in);
			break;
		}
		if (hn <= 0)
			break;
	}
}

static void compare_link(struct inode *ino, const char *ipath, const char *hpath)
{
	char a[4096], b[4096];
	long hn = host_readlink(hpath, a, sizeof(a));
	long in = ino->ops->readlink ? ino->ops->readlink(ino, b, sizeof(b)) : -EINVAL;
	if (hn != in || (hn > 0 && memcmp(a, b, (size_t)hn) != 0))
		DIFF("%s: symlink target differs (%ld vs %ld bytes)", ipath, hn, in);
}

static long compare_dir(struct tfs *t, struct inode *dir, uint64_t parent, const char *ipath,
			const char *hpath, bool check_mtime, bool is_root);

static void compare_attrs(struct inode *ino, const struct hstat *st, const char *ipath,
			  bool check_mtime, uint32_t extra_links)
{
	if (ino->mode != st->mode)
		DIFF("%s: mode %o, host %o", ipath, ino->mode, st->mode);
	if (ino->uid != st->uid || ino->gid != st->gid)
		DIFF("%s: owner %u:%u, host %u:%u", ipath, ino->uid, ino->gid, st->uid, st->gid);
	if (!S_ISDIR(ino->mode) && ino->size != st->size)
		DIFF("%s: size %llu, host %llu", ipath, (unsigned long long)ino->size,
		     (unsigned long long)st->size);
	if (ino->nlink != st->nlink + extra_links)
		DIFF("%s: nlink %u, host %u", ipath, ino->nlink, st->nlink);
	if (check_mtime && ino->mtime.sec != st->mtime)
		DIFF("%s: mtime %lld, host %lld", ipath, (long long)ino->mtime.sec,
		     (long long)st->mtime);
	if ((S_ISCHR(ino->mode) || S_ISBLK(ino->mode)) && ino->rdev != st->rdev)
		DIFF("%s: rdev %#x, host %#x", ipath, ino->rdev, st->rdev);
}

static void compare_entry(struct tfs *t, struct inode *dir, const struct tdirent *d,
			  const char *ipath, const char *hpath, bool check_mtime)
{
	struct hstat st;
	struct inode *ino;
	if (host_lstat(hpath, &st) != 0) {
		DIFF("%s: missing on the host", ipath);
		return;
	}
	int err = dir->ops->lookup(dir, d->name, strlen(d->name), &ino);
	if (err) {
		DIFF("%s: lookup gives %d", ipath, err);
		return;
	}
	if (ino->ino != d->ino)
		DIFF("%s: readdir says inode %llu, lookup %llu", ipath,
		     (unsigned long long)d->ino, (unsigned long long)ino->ino);
	if (d->type != DT_UNKNOWN && d->type != dt_of_mode(ino->mode))
		DIFF("%s: d_type %u for mode %o", ipath, d->type, ino->mode);
	compare_attrs(ino, &st, ipath, check_mtime, 0);
	if (S_ISREG(ino->mode) && S_ISREG(st.mode))
		compare_file(ino, ipath, hpath);
	else if (S_ISLNK(ino->mode) && S_ISLNK(st.mode))
		compare_link(ino, ipath, hpath);
	else if (S_ISDIR(ino->mode) && S_ISDIR(st.mode))
		compare_dir(t, ino, dir->ino, ipath, hpath, check_mtime, false);
	vfs_iput(ino);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(((const struct tdirent *)a)->name, ((const struct tdirent *)b)->name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Check "." and "..", drop them (and lost+found at the root) from the listing. */
static size_t strip_dots(struct tdirent *v, size_t n, struct inode *dir, uint64_t parent,
			 const char *ipath, bool skip_lf)
{
	size_t m = 0;
	bool dot = false, dotdot = false;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v[i].name, ".")) {
			dot = v[i].ino == dir->ino;
		} else if (!strcmp(v[i].name, "..")) {
			dotdot = v[i].ino == parent;
		} else if (!(skip_lf && !strcmp(v[i].name, "lost+found"))) {
			v[m++] = v[i];
		}
	}
	if (!dot || !dotdot)
		DIFF("%s: bad \".\" (%d) or \"..\" (%d)", ipath, dot, dotdot);
	return m;
}

static long compare_dir(struct tfs *t, struct inode *dir, uint64_t parent, const char *ipath,
			const char *hpath, bool check_mtime, bool is_root)
{
	struct tdirent *v;
	char **h;
	long n = ino_readdir_all(dir, &v);
	long hn = host_list(hpath, &h);
	if (n < 0 || hn < 0) {
		DIFF("%s: cannot list (%ld, %ld)", ipath, n, hn);
		return 1;
	}
	bool skip_lf = false;
	if (is_root) {
		skip_lf = true;
		for (long i = 0; i < hn; i++)
			skip_lf = skip_lf && strcmp(h[i], "lost+found") != 0;
	}
	size_t m = strip_dots(v, (size_t)n, dir, parent, ipath, skip_lf);
	qsort(v, m, sizeof(*v), cmp_names);
	qsort(h, (size_t)hn, sizeof(*h), cmp_str);
	if ((long)m != hn)
		DIFF("%s: %zu entries, host %ld", ipath, m, hn);
	for (size_t i = 0; i < m && (long)i < hn; i++) {
		char ip[4200], hp[4200];
		if (strcmp(v[i].name, h[i]) != 0) {
			DIFF("%s: entry %s, host %s", ipath, v[i].name, h[i]);
			break;
		}
		snprintf(ip, sizeof(ip), "%s/%s", ipath, v[i].name);
		snprintf(hp, sizeof(hp), "%s/%s", hpath, h[i]);
		compare_entry(t, dir, &v[i], ip, hp, check_mtime);
	}
	host_free_list(h, hn);
	free(v);
	return 0;
}

long tfs_compare_tree(struct tfs *t, const char *ipath, const char *hpath, bool check_mtime)
{
	struct inode *dir;
	struct hstat st;
	ndiff = 0;
	int err = tfs_walk(t, ipath, &dir);
	if (err || host_lstat(hpath, &st) != 0) {
		DIFF("%s: cannot walk (%d) or stat the host", ipath, err);
		return ndiff;
	}
	bool root = *ipath == 0;
	char lf[4200];
	struct hstat lst;
	struct inode *lfi;
	uint32_t extra = 0;
	snprintf(lf, sizeof(lf), "%s/lost+found", hpath);
	if (root && host_lstat(lf, &lst) != 0 &&
	    dir->ops->lookup(dir, "lost+found", 10, &lfi) == 0) {
		extra = 1;
		vfs_iput(lfi);
	}
	compare_attrs(dir, &st, *ipath ? ipath : "/", check_mtime && !root, extra);
	compare_dir(t, dir, root ? dir->ino : 0, *ipath ? ipath : "", hpath, check_mtime, root);
	vfs_iput(dir);
	return ndiff;
}

/* ---- Random ------------------------------------------------------------------------------- */

static uint64_t rng_state = 88172645463325252ull;

void trand_seed(uint64_t seed)
{
	rng_state = seed ? seed : 88172645463325252ull;
}

uint64_t trand(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

