// covers: FS-004 FS-010 FS-032 ABI-009
//
// stat/fstat results, access(), metadata changes and statfs, and the raw kernel struct stat
// layout of each port.
#define _GNU_SOURCE
#include "jtest.h"
#include "jsys.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

/* FS-004: stat and fstat. */
static void test_fs004(void)
{
	jt_mark();
	struct stat st, fst;
	JT_EQ(stat("/hello.txt", &st), 0);
	JT_OK(S_ISREG(st.st_mode), "S_ISREG(/hello.txt)");
	JT_EQ(st.st_size, 17);
	JT_EQ(st.st_nlink, 1);
	JT_OKV(st.st_blocks > 0, "st_blocks > 0", "%lld", (long long)st.st_blocks);
	JT_OKV(st.st_blksize > 0, "st_blksize > 0", "%ld", (long)st.st_blksize);
	JT_EQ(st.st_mode & 07777, 0644);
	JT_EQ(st.st_uid, 0);
	JT_EQ(st.st_gid, 0);
	JT_OK(st.st_ino != 0, "st_ino != 0");
	JT_EQV(st.st_ino, jt_dirent_ino("/", "hello.txt"));

	int fd = open("/hello.txt", O_RDONLY);
	JT_EQ(fstat(fd, &fst), 0);
	close(fd);
	JT_OK(S_ISREG(fst.st_mode), "fstat: S_ISREG");
	JT_EQ(fst.st_size, 17);
	JT_EQV(fst.st_ino, st.st_ino);
	JT_EQV(fst.st_dev, st.st_dev);
	JT_EQ(fst.st_nlink, 1);

	JT_EQ(stat("/lines.txt", &st), 0);
	JT_EQ(st.st_size, 111);
	JT_EQ(stat("/empty.txt", &st), 0);
	JT_EQ(st.st_size, 0);
	JT_EQ(stat("/test/nested.txt", &st), 0);
	JT_EQ(st.st_size, 20);
	JT_EQV(st.st_ino, jt_dirent_ino("/test", "nested.txt"));

	JT_EQ(stat("/test", &st), 0);
	JT_OK(S_ISDIR(st.st_mode), "S_ISDIR(/test)");
	JT_OKV(st.st_nlink >= 2, "/test st_nlink >= 2", "%ld", (long)st.st_nlink);
	JT_EQ(stat("/", &st), 0);
	JT_OK(S_ISDIR(st.st_mode), "S_ISDIR(/)");
	JT_OKV(st.st_nlink >= 2, "/ st_nlink >= 2", "%ld", (long)st.st_nlink);

	JT_EQ(stat("/dev/null", &st), 0);
	JT_OK(S_ISCHR(st.st_mode), "S_ISCHR(/dev/null)");
	JT_EQ(major(st.st_rdev), 1);
	JT_EQ(minor(st.st_rdev), 3);
	JT_ERRNO(stat("/nonexistent", &st), ENOENT);
	JT_ERRNO(fstat(999, &st), EBADF);
	jt_behaviour("FS-004", jt_failures_since_mark() == 0, "regular, directory and /dev/null");
}

/* FS-010: access() and faccessat(). */
static void test_fs010(void)
{
	jt_mark();
	JT_EQ(access("/hello.txt", F_OK), 0);
	JT_EQ(access("/hello.txt", R_OK), 0);
	JT_EQ(access("/hello.txt", R_OK | W_OK), 0); /* root */
	JT_ERRNO(access("/nonexistent", F_OK), ENOENT);
	JT_ERRNO(access("/nonexistent", R_OK), ENOENT);
	JT_EQ(access("/", F_OK), 0);
	JT_EQ(access("/bin/busybox", X_OK), 0);
	JT_EQ(access("/bin/hello", X_OK), 0);
	JT_ERRNO(access("/hello.txt", X_OK), EACCES);
	JT_ERRNO(access("/hello.txt/x", F_OK), ENOTDIR);

	JT_EQ(faccessat(AT_FDCWD, "/hello.txt", F_OK, 0), 0);
	JT_EQ(faccessat(AT_FDCWD, "/hello.txt", R_OK, 0), 0);
	JT_ERRNO(faccessat(AT_FDCWD, "/nonexistent", F_OK, 0), ENOENT);
	JT_EQ(faccessat(AT_FDCWD, "/", F_OK, 0), 0);
	JT_EQ(faccessat(AT_FDCWD, "/bin/busybox", X_OK, 0), 0);
	JT_ERRNO(faccessat(AT_FDCWD, "/hello.txt", X_OK, 0), EACCES);
	/* The raw syscall (faccessat, 3 arguments) too. */
	JT_EQ(syscall(SYS_faccessat, AT_FDCWD, "/hello.txt", R_OK), 0);
	JT_ERRNO(syscall(SYS_faccessat, AT_FDCWD, "/hello.txt", X_OK), EACCES);
	JT_ERRNO(syscall(SYS_faccessat, AT_FDCWD, "/nonexistent", F_OK), ENOENT);
	jt_behaviour("FS-010", jt_failures_since_mark() == 0,
		     "F_OK/R_OK/X_OK, ENOENT, EACCES for root");
}

