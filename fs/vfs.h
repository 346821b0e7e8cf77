/*
 * fs/vfs.h: the virtual file system: inodes with operation tables, mounts, path walk, open
 * files and descriptor tables, the same for every file system (ext2, devfs, tmpfs; later
 * procfs, pipes and sockets).
 *
 * Objects and lifetimes:
 * - struct inode: one per file a file system has in memory; reference counted (vfs_iget,
 *   vfs_iput). A file system keeps at most one struct inode per inode number (an inode cache
 *   per super block). When the last reference goes and i_nlink is 0, the file system frees
 *   the file on disk (sb->ops->evict).
 * - struct super_block: one per mounted file system instance; owns its inode cache.
 * - struct mount: a super block attached at a directory (mountpoint) of its parent mount.
 *   struct path = (mount, inode): the path walk crosses mounts both ways, so ".." at a
 *   mount's root goes to the mountpoint's parent.
 * - struct file: an open file: inode + offset + flags; shared by dup and fork (refcount);
 *   offset and flags live here, so they are shared too.
 * - struct fdtable: a process's descriptors (array of struct file *, close-on-exec bits).
 *
 * Locking: each inode has a mutex (i_lock) held by the VFS around namespace operations on a
 * directory and around size-changing writes; file systems keep their own allocator locks.
 * These are mutexes (core/sync.h): disk I/O may happen while they are held; no spinlock is
 * held across any file system call.
 *
 * Errors are negative errno values (core/errno.h), exactly as Linux gives them.
 */
#ifndef FS_VFS_H
#define FS_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sync.h"
#include "core/uio.h"

/* File types and permission bits, Linux values (st_mode). */
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)
#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m) (((m) & S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)

/* Directory entry types (getdents64 d_type). */
enum { DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8,
       DT_LNK = 10, DT_SOCK = 12 };

#define NAME_MAX 255
#define PATH_MAX 4096
#define SYMLOOP_MAX 40

struct timespec64 {
	int64_t sec;
	int64_t nsec;
};

struct blkdev;
struct inode;
struct file;
struct super_block;
struct mount;
struct poll_table;

/* Attributes for setattr: only the fields named in `valid` are applied. */
enum { ATTR_MODE = 1, ATTR_UID = 2, ATTR_GID = 4, ATTR_SIZE = 8, ATTR_ATIME = 16,
       ATTR_MTIME = 32, ATTR_CTIME = 64,
       /* With ATTR_ATIME/ATTR_MTIME: both are "now" (utimensat with NULL times or two
        * UTIME_NOW), which Linux lets the owner or anyone who may write the file do; the
        * caller has checked write permission for a non-owner. */
       ATTR_TOUCH = 128 };
struct vattr {
	unsigned valid;
	uint32_t mode; /* permission bits only (07777) */
	uint32_t uid, gid;
	uint64_t size;
	struct timespec64 atime, mtime, ctime;
};

struct kstatfs {
	uint64_t type, bsize, blocks, bfree, bavail, files, ffree, namelen;
};

/* Called by readdir for each entry; return nonzero to stop (the entry is then not consumed,
 * so the next readdir call returns it again). */
typedef int (*filldir_t)(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
			 uint64_t next_pos);

/* Namespace and attribute operations on an inode (directories, symlinks, any inode for
 * setattr). The VFS holds dir->i_lock around each directory operation and has already
 * checked: name length <= NAME_MAX, no '/' in names, "." and ".." never passed to create /
 * link / unlink / rename, permissions, and (for rename) that the new name is not inside the
 * renamed directory. A NULL entry means the operation is not supported (-EPERM, or -ENOTDIR
 * for lookups on non-directories). */
