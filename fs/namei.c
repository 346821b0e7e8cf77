/*
 * fs/namei.c: path resolution (Linux's path_resolution(7)) and permission checks.
 *
 * A walk starts at the root (absolute paths) or at the caller's directory and moves one
 * component at a time, holding a reference to the current (mount, inode) only. There is no
 * dentry cache: each component is one call to the directory's lookup(), made with that
 * directory's lock held (the rule of fs/vfs.h), so a file system never sees a lookup race a
 * create or unlink in the same directory.
 *
 * - "." stays; ".." stays at the walk's root, climbs from a mount's root to its mountpoint in
 *   the parent mount (repeatedly, for stacked mounts), and otherwise asks the file system.
 * - After every lookup the walk crosses into whatever is mounted on the result
 *   (inode->covered), so a mountpoint is never seen from above.
 * - Symlinks are followed in every non-final component, and in the final one with
 *   LOOKUP_FOLLOW or when a '/' follows it. The walk is iterative: following a link pushes the
 *   rest of the current string on a stack of at most SYMLOOP_MAX frames and continues in the
 *   link's body from the link's directory; 40 links per walk in total, the 41st is -ELOOP.
 * - "Final" means: nothing but slashes left in the current string and in every saved one. A
 *   final component followed by a slash must turn out to be a directory (-ENOTDIR).
 * - Every directory passed through needs search (x) permission.
 *
 * Mount references: a struct path pins its mount (mount->refs) as well as its inode, so
 * vfs_umount can refuse a busy mount. inode->covered and the mount links are read without a
 * lock: they change only in vfs_mount/vfs_umount, and a mount with paths on it is never freed.
 */
#include "core/errno.h"
#include "core/kheap.h"
#include "core/string.h"
#include "fs/vfs_internal.h"

const struct vfs_cred *(*vfs_current_cred)(void);

void path_get(struct path *p)
{
	vfs_igrab(p->ino);
	__atomic_add_fetch(&p->mnt->refs, 1, __ATOMIC_RELAXED);
}

void path_put(struct path *p)
{
	if (!p->ino)
		return;
	vfs_iput(p->ino);
	__atomic_sub_fetch(&p->mnt->refs, 1, __ATOMIC_RELAXED);
	p->ino = NULL;
	p->mnt = NULL;
}

/* *dst (a reference, or empty) becomes another reference to src. */
static void path_set(struct path *dst, const struct path *src)
{
	struct path tmp = *src;
	path_get(&tmp);
	path_put(dst);
	*dst = tmp;
}

