// covers: PIPE-007 PIPE-008 PIPE-009 PIPE-010 PIPE-013 PIPE-014
//
// Pipes between processes: EOF across fork, blocking, atomic concurrent writes, capacity,
// a 1 MiB transfer, shell-style wiring (including an exec'd /bin/cat), and named pipes.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* PIPE-007: a pipe across fork. The child's exit code says which check failed. */
static void test_pipe007(void)
{
	jt_mark();
	int p[2];
	JT_EQ(pipe(p), 0);
	int go[2];
	JT_EQ(pipe(go), 0);
	pid_t c = fork();
	if (c == 0) {
		char b[64] = {0}, x;
		close(go[1]);
		/* Keep the own write end for now: no EOF may come while it is open. */
		if (read(go[0], &x, 1) != 1) /* parent has written and closed */
			_exit(10);
		if (read(p[0], b, sizeof b) != 18 || strcmp(b, "Hello from parent!") != 0)
			_exit(11);
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		errno = 0;
		if (read(p[0], b, sizeof b) != -1 || errno != EAGAIN)
			_exit(12); /* own write end still open: EAGAIN, not EOF */
		fcntl(p[0], F_SETFL, 0);
		close(p[1]);
		if (read(p[0], b, sizeof b) != 0)
			_exit(13);
		_exit(0);
	}
	close(go[0]);
	JT_EQ(write(p[1], "Hello from parent!", 18), 18);
	JT_EQ(close(p[1]), 0);
	JT_EQ(write(go[1], "g", 1), 1);
	close(go[1]);
	close(p[0]);
	JT_EQ(jt_reap(c), 0);
	jt_behaviour("PIPE-007", jt_failures_since_mark() == 0,
		     "child reads 18 bytes then EOF only after its own write end closes");
}

/* PIPE-008: blocking read and blocking write. */
static void test_pipe008(void)
{
	jt_mark();
	char b[64];
	int p[2];
	JT_EQ(pipe(p), 0);
	long long t0 = jt_now_ms(); /* before the fork: the write comes >= 200 ms after it */
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		sleep_ms(200);
		_exit(write(p[1], "late", 4) == 4 ? 0 : 1);
	}
	errno = 0;
	ssize_t n = read(p[0], b, sizeof b);
	long long dt = jt_now_ms() - t0;
	JT_EQ(n, 4);
	JT_OKV(dt >= 200, "the read slept until the write", "%lld ms", dt);
	JT_EQ(jt_reap(c), 0);
	close(p[0]);
	close(p[1]);

	/* A writer to a full pipe sleeps until the reader drains it. */
	JT_EQ(pipe(p), 0);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	static char big[65536];
	memset(big, 'f', sizeof big);
	long filled = 0;
	while (write(p[1], big, 4096) == 4096)
		filled += 4096;
	JT_EQ(errno, EAGAIN);
	fcntl(p[1], F_SETFL, 0);
	t0 = jt_now_ms();
	c = fork();
	if (c == 0) {
		close(p[1]);
		sleep_ms(200);
		long got = 0;
		ssize_t k;
		while ((k = read(p[0], big, sizeof big)) > 0)
			got += k;
		_exit(got == filled + 4096 ? 0 : 1);
	}
	close(p[0]);
	JT_EQ(write(p[1], big, 4096), 4096);
	dt = jt_now_ms() - t0;
	JT_OKV(dt >= 200, "the write into a full pipe slept until the drain", "%lld ms", dt);
	close(p[1]);
	JT_EQ(jt_reap(c), 0);
	jt_behaviour("PIPE-008", jt_failures_since_mark() == 0, "read and write block, no EAGAIN");
}

/* PIPE-009: 4 writers x 3 records of 32 bytes. */
static void test_pipe009(void)
{
	jt_mark();
	int p[2];
	JT_EQ(pipe(p), 0);
	pid_t kids[4];
	for (int w = 0; w < 4; w++) {
		kids[w] = fork();
		if (kids[w] == 0) {
			close(p[0]);
			for (int r = 0; r < 3; r++) {
				char rec[33];
				snprintf(rec, sizeof rec, "W%d-R%d-%025d\n", w, r, w * 10 + r);
				if (write(p[1], rec, 32) != 32)
					_exit(1);
				sched_yield();
			}
			_exit(0);
		}
	}
	close(p[1]);
	char all[512];
	int total = 0;
	ssize_t k;
	while (total < (int)sizeof all &&
	       (k = read(p[0], all + total, sizeof all - (size_t)total)) > 0)
		total += (int)k;
	JT_EQ(total, 384);
	int per[4] = {0};
	bool intact = total == 384;
	for (int off = 0; intact && off < total; off += 32) {
		int w, r, v;
		if (sscanf(all + off, "W%d-R%d-%25d", &w, &r, &v) != 3 || w < 0 || w > 3 ||
		    r != per[w] || v != w * 10 + r || all[off + 31] != '\n')
			intact = false;
		else
			per[w]++;
	}
	JT_OK(intact, "every 32-byte record intact and in order per writer");
	for (int w = 0; w < 4; w++)
		JT_EQ(per[w], 3);
	JT_EQ(read(p[0], all, sizeof all), 0);
	close(p[0]);
	for (int w = 0; w < 4; w++)
		JT_EQ(jt_reap(kids[w]), 0);
	jt_behaviour("PIPE-009", jt_failures_since_mark() == 0,
		     "384 bytes, 12 intact records, then EOF");
}

