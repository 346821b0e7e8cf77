// covers: ROBUST-009
//
// I/O under load: a 4 MiB file, written and synced, is read back from the disk (its cached
// blocks dropped first with posix_fadvise(POSIX_FADV_DONTNEED)) once alone and once while
// four CPU-bound processes run. Both reads return the right bytes, and the loaded read takes
// at most 5 times as long as the lone one: a reader that sleeps on the disk at every block is
// not starved by processes that use their whole time slice (core/sched.c: a thread that wakes
// with time left in its slice runs first). Linux (qemu-user) drops its page cache the same way.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE (4 << 20)
#define CHUNK 4096

static unsigned char buf[CHUNK];

static unsigned char byte_at(long off)
{
	return (unsigned char)(off ^ off >> 12);
}

static bool write_file(void)
{
	int fd = open("/tmp/ioload", O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0)
		return false;
	for (long off = 0; off < SIZE; off += CHUNK) {
		for (int i = 0; i < CHUNK; i++)
			buf[i] = byte_at(off + i);
		if (write(fd, buf, CHUNK) != CHUNK)
			return false;
	}
	return fsync(fd) == 0 && close(fd) == 0;
}

/* Drop the file's cached data, then read it all, checking every byte: the time in us, or -1. */
static long long cold_read(void)
{
	int fd = open("/tmp/ioload", O_RDONLY);
	if (fd < 0 || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0)
		return -1;
	long long t0 = jt_now_us();
	for (long off = 0; off < SIZE; off += CHUNK) {
		if (read(fd, buf, CHUNK) != CHUNK)
			return -1;
		for (int i = 0; i < CHUNK; i++)
			if (buf[i] != byte_at(off + i))
				return -1;
	}
	close(fd);
	return jt_now_us() - t0;
}

int main(void)
{
	jt_mark();
	JT_OK(write_file(), "write and sync a 4 MiB file");
	long long alone = cold_read();
	JT_OKV(alone > 0, "it reads back correctly from the disk", "%lld us alone", alone);
	pid_t kids[4];
	for (int i = 0; i < 4; i++)
		if ((kids[i] = fork()) == 0)
			for (volatile unsigned long n = 0;; n++)
				;
	long long loaded = cold_read();
	for (int i = 0; i < 4; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	JT_OKV(loaded > 0, "it reads back correctly beside four spinners", "%lld us loaded",
	       loaded);
	JT_OKV(loaded > 0 && loaded <= 5 * alone, "within 5 times the lone read's time",
	       "%.2f times", alone > 0 ? (double)loaded / (double)alone : 0.0);
	unlink("/tmp/ioload");
	jt_behaviour("ROBUST-009", jt_failures_since_mark() == 0,
		     "a 4 MiB disk read beside four spinners: correct, not starved");
	return jt_done();
}