/* ABI-009: the kernel's struct stat, read as bytes. The point descriptions are the same on
 * both ports (their output is compared); the layouts differ in these constants only. */
#if defined(__x86_64__)
#define K_STAT_SIZE 144
#define K_NR_FSTAT 5
#define K_NR_NEWFSTATAT 262
#define OFF_NLINK 16 /* 64-bit st_nlink before st_mode */
#define NLINK_BYTES 8
#define OFF_MODE 24
#define OFF_UID 28
#define OFF_GID 32
#define BLKSIZE_BYTES 8
#elif defined(__aarch64__)
#define K_STAT_SIZE 128
#define K_NR_FSTAT 80
#define K_NR_NEWFSTATAT 79
#define OFF_NLINK 20 /* st_mode, then a 32-bit st_nlink */
#define NLINK_BYTES 4
#define OFF_MODE 16
#define OFF_UID 24
#define OFF_GID 28
#define BLKSIZE_BYTES 4
#endif

static uint64_t rd64(const unsigned char *p, int off)
{
	uint64_t v;
	memcpy(&v, p + off, 8);
	return v;
}

static uint32_t rd32(const unsigned char *p, int off)
{
	uint32_t v;
	memcpy(&v, p + off, 4);
	return v;
}

/* A field of bytes 4 or 8 at off. */
static uint64_t field(const unsigned char *p, int off, int bytes)
{
	return bytes == 8 ? rd64(p, off) : rd32(p, off);
}

static void test_abi009(void)
{
	jt_mark();
	unsigned char a[512], b[512];
	memset(a, 0xAA, sizeof a);
	memset(b, 0x55, sizeof b);
	JT_OK(SYS_fstat == K_NR_FSTAT, "musl's SYS_fstat is the port's number");
	JT_OK(SYS_newfstatat == K_NR_NEWFSTATAT, "musl's SYS_newfstatat is the port's number");
	int fd = open("/hello.txt", O_RDONLY);
	JT_EQ(syscall(K_NR_FSTAT, fd, a), 0);
	JT_EQ(syscall(K_NR_NEWFSTATAT, fd, "", b, AT_EMPTY_PATH), 0);
	close(fd);

	bool tail_untouched = true;
	for (int i = K_STAT_SIZE; i < (int)sizeof a; i++)
		if (a[i] != 0xAA || b[i] != 0x55)
			tail_untouched = false;
	JT_OK(tail_untouched, "the kernel writes nothing past the port's struct stat");
	JT_OK(a[K_STAT_SIZE - 1] != 0xAA || a[K_STAT_SIZE - 2] != 0xAA ||
		      a[K_STAT_SIZE - 3] != 0xAA,
	      "the kernel writes up to the end of the port's struct stat");
	JT_EQ(rd64(a, 48), 17); /* st_size */

	struct stat st;
	JT_EQ(stat("/hello.txt", &st), 0);
	JT_EQV(rd64(a, 0), st.st_dev);
	JT_EQV(rd64(a, 8), st.st_ino);
	JT_EQ(field(a, OFF_NLINK, NLINK_BYTES), 1);
	JT_EQ(field(a, OFF_MODE, 4), S_IFREG | 0644);
	JT_EQ(field(a, OFF_UID, 4), 0);
	JT_EQ(field(a, OFF_GID, 4), 0);
	JT_EQ(field(a, 56, BLKSIZE_BYTES), st.st_blksize);
	JT_EQ(rd64(a, 64), st.st_blocks);
	JT_OK(memcmp(a, b, K_STAT_SIZE) == 0, "newfstatat(AT_EMPTY_PATH) gives the same bytes");
	JT_OK(sizeof(struct stat) == K_STAT_SIZE, "libc's struct stat has the kernel's size");
	jt_behaviour("ABI-009", jt_failures_since_mark() == 0, "%d-byte struct stat, st_size at 48",
		     K_STAT_SIZE);
}

