// boot_args: init gets the words after "--" on the kernel command line as argv.
// covers: BOOT-004
//
// tests/user/boot_args.args makes tools/usertest boot with
// "init=/bin/boot_args env.... -- alpha beta", so pid 1 must see argc 3, argv
// {"/bin/boot_args", "alpha", "beta"}, argv[3] NULL and a NULL-terminated envp (the
// test environment, env.K=V words). Needs 'machine': the kernel command line.
#include "jtest.h"

#include <string.h>
#include <unistd.h>

int main(int argc, char **argv, char **envp)
{
	jt_mark();
	JT_EQ(argc, 3);
	if (argc == 3) {
		JT_STREQ(argv[0], "/bin/boot_args");
		JT_STREQ(argv[1], "alpha");
		JT_STREQ(argv[2], "beta");
		JT_OK(argv[3] == NULL, "argv[argc] is NULL");
	}
	int n = 0;
	while (n < 100 && envp[n] != NULL)
		n++;
	JT_OK(n < 100, "envp ends with NULL within 100 entries");
	JT_OK(envp == argv + argc + 1, "envp follows argv's NULL");
	int path = 0;
	for (int i = 0; i < n; i++)
		path += strcmp(envp[i], "PATH=/bin:/sbin") == 0;
	JT_EQ(path, 1);
	jt_diag("argc %d, %d environment strings", argc, n);
	jt_behaviour("BOOT-004", jt_failures_since_mark() == 0,
		     "init sees argc 3, argv /bin/boot_args alpha beta, NULL-terminated argv and envp");
	return jt_done();
}
