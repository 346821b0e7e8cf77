/*
 * fs/mount.c: file system types, super blocks and the mount tree.
 *
 * A mount is one super block attached to a directory of its parent mount: the mountpoint
 * inode gets inode->covered = the mount (the walk crosses there), and the mount keeps a
 * reference to the mountpoint and to its parent mount, so neither goes while it is attached.
 * The first vfs_mount on "/" makes the global root. vfs_kern_mount makes a mount attached
 * nowhere, the root of a private tree (tests; later, pipes and sockets).
 *
 * mount_lock (a mutex) guards the type table, the global list and every attach and detach.
 * The list holds the global root and the mounts below it (those reachable by a path walk from
 * "/"), in mount order: what vfs_sync_all syncs and /proc/mounts shows.
 *
 * A mount's refs counts the struct paths on it and its child mounts; vfs_umount refuses a
 * mount with refs (-EBUSY). Unmounting drops the super block's root, then put_super frees the
 * file system's state; the super block's inode cache must be empty then.
 */
#include "core/errno.h"
#include "core/kheap.h"
#include "core/kprintf.h"
#include "core/string.h"
#include "fs/vfs_internal.h"

#define MAX_FS_TYPES 16

static struct mutex mount_lock = MUTEX_INIT("mount");
static const struct file_system_type *fs_types[MAX_FS_TYPES];
static struct mount *mounts;     /* the global tree, in mount order */
static struct mount *root_mount;

static const struct file_system_type *find_type(const char *name)
{
	for (unsigned i = 0; i < MAX_FS_TYPES; i++)
		if (fs_types[i] && strcmp(fs_types[i]->name, name) == 0)
			return fs_types[i];
	return NULL;
}

bool vfs_fs_registered(const char *name)
{
	mutex_lock(&mount_lock);
	bool found = find_type(name) != NULL;
	mutex_unlock(&mount_lock);
	return found;
}

int vfs_register_fs(const struct file_system_type *type)
{
	int err = -ENOSPC;
	mutex_lock(&mount_lock);
	if (find_type(type->name)) {
		err = -EEXIST;
	} else {
		for (unsigned i = 0; i < MAX_FS_TYPES && err; i++)
			if (!fs_types[i]) {
				fs_types[i] = type;
				err = 0;
			}
	}
	mutex_unlock(&mount_lock);
	return err;
}

/* st_dev for a new super block: block devices get 254:(16 n) as virtio disks have on Linux,
 * virtual file systems an anonymous 0:n; unique while the kernel runs. */
static uint32_t next_devno(const struct blkdev *dev)
{
	static uint32_t disks, anon;
	if (dev)
		return MKDEV(254, 16 * __atomic_fetch_add(&disks, 1, __ATOMIC_RELAXED));
	return MKDEV(0, 1 + __atomic_fetch_add(&anon, 1, __ATOMIC_RELAXED));
}

int vfs_kern_mount(const char *fstype, struct blkdev *dev, const char *opts, struct mount **out)
{
	mutex_lock(&mount_lock);
	const struct file_system_type *type = find_type(fstype);
	mutex_unlock(&mount_lock);
	if (!type)
		return -ENODEV;
	struct super_block *sb = kzalloc(sizeof(*sb));
	struct mount *m = kzalloc(sizeof(*m));
	int err = sb && m ? 0 : -ENOMEM;
	if (!err) {
		sb->type = type;
		sb->dev = dev;
		mutex_init(&sb->icache_lock, "icache");
		err = type->mount(sb, dev, opts);
	}
	if (!err && (!sb->root || !sb->ops || !S_ISDIR(sb->root->mode))) {
		pr_err("vfs: %s mount gave no root directory\n", fstype);
		err = -EINVAL; /* and leak the half-made super block: a file system bug */
		sb = NULL;
	}
	if (err) {
		kfree(sb);
		kfree(m);
		return err;
	}
	sb->devno = next_devno(dev);
	m->sb = sb;
	*out = m;
	return 0;
}

static void set_label(struct mount *m, const char *label)
{
	size_t n = strnlen(label, sizeof(m->path) - 1);
	memcpy(m->path, label, n);
	m->path[n] = '\0';
}

static bool in_global_tree(const struct mount *m)
{
	while (m->parent)
		m = m->parent;
	return m == root_mount;
}

static void list_append(struct mount *m)
{
	struct mount **pp = &mounts;
	while (*pp)
		pp = &(*pp)->next;
	m->next = NULL;
	*pp = m;
}

static void list_remove(struct mount *m)
{
	for (struct mount **pp = &mounts; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			return;
		}
}