static bool in_group(const struct vfs_cred *c, uint32_t gid)
{
	if (c->gid == gid)
		return true;
	for (unsigned i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

int vfs_permission(struct inode *ino, int mask)
{
	return vfs_permission_cred(ino, mask, vfs_current_cred ? vfs_current_cred() : NULL);
}

int vfs_permission_cred(struct inode *ino, int mask, const struct vfs_cred *c)
{
	uint32_t m = ino->mode;
	if ((mask & MAY_WRITE) && ino->sb->read_only && (S_ISREG(m) || S_ISDIR(m) || S_ISLNK(m)))
		return -EROFS;
	if (!c || c->uid == 0) {
		/* CAP_DAC_OVERRIDE: everything but executing a file with no x bit at all. */
		if (!(mask & MAY_EXEC) || S_ISDIR(m) || (m & 0111))
			return 0;
		return -EACCES;
	}
	if (c->uid == ino->uid)
		m >>= 6;
	else if (in_group(c, ino->gid))
		m >>= 3;
	return ((m & 7) & (unsigned)mask) == (unsigned)mask ? 0 : -EACCES;
}

int vfs_dir_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	if (!S_ISDIR(dir->mode) || !dir->ops || !dir->ops->lookup)
		return -ENOTDIR;
	if (dir->nlink == 0)
		return -ENOENT; /* removed while we held it: nothing can be in it */
	return dir->ops->lookup(dir, name, len, out);
}

void vfs_cross_mounts(struct path *p)
{
	struct mount *m;
	while ((m = __atomic_load_n(&p->ino->covered, __ATOMIC_ACQUIRE)) != NULL) {
		struct path top = {m, m->sb->root};
		path_set(p, &top);
	}
}

/* ---- The walk -------------------------------------------------------------------------------- */

struct walk {
	struct path root;        /* a reference */
	struct path cur;         /* a reference */
	unsigned links;          /* symlinks followed so far */
	unsigned depth;          /* frames in use */
	bool must_dir;           /* a final component had a '/' after it */
	struct {
		char *body;      /* the link's target (kmalloc'd), being walked */
		const char *rest;/* where to continue in the enclosing string (at a '/' or NUL) */
	} stack[SYMLOOP_MAX];
};

static bool only_slashes(const char *s)
{
	while (*s == '/')
		s++;
	return *s == '\0';
}

/* Is the component that ended at s the last one of the whole walk? *slash: a '/' follows. */
static bool is_final(const struct walk *w, const char *s, bool *slash)
{
	*slash = *s == '/';
	if (!only_slashes(s))
		return false;
	for (unsigned i = w->depth; i-- > 0;) {
		if (!only_slashes(w->stack[i].rest))
			return false;
		*slash |= w->stack[i].rest[0] == '/';
	}
	return true;
}

static int walk_init(struct walk *w, const struct path *root, const struct path *at,
		     const char *path)
{
	size_t n = strnlen(path, PATH_MAX);
	w->links = w->depth = 0;
	w->must_dir = false;
	w->cur.ino = NULL;
	w->root.ino = NULL; /* walk_done may run after any early return below */
	if (n == PATH_MAX)
		return -ENAMETOOLONG;
	if (n == 0)
		return -ENOENT;
	if (root) {
		w->root = *root;
		path_get(&w->root);
	} else {
		int err = vfs_root(&w->root);
		if (err)
			return err;
	}
	path_set(&w->cur, path[0] == '/' || !at ? &w->root : at);
	return 0;
}

static void walk_done(struct walk *w)
{
	while (w->depth > 0)
		kfree(w->stack[--w->depth].body);
	path_put(&w->cur);
	path_put(&w->root);
}

static int step_up(struct walk *w)
{
	struct path *c = &w->cur;
	for (;;) {
		if (c->mnt == w->root.mnt && c->ino == w->root.ino)
			return 0;
		if (c->ino != c->mnt->sb->root)
			break;
		if (!c->mnt->parent)
			return 0; /* the root of a detached mount: ".." stays, as at "/" */
		struct path up = {c->mnt->parent, c->mnt->mountpoint};
		path_set(c, &up);
	}
	struct inode *parent;
	mutex_lock(&c->ino->lock);
	int err = vfs_dir_lookup(c->ino, "..", 2, &parent);
	mutex_unlock(&c->ino->lock);
	if (err)
		return err;
	struct path up = {c->mnt, parent};
	path_set(c, &up);
	vfs_iput(parent);
	vfs_cross_mounts(c);
	return 0;
}

/* The child `name` of the current directory, mounts crossed: a reference. */
static int lookup_child(struct walk *w, const char *name, size_t len, struct path *out)
{
	struct inode *dir = w->cur.ino, *child;
	mutex_lock(&dir->lock);
	int err = vfs_dir_lookup(dir, name, len, &child);
	mutex_unlock(&dir->lock);
	if (err)
		return err;
	out->ino = NULL;
	struct path p = {w->cur.mnt, child};
	path_set(out, &p);
	vfs_iput(child);
	vfs_cross_mounts(out);
	return 0;
}

int vfs_link_body(struct inode *ino, char **out)
{
	if (!ino->ops || !ino->ops->readlink)
		return -EINVAL;
	char *body = kmalloc(PATH_MAX);
	if (!body)
		return -ENOMEM;
	long n = ino->ops->readlink(ino, body, PATH_MAX);
	if (n >= PATH_MAX)
		n = -ENAMETOOLONG;
	else if (n == 0)
		n = -ENOENT;
	if (n < 0) {
		kfree(body);
		return (int)n;
	}
	body[n] = '\0';
	*out = body;
	return 0;
}

/* Continue the walk in the body of the symlink `link`; rest is where the current string
 * goes on afterwards. *s becomes the body. */
static int push_link(struct walk *w, struct path *link, const char *rest, const char **s)
{
	if (++w->links > SYMLOOP_MAX)
		return -ELOOP;
	char *body;
	int err = vfs_link_body(link->ino, &body);
	if (err)
		return err;
	w->stack[w->depth].body = body;
	w->stack[w->depth++].rest = rest;
	if (body[0] == '/')
		path_set(&w->cur, &w->root);
	*s = body;
	return 0;
}

static int last_type(const char *name, size_t len)
{
	if (len == 1 && name[0] == '.')
		return LAST_DOT;
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return LAST_DOTDOT;
	return LAST_NORM;
}

/* One component: name (len) ended at *s. 1 means "continue with *s" (a link was pushed). */
static int walk_component(struct walk *w, const char *name, size_t len, const char **s,
			  unsigned flags)
{
	bool slash, final = is_final(w, *s, &slash);
	int err = vfs_permission(w->cur.ino, MAY_EXEC);
	if (err)
		return err;
	w->must_dir |= final && slash;
	int type = last_type(name, len);
	if (type == LAST_DOT)
		return 0;
	if (type == LAST_DOTDOT)
		return step_up(w);
	struct path child;
	if ((err = lookup_child(w, name, len, &child)) != 0)
		return err;
	if (S_ISLNK(child.ino->mode) && (!final || slash || (flags & LOOKUP_FOLLOW))) {
		err = push_link(w, &child, *s, s);
		path_put(&child);
		return err ? err : 1;
	}
	path_put(&w->cur);
	w->cur = child;
	return 0;
}

/* Walk the whole string, or (last != NULL) all but its last component. */
static int walk_run(struct walk *w, const char *s, unsigned flags, struct vfs_last *last)
{
	for (;;) {
		while (*s == '/')
			s++;
		if (*s == '\0') {
			if (w->depth == 0)
				break;
			kfree(w->stack[--w->depth].body);
			s = w->stack[w->depth].rest;
			continue;
		}
		const char *name = s;
		while (*s && *s != '/')
			s++;
		size_t len = (size_t)(s - name);
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		if (!S_ISDIR(w->cur.ino->mode))
			return -ENOTDIR;
		bool slash;
		if (last && is_final(w, s, &slash)) {
			*last = (struct vfs_last){name, len, last_type(name, len), slash};
			return 0;
		}
		int err = walk_component(w, name, len, &s, flags);
		if (err < 0)
			return err;
	}
	if (last) /* nothing but slashes: "/" */
		*last = (struct vfs_last){"", 0, LAST_ROOT, false};
	if ((w->must_dir || (flags & LOOKUP_DIRECTORY)) && !S_ISDIR(w->cur.ino->mode))
		return -ENOTDIR;
	return 0;
}

int vfs_lookup(const struct path *root, const struct path *at, const char *path,
	       unsigned flags, struct path *out)
{
	struct walk w;
	int err = walk_init(&w, root, at, path);
	if (!err)
		err = walk_run(&w, path, flags, NULL);
	if (!err) {
		*out = w.cur;
		w.cur.ino = NULL;
	}
	walk_done(&w);
	return err;
}

int vfs_walk_parent(const struct path *root, const struct path *at, const char *path,
		    struct path *dir, struct vfs_last *last)
{
	struct walk w;
	int err = walk_init(&w, root, at, path);
	if (!err)
		err = walk_run(&w, path, 0, last);
	if (!err && !S_ISDIR(w.cur.ino->mode))
		err = -ENOTDIR;
	if (!err) {
		*dir = w.cur;
		w.cur.ino = NULL;
	}
	walk_done(&w);
	return err;
}

int vfs_lookup_parent(const struct path *root, const struct path *at, const char *path,
		      struct path *parent, const char **last, size_t *len)
{
	struct vfs_last l;
	int err = vfs_walk_parent(root, at, path, parent, &l);
	if (err)
		return err;
	if (l.type != LAST_NORM) {
		path_put(parent);
		return l.type == LAST_ROOT ? -EINVAL : -EEXIST;
	}
	*last = l.name;
	*len = l.len;
	return 0;
}

/* ---- Namespace operations ---------------------------------------------------------------------
 * Each resolves the parent, locks it, looks the last name up again under the lock, checks in
 * Linux's order (search permission, existence, read-only, write permission, sticky bit,
 * mountpoints) and calls the file system. Only rename holds two directory locks; it takes them
 * in address order, and cross-directory renames also hold rename_lock so the "not into its own
 * subtree" answer cannot go stale while they run.
 */

static struct mutex rename_lock = MUTEX_INIT("rename");

/* Write and search permission on dir, which must still exist. */
static int may_create(struct inode *dir)
{
	if (dir->nlink == 0)
		return -ENOENT;
	return vfs_permission(dir, MAY_WRITE | MAY_EXEC);
}

/* Removing (or renaming away) victim from dir: write permission and the sticky-bit rule. */
static int may_delete(struct inode *dir, struct inode *victim)
{
	int err = vfs_permission(dir, MAY_WRITE | MAY_EXEC);
	if (err || !(dir->mode & S_ISVTX))
		return err;
	const struct vfs_cred *c = vfs_current_cred ? vfs_current_cred() : NULL;
	if (!c || c->uid == 0 || c->uid == victim->uid || c->uid == dir->uid)
		return 0;
	return -EPERM;
}

enum create_kind { MAKE_DIR, MAKE_LINK, MAKE_SYMLINK, MAKE_NODE };

struct create_args {
	enum create_kind kind;
	uint32_t mode;          /* MAKE_DIR; MAKE_NODE (with the type) */
	uint32_t rdev;          /* MAKE_NODE */
	struct inode *target;   /* MAKE_LINK */
	const char *body;       /* MAKE_SYMLINK */
};

static int call_create(struct inode *dir, const struct vfs_last *l, const struct create_args *a)
{
	const struct inode_ops *ops = dir->ops;
	struct inode *made = NULL;
	int err = -EPERM;
	if (a->kind == MAKE_DIR && ops->mkdir)
		err = ops->mkdir(dir, l->name, l->len, S_IFDIR | (a->mode & 01777), &made);
	else if (a->kind == MAKE_LINK && a->target->nlink == 0)
		err = -ENOENT; /* its last name went meanwhile (or linkat of an unlinked fd) */
	else if (a->kind == MAKE_LINK && ops->link)
		err = ops->link(dir, l->name, l->len, a->target);
	else if (a->kind == MAKE_SYMLINK && ops->symlink)
		err = ops->symlink(dir, l->name, l->len, a->body, &made);
	else if (a->kind == MAKE_NODE && ops->create)
		err = ops->create(dir, l->name, l->len, a->mode, a->rdev, &made);
	vfs_iput(made);
	return err;
}

/* mkdir, link and symlink: a new name in the directory `dir`. */
static int create_name(struct inode *dir, const struct vfs_last *l, const struct create_args *a)
{
	if (l->type != LAST_NORM)
		return -EEXIST;
	mutex_lock(&dir->lock);
	struct inode *old = NULL;
	int err = vfs_permission(dir, MAY_EXEC);
	if (!err)
		err = vfs_dir_lookup(dir, l->name, l->len, &old);
	if (!err)
		err = -EEXIST;
	else if (err == -ENOENT && l->slash && a->kind != MAKE_DIR)
		err = -ENOENT; /* "name/" names a directory, which only mkdir makes */
	else if (err == -ENOENT && (err = may_create(dir)) == 0)
		err = call_create(dir, l, a);
	mutex_unlock(&dir->lock);
	vfs_iput(old);
	return err;
}

int vfs_mkdir(const struct path *root, const struct path *at, const char *path, uint32_t mode)
{
	struct path dir;
	struct vfs_last l;
	int err = vfs_walk_parent(root, at, path, &dir, &l);
	if (err)
		return err;
	struct create_args a = {.kind = MAKE_DIR, .mode = mode};
	err = create_name(dir.ino, &l, &a);
	path_put(&dir);
	return err;
}

int vfs_mknod(const struct path *root, const struct path *at, const char *path, uint32_t mode,
	      uint32_t rdev)
{
	uint32_t type = mode & S_IFMT;
	if (type == 0)
		type = S_IFREG;
	if (type == S_IFDIR)
		return -EPERM;
	if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR &&
	    type != S_IFBLK)
		return -EINVAL;
	const struct vfs_cred *c = vfs_current_cred ? vfs_current_cred() : NULL;
	if ((type == S_IFCHR || type == S_IFBLK) && c && c->uid != 0)
		return -EPERM; /* Linux: CAP_MKNOD */
	struct path dir;
	struct vfs_last l;
	int err = vfs_walk_parent(root, at, path, &dir, &l);
	if (err)
		return err;
	struct create_args a = {.kind = MAKE_NODE, .mode = type | (mode & 07777),
				.rdev = type == S_IFCHR || type == S_IFBLK ? rdev : 0};
	err = create_name(dir.ino, &l, &a);
	path_put(&dir);
	return err;
}

