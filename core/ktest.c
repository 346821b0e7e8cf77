/*
 * core/ktest.c: run the in-kernel tests the command line names, and report TAP.
 *
 * Tests are `struct ktest` records the KTEST() macro places in the "ktests" linker section;
 * the port's linker script brackets it with __ktests_start/__ktests_end. Tests run one at a
 * time on the boot CPU; a failed expectation marks the current test and lets it continue, so
 * one run shows every broken assertion. The verdict line ("KTEST: ALL PASSED" /
 * "KTEST: FAILED n of m") is what the runner requires; a test that never returns (hang or
 * panic) leaves no verdict, which the runner treats as failure.
 */
#include "core/ktest.h"

#include "core/string.h"
#include "core/uaccess.h"

extern const struct ktest __ktests_start[], __ktests_end[];

static struct {
	const struct ktest *t;
	unsigned failures;
	const char *skip_reason;
} current;

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	kprintf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	current.failures++;
}

void ktest_skip(const char *reason)
{
	current.skip_reason = reason;
}

/* Is name in the comma-separated selection? "all" selects every non-manual test. */
static bool selected(const struct ktest *t, const char *sel)
{
	if (strcmp(sel, "all") == 0)
		return !(t->flags & KTEST_MANUAL);
	size_t n = strlen(t->name);
	for (const char *p = sel; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && strncmp(p, t->name, n) == 0)
			return true;
		p += len + (comma ? 1 : 0);
	}
	return false;
}

static unsigned count_selected(const char *sel)
{
	unsigned n = 0;
	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++)
		n += selected(t, sel);
	return n;
}

/* Run one test and print its TAP line. Returns 1 if it failed. */
static int run_one(const struct ktest *t, unsigned number)
{
	current.t = t;
	current.failures = 0;
	current.skip_reason = NULL;
	kprintf("# %s\n", t->name); /* names the test if it hangs or panics */
	t->fn();
	if (current.failures) {
		kprintf("not ok %u - %s\n", number, t->name);
		return 1;
	}
	if (current.skip_reason)
		kprintf("ok %u - %s # SKIP %s\n", number, t->name, current.skip_reason);
	else
		kprintf("ok %u - %s\n", number, t->name);
	return 0;
}

int ktest_run(const char *selection)
{
	unsigned total = count_selected(selection), number = 0;
	int failed = 0;

	kprintf("TAP version 13\n1..%u\n", total);
	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++)
		if (selected(t, selection))
			failed += run_one(t, ++number);
	if (total == 0) {
		kprintf("# no test matches ktest=%s\n", selection);
		failed = 1;
	}
	if (failed)
		kprintf("KTEST: FAILED %d of %u\n", failed, total);
	else
		kprintf("KTEST: ALL PASSED\n");
	return failed;
}

uint64_t ktest_uread64(uintptr_t u, const char *file, int line)
{
	uint64_t v = 0;
	if (copy_from_user(&v, u, sizeof(v)) != 0)
		ktest_fail(file, line, "reading user memory at %#lx faulted", (unsigned long)u);
	return v;
}

void ktest_uwrite64(uintptr_t u, uint64_t v, const char *file, int line)
{
	if (copy_to_user(u, &v, sizeof(v)) != 0)
		ktest_fail(file, line, "writing user memory at %#lx faulted", (unsigned long)u);
}
