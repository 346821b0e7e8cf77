// covers: FD-006 FD-007 FD-008 FD-010 FD-011 FD-012
//
// fcntl: descriptor flags, status flags, F_DUPFD; the descriptor limit; vector I/O and sendfile;
// the standard fds.
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* FD-006: FD_CLOEXEC through F_GETFD/F_SETFD. */
static void test_fd006(void)
{
	jt_mark();
	int p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(fcntl(p[0], F_GETFD), 0);
	JT_EQ(fcntl(p[1], F_GETFD), 0);
	JT_EQ(fcntl(p[0], F_SETFD, FD_CLOEXEC), 0);
	JT_EQ(fcntl(p[0], F_GETFD), 1);
	JT_EQ(fcntl(p[1], F_GETFD), 0); /* the other end is unaffected */
	JT_EQ(fcntl(p[0], F_SETFD, 0), 0);
	JT_EQ(fcntl(p[0], F_GETFD), 0);
	int fd = open("/hello.txt", O_RDONLY | O_CLOEXEC);
	JT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);
	close(p[0]);
	close(p[1]);
	jt_behaviour("FD-006", jt_failures_since_mark() == 0, "F_GETFD 0, then 1 after F_SETFD");
}

/* FD-007: status flags. */
static void test_fd007(void)
{
	jt_mark();
	int r = open("/hello.txt", O_RDONLY);
	JT_EQ(fcntl(r, F_GETFL) & O_ACCMODE, O_RDONLY);
	JT_EQ(fcntl(r, F_GETFL) & (O_APPEND | O_NONBLOCK), 0);
	int w = open("/tmp/fl", O_WRONLY | O_CREAT | O_APPEND, 0644);
	JT_EQ(fcntl(w, F_GETFL) & O_ACCMODE, O_WRONLY);
	JT_EQ(fcntl(w, F_GETFL) & O_APPEND, O_APPEND);
	int rw = open("/tmp/fl", O_RDWR | O_NONBLOCK);
	JT_EQ(fcntl(rw, F_GETFL) & O_ACCMODE, O_RDWR);
	JT_EQ(fcntl(rw, F_GETFL) & O_NONBLOCK, O_NONBLOCK);

	/* F_SETFL adds O_NONBLOCK and O_APPEND, and cannot change the access mode. */
	int fl = fcntl(r, F_GETFL);
	JT_EQ(fcntl(r, F_SETFL, fl | O_NONBLOCK), 0);
	JT_EQ(fcntl(r, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	JT_EQ(fcntl(r, F_SETFL, O_RDWR | O_NONBLOCK), 0);
	JT_EQ(fcntl(r, F_GETFL) & O_ACCMODE, O_RDONLY);
	char b[4];
	JT_ERRNO(write(r, "x", 1), EBADF);
	JT_EQ(read(r, b, 4), 4);

	/* Status flags live in the open file (a dup sees them); fd flags do not. */
	int d = dup(r);
	JT_EQ(fcntl(d, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	JT_EQ(fcntl(d, F_SETFL, 0), 0);
	JT_EQ(fcntl(r, F_GETFL) & O_NONBLOCK, 0);
	JT_EQ(fcntl(r, F_SETFD, FD_CLOEXEC), 0);
	JT_EQ(fcntl(d, F_GETFD), 0);
	/* A separate open of the same file does not share them. */
	int r2 = open("/hello.txt", O_RDONLY);
	JT_EQ(fcntl(r, F_SETFL, O_APPEND), 0);
	JT_EQ(fcntl(d, F_GETFL) & O_APPEND, O_APPEND);
	JT_EQ(fcntl(r2, F_GETFL) & O_APPEND, 0);
	JT_EQ(fcntl(w, F_SETFL, 0), 0); /* O_APPEND can be cleared */
	JT_EQ(fcntl(w, F_GETFL) & O_APPEND, 0);

	int p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(fcntl(p[0], F_GETFL), O_RDONLY);
	JT_EQ(fcntl(p[1], F_GETFL), O_WRONLY);
	JT_EQ(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	JT_EQ(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK);
	JT_ERRNO(read(p[0], b, 1), EAGAIN);
	close(p[0]);
	close(p[1]);
	close(r2);
	close(d);
	close(r);
	close(w);
	close(rw);
	unlink("/tmp/fl");
	jt_behaviour("FD-007", jt_failures_since_mark() == 0,
		     "access mode, O_APPEND, O_NONBLOCK; shared by dup, not by fd flags");
}

/* FD-008: F_DUPFD and F_DUPFD_CLOEXEC. */
static void test_fd008(void)
{
	jt_mark();
	int fd = open("/hello.txt", O_RDONLY | O_CLOEXEC);
	int a = fcntl(fd, F_DUPFD, 10);
	JT_OKV(a >= 10, "F_DUPFD(fd, 10) >= 10", "%d", a);
	JT_EQ(fcntl(a, F_GETFD), 0);
	int b2 = fcntl(fd, F_DUPFD, 10);
	JT_EQ(b2, a + 1);
	int c = fcntl(fd, F_DUPFD_CLOEXEC, 20);
	JT_OKV(c >= 20, "F_DUPFD_CLOEXEC(fd, 20) >= 20", "%d", c);
	JT_EQ(fcntl(c, F_GETFD), FD_CLOEXEC);
	/* They share the offset with the original. */
	char b[8];
	JT_EQ(read(a, b, 6), 6);
	JT_EQ(lseek(c, 0, SEEK_CUR), 6);
	JT_ERRNO(fcntl(999, F_GETFD), EBADF);
	JT_ERRNO(fcntl(999, F_DUPFD, 0), EBADF);
	JT_ERRNO(fcntl(-1, F_GETFL), EBADF);
	JT_ERRNO(syscall(SYS_fcntl, fd, 9999, 0), EINVAL);
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	JT_ERRNO(fcntl(fd, F_DUPFD, (int)rl.rlim_cur), EINVAL);
	close(a);
	close(b2);
	close(c);
	close(fd);
	jt_behaviour("FD-008", jt_failures_since_mark() == 0,
		     "F_DUPFD clears FD_CLOEXEC, F_DUPFD_CLOEXEC sets it; EBADF, EINVAL");
}

/* FD-010: RLIMIT_NOFILE. */
static void test_fd010(void)
{
	jt_mark();
	struct rlimit old, rl;
	JT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	rl.rlim_cur = 40;
	rl.rlim_max = old.rlim_max;
	JT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
	int fds[64];
	int n = 0;
	int err = 0;
	for (;;) {
		int fd = open("/hello.txt", O_RDONLY);
		if (fd < 0) {
			err = errno;
			break;
		}
		if (n < 64)
			fds[n++] = fd;
		if (fd > 100)
			break;
	}
	JT_EQ(err, EMFILE);
	JT_EQ(n, 40 - 3); /* 0, 1 and 2 are taken */
	JT_EQ(n > 0 ? fds[n - 1] : -1, 39);
	JT_ERRNO(dup(0), EMFILE);
	int p[2];
	JT_ERRNO(pipe(p), EMFILE);
	JT_EQ(close(fds[5]), 0);
	int again = open("/hello.txt", O_RDONLY);
	JT_EQ(again, fds[5]);
	JT_ERRNO(open("/hello.txt", O_RDONLY), EMFILE);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	JT_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
	int fd = open("/hello.txt", O_RDONLY);
	JT_EQ(fd, 3);
	close(fd);
	jt_behaviour("FD-010", jt_failures_since_mark() == 0,
		     "EMFILE at the limit; one close frees a slot");
}

/* FD-012: the standard descriptors. */
static void test_fd012(void)
{
	jt_mark();
	JT_OK(fcntl(0, F_GETFD) >= 0, "fd 0 open");
	JT_OK(fcntl(1, F_GETFD) >= 0, "fd 1 open");
	JT_OK(fcntl(2, F_GETFD) >= 0, "fd 2 open");
	/* Three single-byte writes, kept on one TAP comment line. */
	long r0 = write(1, "# ", 2);
	long r1 = write(1, ".", 1);
	long r2 = write(1, ".", 1);
	long r3 = write(1, ".", 1);
	long r4 = write(1, "\n", 1);
	JT_EQ(r0, 2);
	JT_EQ(r1, 1);
	JT_EQ(r2, 1);
	JT_EQ(r3, 1);
	JT_EQ(r4, 1);
	JT_EQ(write(1, "", 0), 0);
	JT_EQ(write(2, "", 0), 0);
	char b[1];
	JT_EQ(read(0, b, 0), 0);
	jt_behaviour("FD-012", jt_failures_since_mark() == 0,
		     "0-2 open; 1-byte writes return 1; 0-byte I/O returns 0");
}

static void test_fd011(void)
{
	jt_mark();
	char b[256];
	int fd = open("/tmp/iov", O_RDWR | O_CREAT | O_TRUNC, 0644);
	struct iovec w[3] = {
		{(void *)"first-", 6},
		{(void *)"", 0},
		{(void *)"second-third\n", 13},
	};
	JT_EQ(writev(fd, w, 3), 19);
	struct iovec w2[3] = {{(void *)"A", 1}, {(void *)"BC", 2}, {(void *)"DEF", 3}};
	JT_EQ(writev(fd, w2, 3), 6);
	JT_EQ(lseek(fd, 0, SEEK_CUR), 25);
	memset(b, 0, sizeof b);
	JT_EQ(pread(fd, b, sizeof b, 0), 25);
	JT_STREQ(b, "first-second-third\nABCDEF");

	/* readv fills the buffers in order. */
	char r1[4] = {0}, r2[8] = {0}, r3[32] = {0};
	struct iovec r[3] = {{r1, 3}, {r2, 7}, {r3, 31}};
	JT_EQ(lseek(fd, 0, SEEK_SET), 0);
	JT_EQ(readv(fd, r, 3), 25);
	JT_STREQ(r1, "fir");
	JT_STREQ(r2, "st-seco");
	JT_STREQ(r3, "nd-third\nABCDEF");
	JT_EQ(readv(fd, r, 3), 0); /* at EOF */

	/* iovcnt 0, too many, and bad addresses. */
	JT_EQ(writev(fd, w, 0), 0);
	JT_EQ(readv(fd, r, 0), 0);
	static struct iovec many[1100];
	for (int i = 0; i < 1100; i++)
		many[i] = (struct iovec){(void *)"x", 1};
	JT_EQ(writev(fd, many, 1024), 1024);
	JT_ERRNO(writev(fd, many, 1025), EINVAL);
	JT_ERRNO(syscall(SYS_writev, fd, many, 1100), EINVAL);
	JT_ERRNO(syscall(SYS_readv, fd, many, 1025), EINVAL);
	JT_ERRNO(writev(fd, w, -1), EINVAL);
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	JT_OK(page != MAP_FAILED, "mmap a page");
	JT_EQ(munmap(page, 4096), 0); /* page is now an unmapped address */
	struct iovec bad = {page, 16};
	JT_ERRNO(writev(fd, &bad, 1), EFAULT);
	JT_EQ(lseek(fd, 0, SEEK_SET), 0);
	JT_ERRNO(readv(fd, &bad, 1), EFAULT);
	JT_ERRNO(writev(fd, (struct iovec *)page, 1), EFAULT); /* the array itself */
	struct stat st;
	JT_EQ(fstat(fd, &st), 0);
	JT_EQ(st.st_size, 25 + 1024); /* nothing from the failed calls */

	/* writev to a pipe. */
	int p[2];
	JT_EQ(pipe(p), 0);
	JT_EQ(writev(p[1], w2, 3), 6);
	memset(b, 0, sizeof b);
	JT_EQ(read(p[0], b, sizeof b), 6);
	JT_STREQ(b, "ABCDEF");

	/* sendfile: file to file and file to pipe, moving the input offset. */
	int in = open("/lines.txt", O_RDONLY);
	int out = open("/tmp/sf", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	JT_EQ(sendfile(out, in, NULL, 14), 14);
	JT_EQ(lseek(in, 0, SEEK_CUR), 14);
	JT_EQ(sendfile(out, in, NULL, 1000), 97); /* the rest of the 111 bytes */
	JT_EQ(sendfile(out, in, NULL, 10), 0);	  /* at EOF */
	close(out);
	int chk = open("/tmp/sf", O_RDONLY);
	memset(b, 0, sizeof b);
	JT_EQ(read(chk, b, sizeof b), 111);
	JT_OK(memcmp(b, "Line 1\nLine 2\nLine 3\n", 21) == 0 &&
		      memcmp(b + 103, "Line 15\n", 8) == 0,
	      "sendfile copied /lines.txt");
	close(chk);
	JT_EQ(lseek(in, 7, SEEK_SET), 7);
	JT_EQ(sendfile(p[1], in, NULL, 7), 7);
	JT_EQ(lseek(in, 0, SEEK_CUR), 14);
	memset(b, 0, sizeof b);
	JT_EQ(read(p[0], b, sizeof b), 7);
	JT_STREQ(b, "Line 2\n");
	/* With an offset pointer, the file offset stays and the pointer moves. */
	off_t off = 0;
	JT_EQ(sendfile(p[1], in, &off, 7), 7);
	JT_EQ(off, 7);
	JT_EQ(lseek(in, 0, SEEK_CUR), 14);
	memset(b, 0, sizeof b);
	JT_EQ(read(p[0], b, sizeof b), 7);
	JT_STREQ(b, "Line 1\n");
	JT_ERRNO(sendfile(p[1], 999, NULL, 1), EBADF);
	close(in);
	close(p[0]);
	close(p[1]);
	close(fd);
	unlink("/tmp/iov");
	unlink("/tmp/sf");
	jt_behaviour("FD-011", jt_failures_since_mark() == 0,
		     "writev/readv order, iovcnt 0/1025, EFAULT; sendfile to file and pipe");
}

int main(void)
{
	test_fd012();
	test_fd006();
	test_fd007();
	test_fd008();
	test_fd010();
	test_fd011();
	return jt_done();
}
