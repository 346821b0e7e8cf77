/*
 * fs/procfs_names.c: names of files for /proc: /proc/<pid>/maps and the targets of the exe,
 * cwd and fd/N links.
 *
 * Janus keeps no dentries, so a file's name is found, not remembered: a directory's by
 * climbing ".." (path_name, as getcwd does); a pipe's is Linux's "pipe:[ino]"; a /proc file's
 * comes from its inode number (procfs_ino_name); any other file's by a depth-first search of
 * its mount, from the mount's root, for its inode number, prefixed by the name of the mount's
 * root. The search is bounded (SEARCH_DEPTH levels,
 * SEARCH_BUDGET entries) so a huge tree costs a bounded time; a file not found (or removed)
 * has no name: -ENOENT. Directory entries are gathered in batches with the directory's lock
 * held (vfs_dir_iterate) and looked into after it is dropped.
 */
#include "fs/procfs.h"

#include "core/errno.h"
#include "core/kheap.h"
#include "core/mm.h"
#include "core/proc.h"
#include "core/string.h"
#include "core/sys_path.h"
#include "fs/anon_inode.h"
#include "fs/vfs_internal.h"

#define PIPEFS_MAGIC 0x50495045
#define SEARCH_DEPTH 12
#define SEARCH_BUDGET 20000
#define BATCH 16

struct batch {
	unsigned count;
	uint64_t next_pos;
	struct {
		char name[NAME_MAX + 1];
		uint64_t ino;
		unsigned type;
	} e[BATCH];
};

static int batch_fill(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
		      uint64_t next_pos)
{
	struct batch *bt = ctx;
	if (bt->count == BATCH)
		return 1;
	memcpy(bt->e[bt->count].name, name, len);
	bt->e[bt->count].name[len] = '\0';
	bt->e[bt->count].ino = ino;
	bt->e[bt->count].type = type;
	bt->count++;
	bt->next_pos = next_pos;
	return 0;
}

struct search {
	const struct path *target;
	char *buf;     /* the relative name being built */
	size_t size;
	int budget;
};

static bool is_dot(const char *n)
{
	return n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'));
}

static int search_dir(struct search *s, const struct path *dir, size_t len, int depth);

/* Entry e of dir: the target itself (1), a directory to search, or neither (0). */
static int search_entry(struct search *s, const struct path *dir, const char *name,
			uint64_t ino, unsigned type, size_t len, int depth)
{
	size_t nl = strlen(name);
	if (len + 1 + nl + 1 > s->size)
		return 0;
	s->buf[len] = '/';
	memcpy(s->buf + len + 1, name, nl + 1);
	if (ino == s->target->ino->ino && type != DT_DIR)
		return 1;
	if (type != DT_DIR || depth >= SEARCH_DEPTH)
		return 0;
	struct path child;
	if (vfs_lookup(NULL, dir, name, 0, &child) != 0)
		return 0;
	int r = child.mnt == dir->mnt ? search_dir(s, &child, len + 1 + nl, depth + 1) : 0;
	path_put(&child);
	return r;
}

static int search_dir(struct search *s, const struct path *dir, size_t len, int depth)
{
	struct batch *bt = kmalloc(sizeof(*bt));
	if (!bt)
		return -ENOMEM;
	uint64_t pos = 0;
	int found = 0;
	while (!found && s->budget > 0) {
		bt->count = 0;
		if (vfs_dir_iterate(dir, &pos, batch_fill, bt) != 0 || bt->count == 0)
			break;
		for (unsigned i = 0; i < bt->count && !found && s->budget-- > 0; i++)
			if (!is_dot(bt->e[i].name))
				found = search_entry(s, dir, bt->e[i].name, bt->e[i].ino,
						     bt->e[i].type, len, depth);
	}
	kfree(bt);
	return found;
}

long procfs_path_name(const struct path *path, char *buf, size_t n)
{
	struct inode *ino = path->ino;
	if (ino->sb->magic == PIPEFS_MAGIC)
		return ksnprintf(buf, n, "pipe:[%llu]", (unsigned long long)ino->ino);
	if (ino->sb->magic == ANON_INODE_FS_MAGIC)
		return anon_inode_name(ino, buf, n);
	struct path root;
	int err = vfs_root(&root);
	if (err)
		return err;
	long len;
	if (S_ISDIR(ino->mode)) {
		len = path_name(&root, path, buf, n);
	} else {
		struct path mroot = {path->mnt, path->mnt->sb->root};
		len = path_name(&root, &mroot, buf, n);
		if (len == 1)
			len = 0; /* the root's "/" comes with the relative name */
		if (len >= 0 && ino->sb->magic == PROC_SUPER_MAGIC) { /* named by its number */
			long r = procfs_ino_name(ino, buf + len, n - (size_t)len);
			len = r < 0 ? r : (size_t)(len + r) >= n ? -ENAMETOOLONG : len + r;
		} else if (len >= 0) {
			struct search s = {path, buf, n, SEARCH_BUDGET};
			int found = ino->nlink == 0 ? 0 : search_dir(&s, &mroot, (size_t)len, 0);
			len = found > 0 ? (long)strlen(buf) : found < 0 ? found : -ENOENT;
		}
	}
	path_put(&root);
	return len;
}

