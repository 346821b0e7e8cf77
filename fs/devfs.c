/*
 * fs/devfs.c: the device file system mounted at /dev, and the devices in it.
 *
 * One flat directory with a fixed set of character devices, Linux's numbers:
 *   null 1:3   zero 1:5   full 1:7   random 1:8   urandom 1:9   tty 5:0   console 5:1
 * Inode 1 is the directory; device i of the table is inode i + 2. The inodes are made from
 * the table on demand (read_inode) and their changeable attributes (chmod, chown, times) are
 * kept per mount in struct devfs_sb, so they survive the inode being evicted. The device
 * operations are also registered by number (vfs_register_chrdev), so a device node on any
 * file system opens the same device.
 *
 * /dev/console and /dev/tty are terminals: their operations are core/tty.c's (the host suite
 * gives stand-ins).
 *
 * /dev/random and /dev/urandom come from a xoshiro256** generator seeded from the monotonic
 * clock (the cycle counter) and the RTC, with the clock mixed in again on every request and
 * written bytes mixed into the state. It is NOT cryptographic: unpredictable enough for
 * address-space layout and temporary names, not for keys.
 */
#include "core/tty.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/poll.h"
#include "core/signal.h"
#include "core/string.h"
#include "core/time.h"
#include "fs/vfs_internal.h"

#define DEVFS_MAGIC 0x1373
#define ROOT_INO 1
#define CHUNK 256

/* ---- The kernel PRNG ----------------------------------------------------------------------------- */

static struct {
	struct mutex lock;
	uint64_t s[4];
	bool seeded;
} rng = {.lock = MUTEX_INIT("random")};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
	uint64_t *s = rng.s, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* Mix a word into the state (lock held): XOR it in, rehash through splitmix. */
static void rng_mix(uint64_t w)
{
	if (!rng.seeded) {
		uint64_t seed = time_ns() ^ rotl(time_realtime_ns(), 32);
		for (int i = 0; i < 4; i++)
			rng.s[i] = splitmix64(&seed);
		rng.seeded = true;
	}
	uint64_t x = w ^ rng.s[0];
	rng.s[0] ^= splitmix64(&x);
	rng.s[2] ^= splitmix64(&x);
	if (!(rng.s[0] | rng.s[1] | rng.s[2] | rng.s[3]))
		rng.s[0] = 1; /* the one state xoshiro never leaves */
}

void devfs_random_bytes(void *buf, size_t n)
{
	mutex_lock(&rng.lock);
	rng_mix(time_ns());
	for (unsigned char *p = buf; n > 0;) {
		uint64_t r = rng_next();
		size_t k = n < 8 ? n : 8;
		memcpy(p, &r, k);
		p += k;
		n -= k;
	}
	mutex_unlock(&rng.lock);
}

/* ---- Memory devices ----------------------------------------------------------------------------- */

static long read_nothing(struct file *f, struct uio *u, uint64_t pos)
{
	return 0;
}

/* Accept and discard: the count, without looking at the bytes (as Linux's /dev/null). */
static long write_discard(struct file *f, struct uio *u, uint64_t pos)
{
	long n = (long)u->resid;
	u->addr += u->resid;
	u->resid = 0;
	return n;
}

static long read_zeros(struct file *f, struct uio *u, uint64_t pos)
{
	return uio_zero(u, u->resid);
}

static long write_full(struct file *f, struct uio *u, uint64_t pos)
{
	return -ENOSPC;
}

static long read_random(struct file *f, struct uio *u, uint64_t pos)
{
	unsigned char buf[CHUNK];
	long done = 0;
	while (u->resid > 0) {
		size_t n = u->resid < CHUNK ? u->resid : CHUNK;
		devfs_random_bytes(buf, n);
		long r = uio_copy_out(u, buf, n);
		if (r < 0)
			return done ? done : r;
		done += r;
	}
	return done;
}

static long write_random(struct file *f, struct uio *u, uint64_t pos)
{
	unsigned char buf[CHUNK];
	long done = 0;
	while (u->resid > 0) {
		long r = uio_copy_in(u, buf, CHUNK);
		if (r < 0)
			return done ? done : r;
		mutex_lock(&rng.lock);
		for (long i = 0; i < r; i += 8) {
			uint64_t w = 0;
			memcpy(&w, buf + i, r - i < 8 ? (size_t)(r - i) : 8);
			rng_mix(w);
		}
		mutex_unlock(&rng.lock);
		done += r;
	}
	return done;
}

/* Linux's null_lseek: every seek on a memory device succeeds and lands at 0. */
static int64_t seek_zero(struct file *f, int64_t off, int whence)
{
	f->pos = 0;
	return 0;
}


static const struct file_ops null_fops = {
	.read = read_nothing, .write = write_discard, .llseek = seek_zero};
static const struct file_ops zero_fops = {
	.read = read_zeros, .write = write_discard, .llseek = seek_zero};
static const struct file_ops full_fops = {
	.read = read_zeros, .write = write_full, .llseek = seek_zero};
static const struct file_ops random_fops = {
	.read = read_random, .write = write_random, .llseek = seek_zero};

/* ---- The file system -------------------------------------------------------------------------- */

