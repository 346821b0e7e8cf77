/*
 * fs/pipe.c: pipes and FIFOs (fs/pipe.h).
 *
 * A struct pipe is a PIPE_SIZE ring (head: first unread byte, len: bytes buffered) with
 * reader and writer counts and three wait queues: readers waiting for data (rwait), writers
 * waiting for room (wwait), and FIFO opens waiting for a partner (owait). p->lock (a mutex)
 * guards the ring and the counts; it is held while bytes move to or from user memory, which
 * may fault and page in, so it is never a spinlock and never the mm lock. Nobody sleeps
 * holding it: a waiter drops it, waits with wait_event on a condition it reads without the
 * lock (one field, written under the lock before the wake-up), and retakes it.
 *
 * Lifetime: p->files counts the struct files attached (for a FIFO, also an open still
 * waiting for its partner); the file that takes it to 0 frees the pipe, and with it any data
 * left, as Linux does. files changes only under pipe_lock, which also guards the FIFO table,
 * and only after the file's last use of p->lock: so no thread can still be inside p's mutex
 * or wait queues when it goes.
 *
 * Anonymous pipes get an inode of an internal pipefs mount (made on first use), so fstat,
 * fchmod and fstatfs work on them through the same inode path as any file. A FIFO's inode
 * belongs to its file system; its pipe is found by inode in a small table (fifos), the inode
 * being pinned by every file open on it.
 *
 * Writes of at most PIPE_BUF bytes wait until all of them fit and then go in at once;
 * bigger ones move what fits, wake readers, and wait for more. A reader returns whatever is
 * buffered (at least one byte) without waiting for more.
 */
#include "fs/pipe.h"

#include "core/errno.h"
#include "core/kheap.h"
#include "core/pmm.h"
#include "core/poll.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/signal.h"
#include "core/string.h"
#include "core/uaccess.h"
#include "core/waitq.h"
#include "fs/vfs_internal.h"

#define PIPEFS_MAGIC 0x50495045
#define FIONREAD 0x541B

struct pipe {
	struct mutex lock;
	char *buf;                  /* PIPE_SIZE bytes */
	size_t head, len;           /* guarded by lock */
	unsigned readers, writers;  /* guarded by lock; read by wait conditions */
	unsigned r_counter, w_counter; /* FIFO: opens so far of each side (partner waits) */
	struct waitq rwait, wwait, owait;
	unsigned files;             /* guarded by pipe_lock */
	struct inode *fifo;         /* FIFO: its inode (the table key); NULL if anonymous */
	struct pipe *next;          /* FIFO: the table chain */
};

static struct mutex pipe_lock = MUTEX_INIT("pipe");
static struct pipe *fifos;          /* guarded by pipe_lock */
static struct mount *pipe_mnt;      /* guarded by pipe_lock until set, then constant */
static uint64_t pipe_next_ino = 2;  /* __atomic */

static const struct file_ops pipe_fops;

static unsigned load(const unsigned *v)
{
	return __atomic_load_n(v, __ATOMIC_ACQUIRE);
}

static size_t load_len(const struct pipe *p)
{
	return __atomic_load_n(&p->len, __ATOMIC_ACQUIRE);
}

/* ---- The ring ------------------------------------------------------------------------------ */

static struct pipe *pipe_alloc(void)
{
	struct pipe *p = kzalloc(sizeof(*p));
	char *buf = kmalloc(PIPE_SIZE);
	if (!p || !buf) {
		kfree(p);
		kfree(buf);
		return NULL;
	}
	p->buf = buf;
	mutex_init(&p->lock, "pipe");
	waitq_init(&p->rwait, "pipe read");
	waitq_init(&p->wwait, "pipe write");
	waitq_init(&p->owait, "fifo open");
	return p;
}

/* Move up to want buffered bytes out to u, lock held: the count, or -EFAULT if none moved. */
static long ring_out(struct pipe *p, struct uio *u, size_t want)
{
	size_t done = 0;
	while (done < want) {
		size_t chunk = PIPE_SIZE - p->head;
		if (chunk > want - done)
			chunk = want - done;
		long r = uio_copy_out(u, p->buf + p->head, chunk);
		if (r <= 0)
			break;
		p->head = (p->head + (size_t)r) % PIPE_SIZE;
		__atomic_store_n(&p->len, p->len - (size_t)r, __ATOMIC_RELEASE);
		done += (size_t)r;
		if ((size_t)r < chunk)
			break;
	}
	if (p->len == 0)
		p->head = 0; /* keep small writes in one piece */
	return done ? (long)done : -EFAULT;
}

