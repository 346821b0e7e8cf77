/*
 * /bin/execve_probe PATH [ARG...]: a helper of the busybox tests (user_shell). execve(PATH,
 * {PATH, ARG...}, environ) directly, with no fallback: a shell or execvp would run a file the
 * kernel refuses (ENOEXEC) as a script itself, which would hide whether the kernel handled
 * "#!". If execve fails: the error on stderr, exit 126 (127 for ENOENT), as a shell does.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: execve_probe PATH [ARG...]\n");
		return 2;
	}
	execve(argv[1], argv + 1, environ);
	int e = errno;
	fprintf(stderr, "execve_probe: %s: %s\n", argv[1], strerror(e));
	return e == ENOENT ? 127 : 126;
}
