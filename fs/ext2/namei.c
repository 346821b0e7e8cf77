/*
 * fs/ext2/namei.c: namespace operations on directories (struct inode_ops for directories).
 *
 * The VFS holds the directories' own locks (struct inode.lock) around each call and has
 * checked names, permissions and, for rename, that a directory is not moved into itself.
 * Here each step takes only the ext2 lock of the one inode it changes, never two at once.
 *
 * Order of steps, so an error part-way leaves a consistent file system:
 * - create, mkdir, symlink: the new inode is complete on disk before its entry is added; if
 *   adding fails (ENOSPC, EIO) the inode is dropped with link count 0, which frees it.
 * - unlink, rmdir: the entry goes first, then the link count (the inode is freed when the
 *   last reference goes, see inode.c).
 * - rename: the new entry is added (or the existing target entry is pointed at the source)
 *   before the old entry is removed, so a failure leaves the source where it was. Then the
 *   counts: a replaced target loses a link (a replaced directory loses both of its own and
 *   its parent loses the one from its ".."); a directory that changes parent gets its ".."
 *   rewritten, and the old parent loses a link the new parent gains.
 *
 * Link counts: a directory has 2 + its subdirectories; ext2 allows at most 32000 (EMLINK).
 * Owners: a new inode belongs to the caller's fsuid (vfs_current_cred; root without one) and
 * to the parent's group when the parent is set-group-ID, else the caller's fsgid.
 */
#include "fs/ext2/ext2_fs.h"

#include "core/errno.h"
#include "core/string.h"

static int writable(struct inode *dir)
{
	if (dir->sb->read_only)
		return -EROFS;
	return dir->nlink == 0 ? -ENOENT : 0; /* a removed directory takes no new entries */
}

/* -EEXIST if name exists in dir, 0 if not, or an I/O error. */
static int check_absent(struct inode *dir, const char *name, size_t len)
{
	uint32_t ino;
	int err = ext2_dir_find(dir, name, len, &ino);
	return err == 0 ? -EEXIST : err == -ENOENT ? 0 : err;
}

static int change_nlink(struct inode *ino, int delta)
{
	struct ext2_inode_info *ei = EXT2_I(ino);
	mutex_lock(&ei->lock);
	if (delta > 0 || ino->nlink >= (uint32_t)-delta)
		ino->nlink += (uint32_t)delta;
	else
		ino->nlink = 0;
	ino->ctime = ext2_now();
	int err = ext2_write_inode_locked(ino);
	mutex_unlock(&ei->lock);
	return err;
}

static int ext2_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	uint32_t ino;
	int err = ext2_dir_find(dir, name, len, &ino);
	return err ? err : vfs_iget(dir->sb, ino, out);
}

/* Add the entry for a complete new inode; on failure the inode is freed. */
static int link_new(struct inode *dir, const char *name, size_t len, struct inode *ino,
		    struct inode **out)
{
	int err = ext2_dir_add(dir, name, len, (uint32_t)ino->ino, ino->mode);
	if (err) {
		ext2_discard_new_inode(ino);
		return err;
	}
	*out = ino;
	return 0;
}

static void set_device(struct inode *ino, uint32_t rdev)
{
	struct ext2_inode_info *ei = EXT2_I(ino);
	ino->rdev = rdev;
	bool old_format = rdev <= 0xffff; /* major and minor both below 256 */
	ei->block[0] = old_format ? rdev : 0;
	ei->block[1] = old_format ? 0 : rdev;
}

static int ext2_create(struct inode *dir, const char *name, size_t len, uint32_t mode,
		       uint32_t rdev, struct inode **out)
{
	int err = writable(dir);
	if (!err)
		err = check_absent(dir, name, len);
	if (err)
		return err;
	if ((mode & S_IFMT) == 0)
		mode |= S_IFREG;
	if (S_ISDIR(mode) || S_ISLNK(mode) || !ext2_mode_to_ftype(mode))
		return -EINVAL;
	struct inode *ino;
	err = ext2_new_inode(dir, mode, &ino);
	if (err)
		return err;
	if (S_ISCHR(mode) || S_ISBLK(mode)) {
		set_device(ino, rdev);
		err = ext2_write_inode_locked(ino);
		if (err) {
			ext2_discard_new_inode(ino);
			return err;
		}
	}
	return link_new(dir, name, len, ino, out);
}