static const struct devfs_dev {
	const char *name;
	uint32_t major, minor, perm;
	const struct file_ops *fops;
} devs[] = {
	{"null", 1, 3, 0666, &null_fops},
	{"zero", 1, 5, 0666, &zero_fops},
	{"full", 1, 7, 0666, &full_fops},
	{"random", 1, 8, 0666, &random_fops},
	{"urandom", 1, 9, 0666, &random_fops},
	{"tty", 5, 0, 0666, &tty_dev_fops},
	{"console", 5, 1, 0600, &tty_console_fops},
};
#define NDEVS (sizeof(devs) / sizeof(devs[0]))

/* What chmod, chown and utimensat change, per inode (index ino - 1). */
struct devfs_attr {
	uint32_t mode, uid, gid;
	struct timespec64 atime, mtime, ctime;
};

struct devfs_sb {
	struct devfs_attr attr[NDEVS + 1];
};

static const struct inode_ops devfs_dir_iops, devfs_dev_iops;
static const struct file_ops devfs_dir_fops;
static const struct super_ops devfs_sops;

static int devfs_read_inode(struct inode *ino)
{
	if (ino->ino < ROOT_INO || ino->ino > NDEVS + 1)
		return -ENOENT;
	struct devfs_attr *a = &((struct devfs_sb *)ino->sb->priv)->attr[ino->ino - 1];
	ino->mode = a->mode;
	ino->uid = a->uid;
	ino->gid = a->gid;
	ino->atime = a->atime;
	ino->mtime = a->mtime;
	ino->ctime = a->ctime;
	if (ino->ino == ROOT_INO) {
		ino->nlink = 2;
		ino->ops = &devfs_dir_iops;
		ino->fops = &devfs_dir_fops;
		return 0;
	}
	const struct devfs_dev *d = &devs[ino->ino - 2];
	ino->nlink = 1;
	ino->rdev = MKDEV(d->major, d->minor);
	ino->ops = &devfs_dev_iops;
	ino->fops = d->fops;
	return 0;
}

static int devfs_write_inode(struct inode *ino)
{
	struct devfs_attr *a = &((struct devfs_sb *)ino->sb->priv)->attr[ino->ino - 1];
	*a = (struct devfs_attr){ino->mode, ino->uid, ino->gid, ino->atime, ino->mtime, ino->ctime};
	return 0;
}

static int devfs_setattr(struct inode *ino, const struct vattr *va)
{
	if (va->valid & ATTR_SIZE)
		return S_ISDIR(ino->mode) ? -EISDIR : 0; /* truncating a device does nothing */
	vfs_setattr_copy(ino, va, vfs_now());
	return devfs_write_inode(ino);
}

static int devfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	uint64_t ino = 0;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		ino = ROOT_INO;
	for (size_t i = 0; i < NDEVS && !ino; i++)
		if (strlen(devs[i].name) == len && memcmp(devs[i].name, name, len) == 0)
			ino = i + 2;
	return ino ? vfs_iget(dir->sb, ino, out) : -ENOENT;
}

static int devfs_readdir(struct file *f, uint64_t *pos, filldir_t fill, void *ctx)
{
	for (; *pos < NDEVS + 2; ++*pos) {
		uint64_t p = *pos;
		const char *name = p == 0 ? "." : p == 1 ? ".." : devs[p - 2].name;
		uint64_t ino = p < 2 ? ROOT_INO : p;
		if (fill(ctx, name, strlen(name), ino, p < 2 ? DT_DIR : DT_CHR, p + 1))
			break;
	}
	return 0;
}

static int devfs_statfs(struct super_block *sb, struct kstatfs *st)
{
	*st = (struct kstatfs){.type = DEVFS_MAGIC, .bsize = 4096, .namelen = NAME_MAX};
	return 0;
}

static void devfs_put_super(struct super_block *sb)
{
	kfree(sb->priv);
	sb->priv = NULL;
}

static int devfs_mount(struct super_block *sb, struct blkdev *dev, const char *opts)
{
	for (size_t i = 0; i < NDEVS; i++) {
		int err = vfs_register_chrdev(MKDEV(devs[i].major, devs[i].minor), devs[i].fops);
		if (err)
			return err;
	}
	struct devfs_sb *dsb = kzalloc(sizeof(*dsb));
	if (!dsb)
		return -ENOMEM;
	struct timespec64 now = vfs_now();
	dsb->attr[0] = (struct devfs_attr){S_IFDIR | 0755, 0, 0, now, now, now};
	for (size_t i = 0; i < NDEVS; i++)
		dsb->attr[i + 1] = (struct devfs_attr){S_IFCHR | devs[i].perm, 0, 0, now, now, now};
	sb->priv = dsb;
	sb->ops = &devfs_sops;
	sb->magic = DEVFS_MAGIC;
	sb->block_size = 4096;
	int err = vfs_iget(sb, ROOT_INO, &sb->root);
	if (err) {
		kfree(dsb);
		sb->priv = NULL;
	}
	return err;
}

static const struct inode_ops devfs_dir_iops = {
	.lookup = devfs_lookup,
	.setattr = devfs_setattr,
};

static const struct inode_ops devfs_dev_iops = {
	.setattr = devfs_setattr,
};

static const struct file_ops devfs_dir_fops = {
	.readdir = devfs_readdir,
};

static const struct super_ops devfs_sops = {
	.read_inode = devfs_read_inode,
	.write_inode = devfs_write_inode,
	.statfs = devfs_statfs,
	.put_super = devfs_put_super,
};

const struct file_system_type devfs_fs_type = {
	.name = "devfs",
	.mount = devfs_mount,
};
