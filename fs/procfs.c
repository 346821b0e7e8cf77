/*
 * fs/procfs.c: the /proc file system: its inodes, directories and open files.
 *
 * Nothing is stored: an inode number says what a file is, and everything is computed from the
 * live kernel when looked up, listed or read:
 *   ino = pid << 32 | type << 24 | n
 * with type T_ROOT (/proc), T_TOP (/proc/<top_files[n]>), T_SELF (/proc/self), T_PIDDIR
 * (/proc/<pid>), T_PIDFILE (/proc/<pid>/<pid_files[n]>), T_FDDIR (/proc/<pid>/fd) and T_FD
 * (/proc/<pid>/fd/<n>). A lookup checks that the process (and descriptor) exists before it
 * hands out the inode, so a name of a process that is gone gives -ENOENT even while an old
 * inode of it is still cached; an inode held open across the process's end reads as -ESRCH.
 *
 * /proc lists the live (and zombie) pids in increasing order; a directory position past the
 * fixed entries is PID_BASE + pid, so a listing resumed after processes came and went neither
 * repeats nor skips a survivor. Symlinks (self, exe, cwd, fd/N) are ordinary symlinks whose
 * text is made on demand; following one walks that text (Linux's "magic" links that reach
 * the open file itself, e.g. a pipe's, are not reproduced).
 */
#include "fs/procfs.h"

#include "core/errno.h"
#include "core/kheap.h"
#include "core/proc.h"
#include "core/string.h"
#include "fs/vfs_internal.h"

enum { T_ROOT = 1, T_TOP, T_SELF, T_PIDDIR, T_PIDFILE, T_FDDIR, T_FD };
#define INO(pid, type, n) (((uint64_t)(pid) << 32) | ((uint64_t)(type) << 24) | (uint64_t)(n))
#define INO_PID(i) ((int)((i) >> 32))
#define INO_TYPE(i) ((unsigned)((i) >> 24) & 0xff)
#define INO_N(i) ((unsigned)(i) & 0xffffff)
#define ROOT_INO INO(0, T_ROOT, 0)

typedef int (*show_fn)(struct proc *p, struct pbuf *b);

static const struct {
	const char *name;
	show_fn show;
} top_files[] = {
	{"cpuinfo", procfs_show_cpuinfo}, {"janus", procfs_show_janus},
	{"loadavg", procfs_show_loadavg}, {"meminfo", procfs_show_meminfo},
	{"mounts", procfs_show_mounts},   {"stat", procfs_show_stat},
	{"uptime", procfs_show_uptime},   {"version", procfs_show_version},
};
#define NTOP (sizeof(top_files) / sizeof(top_files[0]))

enum { PF_CWD = 1, PF_EXE = 2, PF_FD = 3 }; /* pid_files indices of the non-regular entries */
static const struct {
	const char *name;
	uint32_t mode;
	show_fn show;
} pid_files[] = {
	{"cmdline", S_IFREG | 0444, procfs_show_pid_cmdline},
	{"cwd", S_IFLNK | 0777, NULL},
	{"exe", S_IFLNK | 0777, NULL},
	{"fd", S_IFDIR | 0500, NULL},
	{"comm", S_IFREG | 0444, procfs_show_pid_comm},
	{"maps", S_IFREG | 0444, procfs_show_pid_maps},
	{"stat", S_IFREG | 0444, procfs_show_pid_stat},
	{"status", S_IFREG | 0444, procfs_show_pid_status},
};
#define NPID (sizeof(pid_files) / sizeof(pid_files[0]))
#define PID_BASE (3 + NTOP) /* root positions: ".", "..", top files, "self", then pids */

static const struct inode_ops proc_dir_iops, proc_link_iops, proc_file_iops;
static const struct file_ops proc_dir_fops, proc_file_fops;

/* ---- Buffers ------------------------------------------------------------------------------- */

static void pb_reserve(struct pbuf *b, size_t more)
{
	if (b->err || b->len + more <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more)
		cap *= 2;
	char *n = kmalloc(cap);
	if (!n) {
		b->err = -ENOMEM;
		return;
	}
	if (b->len)
		memcpy(n, b->buf, b->len);
	kfree(b->buf);
	b->buf = n;
	b->cap = cap;
}

void pb_write(struct pbuf *b, const void *data, size_t n)
{
	pb_reserve(b, n);
	if (b->err)
		return;
	memcpy(b->buf + b->len, data, n);
	b->len += n;
}

void pb_printf(struct pbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < (int)sizeof(tmp)) {
		pb_write(b, tmp, (size_t)n);
		return;
	}
	pb_reserve(b, (size_t)n + 1);
	if (b->err)
		return;
	va_start(ap, fmt);
	kvsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* ---- Which inodes exist ------------------------------------------------------------------- */