int vfs_symlink(const struct path *root, const char *target, const struct path *at,
		const char *path)
{
	size_t n = strnlen(target, PATH_MAX);
	if (n == 0)
		return -ENOENT;
	if (n == PATH_MAX)
		return -ENAMETOOLONG;
	struct path dir;
	struct vfs_last l;
	int err = vfs_walk_parent(root, at, path, &dir, &l);
	if (err)
		return err;
	struct create_args a = {.kind = MAKE_SYMLINK, .body = target};
	err = create_name(dir.ino, &l, &a);
	path_put(&dir);
	return err;
}

int vfs_link_path(const struct path *root, const struct path *old, const struct path *newat,
		  const char *newpath)
{
	struct path dir;
	struct vfs_last l;
	int err = vfs_walk_parent(root, newat, newpath, &dir, &l);
	if (err)
		return err;
	struct create_args a = {.kind = MAKE_LINK, .target = old->ino};
	if (dir.mnt != old->mnt)
		err = l.type != LAST_NORM ? -EEXIST : -EXDEV;
	else if (S_ISDIR(old->ino->mode))
		err = -EPERM;
	else
		err = create_name(dir.ino, &l, &a);
	path_put(&dir);
	return err;
}

int vfs_link(const struct path *root, const struct path *oldat, const char *oldpath,
	     const struct path *newat, const char *newpath)
{
	struct path old;
	int err = vfs_lookup(root, oldat, oldpath, 0, &old);
	if (err)
		return err;
	err = vfs_link_path(root, &old, newat, newpath);
	path_put(&old);
	return err;
}

