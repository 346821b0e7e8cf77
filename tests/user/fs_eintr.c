// covers: FS-035
//
// Regular-file reads are not interrupted by signals. Two 1 MiB files (made here) are read in
// 4 KiB chunks, four times over, while children (forked after the first 64 reads) exit at
// staggered moments: first with SIGCHLD
// at its default (ignored), then with a SIGCHLD handler installed without SA_RESTART (so a
// read the kernel let a signal interrupt would show as EINTR or a short count). Every read
// must return the full chunk with the right bytes.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 4096
#define SIZE (1024 * 1024)
#define NKIDS 6

static const char *const files[2] = {"/tmp/eintr_a.bin", "/tmp/eintr_b.bin"};
static volatile int chld_count;

static unsigned char pattern(int file, long i)
{
	return (unsigned char)((i * 7 + (i >> 12) * 13 + file * 101) & 0xff);
}

static bool make_file(int k)
{
	static unsigned char b[CHUNK];
	int fd = open(files[k], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return false;
	bool ok = true;
	for (long off = 0; off < SIZE; off += CHUNK) {
		for (int i = 0; i < CHUNK; i++)
			b[i] = pattern(k, off + i);
		ok = ok && write(fd, b, CHUNK) == CHUNK;
	}
	return close(fd) == 0 && ok;
}

static void on_chld(int sig)
{
	(void)sig;
	chld_count++;
}

/* Children that sleep i * 2 ms and exit, so their SIGCHLDs land while we read. */
static void spawn(pid_t *kids)
{
	for (int i = 0; i < NKIDS; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			struct timespec ts = {0, i * 2000000L};
			nanosleep(&ts, NULL);
			_exit(0);
		}
	}
}

/* Read both files 4 times in 4 KiB chunks, spawning the children after the first 64 reads;
 * counts of short reads, EINTRs, wrong bytes. */
static void read_all(pid_t *kids, long *bad_len, long *eintr, long *bad_data, long *reads)
{
	static unsigned char b[CHUNK];
	for (int round = 0; round < 4; round++)
		for (int k = 0; k < 2; k++) {
			int fd = open(files[k], O_RDONLY);
			if (fd < 0) {
				(*bad_len)++;
				continue;
			}
			for (long off = 0; off < SIZE; off += CHUNK) {
				if (*reads == 64)
					spawn(kids);
				ssize_t r = read(fd, b, CHUNK);
				(*reads)++;
				if (r < 0 && errno == EINTR) {
					(*eintr)++;
					lseek(fd, off + CHUNK, SEEK_SET);
					continue;
				}
				if (r != CHUNK) {
					(*bad_len)++;
					break;
				}
				for (int i = 0; i < CHUNK; i++)
					if (b[i] != pattern(k, off + i)) {
						(*bad_data)++;
						break;
					}
			}
			close(fd);
		}
}

static void phase(const char *name, bool handler)
{
	struct sigaction sa = {0};
	sa.sa_handler = handler ? on_chld : SIG_DFL;
	sa.sa_flags = 0; /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	chld_count = 0;
	pid_t kids[NKIDS];
	for (int i = 0; i < NKIDS; i++)
		kids[i] = -1; /* set by spawn, unless no read got that far */
	long bad_len = 0, eintr = 0, bad_data = 0, reads = 0;
	read_all(kids, &bad_len, &eintr, &bad_data, &reads);
	int during = chld_count;
	int reaped = 0;
	for (int i = 0; i < NKIDS; i++) {
		int st;
		pid_t r;
		if (kids[i] <= 0)
			continue;
		while ((r = waitpid(kids[i], &st, 0)) < 0 && errno == EINTR)
			;
		reaped += r == kids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	JT_EQ(reaped, NKIDS);
	JT_OKV(reads == 2048, "2048 reads of 4 KiB", "%s: %ld reads", name, reads);
	JT_OKV(eintr == 0, "no read failed with EINTR", "%s: %ld EINTR", name, eintr);
	JT_OKV(bad_len == 0, "every read returned the full chunk", "%s: %ld short", name, bad_len);
	JT_OKV(bad_data == 0, "every chunk holds the right bytes", "%s: %ld wrong", name, bad_data);
	if (handler)
		JT_OKV(during >= 1, "the SIGCHLD handler ran while the files were read",
		       "%d SIGCHLDs handled during the reads, %d in all", during, chld_count);
}

int main(void)
{
	jt_mark();
	JT_OK(make_file(0) && make_file(1), "make two 1 MiB files");
	phase("SIGCHLD default", false);
	phase("SIGCHLD handled", true);
	unlink(files[0]);
	unlink(files[1]);
	jt_behaviour("FS-035", jt_failures_since_mark() == 0,
		     "file reads with exiting children: full chunks, no EINTR, data right");
	return jt_done();
}