static bool fd_open_in(struct proc *p, unsigned fd)
{
	struct fdtable *t = proc_get_fdt(p);
	struct file *f = t ? fd_get(t, (int)fd) : NULL;
	if (f)
		file_put(f);
	if (t)
		fdtable_put(t);
	return f != NULL;
}

/* Does ino name something that exists now? For per-process inodes, *uid and *gid get the
 * process's effective ids (the files' owner, as Linux shows them). Descriptors are checked
 * only with check_fd: read_inode runs under the super block's inode-cache lock, and taking
 * p->fs_lock there would invert the order of an exiting process whose cwd is in /proc (it
 * drops that inode with fs_lock held); lookups check before vfs_iget instead. */
static bool ino_valid(uint64_t ino, uint32_t *uid, uint32_t *gid, bool check_fd)
{
	unsigned type = INO_TYPE(ino), n = INO_N(ino);
	if (type == T_ROOT || type == T_SELF)
		return n == 0;
	if (type == T_TOP)
		return n < NTOP;
	if (type < T_PIDDIR || type > T_FD || (type == T_PIDFILE && n >= NPID))
		return false;
	struct proc *p = proc_find_any(INO_PID(ino));
	if (!p)
		return false;
	*uid = p->cred.euid;
	*gid = p->cred.egid;
	bool ok = type != T_FD || !check_fd || fd_open_in(p, n);
	proc_put(p);
	return ok;
}

static int proc_read_inode(struct inode *ino)
{
	uint32_t uid = 0, gid = 0;
	if (!ino_valid(ino->ino, &uid, &gid, false))
		return -ENOENT;
	unsigned type = INO_TYPE(ino->ino), n = INO_N(ino->ino);
	ino->uid = uid;
	ino->gid = gid;
	ino->atime = ino->mtime = ino->ctime = vfs_now();
	ino->nlink = 1;
	if (type == T_ROOT || type == T_PIDDIR || type == T_FDDIR ||
	    (type == T_PIDFILE && n == PF_FD)) {
		ino->mode = type == T_ROOT || type == T_PIDDIR ? S_IFDIR | 0555 : S_IFDIR | 0500;
		ino->nlink = 2;
		ino->ops = &proc_dir_iops;
		ino->fops = &proc_dir_fops;
	} else if (type == T_SELF || type == T_FD || type == T_PIDFILE) {
		ino->mode = type == T_FD ? S_IFLNK | 0700 : type == T_SELF ? S_IFLNK | 0777
								      : pid_files[n].mode;
		ino->ops = S_ISLNK(ino->mode) ? &proc_link_iops : &proc_file_iops;
		ino->fops = S_ISLNK(ino->mode) ? NULL : &proc_file_fops;
	} else {
		ino->mode = S_IFREG | 0444;
		ino->ops = &proc_file_iops;
		ino->fops = &proc_file_fops;
	}
	return 0;
}

/* The fd directory is reached as pid_files[PF_FD]; keep one inode number for it. */
static uint64_t canon(uint64_t ino)
{
	if (INO_TYPE(ino) == T_PIDFILE && INO_N(ino) == PF_FD)
		return INO(INO_PID(ino), T_FDDIR, 0);
	return ino;
}

static int get_checked(struct super_block *sb, uint64_t ino, struct inode **out)
{
	uint32_t uid, gid;
	ino = canon(ino);
	if (!ino_valid(ino, &uid, &gid, true))
		return -ENOENT;
	return vfs_iget(sb, ino, out);
}

/* ---- Lookup ----------------------------------------------------------------------------------- */