struct inode_ops {
	/* *out gets a new reference. -ENOENT if absent. ".." must work (parent directory). */
	int (*lookup)(struct inode *dir, const char *name, size_t len, struct inode **out);
	/* Create a regular file, FIFO, socket or device node (mode has the type); -EEXIST. */
	int (*create)(struct inode *dir, const char *name, size_t len, uint32_t mode,
		      uint32_t rdev, struct inode **out);
	int (*mkdir)(struct inode *dir, const char *name, size_t len, uint32_t mode,
		     struct inode **out);
	int (*symlink)(struct inode *dir, const char *name, size_t len, const char *target,
		       struct inode **out);
	/* New name for an existing non-directory inode of the same file system; -EEXIST. */
	int (*link)(struct inode *dir, const char *name, size_t len, struct inode *target);
	/* Remove a non-directory entry (-EISDIR for a directory) / an empty directory
	 * (-ENOTDIR, -ENOTEMPTY). */
	int (*unlink)(struct inode *dir, const char *name, size_t len);
	int (*rmdir)(struct inode *dir, const char *name, size_t len);
	/* Move (olddir, oldname) to (newdir, newname), replacing a compatible existing target
	 * (file over file, empty directory over directory; else -EISDIR / -ENOTDIR /
	 * -ENOTEMPTY); RENAME_NOREPLACE gives -EEXIST instead. A moved directory's ".." is
	 * updated. Both directories are locked by the VFS (in address order). */
	int (*rename)(struct inode *olddir, const char *oldname, size_t oldlen,
		      struct inode *newdir, const char *newname, size_t newlen, unsigned flags);
	/* Copy the symlink target into buf (not NUL-terminated); its length or -errno. */
	long (*readlink)(struct inode *ino, char *buf, size_t n);
	/* Apply attributes; ATTR_SIZE truncates or extends (holes read as zeros). */
	int (*setattr)(struct inode *ino, const struct vattr *va);
};

#define RENAME_NOREPLACE 1u

/* Operations on an open file. read/write get the position explicitly (pread semantics); the
 * VFS keeps file->pos and handles O_APPEND by passing the size. NULL read/write give -EINVAL
 * (-EISDIR for directories, set by the VFS). */
struct file_ops {
	int (*open)(struct inode *ino, struct file *f);   /* optional */
	void (*release)(struct file *f);                  /* optional, last close */
	long (*read)(struct file *f, struct uio *u, uint64_t pos);
	long (*write)(struct file *f, struct uio *u, uint64_t pos);
	/* Directory entries from *pos on; updates *pos past each entry delivered. 0 or -errno. */
	int (*readdir)(struct file *f, uint64_t *pos, filldir_t fill, void *ctx);
	long (*ioctl)(struct file *f, unsigned long cmd, uintptr_t arg);
	int (*fsync)(struct file *f, bool data_only);
	/* Optional: reposition (whence SEEK_*); NULL gives the generic lseek over file->pos and
	 * the inode size. Devices use it for Linux's device semantics (/dev/null: always 0;
	 * terminals: -ESPIPE). */
	int64_t (*llseek)(struct file *f, int64_t off, int whence);
	/* Optional: the ready mask (POLLIN, POLLOUT, POLLHUP, POLLERR, ... of core/poll.h, Linux's
	 * values), after poll_wait(f, queue, pt) on each wait queue whose wake-ups may change it
	 * (pt may be NULL: just the mask). Never sleeps. NULL: always readable and writable
	 * (DEFAULT_POLLMASK), as regular files and memory devices are. */
	unsigned (*poll)(struct file *f, struct poll_table *pt);
};

/* lseek whence, Linux values (macros, so a host test's <stdio.h> may define the same). */
#ifndef SEEK_SET
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#endif
#ifndef SEEK_DATA
#define SEEK_DATA 3
#define SEEK_HOLE 4
#endif

