/*
 * tests/ktest/test_storage.c: the ext2 root on virtio-blk, end to end through the VFS.
 *
 * The disk is tests/data/make_storage_image.py's image (the runner attaches a fresh copy and
 * says test.disk=rw). storage_root_read checks every file against the FNV-1a 64 sums the image
 * builder wrote into /checksums; storage_write_sync writes /written.txt and syncs;
 * storage_read_back (second boot of the same copy) reads it back. tests/storage/persist.py
 * runs them and checks the disk with e2fsck and debugfs in between. bench_seq_read prints the
 * cold and warm sequential read rate of /big.bin (bench/, not a pass/fail target).
 */
#include "core/bcache.h"
#include "core/cmdline.h"
#include "core/errno.h"
#include "core/kheap.h"
#include "core/ktest.h"
#include "core/string.h"
#include "core/time.h"
#include "fs/vfs.h"

#define CHUNK (64u * 1024)
#define WRITTEN_SIZE 12345u

static bool have_disk(void)
{
	char v[8];
	if (cmdline_get(kernel_boot_info()->cmdline, "test.disk", v, sizeof(v)) &&
	    strcmp(v, "rw") == 0)
		return true;
	ktest_skip("no storage disk attached (test.disk=rw)");
	return false;
}

/* Read a whole file in CHUNK pieces; its FNV-1a 64 in *hash unless hash is NULL (the
 * benchmark measures reading alone). -errno on failure. */
static int hash_file(const char *path, uint64_t *hash, uint64_t *bytes)
{
	struct file *f;
	int err = vfs_open(NULL, NULL, path, O_RDONLY, 0, &f);
	if (err)
		return err;
	uint8_t *buf = kmalloc(CHUNK);
	uint64_t h = 0xcbf29ce484222325ull, total = 0;
	long n;
	do {
		struct uio u = uio_kernel(buf, CHUNK);
		n = vfs_read(f, &u);
		for (long i = 0; hash && i < n; i++)
			h = (h ^ buf[i]) * 0x100000001b3ull;
		total += n > 0 ? (uint64_t)n : 0;
	} while (n > 0);
	kfree(buf);
	file_put(f);
	if (hash)
		*hash = h;
	*bytes = total;
	return n < 0 ? (int)n : 0;
}

static long read_small(const char *path, char *buf, size_t n)
{
	struct file *f;
	int err = vfs_open(NULL, NULL, path, O_RDONLY, 0, &f);
	if (err)
		return err;
	struct uio u = uio_kernel(buf, n - 1);
	long got = vfs_read(f, &u);
	file_put(f);
	if (got >= 0)
		buf[got] = '\0';
	return got;
}

/* Each "<16 hex digits> <path>" line of /checksums. */
static void check_sums(const char *sums)
{
	for (const char *p = sums; *p;) {
		uint64_t want = 0, got, bytes;
		for (int i = 0; i < 16; i++, p++)
			want = want << 4 | (uint64_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
		char path[64];
		unsigned n = 0;
		for (p++; *p && *p != '\n' && n < sizeof(path) - 1; p++)
			path[n++] = *p;
		path[n] = '\0';
		p += *p == '\n';
		int err = hash_file(path, &got, &bytes);
		KT_EXPECT_EQ(err, 0);
		if (got != want)
			ktest_fail(__FILE__, __LINE__, "%s: fnv1a64 %016llx, image says %016llx", path,
				   (unsigned long long)got, (unsigned long long)want);
	}
}

KTEST(storage_root_read)
{
	static char sums[512], buf[64];
	if (!have_disk())
		return;
	KT_EXPECT(read_small("/checksums", sums, sizeof(sums)) > 0);
	check_sums(sums);
	KT_EXPECT_EQ(read_small("/hello.txt", buf, sizeof(buf)), 17);
	KT_EXPECT_STREQ(buf, "Hello from ext2!\n");
	KT_EXPECT_EQ(read_small("/link", buf, sizeof(buf)), 17); /* through the symlink */
	KT_EXPECT_EQ(read_small("/dir/nested.txt/x", buf, sizeof(buf)), -ENOTDIR);
}

/* The bytes storage_write_sync writes; tests/storage/persist.py computes the same. */
static uint8_t written_byte(unsigned i)
{
	return (uint8_t)('a' + (i * 7 + i / 251) % 26);
}

KTEST(storage_write_sync)
{
	struct file *f;
	if (!have_disk())
		return;
	uint8_t *buf = kmalloc(WRITTEN_SIZE);
	for (unsigned i = 0; i < WRITTEN_SIZE; i++)
		buf[i] = written_byte(i);
	KT_EXPECT_EQ(vfs_open(NULL, NULL, "/written.txt", O_WRONLY | O_CREAT | O_EXCL, 0644, &f),
		     0);
	struct uio u = uio_kernel(buf, WRITTEN_SIZE);
	KT_EXPECT_EQ(vfs_write(f, &u), WRITTEN_SIZE);
	file_put(f);
	KT_EXPECT_EQ(vfs_sync_all(), 0);
	kfree(buf);
}

KTEST_MANUAL_ONLY(storage_read_back)
{
	struct file *f;
	uint8_t *buf = kmalloc(WRITTEN_SIZE + 1);
	KT_EXPECT_EQ(vfs_open(NULL, NULL, "/written.txt", O_RDONLY, 0, &f), 0);
	struct uio u = uio_kernel(buf, WRITTEN_SIZE + 1);
	KT_EXPECT_EQ(vfs_read(f, &u), WRITTEN_SIZE);
	unsigned bad = 0;
	for (unsigned i = 0; i < WRITTEN_SIZE; i++)
		bad += buf[i] != written_byte(i);
	KT_EXPECT_EQ(bad, 0);
	file_put(f);
	kfree(buf);
}

/* Read /big.bin once (cold: nothing of it cached since boot) and again (warm). */
KTEST_MANUAL_ONLY(bench_seq_read)
{
	uint64_t h, bytes, cold = 0, warm = 0;
	uint64_t t0 = time_ns();
	KT_EXPECT_EQ(hash_file("/big.bin", NULL, &cold), 0);
	uint64_t t1 = time_ns();
	KT_EXPECT_EQ(hash_file("/big.bin", NULL, &warm), 0);
	uint64_t t2 = time_ns();
	KT_EXPECT_EQ(cold, 32u << 20);
	KT_EXPECT_EQ(warm, cold);
	KT_EXPECT_EQ(hash_file("/big.bin", &h, &bytes), 0); /* and the bytes were right */
	KT_EXPECT_EQ(h, 0x554dab11d4c8cbdbull);
	uint64_t mib = cold >> 20;
	kprintf("BENCH seq_read_cold %llu MiB/s (%llu MiB in %llu ms)\n",
		(unsigned long long)(mib * NSEC_PER_SEC / (t1 - t0)), (unsigned long long)mib,
		(unsigned long long)((t1 - t0) / 1000000));
	kprintf("BENCH seq_read_warm %llu MiB/s (%llu MiB in %llu ms)\n",
		(unsigned long long)(mib * NSEC_PER_SEC / (t2 - t1)), (unsigned long long)mib,
		(unsigned long long)((t2 - t1) / 1000000));
}
