// covers: PIPE-001 PIPE-002 PIPE-003 PIPE-005 PIPE-006 PIPE-011 PIPE-012
//
// Pipes within one process: data, EOF, EPIPE (SIGPIPE ignored), reference counts through
// dup2 and close, non-blocking reads, and pipe2 flags.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* PIPE-001: data in order; short reads do not wait. */
static void test_pipe001(void)
{
	jt_mark();
	char b[64];
	int p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(write(p[1], "Hello, Pipe!", 12), 12);
	memset(b, 0, sizeof b);
	JT_EQ(read(p[0], b, sizeof b), 12); /* asks for 64, gets what is there */
	JT_STREQ(b, "Hello, Pipe!");
	JT_EQ(write(p[1], "First", 5), 5);
	JT_EQ(write(p[1], "Second", 6), 6);
	JT_EQ(write(p[1], "Third", 5), 5);
	memset(b, 0, sizeof b);
	JT_EQ(read(p[0], b, sizeof b), 16);
	JT_STREQ(b, "FirstSecondThird");
	JT_EQ(write(p[1], "abc", 3), 3);
	memset(b, 0, sizeof b);
	JT_EQ(read(p[0], b, 1), 1);
	JT_EQ(read(p[0], b + 1, 10), 2);
	JT_STREQ(b, "abc");
	JT_EQ(close(p[0]), 0);
	JT_EQ(close(p[1]), 0);
	jt_behaviour("PIPE-001", jt_failures_since_mark() == 0,
		     "12 bytes round trip; writes concatenate");
}

/* PIPE-002: EOF after the last writer closes. */
static void test_pipe002(void)
{
	jt_mark();
	char b[64];
	int p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(write(p[1], "before close", 12), 12);
	JT_EQ(close(p[1]), 0);
	memset(b, 0, sizeof b);
	JT_EQ(read(p[0], b, 6), 6);
	JT_STREQ(b, "before");
	memset(b, 0, sizeof b);
	JT_EQ(read(p[0], b, sizeof b), 6);
	JT_STREQ(b, " close");
	JT_EQ(read(p[0], b, sizeof b), 0);
	JT_EQ(read(p[0], b, sizeof b), 0);
	close(p[0]);
	jt_behaviour("PIPE-002", jt_failures_since_mark() == 0, "buffered data, then 0");
}

/* PIPE-003: EPIPE with SIGPIPE ignored. */
static void test_pipe003(void)
{
	jt_mark();
	int p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(close(p[0]), 0);
	JT_ERRNO(write(p[1], "x", 1), EPIPE);
	JT_ERRNO(write(p[1], "xyz", 3), EPIPE);
	close(p[1]);
	jt_behaviour("PIPE-003", jt_failures_since_mark() == 0, "write with no reader: EPIPE");
}

/* PIPE-005: reference counts follow dup2 and close. */
static void test_pipe005(void)
{
	jt_mark();
	char b[32];
	int p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(dup2(p[1], 10), 10);
	JT_EQ(close(p[1]), 0);
	JT_EQ(write(10, "via10", 5), 5);
	memset(b, 0, sizeof b);
	JT_EQ(read(p[0], b, sizeof b), 5);
	JT_STREQ(b, "via10");
	JT_EQ(close(10), 0);
	JT_EQ(read(p[0], b, sizeof b), 0);
	close(p[0]);

	/* Read ends: EPIPE only after the last one is gone. */
	JT_EQ(pipe(p), 0);
	JT_EQ(dup2(p[0], 11), 11);
	int r3 = dup(p[0]);
	JT_EQ(close(p[0]), 0);
	JT_EQ(write(p[1], "a", 1), 1);
	JT_EQ(close(11), 0);
	JT_EQ(write(p[1], "b", 1), 1);
	memset(b, 0, sizeof b);
	JT_EQ(read(r3, b, sizeof b), 2);
	JT_STREQ(b, "ab");
	JT_EQ(close(r3), 0);
	JT_ERRNO(write(p[1], "c", 1), EPIPE);
	close(p[1]);
	jt_behaviour("PIPE-005", jt_failures_since_mark() == 0,
		     "EOF and EPIPE only when the last copy closes");
}