struct super_ops {
	/* Fill a new inode's fields from disk (the VFS allocated it and set sb, ino). */
	int (*read_inode)(struct inode *ino);
	/* Write the inode's in-memory fields back (called on setattr/size changes/sync). */
	int (*write_inode)(struct inode *ino);
	/* The last reference is gone: if i_nlink == 0, free the file's blocks and inode on disk;
	 * then release the file system's private data. */
	void (*evict)(struct inode *ino);
	/* Write everything dirty (metadata and data) to the device. */
	int (*sync)(struct super_block *sb);
	int (*statfs)(struct super_block *sb, struct kstatfs *st);
	/* Unmount: sync and free the file system's private data. */
	void (*put_super)(struct super_block *sb);
};

struct inode {
	struct super_block *sb;
	uint64_t ino;
	uint32_t mode;           /* type and permission bits */
	uint32_t nlink;
	uint32_t uid, gid;
	uint64_t size;
	uint64_t blocks;         /* 512-byte units allocated (st_blocks) */
	uint32_t rdev;           /* device number for S_IFCHR / S_IFBLK (Linux encoding) */
	struct timespec64 atime, mtime, ctime;
	const struct inode_ops *ops;
	const struct file_ops *fops;
	struct mutex lock;       /* see the header comment */
	int refs;                /* guarded by sb->icache_lock */
	struct mount *covered;   /* a mount whose mountpoint is this directory, or NULL */
	struct inode *hash_next; /* the super block's inode cache chain */
	void *priv;              /* the file system's per-inode data */
};

struct file_system_type {
	const char *name; /* "ext2", "devfs", "tmpfs" */
	/* Build a super block from a block device (NULL for virtual file systems) and options;
	 * its root inode in sb->root (a reference). Unknown incompatible features refuse the
	 * mount with -EINVAL and a kprintf naming them; read-only-compatible ones set
	 * sb->read_only. */
	int (*mount)(struct super_block *sb, struct blkdev *dev, const char *options);
};

struct super_block {
	const struct file_system_type *type;
	const struct super_ops *ops;
	struct blkdev *dev;
	bool read_only;          /* writes give -EROFS */
	uint32_t block_size;
	uint64_t magic;          /* statfs f_type */
	uint32_t devno;          /* st_dev, Linux encoding: set by vfs_kern_mount */
	struct inode *root;
	struct mutex icache_lock; /* guards icache chains and every inode's refs */
	struct inode *icache[64]; /* hash chains by ino (fs/inode.c) */
	void *priv;
};

struct mount {
	struct super_block *sb;
	struct mount *parent;    /* NULL for the root mount */
	struct inode *mountpoint;/* the directory in parent covered by this mount */
	struct mount *next;      /* the global mount list */
	char path[64];           /* for /proc/mounts */
	int refs;                /* struct paths on this mount plus child mounts; atomic */
};

struct path {
	struct mount *mnt;
	struct inode *ino;       /* a reference */
};

/* Open flags: the kernel's own encoding, the generic Linux values. The syscall layer maps
 * the per-arch user values (O_DIRECTORY, O_NOFOLLOW differ on x86_64) to these. */
#define O_ACCMODE 3
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 040000
#define O_NOFOLLOW 0100000
#define O_CLOEXEC 02000000
#define O_PATH 010000000

struct file {
	struct path path;
	const struct file_ops *ops;
	uint64_t pos;            /* guarded by pos_lock */
	unsigned flags;          /* O_* status flags (access mode, O_APPEND, O_NONBLOCK) */
	int refs;                /* dup/fork share; atomic */
	struct mutex pos_lock;
	void *priv;
	/* core/epoll.c: this file's registrations in epoll sets (NULL: none), guarded by
	 * epoll's own lock; file_put undoes them before the last reference's release. */
	void *epoll_links;
};

/* Set by core/epoll.c: called by file_put for a file with epoll_links, once the last
 * reference is gone and before file_ops->release. */
extern void (*file_epoll_release)(struct file *f);