/* Attach m on the directory mp (a reference the caller keeps). */
static int attach(struct mount *m, const struct path *mp, const char *label)
{
	int err = 0;
	mutex_lock(&mount_lock);
	if (mp->ino->covered) {
		err = -EBUSY; /* mounted on meanwhile */
	} else {
		m->parent = mp->mnt;
		m->mountpoint = mp->ino;
		vfs_igrab(mp->ino);
		__atomic_add_fetch(&mp->mnt->refs, 1, __ATOMIC_RELAXED);
		set_label(m, label);
		__atomic_store_n(&mp->ino->covered, m, __ATOMIC_RELEASE);
		if (in_global_tree(m))
			list_append(m);
	}
	mutex_unlock(&mount_lock);
	return err;
}

static void free_mount(struct mount *m)
{
	struct super_block *sb = m->sb;
	vfs_iput(sb->root);
	sb->root = NULL;
	if (sb->ops->put_super)
		sb->ops->put_super(sb);
	for (unsigned i = 0; i < sizeof(sb->icache) / sizeof(sb->icache[0]); i++)
		if (sb->icache[i]) {
			pr_err("vfs: %s unmounted with inode %lu still cached\n", sb->type->name,
			       (unsigned long)sb->icache[i]->ino);
			return; /* leak rather than free what someone may still use */
		}
	kfree(sb);
	kfree(m);
}

static int mount_root(struct mount *m)
{
	int err = 0;
	mutex_lock(&mount_lock);
	if (root_mount) {
		err = -EBUSY;
	} else {
		set_label(m, "/");
		root_mount = m;
		list_append(m);
	}
	mutex_unlock(&mount_lock);
	return err;
}

int vfs_mount_at(const struct path *root, const struct path *at, const char *fstype,
		 struct blkdev *dev, const char *target, const char *opts)
{
	struct path mp;
	int err = vfs_lookup(root, at, target, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &mp);
	if (err)
		return err;
	struct mount *m = NULL;
	err = vfs_kern_mount(fstype, dev, opts, &m);
	if (!err && (err = attach(m, &mp, target)) != 0)
		free_mount(m);
	path_put(&mp);
	return err;
}

int vfs_mount(const char *fstype, struct blkdev *dev, const char *target, const char *opts)
{
	mutex_lock(&mount_lock);
	bool first = root_mount == NULL;
	mutex_unlock(&mount_lock);
	if (!first)
		return vfs_mount_at(NULL, NULL, fstype, dev, target, opts);
	if (strcmp(target, "/") != 0)
		return -ENOENT; /* nothing to resolve target in yet */
	struct mount *m;
	int err = vfs_kern_mount(fstype, dev, opts, &m);
	if (!err && (err = mount_root(m)) != 0)
		free_mount(m);
	return err;
}

int vfs_umount(struct mount *m)
{
	mutex_lock(&mount_lock);
	if (__atomic_load_n(&m->refs, __ATOMIC_RELAXED) != 0) {
		mutex_unlock(&mount_lock);
		return -EBUSY;
	}
	struct inode *mp = m->mountpoint;
	if (mp) {
		__atomic_store_n(&mp->covered, NULL, __ATOMIC_RELEASE);
		__atomic_sub_fetch(&m->parent->refs, 1, __ATOMIC_RELAXED);
	}
	list_remove(m);
	if (m == root_mount)
		root_mount = NULL;
	mutex_unlock(&mount_lock);
	vfs_iput(mp);
	free_mount(m);
	return 0;
}

int vfs_root(struct path *out)
{
	mutex_lock(&mount_lock);
	struct mount *m = root_mount;
	if (m) {
		out->mnt = m;
		out->ino = m->sb->root;
		path_get(out);
	}
	mutex_unlock(&mount_lock);
	return m ? 0 : -ENOENT;
}

int vfs_sync_all(void)
{
	int first_err = 0;
	mutex_lock(&mount_lock);
	for (struct mount *m = mounts; m; m = m->next) {
		struct super_block *sb = m->sb;
		int err = sb->ops->sync && !sb->read_only ? sb->ops->sync(sb) : 0;
		if (err && !first_err)
			first_err = err;
	}
	mutex_unlock(&mount_lock);
	return first_err;
}

void vfs_mounts_foreach(void (*fn)(const struct mount *m, void *ctx), void *ctx)
{
	mutex_lock(&mount_lock);
	for (struct mount *m = mounts; m; m = m->next)
		if (in_global_tree(m))
			fn(m, ctx);
	mutex_unlock(&mount_lock);
}