/* Move up to want bytes in from u, lock held (want <= room): the count, or -EFAULT. */
static long ring_in(struct pipe *p, struct uio *u, size_t want)
{
	size_t done = 0;
	while (done < want) {
		size_t tail = (p->head + p->len) % PIPE_SIZE;
		size_t chunk = PIPE_SIZE - tail;
		if (chunk > want - done)
			chunk = want - done;
		long r = uio_copy_in(u, p->buf + tail, chunk);
		if (r <= 0)
			break;
		__atomic_store_n(&p->len, p->len + (size_t)r, __ATOMIC_RELEASE);
		done += (size_t)r;
		if ((size_t)r < chunk)
			break;
	}
	return done ? (long)done : -EFAULT;
}

/* ---- File operations ----------------------------------------------------------------------- */

static bool readable(struct pipe *p)
{
	return load_len(p) > 0 || load(&p->writers) == 0;
}

static long pipe_read(struct file *f, struct uio *u, uint64_t pos)
{
	struct pipe *p = f->priv;
	(void)pos;
	if (u->resid == 0)
		return 0;
	mutex_lock(&p->lock);
	while (p->len == 0) {
		if (p->writers == 0) {
			mutex_unlock(&p->lock);
			return 0; /* EOF: buffered data is gone and no writer is left */
		}
		if (f->flags & O_NONBLOCK) {
			mutex_unlock(&p->lock);
			return -EAGAIN;
		}
		mutex_unlock(&p->lock);
		int err = wait_event_interruptible(&p->rwait, readable(p));
		if (err)
			return err; /* a signal: -ERESTARTSYS, resolved by the signal code */
		mutex_lock(&p->lock);
	}
	long n = ring_out(p, u, p->len < u->resid ? p->len : u->resid);
	if (n > 0)
		wake_up_all(&p->wwait);
	mutex_unlock(&p->lock);
	return n;
}

/* A write found no reader: the writing thread gets SIGPIPE as well as EPIPE. */
static void pipe_sigpipe(void)
{
	struct thread *t = thread_current();
	if (t && t->proc) {
		struct ksiginfo info = signal_info_user(SIGPIPE, SI_USER);
		signal_send(t->proc, t->tid, &info);
	}
}

/* Room for `need` bytes, or no reader left (the writer then fails with EPIPE). */
static bool writable(struct pipe *p, size_t need)
{
	return PIPE_SIZE - load_len(p) >= need || load(&p->readers) == 0;
}

static long pipe_write(struct file *f, struct uio *u, uint64_t pos)
{
	struct pipe *p = f->priv;
	(void)pos;
	size_t total = u->resid, done = 0;
	if (total == 0)
		return 0;
	size_t need = total <= PIPE_BUF ? total : 1; /* small writes go in whole */
	long err = 0;
	mutex_lock(&p->lock);
	while (u->resid > 0) {
		if (p->readers == 0) {
			err = -EPIPE;
			pipe_sigpipe();
			break;
		}
		size_t room = PIPE_SIZE - p->len;
		if (room >= need) {
			size_t want = room < u->resid ? room : u->resid;
			long r = ring_in(p, u, want);
			if (r < 0) {
				err = r;
				break;
			}
			done += (size_t)r;
			wake_up_all(&p->rwait);
			if ((size_t)r < want)
				break; /* a fault part-way: report what went in */
			continue;
		}
		if (f->flags & O_NONBLOCK) {
			err = -EAGAIN;
			break;
		}
		mutex_unlock(&p->lock);
		err = wait_event_interruptible(&p->wwait, writable(p, need));
		mutex_lock(&p->lock);
		if (err)
			break; /* a signal: the count so far, or -ERESTARTSYS */
	}
	mutex_unlock(&p->lock);
	return done ? (long)done : err;
}

/* Linux's pipe_poll. A reader sees POLLHUP once no writer is left, but on a FIFO only once a
 * writer has been there (w_counter; simplified: Linux counts only writers since this open,
 * which needs a per-open field struct file lacks); a writer sees POLLERR once no reader is
 * left. Writable means PIPE_BUF bytes fit, so a small write would not block. */
static unsigned pipe_poll(struct file *f, struct poll_table *pt)
{
	struct pipe *p = f->priv;
	unsigned acc = f->flags & O_ACCMODE, m = 0;
	poll_wait(f, &p->rwait, pt);
	poll_wait(f, &p->wwait, pt);
	size_t len = load_len(p);
	if (acc != O_WRONLY) {
		if (len > 0)
			m |= POLLIN | POLLRDNORM;
		if (load(&p->writers) == 0 && load(&p->w_counter) != 0)
			m |= POLLHUP;
	}
	if (acc != O_RDONLY) {
		if (PIPE_SIZE - len >= PIPE_BUF)
			m |= POLLOUT | POLLWRNORM;
		if (load(&p->readers) == 0)
			m |= POLLERR;
	}
	return m;
}