/* PIPE-010: capacity and a 1 MiB transfer. */
static void test_pipe010(void)
{
	jt_mark();
	int p[2];
	JT_EQ(pipe2(p, O_NONBLOCK), 0);
	char kb[1024];
	memset(kb, 'k', sizeof kb);
	long total = 0;
	for (int i = 0; i < 100; i++) {
		ssize_t n = write(p[1], kb, sizeof kb);
		if (n < 0)
			break;
		total += n;
	}
	JT_EQ(total, 65536);
	JT_ERRNO(write(p[1], kb, sizeof kb), EAGAIN);
	JT_ERRNO(write(p[1], kb, 1), EAGAIN);
	close(p[0]);
	close(p[1]);

	JT_EQ(pipe(p), 0);
	const long size = 1 << 20;
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		static unsigned char out[8192];
		for (long off = 0; off < size; off += (long)sizeof out) {
			for (size_t i = 0; i < sizeof out; i++)
				out[i] = (unsigned char)(((off + (long)i) * 7 + 3) >> 3);
			for (size_t done = 0; done < sizeof out;) {
				ssize_t n = write(p[1], out + done, sizeof out - done);
				if (n <= 0)
					_exit(1);
				done += (size_t)n;
			}
		}
		_exit(0);
	}
	close(p[1]);
	static unsigned char in[5000];
	long got = 0, bad = -1;
	ssize_t n;
	while ((n = read(p[0], in, sizeof in)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (bad < 0 && in[i] != (unsigned char)(((got + i) * 7 + 3) >> 3))
				bad = got + i;
		got += n;
	}
	close(p[0]);
	JT_EQ(got, size);
	JT_OKV(bad < 0, "1 MiB arrives byte-identical", "first bad %ld", bad);
	JT_EQ(jt_reap(c), 0);
	jt_behaviour("PIPE-010", jt_failures_since_mark() == 0,
		     "65536-byte capacity; 1 MiB transfer intact");
}

/* PIPE-013: a two-stage pipeline, then /bin/cat's output captured. */
static void test_pipe013(void)
{
	jt_mark();
	int p1[2], p2[2];
	JT_EQ(pipe(p1), 0);
	JT_EQ(pipe(p2), 0);
	pid_t a = fork();
	if (a == 0) {
		dup2(p1[1], 1);
		close(p1[0]);
		close(p1[1]);
		close(p2[0]);
		close(p2[1]);
		const char *m = "SHELL_PIPE_MARKER_12345\n";
		_exit(write(1, m, strlen(m)) == (ssize_t)strlen(m) ? 0 : 1);
	}
	pid_t b = fork();
	if (b == 0) {
		dup2(p1[0], 0);
		dup2(p2[1], 1);
		close(p1[0]);
		close(p1[1]);
		close(p2[0]);
		close(p2[1]);
		char buf[256];
		ssize_t n;
		while ((n = read(0, buf, sizeof buf)) > 0)
			if (write(1, buf, (size_t)n) != n)
				_exit(1);
		_exit(n == 0 ? 0 : 2);
	}
	close(p1[0]);
	close(p1[1]);
	close(p2[1]);
	char got[128] = {0};
	int total = 0;
	ssize_t n;
	while (total < (int)sizeof got - 1 &&
	       (n = read(p2[0], got + total, sizeof got - 1 - (size_t)total)) > 0)
		total += (int)n;
	JT_STREQ(got, "SHELL_PIPE_MARKER_12345\n");
	JT_EQ(read(p2[0], got, sizeof got), 0);
	close(p2[0]);
	JT_EQ(jt_reap(a), 0);
	JT_EQ(jt_reap(b), 0);

	/* /bin/cat /lines.txt with stdout on a pipe. */
	int q[2];
	JT_EQ(pipe(q), 0);
	pid_t c = fork();
	if (c == 0) {
		dup2(q[1], 1);
		close(q[0]);
		close(q[1]);
		execl("/bin/cat", "cat", "/lines.txt", "/hello.txt", (char *)NULL);
		_exit(127);
	}
	close(q[1]);
	char out[512] = {0};
	total = 0;
	while (total < (int)sizeof out - 1 &&
	       (n = read(q[0], out + total, sizeof out - 1 - (size_t)total)) > 0)
		total += (int)n;
	close(q[0]);
	JT_EQ(total, 111 + 17);
	JT_OK(strncmp(out, "Line 1\nLine 2\n", 14) == 0 &&
		      strcmp(out + 103, "Line 15\nHello from ext2!\n") == 0,
	      "cat's exact output arrives through the pipe");
	JT_EQ(jt_reap(c), 0);
	jt_behaviour("PIPE-013", jt_failures_since_mark() == 0,
		     "marker line through two pipes, then EOF; /bin/cat captured");
}

