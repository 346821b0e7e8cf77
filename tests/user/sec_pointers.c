// covers: SEC-001 SEC-002 SEC-003
//
// Bad pointers handed to the kernel give EFAULT and the process carries on; kernel addresses
// are refused the same way; a user load from a kernel address kills only that process, with
// SIGSEGV. Raw syscalls (jsys.h) are used where musl would check or touch the pointer itself.
#define _GNU_SOURCE
#include "jsys.h"
#include "jtest.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The kernel half starts here on both ports (aarch64's is higher; this is inside both). */
#define KERNEL_ADDR 0xffff800000001000ul
#define KERNEL_IMAGE 0xffffffff80000000ul
#define NONCANONICAL 0x0000800000000000ul

static void test_sec001(void)
{
	int fd = open("/hello.txt", O_RDONLY);
	JT_OK(fd >= 0, "open /hello.txt");
	jt_mark();
	JT_ERRNO(read(fd, NULL, 10), EFAULT);
	JT_EQ(lseek(fd, 0, SEEK_CUR), 0); /* the offset did not move */
	JT_ERRNO(write(1, (void *)1, 10), EFAULT);
	JT_EQ(jt_sys6(SYS_clock_gettime, CLOCK_MONOTONIC, 0, 0, 0, 0, 0), -EFAULT);
	JT_EQ(jt_sys6(SYS_pipe2, 0, 0, 0, 0, 0, 0), -EFAULT);
	JT_EQ(jt_sys6(SYS_openat, AT_FDCWD, 0, O_RDONLY, 0, 0, 0), -EFAULT);
	char *bad_argv = (char *)0x10;
	JT_EQ(jt_sys6(SYS_execve, (long)"/bin/hello", (long)bad_argv, 0, 0, 0, 0), -EFAULT);
	JT_EQ(jt_sys6(SYS_execve, 0, 0, 0, 0, 0, 0), -EFAULT);
	pid_t c = fork();
	if (c == 0)
		_exit(5);
	/* Linux reaps the child first and then fails to store its status: it is gone. */
	JT_EQ(jt_sys6(SYS_wait4, c, 1, 0, 0, 0, 0), -EFAULT);
	int st;
	JT_ERRNO(waitpid(c, &st, 0), ECHILD);
	close(fd);
	jt_behaviour("SEC-001", jt_failures_since_mark() == 0, "bad pointers give EFAULT");
}

static void test_sec002(void)
{
	int fd = open("/hello.txt", O_RDONLY);
	jt_mark();
	JT_ERRNO(read(fd, (void *)KERNEL_ADDR, 16), EFAULT);
	JT_ERRNO(read(fd, (void *)KERNEL_IMAGE, 16), EFAULT);
	JT_ERRNO(write(1, (void *)KERNEL_IMAGE, 16), EFAULT);
	JT_ERRNO(write(1, (void *)KERNEL_ADDR, 16), EFAULT);
	JT_ERRNO(read(fd, (void *)NONCANONICAL, 16), EFAULT);
	JT_EQ(jt_sys6(SYS_openat, AT_FDCWD, (long)KERNEL_IMAGE, O_RDONLY, 0, 0, 0), -EFAULT);
	JT_EQ(jt_sys6(SYS_fstat, fd, (long)KERNEL_ADDR, 0, 0, 0, 0), -EFAULT);
	close(fd);
	jt_behaviour("SEC-002", jt_failures_since_mark() == 0, "kernel addresses are refused");
}

/* Fork a child that loads from addr; its wait status. */
static int touch_in_child(unsigned long addr, bool store)
{
	pid_t c = fork();
	if (c == 0) {
		volatile unsigned long *p = (volatile unsigned long *)addr;
		if (store)
			*p = 1;
		else
			(void)*p;
		_exit(0);
	}
	int st = 0;
	waitpid(c, &st, 0);
	return st;
}

static void test_sec003(void)
{
	jt_mark();
	unsigned long addrs[] = {KERNEL_ADDR, KERNEL_IMAGE, NONCANONICAL};
	for (unsigned i = 0; i < 3; i++)
		for (int store = 0; store < 2; store++) {
			int st = touch_in_child(addrs[i], store);
			JT_OKV(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "SIGSEGV",
			       "%s %#lx: status %#x", store ? "store to" : "load from", addrs[i], st);
		}
	jt_behaviour("SEC-003", jt_failures_since_mark() == 0, "user code cannot touch kernel memory");
}

int main(void)
{
	test_sec001();
	test_sec002();
	test_sec003();
	return jt_done();
}
