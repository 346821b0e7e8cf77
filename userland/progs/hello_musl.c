/* /bin/hello_musl (static) and /bin/hello_musl_pie (static-pie): print exactly
 * "Hello from musl\n" with printf, which musl's stdio writes out with writev on fd 1 at exit,
 * and exit 0 (BEHAVIOURS.md ABI-001; tests/user/hello_abi.c checks both). */
#include <stdio.h>

int main(void)
{
	printf("Hello from %s\n", "musl");
	return 0;
}
