/*
 * fs/procfs.h: what the files of the /proc file system share (fs/procfs.c: inodes, lookup,
 * directories, open files; fs/procfs_pid.c: the per-process files; fs/procfs_sys.c: the
 * system-wide files).
 *
 * Every /proc file's text is generated whole into a struct pbuf (a growing kernel buffer)
 * when the file is opened, and again whenever it is read from offset 0, so a reader sees
 * one consistent snapshot per pass, as Linux's seq_file gives. Generators never touch user
 * memory and take only the locks their data needs (proc_tree_lock, proc->lock, mm->lock).
 */
#ifndef FS_PROCFS_H
#define FS_PROCFS_H

#include <stddef.h>

#include "core/kprintf.h"
#include "fs/vfs.h"

struct proc;

struct pbuf {
	char *buf;
	size_t len, cap;
	int err; /* -ENOMEM once a grow failed: the generator's result is then that error */
};

void pb_printf(struct pbuf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
void pb_write(struct pbuf *b, const void *data, size_t n);

/* System-wide files (fs/procfs_sys.c); p is unused. */
int procfs_show_cpuinfo(struct proc *p, struct pbuf *b);
int procfs_show_janus(struct proc *p, struct pbuf *b);
int procfs_show_loadavg(struct proc *p, struct pbuf *b);
int procfs_show_meminfo(struct proc *p, struct pbuf *b);
int procfs_show_mounts(struct proc *p, struct pbuf *b);
int procfs_show_stat(struct proc *p, struct pbuf *b);
int procfs_show_uptime(struct proc *p, struct pbuf *b);
int procfs_show_version(struct proc *p, struct pbuf *b);

/* Per-process files (fs/procfs_pid.c) for p (a reference the caller holds). */
int procfs_show_pid_stat(struct proc *p, struct pbuf *b);
int procfs_show_pid_status(struct proc *p, struct pbuf *b);
int procfs_show_pid_cmdline(struct proc *p, struct pbuf *b);
int procfs_show_pid_comm(struct proc *p, struct pbuf *b);
int procfs_show_pid_maps(struct proc *p, struct pbuf *b);
/* Symlink targets into buf[n] (NUL-terminated): the length, or -errno. */
long procfs_link_cwd(struct proc *p, char *buf, size_t n);
long procfs_link_exe(struct proc *p, char *buf, size_t n);
long procfs_link_fd(struct proc *p, int fd, char *buf, size_t n);

/* The name of the file at path (as /proc/<pid>/fd/N shows it), NUL-terminated in buf[n]: its
 * length or -errno (-ENOENT when no name reaches it from the root). */
long procfs_path_name(const struct path *path, char *buf, size_t n);

/* A non-directory /proc inode's name below the mount's root ("/<pid>/stat"): length or -errno. */
#define PROC_SUPER_MAGIC 0x9fa0
long procfs_ino_name(const struct inode *ino, char *buf, size_t n);

/* Process times in USER_HZ (100 Hz) ticks, live threads plus exited ones. */
void procfs_proc_times(struct proc *p, uint64_t *utime, uint64_t *stime);

#endif
