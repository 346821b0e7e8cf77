// covers: DEV-001 DEV-002 DEV-005 DEV-006
//
// The memory-like devices (/dev/null, zero, full, random, urandom), getrandom, and the device
// nodes in /dev: listed by getdents64, character devices with Linux's numbers.
#define _GNU_SOURCE
#include "jtest.h"
#include "jsys.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static bool all_byte(const unsigned char *b, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

/* DEV-001: /dev/null */
static void test_dev001(void)
{
	jt_mark();
	char b[64];
	int fd = open("/dev/null", O_WRONLY);
	JT_OK(fd >= 0, "open /dev/null O_WRONLY");
	JT_EQ(write(fd, "twenty-four bytes here!\n", 24), 24);
	JT_EQ(write(fd, b, 0), 0);
	close(fd);
	fd = open("/dev/null", O_RDWR);
	JT_OK(fd >= 0, "open /dev/null O_RDWR");
	JT_EQ(read(fd, b, sizeof b), 0);
	JT_EQ(write(fd, b, sizeof b), (long)sizeof b);
	JT_EQ(read(fd, b, sizeof b), 0);
	close(fd);
	jt_behaviour("DEV-001", jt_failures_since_mark() == 0,
		     "writes return their count, reads 0");
}

/* DEV-002: /dev/zero and /dev/full */
static void test_dev002(void)
{
	jt_mark();
	unsigned char b[8192];
	memset(b, 0xFF, sizeof b);
	int fd = open("/dev/zero", O_RDWR);
	JT_OK(fd >= 0, "open /dev/zero");
	JT_EQ(read(fd, b, 32), 32);
	JT_OK(all_byte(b, 32, 0), "32 zero bytes");
	JT_OK(all_byte(b + 32, sizeof b - 32, 0xFF), "nothing past the count");
	memset(b, 0xFF, sizeof b);
	JT_EQ(read(fd, b, sizeof b), (long)sizeof b);
	JT_OK(all_byte(b, sizeof b, 0), "8 KiB of zeros");
	JT_EQ(write(fd, "discarded", 9), 9);
	memset(b, 0xFF, 16);
	JT_EQ(read(fd, b, 16), 16);
	JT_OK(all_byte(b, 16, 0), "still zeros after a write");
	close(fd);

	fd = open("/dev/full", O_RDWR);
	JT_OK(fd >= 0, "open /dev/full");
	JT_ERRNO(write(fd, "x", 1), ENOSPC);
	JT_ERRNO(write(fd, b, sizeof b), ENOSPC);
	memset(b, 0xFF, 64);
	JT_EQ(read(fd, b, 64), 64);
	JT_OK(all_byte(b, 64, 0), "/dev/full reads zeros");
	close(fd);
	jt_behaviour("DEV-002", jt_failures_since_mark() == 0,
		     "/dev/zero reads zeros, /dev/full ENOSPC");
}

static const struct {
	const char *name;
	unsigned maj, min;
} devs[] = {
	{"null", 1, 3},	   {"zero", 1, 5}, {"full", 1, 7},    {"random", 1, 8},
	{"urandom", 1, 9}, {"tty", 5, 0},  {"console", 5, 1},
};
enum { NDEV = sizeof devs / sizeof devs[0] };

/* DEV-005: the nodes in /dev. */
static void test_dev005(void)
{
	int seen[NDEV] = {0};
	jt_mark();
	int fd = open("/dev", O_RDONLY | O_DIRECTORY);
	JT_OK(fd >= 0, "open /dev");
	char buf[2048];
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
		if (n <= 0) {
			JT_EQ(n, 0);
			break;
		}
		for (long off = 0; off < n;) {
			struct kdirent64 *d = (struct kdirent64 *)(buf + off);
			for (int i = 0; i < NDEV; i++)
				if (strcmp(d->d_name, devs[i].name) == 0)
					seen[i]++;
			off += d->d_reclen;
		}
	}
	close(fd);
	for (int i = 0; i < NDEV; i++) {
		char path[32] = "/dev/";
		strcat(path, devs[i].name);
		JT_OK(seen[i] == 1, "%s listed once (%d)", path, seen[i]);
		struct stat st;
		int r = stat(path, &st);
		JT_OK(r == 0 && S_ISCHR(st.st_mode), "%s is a character device", path);
		JT_OK(r == 0 && major(st.st_rdev) == devs[i].maj &&
			      minor(st.st_rdev) == devs[i].min,
		      "%s is %u:%u (got %u:%u)", path, devs[i].maj, devs[i].min,
		      r == 0 ? major(st.st_rdev) : 0, r == 0 ? minor(st.st_rdev) : 0);
	}
	jt_behaviour("DEV-005", jt_failures_since_mark() == 0,
		     "null zero full random urandom tty console");
}

/* DEV-006: randomness. */
static void test_dev006(void)
{
	jt_mark();
	unsigned char a[16], b[16], z[16];
	memset(z, 0, sizeof z);
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	JT_EQ(getrandom(a, 16, 0), 16);
	JT_EQ(getrandom(b, 16, 0), 16);
	JT_OK(memcmp(a, z, 16) != 0, "getrandom: not all zero");
	JT_OK(memcmp(a, b, 16) != 0, "getrandom: differs between calls");
	memset(a, 0, sizeof a);
	JT_EQ(syscall(SYS_getrandom, a, 16, GRND_NONBLOCK), 16);
	JT_OK(memcmp(a, z, 16) != 0, "GRND_NONBLOCK gives bytes");
	JT_ERRNO(syscall(SYS_getrandom, a, 16, 0x1000), EINVAL);

	int fd = open("/dev/urandom", O_RDONLY);
	JT_OK(fd >= 0, "open /dev/urandom");
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	JT_EQ(read(fd, a, 16), 16);
	JT_EQ(read(fd, b, 16), 16);
	JT_OK(memcmp(a, z, 16) != 0, "/dev/urandom: not all zero");
	JT_OK(memcmp(a, b, 16) != 0, "/dev/urandom: differs between reads");
	close(fd);
	fd = open("/dev/random", O_RDONLY);
	JT_OK(fd >= 0, "open /dev/random");
	memset(a, 0, sizeof a);
	JT_EQ(read(fd, a, 16), 16);
	JT_OK(memcmp(a, z, 16) != 0, "/dev/random: not all zero");
	close(fd);
	jt_behaviour("DEV-006", jt_failures_since_mark() == 0,
		     "getrandom and /dev/urandom give fresh bytes");
}

int main(void)
{
	test_dev001();
	test_dev002();
	test_dev005();
	test_dev006();
	return jt_done();
}