/* Where the VFS calls a file system with an inode lock held (in addition to the inode_ops
 * rule above): file_ops->readdir with the directory's lock; file_ops->write on a regular file
 * and setattr with the file's lock. file_ops->read, ioctl and fsync run without it. At most two
 * directory locks are ever held together (rename, in address order), never a directory lock
 * after a regular file's lock. */

/* ---- Inodes (fs/inode.c) ----------------------------------------------------------------- */

/* The in-memory inode for (sb, ino), read from disk on first use; a new reference. */
int vfs_iget(struct super_block *sb, uint64_t ino, struct inode **out);
/* A fresh inode for a file system creating a file (ino chosen by the caller); a reference. */
struct inode *vfs_inew(struct super_block *sb, uint64_t ino);
void vfs_igrab(struct inode *ino);
void vfs_iput(struct inode *ino);
/* Apply va's mode/uid/gid/atime/mtime to the in-memory inode and set ctime (va's, or now):
 * the part of setattr every file system shares; ATTR_SIZE is the file system's own. */
void vfs_setattr_copy(struct inode *ino, const struct vattr *va, struct timespec64 now);
/* Mark dirty metadata to be written (calls sb->ops->write_inode). */
int vfs_inode_write(struct inode *ino);

/* ---- Mounts and path walk (fs/namei.c, fs/mount.c) ------------------------------------- */

int vfs_register_fs(const struct file_system_type *type);
bool vfs_fs_registered(const char *name);
/* Mount a file system of type `fstype` on `target` (an existing directory, or "/" for the
 * first mount). dev may be NULL for virtual file systems. */
int vfs_mount(const char *fstype, struct blkdev *dev, const char *target, const char *opts);
/* Sync every mounted file system. */
int vfs_sync_all(void);

enum { LOOKUP_FOLLOW = 1, LOOKUP_DIRECTORY = 2, LOOKUP_PARENT = 4 };

/* Resolve path relative to `at` (a directory path; NULL = the root for absolute paths and the
 * current directory's caller-provided path otherwise). Handles ".", "..", mounts, symlinks
 * (SYMLOOP_MAX -> -ELOOP; the last component followed only with LOOKUP_FOLLOW), trailing
 * slashes (the result must then be a directory), -ENAMETOOLONG (component > NAME_MAX or path
 * >= PATH_MAX), -ENOTDIR, -ENOENT. *out holds references. */
int vfs_lookup(const struct path *root, const struct path *at, const char *path,
	       unsigned flags, struct path *out);
/* Like vfs_lookup(LOOKUP_PARENT): the parent directory and the last component (pointer into
 * path, length); "/" alone gives -EINVAL and a last component "." or ".." -EEXIST (the
 * namespace operations below map these to each call's own Linux error themselves). */
int vfs_lookup_parent(const struct path *root, const struct path *at, const char *path,
		      struct path *parent, const char **last, size_t *len);
void path_put(struct path *p);
void path_get(struct path *p);

/* The global root (the first vfs_mount on "/"): a reference, or -ENOENT before it exists. A
 * NULL root in any call below means this root. root and at arguments are borrowed. */
int vfs_root(struct path *out);
/* Mount on `target` resolved from (root, at); vfs_mount is this with the global root. */
int vfs_mount_at(const struct path *root, const struct path *at, const char *fstype,
		 struct blkdev *dev, const char *target, const char *opts);
/* A mount attached nowhere (Linux's kern_mount): its root directory is (*out, (*out)->sb->root);
 * tests build private trees on one. */
int vfs_kern_mount(const char *fstype, struct blkdev *dev, const char *opts, struct mount **out);
/* Call fn for each mount of the global tree in mount order, under the mount lock (fn must not
 * mount, unmount or touch user memory): /proc/mounts. */