/* Checks on the entry being removed (unlink or rmdir), dir locked. */
static int check_victim(const struct path *root, struct inode *dir, struct inode *victim,
			const struct vfs_last *l, bool want_dir)
{
	bool is_dir = S_ISDIR(victim->mode);
	if (!want_dir && l->slash && !is_dir)
		return -ENOTDIR;
	int err = may_delete(dir, victim);
	if (err)
		return err;
	if (want_dir && !is_dir)
		return -ENOTDIR;
	if (!want_dir && is_dir)
		return -EISDIR;
	if (victim->covered || (root && victim == root->ino))
		return -EBUSY;
	return 0;
}

static int remove_name(const struct path *root, struct inode *dir, const struct vfs_last *l,
		       bool want_dir)
{
	mutex_lock(&dir->lock);
	struct inode *victim = NULL;
	int err = vfs_permission(dir, MAY_EXEC);
	if (!err)
		err = vfs_dir_lookup(dir, l->name, l->len, &victim);
	if (!err)
		err = check_victim(root, dir, victim, l, want_dir);
	if (!err) {
		int (*op)(struct inode *, const char *, size_t) =
			want_dir ? dir->ops->rmdir : dir->ops->unlink;
		err = op ? op(dir, l->name, l->len) : -EPERM;
	}
	mutex_unlock(&dir->lock);
	vfs_iput(victim);
	return err;
}

