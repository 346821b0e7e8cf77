/*
 * /bin/access_probe PATH...: a helper of the busybox tests (user_files). Exits 0 when
 * access(PATH, F_OK) succeeds for every PATH, 1 when it fails for one (silently: the test
 * checks the status), 2 without a PATH. BEHAVIOURS.md USER-008 checks existence by access().
 */
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	for (int i = 1; i < argc; i++)
		if (access(argv[i], F_OK) != 0)
			return 1;
	return 0;
}