/* PIPE-006: dup2 onto a pipe end retargets the number. */
static void test_pipe006(void)
{
	jt_mark();
	char b[32];
	int p1[2], p2[2];
	JT_EQ(pipe(p1), 0);
	JT_EQ(pipe(p2), 0);
	JT_EQ(write(p1[1], "old1", 4), 4);
	JT_EQ(dup2(p2[1], p1[1]), p1[1]);
	JT_EQ(write(p1[1], "new2", 4), 4);
	memset(b, 0, sizeof b);
	JT_EQ(read(p2[0], b, sizeof b), 4);
	JT_STREQ(b, "new2");
	memset(b, 0, sizeof b);
	JT_EQ(read(p1[0], b, sizeof b), 4);
	JT_STREQ(b, "old1");
	/* pipe 1 has no writer left: EOF. */
	JT_EQ(read(p1[0], b, sizeof b), 0);
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	jt_behaviour("PIPE-006", jt_failures_since_mark() == 0,
		     "dup2 retargets; old pipe keeps its data");
}

/* PIPE-011: non-blocking reads. */
static void test_pipe011(void)
{
	jt_mark();
	char b[16];
	int p[2];
	JT_EQ(pipe2(p, O_NONBLOCK), 0);
	JT_ERRNO(read(p[0], b, sizeof b), EAGAIN);
	JT_EQ(write(p[1], "nb", 2), 2);
	memset(b, 0, sizeof b);
	JT_EQ(read(p[0], b, sizeof b), 2);
	JT_STREQ(b, "nb");
	JT_ERRNO(read(p[0], b, sizeof b), EAGAIN);
	close(p[1]);
	JT_EQ(read(p[0], b, sizeof b), 0); /* EOF beats EAGAIN */
	close(p[0]);

	JT_EQ(pipe(p), 0);
	JT_EQ(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK), 0);
	JT_ERRNO(read(p[0], b, sizeof b), EAGAIN);
	JT_EQ(write(p[1], "z", 1), 1);
	JT_EQ(read(p[0], b, sizeof b), 1);
	JT_ERRNO(read(p[0], b, sizeof b), EAGAIN);
	close(p[0]);
	close(p[1]);
	jt_behaviour("PIPE-011", jt_failures_since_mark() == 0,
		     "EAGAIN when empty, data when written");
}

/* PIPE-012: pipe2 flags. */
static void test_pipe012(void)
{
	jt_mark();
	int p[2];
	JT_EQ(pipe2(p, 0), 0);
	JT_EQ(fcntl(p[0], F_GETFD), 0);
	JT_EQ(fcntl(p[1], F_GETFD), 0);
	JT_EQ(fcntl(p[0], F_GETFL), O_RDONLY);
	JT_EQ(fcntl(p[1], F_GETFL), O_WRONLY);
	close(p[0]);
	close(p[1]);
	JT_EQ(pipe2(p, O_CLOEXEC), 0);
	JT_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
	JT_EQ(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	JT_EQ(fcntl(p[0], F_GETFL), O_RDONLY);
	JT_EQ(fcntl(p[1], F_GETFL), O_WRONLY);
	close(p[0]);
	close(p[1]);
	JT_EQ(pipe2(p, O_NONBLOCK), 0);
	JT_EQ(fcntl(p[0], F_GETFD), 0);
	JT_EQ(fcntl(p[1], F_GETFD), 0);
	JT_EQ(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK);
	JT_EQ(fcntl(p[1], F_GETFL), O_WRONLY | O_NONBLOCK);
	close(p[0]);
	close(p[1]);
	JT_EQ(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	JT_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
	JT_EQ(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	JT_EQ(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK);
	JT_EQ(fcntl(p[1], F_GETFL), O_WRONLY | O_NONBLOCK);
	close(p[0]);
	close(p[1]);
	p[0] = p[1] = -7;
	JT_ERRNO(syscall(SYS_pipe2, p, 0x1), EINVAL);
	JT_ERRNO(syscall(SYS_pipe2, p, O_APPEND), EINVAL);
	JT_OK(p[0] == -7 && p[1] == -7, "a failed pipe2 writes no fds");
	jt_behaviour("PIPE-012", jt_failures_since_mark() == 0,
		     "pipe2 0, O_CLOEXEC, O_NONBLOCK, both; EINVAL");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_pipe001();
	test_pipe002();
	test_pipe003();
	test_pipe005();
	test_pipe006();
	test_pipe011();
	test_pipe012();
	return jt_done();
}