/* A decimal number without sign or leading zero, < limit; else -1. */
static long parse_num(const char *s, size_t len, long limit)
{
	long v = 0;
	if (len == 0 || len > 10 || (s[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v < limit ? v : -1;
}

static bool name_is(const char *name, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(name, s, len) == 0;
}

static int proc_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	unsigned type = INO_TYPE(dir->ino);
	int pid = INO_PID(dir->ino);
	if (name_is(name, len, "."))
		return get_checked(dir->sb, dir->ino, out);
	if (name_is(name, len, ".."))
		return get_checked(dir->sb, type == T_FDDIR ? INO(pid, T_PIDDIR, 0) : ROOT_INO, out);
	if (type == T_ROOT) {
		if (name_is(name, len, "self"))
			return get_checked(dir->sb, INO(0, T_SELF, 0), out);
		for (unsigned i = 0; i < NTOP; i++)
			if (name_is(name, len, top_files[i].name))
				return get_checked(dir->sb, INO(0, T_TOP, i), out);
		long n = parse_num(name, len, PID_MAX);
		return n > 0 ? get_checked(dir->sb, INO(n, T_PIDDIR, 0), out) : -ENOENT;
	}
	if (type == T_PIDDIR) {
		for (unsigned i = 0; i < NPID; i++)
			if (name_is(name, len, pid_files[i].name))
				return get_checked(dir->sb, INO(pid, T_PIDFILE, i), out);
		return -ENOENT;
	}
	long fd = parse_num(name, len, 0x1000000);
	return fd >= 0 ? get_checked(dir->sb, INO(pid, T_FD, fd), out) : -ENOENT;
}

/* ---- Directory listings ---------------------------------------------------------------- */

/* The smallest pid >= min of any process (zombies included), or 0. */
static int next_pid(int min)
{
	int best = 0;
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	for (struct proc *p = proc_first_locked(); p; p = p->all_next)
		if (p->pid >= min && (!best || p->pid < best))
			best = p->pid;
	spin_unlock_irqrestore(&proc_tree_lock, s);
	return best;
}

static int readdir_root(uint64_t *pos, filldir_t fill, void *ctx)
{
	for (; *pos < PID_BASE; ++*pos) {
		uint64_t p = *pos;
		const char *name = p == 0 ? "." : p == 1 ? ".." : p < 2 + NTOP ? top_files[p - 2].name
									: "self";
		uint64_t ino = p < 2 ? ROOT_INO : p < 2 + NTOP ? INO(0, T_TOP, p - 2) : INO(0, T_SELF, 0);
		unsigned dt = p < 2 ? DT_DIR : p < 2 + NTOP ? DT_REG : DT_LNK;
		if (fill(ctx, name, strlen(name), ino, dt, p + 1))
			return 0;
	}
	for (int pid; (pid = next_pid((int)(*pos - PID_BASE))) != 0; *pos = PID_BASE + pid + 1) {
		char name[12];
		int len = ksnprintf(name, sizeof(name), "%d", pid);
		if (fill(ctx, name, (size_t)len, INO(pid, T_PIDDIR, 0), DT_DIR, PID_BASE + pid + 1))
			return 0;
	}
	return 0;
}

static int readdir_pid(int pid, uint64_t *pos, filldir_t fill, void *ctx)
{
	for (; *pos < NPID + 2; ++*pos) {
		uint64_t p = *pos;
		const char *name = p == 0 ? "." : p == 1 ? ".." : pid_files[p - 2].name;
		uint64_t ino = p == 0 ? INO(pid, T_PIDDIR, 0) : p == 1 ? ROOT_INO
							  : canon(INO(pid, T_PIDFILE, p - 2));
		uint32_t mode = p < 2 ? S_IFDIR : pid_files[p - 2].mode;
		unsigned dt = S_ISDIR(mode) ? DT_DIR : S_ISLNK(mode) ? DT_LNK : DT_REG;
		if (fill(ctx, name, strlen(name), ino, dt, p + 1))
			break;
	}
	return 0;
}

static int readdir_fd(int pid, uint64_t *pos, filldir_t fill, void *ctx)
{
	for (; *pos < 2; ++*pos) {
		const char *name = *pos == 0 ? "." : "..";
		uint64_t ino = *pos == 0 ? INO(pid, T_FDDIR, 0) : INO(pid, T_PIDDIR, 0);
		if (fill(ctx, name, strlen(name), ino, DT_DIR, *pos + 1))
			return 0;
	}
	struct proc *p = proc_find_any(pid);
	struct fdtable *t = p ? proc_get_fdt(p) : NULL;
	if (p)
		proc_put(p);
	if (!t)
		return 0;
	mutex_lock(&t->lock);
	unsigned size = t->size;
	mutex_unlock(&t->lock);
	for (; *pos - 2 < size; ++*pos) {
		unsigned fd = (unsigned)(*pos - 2);
		struct file *f = fd_get(t, (int)fd);
		if (!f)
			continue;
		file_put(f);
		char name[12];
		int len = ksnprintf(name, sizeof(name), "%u", fd);
		if (fill(ctx, name, (size_t)len, INO(pid, T_FD, fd), DT_LNK, *pos + 1))
			break;
	}
	fdtable_put(t);
	return 0;
}

static int proc_readdir(struct file *f, uint64_t *pos, filldir_t fill, void *ctx)
{
	uint64_t ino = f->path.ino->ino;
	switch (INO_TYPE(ino)) {
	case T_ROOT:
		return readdir_root(pos, fill, ctx);
	case T_PIDDIR:
		return readdir_pid(INO_PID(ino), pos, fill, ctx);
	default:
		return readdir_fd(INO_PID(ino), pos, fill, ctx);
	}
}

/* ---- Symlinks ---------------------------------------------------------------------------- */

static long link_text(uint64_t ino, char *buf, size_t n)
{
	if (INO_TYPE(ino) == T_SELF) {
		struct proc *cur = proc_current();
		return cur ? ksnprintf(buf, n, "%d", cur->pid) : -ENOENT;
	}
	struct proc *p = proc_find_any(INO_PID(ino));
	if (!p)
		return -ENOENT;
	long r = INO_TYPE(ino) == T_FD ? procfs_link_fd(p, (int)INO_N(ino), buf, n)
	       : INO_N(ino) == PF_CWD ? procfs_link_cwd(p, buf, n)
				      : procfs_link_exe(p, buf, n);
	proc_put(p);
	return r;
}

static long proc_readlink(struct inode *ino, char *buf, size_t n)
{
	char *tmp = kmalloc(PATH_MAX);
	if (!tmp)
		return -ENOMEM;
	long len = link_text(ino->ino, tmp, PATH_MAX);
	if (len >= PATH_MAX)
		len = -ENAMETOOLONG;
	if (len >= 0) {
		len = (size_t)len < n ? len : (long)n;
		memcpy(buf, tmp, (size_t)len);
	}
	kfree(tmp);
	return len;
}

long procfs_ino_name(const struct inode *ino, char *buf, size_t n)
{
	uint64_t i = ino->ino;
	int pid = INO_PID(i);
	switch (INO_TYPE(i)) {
	case T_TOP:
		return ksnprintf(buf, n, "/%s", top_files[INO_N(i)].name);
	case T_SELF:
		return ksnprintf(buf, n, "/self");
	case T_PIDFILE:
		return ksnprintf(buf, n, "/%d/%s", pid, pid_files[INO_N(i)].name);
	case T_FD:
		return ksnprintf(buf, n, "/%d/fd/%u", pid, INO_N(i));
	default:
		return -ENOENT;
	}
}

/* ---- Open files ---------------------------------------------------------------------------- */

struct proc_open {
	struct mutex lock; /* guards b against concurrent readers of one open file */
	struct pbuf b;
	bool fresh;        /* b was generated by open and not read yet */
};

static int generate(struct inode *ino, struct pbuf *b)
{
	unsigned type = INO_TYPE(ino->ino), n = INO_N(ino->ino);
	b->len = 0;
	b->err = 0;
	if (type == T_TOP)
		return top_files[n].show(NULL, b) ?: b->err;
	struct proc *p = proc_find_any(INO_PID(ino->ino));
	if (!p)
		return -ESRCH;
	int err = pid_files[n].show(p, b);
	proc_put(p);
	return err ?: b->err;
}

static int proc_open(struct inode *ino, struct file *f)
{
	if ((f->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES; /* nothing in /proc is written (yet) */
	struct proc_open *po = kzalloc(sizeof(*po));
	if (!po)
		return -ENOMEM;
	mutex_init(&po->lock, "procfs");
	int err = generate(ino, &po->b);
	if (err) {
		kfree(po->b.buf);
		kfree(po);
		return err;
	}
	po->fresh = true;
	f->priv = po;
	return 0;
}

static void proc_release(struct file *f)
{
	struct proc_open *po = f->priv;
	kfree(po->b.buf);
	kfree(po);
}

static long proc_read(struct file *f, struct uio *u, uint64_t pos)
{
	struct proc_open *po = f->priv;
	mutex_lock(&po->lock);
	long r = 0;
	if (pos == 0 && !po->fresh) /* a new pass: a new snapshot */
		r = generate(f->path.ino, &po->b);
	po->fresh = false;
	if (r == 0 && pos < po->b.len) {
		size_t n = po->b.len - pos < u->resid ? po->b.len - pos : u->resid;
		r = uio_copy_out(u, po->b.buf + pos, n);
	}
	mutex_unlock(&po->lock);
	return r;
}

/* ---- The file system ------------------------------------------------------------------- */

static int proc_statfs(struct super_block *sb, struct kstatfs *st)
{
	*st = (struct kstatfs){.type = PROC_SUPER_MAGIC, .bsize = 4096, .namelen = NAME_MAX};
	return 0;
}

static const struct super_ops proc_sops = {
	.read_inode = proc_read_inode,
	.statfs = proc_statfs,
};

static int proc_mount(struct super_block *sb, struct blkdev *dev, const char *opts)
{
	sb->ops = &proc_sops;
	sb->magic = PROC_SUPER_MAGIC;
	sb->block_size = 4096;
	return vfs_iget(sb, ROOT_INO, &sb->root);
}

static const struct inode_ops proc_dir_iops = {.lookup = proc_lookup};
static const struct inode_ops proc_link_iops = {.readlink = proc_readlink};
static const struct inode_ops proc_file_iops = {0};
static const struct file_ops proc_dir_fops = {.readdir = proc_readdir};
static const struct file_ops proc_file_fops = {
	.open = proc_open, .release = proc_release, .read = proc_read};

const struct file_system_type procfs_fs_type = {
	.name = "proc",
	.mount = proc_mount,
};
