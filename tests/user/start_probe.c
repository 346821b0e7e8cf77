// start_probe: a helper for proc_start (not a test itself). Prints its argc, argv, its
// environment sorted (so the order qemu-user hands envp over does not matter), a few
// floating-point conversions, and exits with status 7.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=[%s]\n", i, argv[i]);
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = malloc((n + 1) * sizeof(char *));
	memcpy(env, environ, (n + 1) * sizeof(char *));
	qsort(env, n, sizeof(char *), cmp);
	for (size_t i = 0; i < n; i++)
		printf("env=[%s]\n", env[i]);
	volatile double x = 3.14159265358979, y = 1e-5;
	printf("fp %.3f %g %e %.10f\n", x, y, x * 12345.678, x / 7.0);
	return 7;
}
