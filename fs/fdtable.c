/*
 * fs/fdtable.c: per-process descriptor tables.
 *
 * A table maps small integers to struct file references, each with its FD_CLOEXEC bit. The
 * arrays grow by doubling (from 16) up to `max` (RLIMIT_NOFILE); a descriptor >= max is never
 * handed out (-EMFILE from fd_install, -EBADF from fd_dup_to, as Linux). Threads sharing a
 * table (CLONE_FILES) hold refs on it; fork clones it, taking a reference to every file.
 *
 * t->lock guards the arrays. It is never held across a file's release: a descriptor is taken
 * out under the lock and its file put after, because the last file_put may sleep (a file
 * system's release, a pipe's wakeups).
 */
#include "core/errno.h"
#include "core/kheap.h"
#include "core/string.h"
#include "fs/vfs.h"

#define FDT_INITIAL 16

struct fdtable *fdtable_new(unsigned max)
{
	struct fdtable *t = kzalloc(sizeof(*t));
	if (!t)
		return NULL;
	mutex_init(&t->lock, "fdtable");
	t->max = max;
	t->refs = 1;
	return t;
}

/* Make room for descriptor fd (< t->max), lock held. */
static int grow(struct fdtable *t, unsigned fd)
{
	if (fd < t->size)
		return 0;
	unsigned n = t->size ? t->size : FDT_INITIAL;
	while (n <= fd)
		n *= 2;
	if (n > t->max)
		n = t->max;
	struct file **files = kzalloc(n * sizeof(*files));
	uint8_t *flags = kzalloc(n);
	if (!files || !flags) {
		kfree(files);
		kfree(flags);
		return -ENOMEM;
	}
	if (t->size) {
		memcpy(files, t->files, t->size * sizeof(*files));
		memcpy(flags, t->flags, t->size);
	}
	kfree(t->files);
	kfree(t->flags);
	t->files = files;
	t->flags = flags;
	t->size = n;
	return 0;
}

struct fdtable *fdtable_clone(struct fdtable *t)
{
	struct fdtable *c = fdtable_new(t->max);
	if (!c)
		return NULL;
	mutex_lock(&t->lock);
	int err = t->size ? grow(c, t->size - 1) : 0;
	for (unsigned i = 0; !err && i < t->size; i++) {
		c->files[i] = t->files[i];
		c->flags[i] = t->flags[i];
		if (c->files[i])
			file_get(c->files[i]);
	}
	mutex_unlock(&t->lock);
	if (err) {
		fdtable_put(c);
		return NULL;
	}
	return c;
}

void fdtable_get(struct fdtable *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
}

void fdtable_put(struct fdtable *t)
{
	if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (unsigned i = 0; i < t->size; i++)
		file_put(t->files[i]);
	kfree(t->files);
	kfree(t->flags);
	kfree(t);
}

int fd_install(struct fdtable *t, struct file *f, unsigned min, unsigned fdflags)
{
	mutex_lock(&t->lock);
	unsigned fd = min;
	while (fd < t->size && t->files[fd])
		fd++;
	int err = fd >= t->max ? -EMFILE : grow(t, fd);
	if (!err) {
		t->files[fd] = f;
		t->flags[fd] = (uint8_t)(fdflags & FD_CLOEXEC);
	}
	mutex_unlock(&t->lock);
	return err ? err : (int)fd;
}

struct file *fd_get(struct fdtable *t, int fd)
{
	struct file *f = NULL;
	mutex_lock(&t->lock);
	if (fd >= 0 && (unsigned)fd < t->size && (f = t->files[fd]) != NULL)
		file_get(f);
	mutex_unlock(&t->lock);
	return f;
}

int fd_close(struct fdtable *t, int fd)
{
	struct file *f = NULL;
	mutex_lock(&t->lock);
	if (fd >= 0 && (unsigned)fd < t->size) {
		f = t->files[fd];
		t->files[fd] = NULL;
		t->flags[fd] = 0;
	}
	mutex_unlock(&t->lock);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

int fd_dup_to(struct fdtable *t, int oldfd, int newfd, unsigned fdflags)
{
	if (oldfd == newfd)
		return oldfd < 0 ? -EBADF : -EINVAL;
	struct file *displaced = NULL;
	mutex_lock(&t->lock);
	struct file *f = oldfd >= 0 && (unsigned)oldfd < t->size ? t->files[oldfd] : NULL;
	int err = !f || newfd < 0 || (unsigned)newfd >= t->max ? -EBADF : grow(t, (unsigned)newfd);
	if (!err) {
		displaced = t->files[newfd];
		file_get(f);
		t->files[newfd] = f;
		t->flags[newfd] = (uint8_t)(fdflags & FD_CLOEXEC);
	}
	mutex_unlock(&t->lock);
	file_put(displaced);
	return err ? err : newfd;
}

void fd_close_on_exec(struct fdtable *t)
{
	unsigned next = 0;
	for (;;) {
		struct file *f = NULL;
		mutex_lock(&t->lock);
		for (unsigned i = next; i < t->size && !f; i++) {
			if (t->files[i] && (t->flags[i] & FD_CLOEXEC)) {
				f = t->files[i];
				t->files[i] = NULL;
				t->flags[i] = 0;
				next = i + 1;
			}
		}
		mutex_unlock(&t->lock);
		if (!f)
			return;
		file_put(f); /* outside the lock */
	}
}

int fd_get_flags(struct fdtable *t, int fd)
{
	mutex_lock(&t->lock);
	int r = fd >= 0 && (unsigned)fd < t->size && t->files[fd] ? t->flags[fd] : -EBADF;
	mutex_unlock(&t->lock);
	return r;
}

int fd_set_flags(struct fdtable *t, int fd, unsigned fdflags)
{
	mutex_lock(&t->lock);
	int r = -EBADF;
	if (fd >= 0 && (unsigned)fd < t->size && t->files[fd]) {
		t->flags[fd] = (uint8_t)(fdflags & FD_CLOEXEC);
		r = 0;
	}
	mutex_unlock(&t->lock);
	return r;
}