static int ext2_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode,
		      struct inode **out)
{
	int err = writable(dir);
	if (!err)
		err = check_absent(dir, name, len);
	if (!err && dir->nlink >= EXT2_LINK_MAX)
		err = -EMLINK;
	if (err)
		return err;
	mode = S_IFDIR | (mode & 07777) | (dir->mode & EXT2_S_ISGID);
	struct inode *ino;
	err = ext2_new_inode(dir, mode, &ino);
	if (err)
		return err;
	ino->nlink = 2;
	err = ext2_dir_init(ino, (uint32_t)dir->ino);
	if (err) {
		ext2_discard_new_inode(ino);
		return err;
	}
	err = link_new(dir, name, len, ino, out);
	if (!err)
		change_nlink(dir, +1);
	return err;
}

static int ext2_symlink(struct inode *dir, const char *name, size_t len, const char *target,
			struct inode **out)
{
	size_t tlen = strnlen(target, PATH_MAX);
	int err = writable(dir);
	if (!err && tlen == 0)
		err = -ENOENT;
	if (!err && tlen >= EXT2_FS(dir->sb)->bs)
		err = -ENAMETOOLONG;
	if (!err)
		err = check_absent(dir, name, len);
	if (err)
		return err;
	struct inode *ino;
	err = ext2_new_inode(dir, S_IFLNK | 0777, &ino);
	if (err)
		return err;
	err = ext2_symlink_store(ino, target, tlen);
	if (err) {
		ext2_discard_new_inode(ino);
		return err;
	}
	return link_new(dir, name, len, ino, out);
}

static int ext2_link(struct inode *dir, const char *name, size_t len, struct inode *target)
{
	int err = writable(dir);
	if (err)
		return err;
	if (target->sb != dir->sb)
		return -EXDEV;
	if (S_ISDIR(target->mode))
		return -EPERM;
	if (target->nlink == 0)
		return -ENOENT;
	if (target->nlink >= EXT2_LINK_MAX)
		return -EMLINK;
	err = ext2_dir_add(dir, name, len, (uint32_t)target->ino, target->mode);
	return err ? err : change_nlink(target, +1);
}

/* Look name up in dir for removal; *out a reference. */
static int get_child(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	int err = writable(dir);
	return err ? err : ext2_lookup(dir, name, len, out);
}

static int ext2_unlink(struct inode *dir, const char *name, size_t len)
{
	struct inode *child;
	int err = get_child(dir, name, len, &child);
	if (err)
		return err;
	err = S_ISDIR(child->mode) ? -EISDIR : ext2_dir_remove(dir, name, len);
	if (!err)
		err = change_nlink(child, -1);
	vfs_iput(child);
	return err;
}

/* A directory lost its last name: no links, no contents (freed when unused). */
static int kill_dir(struct inode *child)
{
	struct ext2_inode_info *ei = EXT2_I(child);
	mutex_lock(&ei->lock);
	child->nlink = 0;
	child->size = 0;
	child->ctime = ext2_now();
	int err = ext2_write_inode_locked(child);
	mutex_unlock(&ei->lock);
	return err;
}

static int ext2_rmdir(struct inode *dir, const char *name, size_t len)
{
	struct inode *child;
	int err = get_child(dir, name, len, &child);
	if (err)
		return err;
	if (!S_ISDIR(child->mode))
		err = -ENOTDIR;
	else if (child == dir)
		err = -EINVAL;
	else if ((err = ext2_dir_is_empty(child)) >= 0)
		err = err ? 0 : -ENOTEMPTY;
	if (!err)
		err = ext2_dir_remove(dir, name, len);
	if (!err) {
		kill_dir(child);
		err = change_nlink(dir, -1);
	}
	vfs_iput(child);
	return err;
}

