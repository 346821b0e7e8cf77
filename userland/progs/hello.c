/* /bin/hello: the fixture image's static musl hello world; prints one line and exits 0
 * (BEHAVIOURS.md: PROC-003 and PROC-004 exec it). */
#include <stdio.h>

int main(void)
{
	printf("Hello, world!\n");
	return 0;
}