static int remove_path(const struct path *root, const struct path *at, const char *path,
		       bool want_dir)
{
	struct path dir;
	struct vfs_last l;
	int err = vfs_walk_parent(root, at, path, &dir, &l);
	if (err)
		return err;
	if (l.type == LAST_NORM)
		err = remove_name(root, dir.ino, &l, want_dir);
	else if (!want_dir)
		err = -EISDIR;
	else
		err = l.type == LAST_DOT ? -EINVAL : l.type == LAST_DOTDOT ? -ENOTEMPTY : -EBUSY;
	path_put(&dir);
	return err;
}

int vfs_unlink(const struct path *root, const struct path *at, const char *path)
{
	return remove_path(root, at, path, false);
}

int vfs_rmdir(const struct path *root, const struct path *at, const char *path)
{
	return remove_path(root, at, path, true);
}

/* ---- rename ---------------------------------------------------------------------------------- */

static void lock_two(struct inode *a, struct inode *b)
{
	if (a != b && (uintptr_t)a > (uintptr_t)b) {
		struct inode *t = a;
		a = b;
		b = t;
	}
	mutex_lock(&a->lock);
	if (a != b)
		mutex_lock(&b->lock);
}

static void unlock_two(struct inode *a, struct inode *b)
{
	mutex_unlock(&a->lock);
	if (a != b)
		mutex_unlock(&b->lock);
}

