// covers: FD-001 FD-002 FD-003 FD-004 FD-005
//
// Descriptor numbering, dup, dup2, dup3 and close.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* FD-001: the lowest free number is used. */
static void test_fd001(void)
{
	jt_mark();
	JT_OK(is_open(0) && is_open(1) && is_open(2), "fds 0, 1, 2 are open at start");
	bool others_closed = true;
	for (int fd = 3; fd < 64; fd++)
		if (is_open(fd))
			others_closed = false;
	JT_OK(others_closed, "fds 3-63 are closed at start");
	int p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(p[0], 3);
	JT_EQ(p[1], 4);
	JT_EQ(close(3), 0);
	int fd = open("/hello.txt", O_RDONLY);
	JT_EQ(fd, 3);
	int fd5 = open("/hello.txt", O_RDONLY);
	JT_EQ(fd5, 5);
	close(4);
	JT_EQ(open("/lines.txt", O_RDONLY), 4);
	close(3);
	close(4);
	close(5);
	jt_behaviour("FD-001", jt_failures_since_mark() == 0,
		     "pipe gives 3 and 4; close(3) then open gives 3");
}

/* FD-002: dup. */
static void test_fd002(void)
{
	jt_mark();
	char b[16];
	JT_ERRNO(dup(999), EBADF);
	JT_ERRNO(dup(-1), EBADF);
	int p[2];
	JT_EQ(pipe(p), 0);			   /* 3, 4 */
	int filler = open("/hello.txt", O_RDONLY); /* 5 */
	close(p[0]);				   /* free 3 again: dup must choose it */
	int r = open("/dev/null", O_RDONLY);	   /* takes 3 */
	JT_EQ(r, 3);
	close(r);
	JT_EQ(pipe(p), 0); /* 3 and 6 */
	int d = dup(p[0]);
	JT_EQ(d, 7);
	JT_OK(d != p[0], "dup gives a different number");
	JT_EQ(write(p[1], "abcdef", 6), 6);
	memset(b, 0, sizeof b);
	JT_EQ(read(p[0], b, 2), 2);
	JT_STREQ(b, "ab");
	memset(b, 0, sizeof b);
	JT_EQ(read(d, b, 2), 2);
	JT_STREQ(b, "cd");
	JT_EQ(close(p[0]), 0);
	memset(b, 0, sizeof b);
	JT_EQ(read(d, b, 2), 2); /* the copy still works */
	JT_STREQ(b, "ef");
	/* A shared file offset: dup of a regular file. */
	int f = open("/hello.txt", O_RDONLY);
	int g = dup(f);
	JT_EQ(read(f, b, 6), 6);
	JT_EQ(lseek(g, 0, SEEK_CUR), 6);
	memset(b, 0, sizeof b);
	JT_EQ(read(g, b, 4), 4);
	JT_STREQ(b, "from");
	close(f);
	close(g);
	close(d);
	close(p[1]);
	close(filler);
	close(4);
	jt_behaviour("FD-002", jt_failures_since_mark() == 0, "EBADF; lowest free; same open file");
}