void vfs_mounts_foreach(void (*fn)(const struct mount *m, void *ctx), void *ctx);
/* Detach and free a mount: -EBUSY while a path or a child mount refers to it. */
int vfs_umount(struct mount *m);
/* Register devfs and tmpfs (idempotent); fs/vfs_init.c. */
int vfs_init(void);
/* Register the built-in file systems, mount root_fstype from dev on "/", then devfs on /dev,
 * proc on /proc (when registered: the kernel's vfs_boot does) and tmpfs on /tmp, creating those directories if the root lacks them and is writable. 0, or
 * the first error (the root stays mounted if only a later step failed). */
int vfs_init_root(const char *root_fstype, struct blkdev *dev);
/* Boot: mount the root the command line names (root=vda, rootfstype=ext2 by default; a
 * tmpfs when there is no such device), then devfs and tmpfs (fs/vfs_init.c). */
int vfs_boot(const char *cmdline);

/* Permission checks. The caller's credentials come from vfs_current_cred (set by the
 * processes issue; NULL, the default, means root). Root may read and write anything but needs
 * one x bit to execute a non-directory, as on Linux. Writes to a regular file, directory or
 * symlink of a read-only file system give -EROFS. */
enum { MAY_EXEC = 1, MAY_WRITE = 2, MAY_READ = 4 };
struct vfs_cred {
	uint32_t uid, gid;       /* fsuid, fsgid */
	unsigned ngroups;
	const uint32_t *groups;  /* supplementary groups */
};
extern const struct vfs_cred *(*vfs_current_cred)(void);
int vfs_permission(struct inode *ino, int mask);
/* The same check for the given credentials (NULL: root), e.g. access(2)'s real ids. */
int vfs_permission_cred(struct inode *ino, int mask, const struct vfs_cred *c);

/* ---- Files (fs/file.c) -------------------------------------------------------------------- */

/* Open (with O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW, O_PATH semantics); *out is a
 * new struct file with one reference. O_CREAT's mode is used as given (umask applied by the
 * caller); O_CLOEXEC is the descriptor's business (fd_install), not the file's. */
int vfs_open(const struct path *root, const struct path *at, const char *path, unsigned flags,
	     uint32_t mode, struct file **out);
void file_get(struct file *f);
void file_put(struct file *f);
long vfs_read(struct file *f, struct uio *u);              /* at f->pos, advancing it */
long vfs_write(struct file *f, struct uio *u);             /* O_APPEND honoured */
long vfs_pread(struct file *f, struct uio *u, uint64_t pos);
long vfs_pwrite(struct file *f, struct uio *u, uint64_t pos);
int64_t vfs_lseek(struct file *f, int64_t off, int whence);  /* SEEK_SET/CUR/END/DATA/HOLE */

/* Namespace operations by path (the *at syscalls resolve `at` first). Modes are used as given:
 * the caller applies the process's umask. None of them follows a symlink in the last
 * component (link's oldpath included), as on Linux. They live in fs/namei.c with the walk. */
int vfs_mkdir(const struct path *root, const struct path *at, const char *path, uint32_t mode);
/* mknod: a regular file (type 0 or S_IFREG), FIFO, socket, or (root only, else -EPERM)
 * character or block device node with rdev; S_IFDIR -EPERM, any other type -EINVAL. */
int vfs_mknod(const struct path *root, const struct path *at, const char *path, uint32_t mode,
	      uint32_t rdev);
int vfs_unlink(const struct path *root, const struct path *at, const char *path);
int vfs_rmdir(const struct path *root, const struct path *at, const char *path);
int vfs_link(const struct path *root, const struct path *oldat, const char *oldpath,
	     const struct path *newat, const char *newpath);
/* link with the old file already resolved (linkat's AT_SYMLINK_FOLLOW and AT_EMPTY_PATH):
 * -ENOENT if it has no name left. */
int vfs_link_path(const struct path *root, const struct path *old, const struct path *newat,
		  const char *newpath);
int vfs_symlink(const struct path *root, const char *target, const struct path *at,
		const char *path);
int vfs_rename(const struct path *root, const struct path *oldat, const char *oldpath,
	       const struct path *newat, const char *newpath, unsigned flags);
