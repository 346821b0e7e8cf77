/*
 * tests/host/test_ext2_host.c: the host side of the ext2 tests: the model directory and the
 * trees mke2fs copied, through libc. Kept apart from fs/vfs.h, whose S_IF*, DT_* and
 * RENAME_* names clash with libc's headers.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "test_ext2_host.h"

uint64_t time_realtime_ns(void);

/* The kernel gets this from core/time.c; weak so a shim may provide it. */
__attribute__((weak)) uint64_t time_realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void host_init(void)
{
	umask(0);
}

static uint32_t linux_dev(dev_t d)
{
	uint32_t ma = major(d), mi = minor(d);
	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
}

static dev_t host_dev(uint32_t rdev)
{
	return makedev((rdev >> 8) & 0xfff, (rdev & 0xff) | ((rdev >> 12) & 0xfff00));
}

int host_lstat(const char *path, struct hstat *out)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return -errno;
	*out = (struct hstat){st.st_mode, st.st_uid, st.st_gid, (uint32_t)st.st_nlink,
			      linux_dev(st.st_rdev), (uint64_t)st.st_size, st.st_mtim.tv_sec};
	return 0;
}

long host_list(const char *dirpath, char ***out)
{
	DIR *d = opendir(dirpath);
	if (!d)
		return -errno;
	long n = 0, cap = 16;
	char **v = malloc((size_t)cap * sizeof(*v));
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap)
			v = realloc(v, (size_t)(cap *= 2) * sizeof(*v));
		v[n++] = strdup(e->d_name);
	}
	closedir(d);
	*out = v;
	return n;
}

void host_free_list(char **names, long n)
{
	for (long i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

long host_pread(const char *path, void *buf, size_t n, uint64_t pos)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	ssize_t r = pread(fd, buf, n, (off_t)pos);
	long err = r < 0 ? -errno : r;
	close(fd);
	return err;
}

long host_pwrite(const char *path, const void *buf, size_t n, uint64_t pos)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ssize_t r = pwrite(fd, buf, n, (off_t)pos);
	long err = r < 0 ? -errno : r;
	close(fd);
	return err;
}

long host_readlink(const char *path, char *buf, size_t n)
{
	ssize_t r = readlink(path, buf, n);
	return r < 0 ? -errno : r;
}

#define RET(x) return (x) == 0 ? 0 : -errno

int host_create(const char *path, uint32_t mode, uint32_t rdev)
{
	RET(mknod(path, mode, host_dev(rdev)));
}

int host_mkdir(const char *path, uint32_t mode)
{
	RET(mkdir(path, mode));
}

int host_symlink(const char *target, const char *path)
{
	RET(symlink(target, path));
}

int host_link(const char *oldpath, const char *newpath)
{
	RET(link(oldpath, newpath));
}

int host_unlink(const char *path)
{
	RET(unlink(path));
}

int host_rmdir(const char *path)
{
	RET(rmdir(path));
}

int host_rename(const char *oldpath, const char *newpath)
{
	RET(rename(oldpath, newpath));
}

int host_truncate(const char *path, uint64_t size)
{
	RET(truncate(path, (off_t)size));
}

int host_chmod(const char *path, uint32_t mode)
{
	RET(chmod(path, mode));
}

void host_alarm(unsigned s)
{
	alarm(s);
}

uint64_t file_hash(const char *path)
{
	static unsigned char buf[1 << 16];
	uint64_t h = 1469598103934665603ull;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;)
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 1099511628211ull;
	close(fd);
	return h;
}

void *host_slurp(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	ssize_t n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		return NULL;
	}
	*len = (size_t)n;
	return buf;
}

int host_spill(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}