static long pipe_ioctl(struct file *f, unsigned long cmd, uintptr_t arg)
{
	struct pipe *p = f->priv;
	if (cmd != FIONREAD)
		return -ENOTTY;
	int n = (int)load_len(p);
	return put_user(arg, &n);
}

/* The file's last reference is gone: it stops being a reader and/or a writer. */
static void pipe_detach(struct pipe *p, unsigned acc)
{
	mutex_lock(&p->lock);
	if (acc == O_RDONLY || acc == O_RDWR)
		p->readers--;
	if (acc == O_WRONLY || acc == O_RDWR)
		p->writers--;
	wake_up_all(&p->rwait);
	wake_up_all(&p->wwait);
	wake_up_all(&p->owait);
	mutex_unlock(&p->lock);
}

/* Drop one file's hold on p (see the header on lifetime). */
static void pipe_put(struct pipe *p)
{
	mutex_lock(&pipe_lock);
	bool last = --p->files == 0;
	if (last && p->fifo) {
		struct pipe **pp = &fifos;
		while (*pp != p)
			pp = &(*pp)->next;
		*pp = p->next;
	}
	mutex_unlock(&pipe_lock);
	if (last) {
		kfree(p->buf);
		kfree(p);
	}
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;
	pipe_detach(p, f->flags & O_ACCMODE);
	pipe_put(p);
}

static const struct file_ops pipe_fops = {
	.read = pipe_read,
	.write = pipe_write,
	.release = pipe_release,
	.ioctl = pipe_ioctl,
	.poll = pipe_poll,
};

bool file_is_pipe(const struct file *f)
{
	return f->ops == &pipe_fops;
}

/* ---- pipefs: the anonymous pipes' inodes ------------------------------------------------- */

static int pipefs_read_inode(struct inode *ino)
{
	(void)ino;
	return -ENOENT; /* pipefs inodes exist only while open; nothing is ever looked up */
}

static int pipefs_sync(struct super_block *sb)
{
	(void)sb;
	return 0;
}

static int pipefs_statfs(struct super_block *sb, struct kstatfs *st)
{
	(void)sb;
	*st = (struct kstatfs){.type = PIPEFS_MAGIC, .bsize = PAGE_SIZE, .namelen = NAME_MAX};
	return 0;
}

static int pipefs_setattr(struct inode *ino, const struct vattr *va)
{
	if (va->valid & ATTR_SIZE)
		return -EINVAL;
	vfs_setattr_copy(ino, va, vfs_now());
	return 0;
}

static const struct super_ops pipefs_sops = {
	.read_inode = pipefs_read_inode,
	.sync = pipefs_sync,
	.statfs = pipefs_statfs,
};
static const struct inode_ops pipefs_iops = {.setattr = pipefs_setattr};

/* A new inode of sb (one reference) with mode, owned by the caller, times now. */
static struct inode *pipefs_inode(struct super_block *sb, uint64_t ino, uint32_t mode)
{
	struct inode *i = vfs_inew(sb, ino);
	if (!i)
		return NULL;
	const struct vfs_cred *c = vfs_current_cred ? vfs_current_cred() : NULL;
	i->mode = mode;
	i->nlink = 1;
	i->uid = c ? c->uid : 0;
	i->gid = c ? c->gid : 0;
	i->atime = i->mtime = i->ctime = vfs_now();
	i->ops = &pipefs_iops;
	return i;
}

static int pipefs_mount(struct super_block *sb, struct blkdev *dev, const char *opts)
{
	(void)dev, (void)opts;
	sb->ops = &pipefs_sops;
	sb->magic = PIPEFS_MAGIC;
	sb->block_size = PAGE_SIZE;
	sb->root = pipefs_inode(sb, 1, S_IFDIR | 0700);
	return sb->root ? 0 : -ENOMEM;
}

static const struct file_system_type pipefs_type = {"pipefs", pipefs_mount};