/* FD-003: dup2. */
static void test_fd003(void)
{
	jt_mark();
	char b[16];
	int a[2], c[2];
	JT_EQ(pipe(a), 0);
	JT_EQ(pipe(c), 0);
	/* Displace c's write end with a's write end: c's reader then sees EOF, because the
	 * only writer of c is gone. */
	JT_EQ(dup2(a[1], c[1]), c[1]);
	JT_EQ(read(c[0], b, sizeof b), 0);
	JT_EQ(write(c[1], "via", 3), 3); /* now writes into a */
	memset(b, 0, sizeof b);
	JT_EQ(read(a[0], b, sizeof b), 3);
	JT_STREQ(b, "via");
	/* dup2(fd, fd) returns fd and changes nothing. */
	JT_EQ(fcntl(a[1], F_SETFD, FD_CLOEXEC), 0);
	JT_EQ(dup2(a[1], a[1]), a[1]);
	JT_EQ(fcntl(a[1], F_GETFD), FD_CLOEXEC);
	JT_EQ(write(a[1], "x", 1), 1);
	JT_EQ(read(a[0], b, 1), 1);
	/* dup2 onto a closed number; the new fd has no FD_CLOEXEC. */
	JT_EQ(dup2(a[1], 40), 40);
	JT_EQ(fcntl(40, F_GETFD), 0);
	JT_EQ(write(40, "y", 1), 1);
	JT_EQ(read(a[0], b, 1), 1);
	JT_EQ(b[0], 'y');
	JT_ERRNO(dup2(999, 41), EBADF);
	JT_ERRNO(dup2(-1, 41), EBADF);
	JT_OK(!is_open(41), "a failed dup2 opens nothing");
	JT_ERRNO(dup2(a[1], -1), EBADF);
	struct rlimit rl;
	JT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	JT_ERRNO(dup2(a[1], (int)rl.rlim_cur), EBADF);
	JT_ERRNO(dup2(a[1], (int)rl.rlim_cur + 100), EBADF);
	close(40);
	close(a[0]);
	close(a[1]);
	close(c[0]);
	close(c[1]);
	jt_behaviour("FD-003", jt_failures_since_mark() == 0,
		     "dup2 closes the old target; EBADF limits");
}

/* FD-004: dup3. */
static void test_fd004(void)
{
	jt_mark();
	int fd = open("/hello.txt", O_RDONLY);
	JT_EQ(dup3(fd, 30, O_CLOEXEC), 30);
	JT_EQ(fcntl(30, F_GETFD), FD_CLOEXEC);
	JT_EQ(dup3(fd, 31, 0), 31);
	JT_EQ(fcntl(31, F_GETFD), 0);
	/* dup3 over an open fd with O_CLOEXEC replaces its flag too. */
	JT_EQ(dup3(fd, 31, O_CLOEXEC), 31);
	JT_EQ(fcntl(31, F_GETFD), FD_CLOEXEC);
	JT_ERRNO(dup3(fd, fd, 0), EINVAL);
	JT_ERRNO(dup3(fd, fd, O_CLOEXEC), EINVAL);
	/* The flag checks go to the kernel directly: musl's x86_64 dup3 uses dup2 when
	 * O_CLOEXEC is absent and never passes the other flags on. */
	JT_ERRNO(syscall(SYS_dup3, fd, 32, O_NONBLOCK), EINVAL);
	JT_ERRNO(syscall(SYS_dup3, fd, 32, 0x1), EINVAL);
	JT_ERRNO(syscall(SYS_dup3, fd, 32, O_CLOEXEC | O_APPEND), EINVAL);
	JT_OK(!is_open(32), "failed dup3 opens nothing");
	JT_ERRNO(dup3(999, 32, 0), EBADF);
	JT_ERRNO(syscall(SYS_dup3, fd, fd, 0), EINVAL);
	close(30);
	close(31);
	close(fd);
	jt_behaviour("FD-004", jt_failures_since_mark() == 0,
		     "O_CLOEXEC set; same fd or bad flags EINVAL");
}

/* FD-005: closed descriptors. */
static void test_fd005(void)
{
	jt_mark();
	char b[4];
	int fd = open("/hello.txt", O_RDONLY);
	JT_OK(fd >= 0, "open");
	JT_EQ(close(fd), 0);
	JT_ERRNO(close(fd), EBADF);
	JT_ERRNO(close(-1), EBADF);
	JT_ERRNO(close(999), EBADF);
	JT_ERRNO(read(fd, b, 1), EBADF);
	JT_ERRNO(write(fd, "x", 1), EBADF);
	int p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(close(p[1]), 0);
	JT_ERRNO(write(p[1], "x", 1), EBADF);
	JT_ERRNO(close(p[1]), EBADF);
	JT_EQ(close(p[0]), 0);
	JT_ERRNO(read(p[0], b, 1), EBADF);
	jt_behaviour("FD-005", jt_failures_since_mark() == 0,
		     "second close, close(-1), read/write: EBADF");
}

int main(void)
{
	test_fd001();
	test_fd002();
	test_fd003();
	test_fd004();
	test_fd005();
	return jt_done();
}
