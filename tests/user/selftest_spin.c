/*
 * selftest_spin: a user program that never ends (no test; a helper of the runner's
 * self-test, tests/runner/usertest_selftest.py). Run as init, it must make tools/usertest
 * report a timeout for itself and nothing else: the runner kills QEMU at its --timeout.
 * It prints one line first, so the self-test can see the kernel did start it.
 */
#include <unistd.h>

int main(void)
{
	static const char msg[] = "selftest_spin: spinning forever\n";
	write(1, msg, sizeof msg - 1);
	for (volatile unsigned long n = 0;; n++)
		;
}
