// covers: FS-017
//
// A very large file: 8 MiB written in 64 KiB chunks, which on ext2 takes the file through its
// direct, single-indirect and double-indirect blocks (with 1 KiB blocks the double-indirect
// ones start at 268 KiB, with 4 KiB blocks at 4 MiB + 48 KiB), reads back after reopening
// with the same checksum, in 64 KiB chunks and with reads that cross chunk boundaries.
//
// "After a reboot" is the runner's part (tools/usertest boots the disk again): with the
// argument "keep" the test leaves the file at PATH, and with "verify" it only reads the file
// left there and checks its checksum. Without arguments it writes, verifies and removes it.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH "/tmp/fs_large.bin"
#define CHUNK (64 * 1024)
#define SIZE (8L * 1024 * 1024)

static unsigned char buf[CHUNK];

/* Byte i of the file: a pattern that differs in every block and every chunk. */
static unsigned char pattern(long i)
{
	uint32_t x = (uint32_t)i * 2654435761u;
	return (unsigned char)(x >> 24 ^ (uint32_t)(i >> 16));
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

#define FNV0 14695981039346656037ull

/* Write the file in 64 KiB chunks; the checksum of what was written, 0 on error. */
static uint64_t write_file(void)
{
	int fd = open(PATH, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	JT_OK(fd >= 0, "create " PATH);
	if (fd < 0)
		return 0;
	uint64_t h = FNV0;
	bool full = true;
	for (long off = 0; off < SIZE; off += CHUNK) {
		for (int i = 0; i < CHUNK; i++)
			buf[i] = pattern(off + i);
		h = fnv(h, buf, CHUNK);
		full = full && write(fd, buf, CHUNK) == CHUNK;
	}
	JT_OK(full, "128 writes of 64 KiB, each complete");
	JT_EQ(close(fd), 0);
	return h;
}

/* Read the file with reads of n bytes; its checksum, and whether the bytes are the pattern. */
static uint64_t read_file(size_t n, bool *right)
{
	int fd = open(PATH, O_RDONLY);
	JT_OK(fd >= 0, "reopen " PATH);
	*right = false;
	if (fd < 0)
		return 0;
	uint64_t h = FNV0;
	long off = 0;
	bool ok = true;
	ssize_t r;
	while ((r = read(fd, buf, n)) > 0) {
		for (ssize_t i = 0; i < r; i++)
			ok = ok && buf[i] == pattern(off + i);
		h = fnv(h, buf, (size_t)r);
		off += r;
	}
	JT_EQ(r, 0);
	JT_EQ(off, SIZE);
	close(fd);
	*right = ok && off == SIZE;
	return h;
}

static uint64_t expected_sum(void)
{
	uint64_t h = FNV0;
	for (long off = 0; off < SIZE; off += CHUNK) {
		for (int i = 0; i < CHUNK; i++)
			buf[i] = pattern(off + i);
		h = fnv(h, buf, CHUNK);
	}
	return h;
}

static void verify(void)
{
	struct stat st;
	JT_EQ(stat(PATH, &st), 0);
	JT_EQ(st.st_size, SIZE);
	JT_OKV((long)st.st_blocks * 512 >= SIZE, "st_blocks covers 8 MiB", "st_blocks %ld",
	       (long)st.st_blocks);
	uint64_t want = expected_sum();
	bool right;
	uint64_t h = read_file(CHUNK, &right);
	JT_OK(right, "every byte read back in 64 KiB chunks is the pattern");
	JT_OKV(h == want, "the checksum matches (64 KiB reads)", "%#llx vs %#llx",
	       (unsigned long long)h, (unsigned long long)want);
	h = read_file(CHUNK - 1000, &right);
	JT_OK(right && h == want, "the checksum matches (reads crossing chunk boundaries)");
	/* Spot reads deep in the double-indirect range. */
	int fd = open(PATH, O_RDONLY);
	unsigned char b[16];
	JT_EQ(pread(fd, b, sizeof b, SIZE - 16), 16);
	bool tail = true;
	for (int i = 0; i < 16; i++)
		tail = tail && b[i] == pattern(SIZE - 16 + i);
	JT_OK(tail, "the last 16 bytes");
	JT_EQ(pread(fd, b, sizeof b, SIZE), 0);
	close(fd);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	jt_mark();
	if (strcmp(mode, "verify") != 0) {
		uint64_t h = write_file();
		JT_OK(h == expected_sum(), "the written data has the expected checksum");
	}
	verify();
	if (strcmp(mode, "keep") != 0 && strcmp(mode, "verify") != 0)
		JT_EQ(unlink(PATH), 0);
	jt_behaviour("FS-017", jt_failures_since_mark() == 0,
		     "8 MiB in 64 KiB chunks reads back with the same checksum after reopening");
	return jt_done();
}
