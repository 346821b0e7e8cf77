// boot_init: the first process starts from the ext2 root and can write it.
// covers: BOOT-001 BOOT-002 BOOT-003 BOOT-009
//
// BOOT-003 is the test's own: as init (pid 1) it creates, writes, reads back and unlinks
// /tmp/bootprobe (no EIO, no EROFS). It also leaves /tmp/boot_left behind, created with
// O_EXCL: the next run would find it (EEXIST) if the runner did not give each run a fresh
// copy of the pristine image. BOOT-001, BOOT-002 and BOOT-009 are the runner's alone
// (tests/user/boot_init.checks: "boot", "pristine", "poweroff"; tools/lib/serialcheck.py):
// the banner and init from ext2 on virtio-blk within 30 s, the fresh copy and the unchanged
// pristine image, the clean power-off with the status on the serial line. On Linux those
// three are N/A; BOOT-003 runs there too.
#include "jtest.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static void probe(void)
{
	static const char text[] = "boot probe: written by the first process\n";
	char back[sizeof text] = { 0 };

	jt_mark();
	int fd = open("/tmp/bootprobe", O_CREAT | O_EXCL | O_RDWR, 0644);
	JT_OK(fd >= 0, "create /tmp/bootprobe (errno %s)", jt_errname(fd < 0 ? errno : 0));
	JT_EQ(write(fd, text, sizeof text - 1), sizeof text - 1);
	JT_EQ(fsync(fd), 0);
	JT_EQ(lseek(fd, 0, SEEK_SET), 0);
	JT_EQ(read(fd, back, sizeof back), sizeof text - 1);
	JT_STREQ(back, text);
	JT_EQ(close(fd), 0);
	JT_EQ(unlink("/tmp/bootprobe"), 0);
	JT_ERRNO(access("/tmp/bootprobe", F_OK), ENOENT);
	jt_behaviour("BOOT-003", jt_failures_since_mark() == 0,
		     "pid 1 creates, writes, reads back and unlinks /tmp/bootprobe");
}

int main(void)
{
	jt_diag("pid %d (1 as init on Janus)", getpid());
	probe();
	int fd = open("/tmp/boot_left", O_CREAT | O_EXCL | O_WRONLY, 0644);
	JT_OK(fd >= 0, "/tmp/boot_left is new: this run's disk is a fresh copy (errno %s)",
	      jt_errname(fd < 0 ? errno : 0));
	JT_EQ(write(fd, "left\n", 5), 5);
	JT_EQ(close(fd), 0);
	sync();
	return jt_done();
}