/* ---- rename ------------------------------------------------------------------------------- */

static int check_replace(struct inode *src, struct inode *tgt)
{
	if (S_ISDIR(src->mode) && !S_ISDIR(tgt->mode))
		return -ENOTDIR;
	if (!S_ISDIR(src->mode) && S_ISDIR(tgt->mode))
		return -EISDIR;
	if (S_ISDIR(tgt->mode)) {
		int empty = ext2_dir_is_empty(tgt);
		return empty < 0 ? empty : empty ? 0 : -ENOTEMPTY;
	}
	return 0;
}

/* Find the source and the target (NULL if absent); both references. 1: nothing to do. */
static int rename_prepare(struct inode *olddir, const char *oldname, size_t oldlen,
			  struct inode *newdir, const char *newname, size_t newlen,
			  unsigned flags, struct inode **src, struct inode **tgt)
{
	uint32_t tgt_ino;
	*tgt = NULL;
	int err = get_child(olddir, oldname, oldlen, src);
	if (err)
		return err;
	err = writable(newdir);
	if (!err)
		err = ext2_dir_find(newdir, newname, newlen, &tgt_ino);
	if (err == -ENOENT)
		return S_ISDIR((*src)->mode) && olddir != newdir && newdir->nlink >= EXT2_LINK_MAX ?
		       -EMLINK : 0;
	if (!err && tgt_ino == (*src)->ino)
		return 1; /* two names of one file: POSIX says do nothing */
	if (!err && (flags & RENAME_NOREPLACE))
		err = -EEXIST;
	if (!err)
		err = vfs_iget(newdir->sb, tgt_ino, tgt);
	return err ? err : check_replace(*src, *tgt);
}

/* After the names moved: link counts and "..". */
static int rename_finish(struct inode *olddir, struct inode *newdir, struct inode *src,
			 struct inode *tgt)
{
	int err = 0;
	if (tgt && S_ISDIR(tgt->mode)) {
		kill_dir(tgt);
		change_nlink(newdir, -1);
	} else if (tgt) {
		change_nlink(tgt, -1);
	}
	if (S_ISDIR(src->mode) && olddir != newdir) {
		err = ext2_dir_set_parent(src, (uint32_t)newdir->ino);
		change_nlink(olddir, -1);
		change_nlink(newdir, +1);
	}
	int err2 = change_nlink(src, 0); /* ctime */
	return err ? err : err2;
}

static int ext2_rename(struct inode *olddir, const char *oldname, size_t oldlen,
		       struct inode *newdir, const char *newname, size_t newlen, unsigned flags)
{
	struct inode *src = NULL, *tgt = NULL;
	int err = rename_prepare(olddir, oldname, oldlen, newdir, newname, newlen, flags, &src,
				 &tgt);
	if (err == 0 && tgt)
		err = ext2_dir_retarget(newdir, newname, newlen, (uint32_t)src->ino, src->mode);
	else if (err == 0)
		err = ext2_dir_add(newdir, newname, newlen, (uint32_t)src->ino, src->mode);
	if (err == 0)
		err = ext2_dir_remove(olddir, oldname, oldlen);
	if (err == 0)
		err = rename_finish(olddir, newdir, src, tgt);
	vfs_iput(tgt);
	vfs_iput(src);
	return err == 1 ? 0 : err;
}

const struct inode_ops ext2_dir_iops = {
	.lookup = ext2_lookup,
	.create = ext2_create,
	.mkdir = ext2_mkdir,
	.symlink = ext2_symlink,
	.link = ext2_link,
	.unlink = ext2_unlink,
	.rmdir = ext2_rmdir,
	.rename = ext2_rename,
	.setattr = ext2_setattr,
};
