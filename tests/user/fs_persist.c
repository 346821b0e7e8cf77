// covers: FS-033 FS-017 FS-034
//
// Data persists across a reboot. tools/usertest boots this test twice on one disk copy
// ('reboot'): with JANUS_BOOT=1 it writes, with JANUS_BOOT=2 it checks. Boot 1 writes
//   /persist/synced   4000 bytes, mode 0640, owner 1000:1001, mtime 2000000000 s; fsync,
//                     fdatasync and sync all return 0;
//   /persist/clean    a file only the kernel's clean power-off writes back (no sync call);
//   /persist/large    8 MiB in 64 KiB chunks (FS-017's "after a reboot": reaches the
//                     double-indirect blocks), fsync'ed;
//   /persist/link     a symbolic link to "synced";
// and boot 2 finds every byte and the same size, mode, owner, mtime and link target. FS-034:
// tools/usertest runs e2fsck -fn on the disk after each boot (tests/user/fs_persist.checks
// names FS-034 for the check after boot 2; boot 1's is a point of its own).
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define SMALL 4000
#define CHUNK 65536
#define LARGE (8 << 20)
#define MTIME_S 2000000000
#define MTIME_NS 0 /* ext2 keeps whole seconds (Linux's ext2 too) */

static unsigned char buf[CHUNK];

/* The byte at offset off of file seed: a pattern no two offsets of a chunk share. */
static void fill(unsigned char *p, size_t n, uint64_t off, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t x = (off + i) * 2654435761u + seed;
		p[i] = (unsigned char)(x ^ (x >> 13) ^ ((off + i) >> 16));
	}
}

static bool write_file(const char *path, size_t size, unsigned seed, bool do_sync)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (!JT_OK(fd >= 0, "open %s: %s", path, fd < 0 ? jt_errname(errno) : "ok"))
		return false;
	bool ok = true;
	for (size_t off = 0; off < size && ok; off += CHUNK) {
		size_t n = size - off < CHUNK ? size - off : CHUNK;
		fill(buf, n, off, seed);
		ok = write(fd, buf, n) == (long)n;
	}
	JT_OK(ok, "wrote %zu bytes of %s", size, path);
	if (do_sync) {
		JT_EQ(fsync(fd), 0);
		JT_EQ(fdatasync(fd), 0);
	}
	JT_EQ(close(fd), 0);
	return ok;
}

static bool same_file(const char *path, size_t size, unsigned seed)
{
	static unsigned char want[CHUNK];
	int fd = open(path, O_RDONLY);
	if (!JT_OK(fd >= 0, "open %s: %s", path, fd < 0 ? jt_errname(errno) : "ok"))
		return false;
	size_t off = 0;
	bool ok = true;
	for (long r; ok && (r = read(fd, buf, CHUNK)) > 0; off += (size_t)r) {
		fill(want, (size_t)r, off, seed);
		ok = memcmp(buf, want, (size_t)r) == 0;
	}
	close(fd);
	return JT_OK(ok && off == size, "%s: %zu bytes read back identical (want %zu)", path,
		     off, size);
}

static int boot1(void)
{
	JT_EQ(mkdir("/persist", 0755), 0);
	write_file("/persist/synced", SMALL, 1, true);
	JT_EQ(chmod("/persist/synced", 0640), 0);
	JT_EQ(chown("/persist/synced", 1000, 1001), 0);
	struct timespec times[2] = {{MTIME_S, 0}, {MTIME_S, MTIME_NS}};
	JT_EQ(utimensat(AT_FDCWD, "/persist/synced", times, 0), 0);
	JT_EQ(symlink("synced", "/persist/link"), 0);
	write_file("/persist/large", LARGE, 3, true);
	int dir = open("/persist", O_RDONLY | O_DIRECTORY);
	JT_EQ(fsync(dir), 0);
	JT_EQ(syncfs(dir), 0);
	close(dir);
	sync();
	write_file("/persist/clean", SMALL, 2, false); /* the power-off writes it back */
	return jt_done();
}

static int boot2(void)
{
	jt_mark();
	struct stat st;
	JT_EQ(stat("/persist/synced", &st), 0);
	JT_EQ(st.st_size, SMALL);
	JT_EQ(st.st_mode, S_IFREG | 0640);
	JT_EQ(st.st_uid, 1000);
	JT_EQ(st.st_gid, 1001);
	JT_EQ(st.st_mtim.tv_sec, MTIME_S);
	JT_EQ(st.st_mtim.tv_nsec, MTIME_NS);
	same_file("/persist/synced", SMALL, 1);
	same_file("/persist/clean", SMALL, 2);
	char target[32] = {0};
	JT_EQ(readlink("/persist/link", target, sizeof target - 1), 6);
	JT_STREQ(target, "synced");
	jt_behaviour("FS-033", jt_failures_since_mark() == 0,
		     "fsync'ed and power-off-synced data and metadata back in boot 2");
	jt_mark();
	JT_EQ(stat("/persist/large", &st), 0);
	JT_EQ(st.st_size, LARGE);
	same_file("/persist/large", LARGE, 3);
	jt_behaviour("FS-017", jt_failures_since_mark() == 0,
		     "an 8 MiB file in 64 KiB chunks reads back the same after a reboot");
	return jt_done();
}

int main(void)
{
	const char *b = getenv("JANUS_BOOT");
	if (!b) {
		jt_diag("JANUS_BOOT is not set: this test runs under tools/usertest's 'reboot' mode");
		return 2;
	}
	return strcmp(b, "1") == 0 ? boot1() : boot2();
}
