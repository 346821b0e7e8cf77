// covers: SEC-008
//
// Invalid executables give ENOEXEC and the caller carries on: each is written to /tmp with
// mode 0755 and handed to execve. Bad magic, an empty file, a truncated ELF header, an ELF for
// the other architecture, a program header table cut short, a segment that runs past the end
// of the file, and an entry point outside every segment (Linux checks these two only after
// the point of no return, so death by a signal is accepted for them; Janus refuses them with
// ENOEXEC). Then a good program still runs.
#include "jtest.h"

#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *image;
static size_t image_len;

static void load_hello(void)
{
	int fd = open("/bin/hello", O_RDONLY);
	struct stat st;
	fstat(fd, &st);
	image_len = (size_t)st.st_size;
	image = malloc(image_len);
	size_t n = 0;
	while (n < image_len) {
		ssize_t k = read(fd, image + n, image_len - n);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	JT_EQV(n, image_len); /* the image size differs between the ports */
}

/* Write buf to path (0755) and execve it in a child: the child's errno, or 0 if it ran. */
static int exec_errno(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		return -1;
	close(fd);
	pid_t c = fork();
	if (c == 0) {
		char *argv[] = {(char *)path, NULL};
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execve(path, argv, argv + 1);
		_exit(errno); /* the caller carries on after a failed exec */
	}
	int st;
	waitpid(c, &st, 0);
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 200 + WTERMSIG(st);
}

/* ENOEXEC; or, where Linux checks nothing before the point of no return (segments past the
 * end of the file, the entry point), death by a signal is allowed too (SEC-008). */
static void check2(const char *what, const void *buf, size_t len, bool may_die)
{
	int e = exec_errno("/tmp/bad", buf, len);
	JT_OK(e == ENOEXEC || (may_die && e > 200), "%s: %s (%d)", what,
	      e < 200 ? jt_errname(e) : "killed by a signal", e);
}

static void check(const char *what, const void *buf, size_t len)
{
	check2(what, buf, len, false);
}

int main(void)
{
	jt_mark();
	load_hello();
	Elf64_Ehdr *eh = (Elf64_Ehdr *)image;
	char *copy = malloc(image_len);

	memcpy(copy, image, image_len);
	copy[1] = 'X';
	check("bad magic", copy, image_len);
	check("empty file", copy, 0);
	check("truncated ELF header", image, 40);
	memcpy(copy, image, image_len);
	((Elf64_Ehdr *)copy)->e_machine = eh->e_machine == EM_X86_64 ? EM_AARCH64 : EM_X86_64;
	check("other architecture", copy, image_len);
	check("program headers cut short", image, eh->e_phoff + eh->e_phentsize);
	memcpy(copy, image, image_len);
	Elf64_Phdr *ph = (Elf64_Phdr *)(copy + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_filesz) {
			ph[i].p_filesz = image_len * 4;
			ph[i].p_memsz = ph[i].p_filesz;
			break;
		}
	check2("segment past the end of the file", copy, image_len, true);
	memcpy(copy, image, image_len);
	((Elf64_Ehdr *)copy)->e_entry = 0x7ff000000000ul;
	check2("entry outside every segment", copy, image_len, true);
	JT_EQ(exec_errno("/tmp/good", image, image_len), 0);
	jt_behaviour("SEC-008", jt_failures_since_mark() == 0, "invalid executables give ENOEXEC");
	return jt_done();
}