static int mode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static void test_fs032(void)
{
	jt_mark();
	struct stat st;
	umask(022);
	int fd = open("/tmp/meta", O_RDWR | O_CREAT | O_TRUNC, 0644);
	JT_OK(fd >= 0, "create /tmp/meta");
	JT_EQ(mode_of("/tmp/meta"), 0644);

	/* chmod and fchmod */
	JT_EQ(chmod("/tmp/meta", 0600), 0);
	JT_EQ(mode_of("/tmp/meta"), 0600);
	JT_EQ(fchmod(fd, 0751), 0);
	JT_EQ(mode_of("/tmp/meta"), 0751);
	JT_EQ(fstat(fd, &st), 0);
	JT_OK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0751,
	      "fstat sees mode 0751 on a regular file");
	JT_EQ(chmod("/tmp/meta", 04755), 0);
	JT_EQ(mode_of("/tmp/meta"), 04755);
	JT_EQ(chmod("/tmp/meta", 0644), 0);
	JT_ERRNO(chmod("/tmp/missing", 0644), ENOENT);

	/* chown */
	JT_EQ(chown("/tmp/meta", 1000, 1000), 0);
	JT_EQ(stat("/tmp/meta", &st), 0);
	JT_EQ(st.st_uid, 1000);
	JT_EQ(st.st_gid, 1000);
	JT_EQ(fchown(fd, 0, 1000), 0);
	JT_EQ(fstat(fd, &st), 0);
	JT_EQ(st.st_uid, 0);
	JT_EQ(st.st_gid, 1000);
	JT_EQ(chown("/tmp/meta", (uid_t)-1, 0), 0); /* -1 leaves the owner */
	JT_EQ(stat("/tmp/meta", &st), 0);
	JT_EQ(st.st_uid, 0);
	JT_EQ(st.st_gid, 0);

	/* A write sets st_mtime to the current time. */
	struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
	JT_EQ(futimens(fd, old), 0);
	JT_EQ(fstat(fd, &st), 0);
	JT_EQ(st.st_mtim.tv_sec, 1000000000);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	JT_EQ(write(fd, "touch", 5), 5);
	JT_EQ(fstat(fd, &st), 0);
	long long d = (long long)st.st_mtim.tv_sec - (long long)now.tv_sec;
	JT_OKV(d >= -2 && d <= 2, "mtime after a write is now +-2 s", "off by %lld s", d);
	d = (long long)st.st_ctim.tv_sec - (long long)now.tv_sec;
	JT_OKV(d >= -2 && d <= 2, "ctime after a write is now +-2 s", "off by %lld s", d);
	close(fd);

	/* utimensat sets exact values. */
	struct timespec ts[2] = {{1234567890, 0}, {1111111111, 0}};
	JT_EQ(utimensat(AT_FDCWD, "/tmp/meta", ts, 0), 0);
	JT_EQ(stat("/tmp/meta", &st), 0);
	JT_EQ(st.st_atim.tv_sec, 1234567890);
	JT_EQ(st.st_mtim.tv_sec, 1111111111);
	/* UTIME_OMIT keeps one, UTIME_NOW sets the other to now. */
	struct timespec ts2[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
	clock_gettime(CLOCK_REALTIME, &now);
	JT_EQ(utimensat(AT_FDCWD, "/tmp/meta", ts2, 0), 0);
	JT_EQ(stat("/tmp/meta", &st), 0);
	JT_EQ(st.st_atim.tv_sec, 1234567890);
	d = (long long)st.st_mtim.tv_sec - (long long)now.tv_sec;
	JT_OKV(d >= -2 && d <= 2, "UTIME_NOW sets mtime to now", "off by %lld s", d);
	JT_ERRNO(utimensat(AT_FDCWD, "/tmp/missing", ts, 0), ENOENT);
	JT_EQ(unlink("/tmp/meta"), 0);

	/* statfs */
	struct statfs sf;
	JT_EQ(statfs("/", &sf), 0);
	JT_EQ(sf.f_type, 0xEF53);
	struct stat root;
	JT_EQ(stat("/", &root), 0);
	JT_EQ(sf.f_bsize, root.st_blksize);
	JT_OKV(sf.f_bsize == 1024 || sf.f_bsize == 2048 || sf.f_bsize == 4096,
	       "f_bsize is an ext2 block size", "%ld", (long)sf.f_bsize);
	JT_OKV(sf.f_blocks > sf.f_bfree && sf.f_bfree > 0, "f_blocks > f_bfree > 0", "%llu, %llu",
	       (unsigned long long)sf.f_blocks, (unsigned long long)sf.f_bfree);
	JT_OK(sf.f_bavail <= sf.f_bfree, "f_bavail <= f_bfree");
	JT_OK(sf.f_files > sf.f_ffree && sf.f_ffree > 0, "f_files > f_ffree > 0");
	int rfd = open("/hello.txt", O_RDONLY);
	struct statfs sf2;
	JT_EQ(fstatfs(rfd, &sf2), 0);
	close(rfd);
	JT_EQ(sf2.f_type, 0xEF53);
	JT_EQV(sf2.f_blocks, sf.f_blocks);
	JT_ERRNO(statfs("/missing", &sf), ENOENT);
	jt_behaviour("FS-032", jt_failures_since_mark() == 0,
		     "chmod, chown 1000:1000, mtime on write, utimensat, statfs ext2");
}

int main(void)
{
	test_fs004();
	test_fs010();
	test_fs032();
	test_abi009();
	return jt_done();
}
