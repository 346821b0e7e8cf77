/*
 * tests/host/test_ext2_host.h: the host side of the ext2 tests (test_ext2_host.c), which
 * cannot include fs/vfs.h: its S_IF*, DT_* and RENAME_* names clash with libc's headers.
 */
#ifndef TESTS_HOST_TEST_EXT2_HOST_H
#define TESTS_HOST_TEST_EXT2_HOST_H

#include <stddef.h>
#include <stdint.h>

/* Paths are host paths; errors are -errno. */

struct hstat {
	uint32_t mode, uid, gid, nlink, rdev; /* rdev in Linux's encoding, like struct inode */
	uint64_t size;
	int64_t mtime;
};
void host_init(void); /* umask 0, so modes are what the tests say */
int host_lstat(const char *path, struct hstat *st);
long host_list(const char *dir, char ***names); /* names except . and .., malloc'd */
void host_free_list(char **names, long n);
long host_pread(const char *path, void *buf, size_t n, uint64_t pos);
long host_pwrite(const char *path, const void *buf, size_t n, uint64_t pos);
long host_readlink(const char *path, char *buf, size_t n);
int host_create(const char *path, uint32_t mode, uint32_t rdev);
int host_mkdir(const char *path, uint32_t mode);
int host_symlink(const char *target, const char *path);
int host_link(const char *oldpath, const char *newpath);
int host_unlink(const char *path);
int host_rmdir(const char *path);
int host_rename(const char *oldpath, const char *newpath);
int host_truncate(const char *path, uint64_t size);
int host_chmod(const char *path, uint32_t mode);
/* Kill the process with SIGALRM after s seconds (0: cancel): a hang fails the test. */
void host_alarm(unsigned s);
/* A cheap hash of a whole file (to show that a read-only mount wrote nothing). */
uint64_t file_hash(const char *path);
/* Read a whole file into a malloc'd buffer; NULL on error. */
void *host_slurp(const char *path, size_t *len);
int host_spill(const char *path, const void *buf, size_t len);

#endif
