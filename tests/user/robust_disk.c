// covers: ROBUST-004
//
// A full disk. Creating files until the inodes run out gives ENOSPC (the files live in
// subdirectories of 128, so no directory grows long); deleting them brings statfs's free
// inode and block counts back. Writing a file in 64 KiB chunks until the blocks run out gives
// a short count (or, if the last chunk fit exactly, none) and then ENOSPC; every byte the
// writes reported is in the file, and deleting it brings the counts back. The runner's
// e2fsck point checks the image afterwards. Needs the Janus kernel: on Linux the scratch tree
// is on the host's file system, which this must not fill.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define PER_DIR 128
#define CHUNK 65536

static struct statfs counts(void)
{
	struct statfs sf;
	memset(&sf, 0, sizeof sf);
	statfs("/tmp", &sf);
	return sf;
}

/* Create empty files until creation fails; returns how many, *err the failing errno. */
static long fill_inodes(int *err, long *dirs)
{
	char path[64];
	long n = 0;
	*err = 0;
	for (*dirs = 0; !*err; (*dirs)++) {
		snprintf(path, sizeof path, "/tmp/inodes/d%ld", *dirs);
		if (mkdir(path, 0755) != 0) {
			*err = errno;
			break;
		}
		for (int i = 0; i < PER_DIR; i++, n++) {
			snprintf(path, sizeof path, "/tmp/inodes/d%ld/f%d", *dirs, i);
			int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
			if (fd < 0) {
				*err = errno;
				break;
			}
			close(fd);
		}
	}
	return n;
}

/* Remove what fill_inodes made: true if every unlink and rmdir succeeded. */
static bool remove_inodes(long dirs)
{
	char path[64];
	bool ok = true;
	for (long d = 0; d < dirs; d++) {
		for (int i = 0; i < PER_DIR; i++) {
			snprintf(path, sizeof path, "/tmp/inodes/d%ld/f%d", d, i);
			if (unlink(path) != 0 && errno != ENOENT)
				ok = false;
		}
		snprintf(path, sizeof path, "/tmp/inodes/d%ld", d);
		if (rmdir(path) != 0 && errno != ENOENT)
			ok = false;
	}
	return rmdir("/tmp/inodes") == 0 && ok;
}

static void test_inodes(const struct statfs *start)
{
	JT_EQ(mkdir("/tmp/inodes", 0755), 0);
	int err;
	long dirs;
	long n = fill_inodes(&err, &dirs);
	JT_OKV(err == ENOSPC, "creating files until the inodes run out ends in ENOSPC",
	       "%ld files in %ld directories, errno %s", n, dirs, jt_errname(err));
	JT_EQ(counts().f_ffree, 0);
	JT_OK(remove_inodes(dirs), "every file and directory deleted");
	struct statfs end = counts();
	JT_OKV(end.f_ffree == start->f_ffree && end.f_bfree == start->f_bfree,
	       "free inodes and blocks back where they were", "inodes %llu/%llu blocks %llu/%llu",
	       (unsigned long long)end.f_ffree, (unsigned long long)start->f_ffree,
	       (unsigned long long)end.f_bfree, (unsigned long long)start->f_bfree);
}

/* The byte at offset off of the fill file. */
static unsigned char pattern(long long off)
{
	return (unsigned char)(off * 7 + off / 4096);
}

static void fill_chunk(unsigned char *buf, long long off)
{
	for (int i = 0; i < CHUNK; i++)
		buf[i] = pattern(off + i);
}

/* Write until the disk is full: the total written, with the shape of the end. */
static long long fill_blocks(int fd, bool *short_seen, int *err)
{
	static unsigned char buf[CHUNK];
	long long total = 0;
	*short_seen = false;
	for (;;) {
		fill_chunk(buf, total);
		ssize_t w = write(fd, buf, CHUNK);
		if (w < 0) {
			*err = errno;
			return total;
		}
		total += w;
		if (w < CHUNK)
			*short_seen = true;
		if (*short_seen && w == CHUNK) {
			*err = 0; /* a full write after a short one: wrong */
			return total;
		}
	}
}

static bool check_file(int fd, long long total)
{
	static unsigned char buf[CHUNK], want[CHUNK];
	for (long long off = 0; off < total; off += CHUNK) {
		size_t len = total - off < CHUNK ? (size_t)(total - off) : CHUNK;
		if (pread(fd, buf, len, off) != (ssize_t)len)
			return false;
		fill_chunk(want, off);
		if (memcmp(buf, want, len) != 0)
			return false;
	}
	return true;
}

static void test_blocks(const struct statfs *start)
{
	int fd = open("/tmp/fill", O_CREAT | O_TRUNC | O_RDWR, 0644);
	JT_OK(fd >= 0, "create /tmp/fill");
	bool short_seen;
	int err = 0;
	long long total = fill_blocks(fd, &short_seen, &err);
	JT_OKV(err == ENOSPC, "writing until the disk is full ends in ENOSPC",
	       "%lld bytes, a short write %s, errno %s", total, short_seen ? "seen" : "not seen",
	       jt_errname(err));
	JT_OKV(total > 40LL << 20, "most of the free space was written", "%lld bytes", total);
	JT_ERRNO(write(fd, "x", 1), ENOSPC);
	struct stat st;
	JT_EQ(fstat(fd, &st), 0);
	JT_OKV(st.st_size == total, "the file holds every byte the writes reported",
	       "st_size %lld, written %lld", (long long)st.st_size, total);
	JT_EQ(fsync(fd), 0);
	JT_OK(check_file(fd, total), "every byte reads back as written");
	close(fd);
	JT_EQ(unlink("/tmp/fill"), 0);
	struct statfs end = counts();
	JT_OKV(end.f_bfree == start->f_bfree && end.f_ffree == start->f_ffree,
	       "free blocks and inodes back where they were", "blocks %llu/%llu inodes %llu/%llu",
	       (unsigned long long)end.f_bfree, (unsigned long long)start->f_bfree,
	       (unsigned long long)end.f_ffree, (unsigned long long)start->f_ffree);
}

int main(void)
{
	jt_mark();
	struct statfs start = counts();
	JT_OK(start.f_bfree > 0 && start.f_ffree > 0, "statfs(/tmp) gives free counts");
	test_inodes(&start);
	test_blocks(&start);
	jt_behaviour("ROBUST-004", jt_failures_since_mark() == 0,
		     "ENOSPC for inodes and blocks, no data lost, counts restored");
	return jt_done();
}