/* The pipefs mount, made on first use. */
static struct mount *pipefs(void)
{
	struct mount *m = __atomic_load_n(&pipe_mnt, __ATOMIC_ACQUIRE);
	if (m)
		return m;
	mutex_lock(&pipe_lock);
	if (!pipe_mnt) {
		int err = vfs_register_fs(&pipefs_type);
		if (!err || err == -EEXIST)
			err = vfs_kern_mount("pipefs", NULL, "", &m);
		if (!err)
			__atomic_store_n(&pipe_mnt, m, __ATOMIC_RELEASE);
	}
	m = pipe_mnt;
	mutex_unlock(&pipe_lock);
	return m;
}

/* ---- Anonymous pipes ------------------------------------------------------------------------ */

/* One end: a file on (mnt, ino) taking over one inode reference. */
static struct file *pipe_end(struct mount *mnt, struct inode *ino, struct pipe *p,
			     unsigned flags)
{
	struct file *f = kzalloc(sizeof(*f));
	if (!f)
		return NULL;
	f->path.mnt = mnt;
	f->path.ino = ino;
	__atomic_add_fetch(&mnt->refs, 1, __ATOMIC_RELAXED);
	f->ops = &pipe_fops;
	f->flags = flags;
	f->refs = 1;
	mutex_init(&f->pos_lock, "file pos");
	f->priv = p;
	return f;
}

int pipe_create(unsigned flags, struct file **rd, struct file **wr)
{
	struct mount *mnt = pipefs();
	if (!mnt)
		return -ENOMEM;
	struct pipe *p = pipe_alloc();
	uint64_t n = __atomic_fetch_add(&pipe_next_ino, 1, __ATOMIC_RELAXED);
	struct inode *ino = p ? pipefs_inode(mnt->sb, n, S_IFIFO | 0600) : NULL;
	if (!ino) {
		if (p)
			kfree(p->buf);
		kfree(p);
		return -ENOMEM;
	}
	vfs_igrab(ino); /* one reference for each end */
	unsigned nb = flags & O_NONBLOCK;
	*rd = pipe_end(mnt, ino, p, O_RDONLY | nb);
	*wr = *rd ? pipe_end(mnt, ino, p, O_WRONLY | nb) : NULL;
	if (!*wr) {
		if (*rd) {
			path_put(&(*rd)->path);
			kfree(*rd);
		} else {
			vfs_iput(ino);
		}
		vfs_iput(ino);
		kfree(p->buf);
		kfree(p);
		return -ENOMEM;
	}
	p->readers = p->writers = 1;
	p->r_counter = p->w_counter = 1; /* a writer has been: POLLHUP once it goes (pipe_poll) */
	p->files = 2;
	return 0;
}

/* ---- FIFOs ----------------------------------------------------------------------------------- */

/* The pipe of FIFO inode ino, made if it has none, with one more file counted. */
static struct pipe *fifo_get(struct inode *ino)
{
	mutex_lock(&pipe_lock);
	struct pipe *p = fifos;
	while (p && p->fifo != ino)
		p = p->next;
	if (!p && (p = pipe_alloc()) != NULL) {
		p->fifo = ino;
		p->next = fifos;
		fifos = p;
	}
	if (p)
		p->files++;
	mutex_unlock(&pipe_lock);
	return p;
}

/* Wait, lock held, until *counter moves on from its value now: a partner has opened. */
static void fifo_wait_partner(struct pipe *p, unsigned *counter)
{
	unsigned now = *counter;
	mutex_unlock(&p->lock);
	/* [signals issue] a pending signal ends this wait: undo the open, -ERESTARTSYS. */
	wait_event(&p->owait, load(counter) != now);
	mutex_lock(&p->lock);
}

int fifo_open(struct file *f)
{
	unsigned acc = f->flags & O_ACCMODE;
	bool nb = f->flags & O_NONBLOCK;
	if (acc == 3)
		return -EINVAL; /* Linux's fifo_open: no "ioctl only" opens */
	struct pipe *p = fifo_get(f->path.ino);
	if (!p)
		return -ENOMEM;
	int err = 0;
	mutex_lock(&p->lock);
	if (acc == O_WRONLY && nb && p->readers == 0) {
		err = -ENXIO;
	} else {
		if (acc != O_WRONLY) {
			p->readers++;
			p->r_counter++;
		}
		if (acc != O_RDONLY) {
			p->writers++;
			p->w_counter++;
		}
		wake_up_all(&p->owait);
		if (acc == O_RDONLY && !nb && p->writers == 0)
			fifo_wait_partner(p, &p->w_counter);
		else if (acc == O_WRONLY && p->readers == 0)
			fifo_wait_partner(p, &p->r_counter);
	}
	mutex_unlock(&p->lock);
	if (err) {
		pipe_put(p);
		return err;
	}
	f->priv = p;
	f->ops = &pipe_fops;
	return 0;
}