/* -EINVAL if dir is src or lies below it: climb ".." from dir to the file system's root.
 * held1/held2 are locked by the caller; other directories are locked one at a time. */
static int check_not_inside(struct inode *src, struct inode *dir, struct inode *held1,
			    struct inode *held2)
{
	struct inode *cur = dir;
	vfs_igrab(cur);
	int err = 0;
	for (unsigned steps = 0; err == 0 && cur != cur->sb->root; steps++) {
		if (cur == src || steps > 4096) {
			err = cur == src ? -EINVAL : -ELOOP;
			break;
		}
		bool held = cur == held1 || cur == held2;
		struct inode *up;
		if (!held)
			mutex_lock(&cur->lock);
		err = vfs_dir_lookup(cur, "..", 2, &up);
		if (!held)
			mutex_unlock(&cur->lock);
		if (!err) {
			vfs_iput(cur);
			cur = up;
		}
	}
	vfs_iput(cur);
	return err;
}

struct rename_args {
	const struct path *root;
	struct inode *olddir, *newdir;
	const struct vfs_last *ol, *nl;
	unsigned flags;
};

/* Everything between finding src (and dst, if the new name exists) and the file system. */
static int rename_checks(const struct rename_args *r, struct inode *src, struct inode *dst)
{
	bool is_dir = S_ISDIR(src->mode);
	if ((r->ol->slash || r->nl->slash) && !is_dir)
		return -ENOTDIR;
	int err = may_delete(r->olddir, src);
	if (!err)
		err = dst ? may_delete(r->newdir, dst) : may_create(r->newdir);
	if (err)
		return err;
	if (dst && is_dir != S_ISDIR(dst->mode))
		return is_dir ? -ENOTDIR : -EISDIR;
	struct inode *rootino = r->root ? r->root->ino : NULL;
	if (src->covered || (dst && dst->covered) || src == rootino || (dst && dst == rootino))
		return -EBUSY;
	if (is_dir && r->olddir != r->newdir) {
		err = vfs_permission(src, MAY_WRITE); /* its ".." entry changes */
		if (!err)
			err = check_not_inside(src, r->newdir, r->olddir, r->newdir);
	}
	return err;
}

static int rename_locked(const struct rename_args *r)
{
	struct inode *src = NULL, *dst = NULL;
	int err = vfs_permission(r->olddir, MAY_EXEC);
	if (!err)
		err = vfs_permission(r->newdir, MAY_EXEC);
	if (!err)
		err = vfs_dir_lookup(r->olddir, r->ol->name, r->ol->len, &src);
	if (!err && (err = vfs_dir_lookup(r->newdir, r->nl->name, r->nl->len, &dst)) == -ENOENT)
		err = 0;
	if (!err && dst && (r->flags & RENAME_NOREPLACE))
		err = -EEXIST;
	if (!err && src != dst) /* two names of one file: nothing to do */
		err = rename_checks(r, src, dst);
	if (!err && src != dst) {
		const struct inode_ops *ops = r->olddir->ops;
		err = ops->rename ? ops->rename(r->olddir, r->ol->name, r->ol->len, r->newdir,
						r->nl->name, r->nl->len, r->flags)
				  : -EPERM;
	}
	vfs_iput(src);
	vfs_iput(dst);
	return err;
}

int vfs_rename(const struct path *root, const struct path *oldat, const char *oldpath,
	       const struct path *newat, const char *newpath, unsigned flags)
{
	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;
	struct path od, nd;
	struct vfs_last ol, nl;
	int err = vfs_walk_parent(root, oldat, oldpath, &od, &ol);
	if (err)
		return err;
	if ((err = vfs_walk_parent(root, newat, newpath, &nd, &nl)) != 0) {
		path_put(&od);
		return err;
	}
	struct rename_args r = {root, od.ino, nd.ino, &ol, &nl, flags};
	if (ol.type != LAST_NORM)
		err = -EBUSY;
	else if (nl.type != LAST_NORM)
		err = (flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
	else if (od.mnt != nd.mnt)
		err = -EXDEV;
	if (!err) {
		bool cross = od.ino != nd.ino;
		if (cross)
			mutex_lock(&rename_lock);
		lock_two(od.ino, nd.ino);
		err = rename_locked(&r);
		unlock_two(od.ino, nd.ino);
		if (cross)
			mutex_unlock(&rename_lock);
	}
	path_put(&nd);
	path_put(&od);
	return err;
}