/* ---- Links ------------------------------------------------------------------------------- */

long procfs_link_cwd(struct proc *p, char *buf, size_t n)
{
	mutex_lock(&p->fs_lock);
	struct path cwd = p->cwd;
	if (cwd.ino)
		path_get(&cwd);
	mutex_unlock(&p->fs_lock);
	if (!cwd.ino)
		return -ENOENT;
	long r = procfs_path_name(&cwd, buf, n);
	path_put(&cwd);
	return r;
}

long procfs_link_exe(struct proc *p, char *buf, size_t n)
{
	mutex_lock(&p->fs_lock);
	struct path exe = p->exe;
	if (exe.ino)
		path_get(&exe);
	mutex_unlock(&p->fs_lock);
	if (!exe.ino)
		return -ENOENT;
	long r = procfs_path_name(&exe, buf, n);
	path_put(&exe);
	return r;
}

long procfs_link_fd(struct proc *p, int fd, char *buf, size_t n)
{
	struct fdtable *t = proc_get_fdt(p);
	struct file *f = t ? fd_get(t, fd) : NULL;
	if (t)
		fdtable_put(t);
	if (!f)
		return -ENOENT;
	long r = procfs_path_name(&f->path, buf, n);
	file_put(f);
	return r;
}

/* ---- maps ---------------------------------------------------------------------------------- */

/* One line as Linux's show_map_vma prints it: the name padded to column 73. */
static void map_line(struct pbuf *b, const struct vma *v, const char *name, uint32_t dev,
		     uint64_t ino)
{
	size_t start = b->len;
	pb_printf(b, "%08lx-%08lx %c%c%c%c %08llx %02x:%02x %llu ", (unsigned long)v->start,
		  (unsigned long)v->end, v->prot & PROT_READ ? 'r' : '-',
		  v->prot & PROT_WRITE ? 'w' : '-', v->prot & PROT_EXEC ? 'x' : '-',
		  v->flags & VMA_SHARED ? 's' : 'p', (unsigned long long)(v->file ? v->off : 0),
		  MAJOR(dev), MINOR(dev), (unsigned long long)ino);
	if (name) {
		while (b->len - start < 73 && !b->err)
			pb_write(b, " ", 1);
		pb_printf(b, "%s", name);
	}
	pb_write(b, "\n", 1);
}

/* Regions are copied out under mm->lock, named after it is dropped (naming takes inode and
 * directory locks, which come before mm->lock). */
int procfs_show_pid_maps(struct proc *p, struct pbuf *b)
{
	struct mm *mm = proc_get_mm(p);
	if (!mm)
		return 0;
	char *name = kmalloc(PATH_MAX);
	int err = name ? 0 : -ENOMEM;
	for (uintptr_t at = 0; !err;) {
		struct vma v = {0};
		mutex_lock(&mm->lock);
		const struct vma *x = mm->vmas;
		while (x && x->end <= at)
			x = x->next;
		if (x) {
			v = *x;
			if (v.file)
				file_get(v.file);
		}
		uintptr_t sigtramp = mm->sigtramp;
		mutex_unlock(&mm->lock);
		if (!x)
			break;
		const char *nm = v.flags & VMA_HEAP ? "[heap]" : v.flags & VMA_STACK ? "[stack]"
			       : sigtramp && v.start == sigtramp ? "[sigpage]" : NULL;
		uint32_t dev = 0;
		uint64_t ino = 0;
		if (v.file) {
			dev = v.file->path.ino->sb->devno;
			ino = v.file->path.ino->ino;
			nm = procfs_path_name(&v.file->path, name, PATH_MAX) >= 0 ? name : NULL;
			file_put(v.file);
		}
		map_line(b, &v, nm, dev, ino);
		at = v.end;
	}
	kfree(name);
	mm_put(mm);
	return err;
}