static void test_pipe014(void)
{
	jt_mark();
	char b[64];
	struct stat st;
	JT_EQ(mkfifo("/tmp/f", 0644), 0);
	JT_EQ(stat("/tmp/f", &st), 0);
	JT_OK(S_ISFIFO(st.st_mode), "S_ISFIFO");
	JT_EQ(st.st_mode & 0777, 0644);
	JT_ERRNO(mkfifo("/tmp/f", 0644), EEXIST);
	JT_ERRNO(open("/tmp/nofifo", O_RDONLY | O_NONBLOCK), ENOENT);

	/* No reader: a non-blocking writer open fails; a non-blocking reader open succeeds. */
	JT_ERRNO(open("/tmp/f", O_WRONLY | O_NONBLOCK), ENXIO);
	long long t0 = jt_now_ms();
	int r = open("/tmp/f", O_RDONLY | O_NONBLOCK);
	JT_OK(r >= 0, "O_RDONLY|O_NONBLOCK with no writer opens");
	JT_OK(jt_now_ms() - t0 < 100, "... at once");
	close(r);

	/* A blocking reader open waits for a writer. */
	int go[2];
	JT_EQ(pipe(go), 0);
	t0 = jt_now_ms(); /* before the fork: the writer opens >= 200 ms after it */
	pid_t c = fork();
	if (c == 0) {
		close(go[1]);
		struct timespec ts = {0, 200 * 1000000L};
		nanosleep(&ts, NULL);
		int w = open("/tmp/f", O_WRONLY);
		if (w < 0)
			_exit(1);
		if (write(w, "fifo data 1;", 12) != 12 || write(w, "fifo data 2", 11) != 11)
			_exit(2);
		char x;
		if (read(go[0], &x, 1) != 1) /* wait until told to close */
			_exit(3);
		close(w);
		_exit(0);
	}
	close(go[0]);
	r = open("/tmp/f", O_RDONLY);
	long long dt = jt_now_ms() - t0;
	JT_OK(r >= 0, "blocking O_RDONLY open succeeds");
	JT_OKV(dt >= 200, "... after the writer arrives", "%lld ms", dt);
	int got = 0;
	memset(b, 0, sizeof b);
	while (got < 23) {
		ssize_t n = read(r, b + got, sizeof b - 1 - (size_t)got);
		if (n <= 0)
			break;
		got += (int)n;
	}
	JT_EQ(got, 23);
	JT_STREQ(b, "fifo data 1;fifo data 2");
	JT_EQ(fcntl(r, F_SETFL, O_NONBLOCK), 0);
	JT_ERRNO(read(r, b, sizeof b), EAGAIN); /* writer attached, nothing buffered */
	JT_EQ(fcntl(r, F_SETFL, 0), 0);
	JT_EQ(write(go[1], "c", 1), 1);
	JT_EQ(read(r, b, sizeof b), 0); /* EOF once the writer closes */
	close(go[1]);
	int st2;
	JT_EQV(waitpid(c, &st2, 0), c);
	JT_OKV(WIFEXITED(st2) && WEXITSTATUS(st2) == 0, "writer child exit 0", "status %#x", st2);
	close(r);

	/* EPIPE once the reader is gone. */
	r = open("/tmp/f", O_RDONLY | O_NONBLOCK);
	int w = open("/tmp/f", O_WRONLY | O_NONBLOCK);
	JT_OK(r >= 0 && w >= 0, "reader and writer open");
	JT_EQ(write(w, "x", 1), 1);
	JT_EQ(close(r), 0);
	JT_ERRNO(write(w, "y", 1), EPIPE);
	close(w);

	JT_EQ(unlink("/tmp/f"), 0);
	JT_ERRNO(stat("/tmp/f", &st), ENOENT);
	jt_behaviour("PIPE-014", jt_failures_since_mark() == 0,
		     "S_ISFIFO, EEXIST, ENXIO, blocking open waits, EAGAIN, EOF, EPIPE");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_pipe007();
	test_pipe008();
	test_pipe009();
	test_pipe010();
	test_pipe013();
	umask(022);
	test_pipe014();
	return jt_done();
}