long vfs_readlink(const struct path *root, const struct path *at, const char *path, char *buf,
		  size_t n);
int vfs_truncate(struct inode *ino, uint64_t size);
/* chmod, chown, utimensat: Linux's setattr_prepare rules (mode and times by the owner or
 * root, uid by root, gid by root or by the owner to one of its groups; -EPERM otherwise;
 * -EROFS), then ino->ops->setattr under the inode's lock. ATTR_SIZE goes to vfs_truncate. */
int vfs_setattr(struct inode *ino, const struct vattr *va);
/* getdents: entries from f->pos on, through fill; 0 or -errno (-ENOTDIR, -EBADF for O_PATH). */
int vfs_readdir(struct file *f, filldir_t fill, void *ctx);
/* The kernel's own readdir of a directory path from *pos (no permission check, no open file):
 * for getcwd's search of a parent for a child's name. 0 or -errno. */
int vfs_dir_iterate(const struct path *dir, uint64_t *pos, filldir_t fill, void *ctx);

/* Device numbers, Linux's encoding (new_encode_dev). */
#define MKDEV(ma, mi) ((((uint32_t)(ma) & 0xfff) << 8) | ((uint32_t)(mi) & 0xff) | \
		       (((uint32_t)(mi) & ~0xffu) << 12))
#define MAJOR(d) (((d) >> 8) & 0xfff)
#define MINOR(d) (((d) & 0xff) | (((d) >> 12) & 0xfff00))
/* Character devices by number: vfs_open gives an S_ISCHR inode whose file system set no fops
 * the registered ones (-ENXIO if none), so device nodes work on every file system. */
int vfs_register_chrdev(uint32_t rdev, const struct file_ops *fops);
const struct file_ops *vfs_chrdev_fops(uint32_t rdev);

/* ---- devfs and tmpfs (fs/devfs.c, fs/tmpfs.c) ------------------------------------------- */

extern const struct file_system_type devfs_fs_type, tmpfs_fs_type, procfs_fs_type;
/* Bytes from the kernel's PRNG (/dev/urandom, getrandom). NOT cryptographic: xoshiro256**
 * seeded from the cycle counter and the RTC. */
void devfs_random_bytes(void *buf, size_t n);

/* ---- Descriptor tables (fs/fdtable.c) ----------------------------------------------------- */

#define FD_CLOEXEC 1

struct fdtable {
	struct mutex lock;
	unsigned max;            /* RLIMIT_NOFILE: descriptors >= max are refused (EMFILE) */
	unsigned size;           /* entries allocated */
	struct file **files;
	uint8_t *flags;          /* FD_CLOEXEC per descriptor */
	int refs;                /* shared by CLONE_FILES threads */
};

struct fdtable *fdtable_new(unsigned max);
struct fdtable *fdtable_clone(struct fdtable *t);   /* fork: every file_get'd */
void fdtable_put(struct fdtable *t);                 /* last put closes everything */
void fdtable_get(struct fdtable *t);                 /* another CLONE_FILES sharer */
/* Install f at the lowest free descriptor >= min; the descriptor or -EMFILE. Takes over the
 * caller's reference on success. */
int fd_install(struct fdtable *t, struct file *f, unsigned min, unsigned fdflags);
/* The file at fd with a new reference, or NULL (EBADF). */
struct file *fd_get(struct fdtable *t, int fd);
int fd_close(struct fdtable *t, int fd);
/* dup3 semantics: newfd replaced atomically. */
int fd_dup_to(struct fdtable *t, int oldfd, int newfd, unsigned fdflags);
void fd_close_on_exec(struct fdtable *t);
/* F_GETFD / F_SETFD: the FD_CLOEXEC bits of fd, or -EBADF. */
int fd_get_flags(struct fdtable *t, int fd);
int fd_set_flags(struct fdtable *t, int fd, unsigned fdflags);

#endif
