/*
 * userland/lib/jtest.h: the TAP helper every user-space test links (static musl, both ports,
 * and Linux under qemu-user). One source per test, built for x86_64 and aarch64.
 *
 *   #include "jtest.h"
 *   // covers: FS-001 FS-002
 *   int main(void) {
 *       int fd = open("/hello.txt", O_RDONLY);
 *       JT_OK(fd >= 0, "open /hello.txt");
 *       char b[64];
 *       JT_EQ(read(fd, b, sizeof b), 17);
 *       JT_ERRNO(read(-1, b, 1), EBADF);
 *       jt_behaviour("FS-001", jt_failures_since_mark() == 0, "read returns bytes then 0");
 *       return jt_done();
 *   }
 *
 * Output is TAP ("ok N - text", "not ok N - text", diagnostics "# ..."), the plan printed by
 * jt_done() at the end, plus one line per behaviour ID: "JANUS <ID> PASS|FAIL|SKIP <detail>"
 * (../shared/BEHAVIOURS.md). Everything goes through write(2) on fd 1 in whole lines, so a
 * line is never torn. jt_done() returns the exit status: 0 if every point passed, else 1.
 * Failing expectations print both values; JT_ERRNO prints the errno by name.
 */
#ifndef JTEST_H
#define JTEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

/* One TAP point. Returns cond. */
bool jt_ok(bool cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
bool jt_eq(long long got, long long want, const char *expr, const char *file, int line);
bool jt_streq(const char *got, const char *want, const char *expr, const char *file, int line);
/* ret must be -1 with errno == want_errno. */
bool jt_errno(long ret, int saved_errno, int want_errno, const char *expr, const char *file,
	      int line);
void jt_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void jt_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define JT_OK(cond, ...) jt_ok((cond), __FILE__, __LINE__, __VA_ARGS__)
#define JT_EQ(got, want) jt_eq((long long)(got), (long long)(want), #got, __FILE__, __LINE__)
#define JT_STREQ(got, want) jt_streq((got), (want), #got, __FILE__, __LINE__)
#define JT_ERRNO(call, err)                                                           \
	({                                                                            \
		errno = 0;                                                            \
		long jt_r_ = (long)(call);                                            \
		jt_errno(jt_r_, errno, (err), #call, __FILE__, __LINE__);             \
	})

/* JT_EQ for values that differ between runs and platforms (pids, inode numbers, addresses):
 * the description names both expressions (the output is compared across platforms), and the
 * values go to a diagnostic line when they differ. */
#define JT_EQV(got, want)                                                                     \
	({                                                                                    \
		long long gv_ = (long long)(got), wv_ = (long long)(want);                    \
		bool okq_ = JT_OK(gv_ == wv_, "%s == %s", #got, #want);                       \
		if (!okq_)                                                                    \
			jt_diag("  got %lld (%#llx), want %lld (%#llx)", gv_, gv_, wv_, wv_); \
		okq_;                                                                         \
	})

/* JT_OK with a fixed description (the output is compared across platforms); the measured
 * values go to a diagnostic line, which the comparison ignores. */
#define JT_OKV(cond, desc, fmt, ...)             \
	({                                       \
		bool okv_ = JT_OK((cond), desc); \
		jt_diag("  " fmt, __VA_ARGS__);  \
		okv_;                            \
	})

/* Failures recorded so far / since the last mark: lets a test decide a behaviour's verdict
 * from the points that check it. */
int jt_failures(void);
void jt_mark(void);
int jt_failures_since_mark(void);

/* "JANUS <id> PASS|FAIL <detail>"; SKIP only where BEHAVIOURS.md allows it. */
void jt_behaviour(const char *id, bool pass, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void jt_behaviour_skip(const char *id, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print the plan; the exit status for main: 0 if all points passed. */
int jt_done(void);

/* The errno name ("ENOENT"), or "E<number>". */
const char *jt_errname(int e);

/* Helpers many tests share. */
/* Wait for pid: its exit code, 1000 + the number of the signal that killed it, or -1. */
int jt_reap(int pid);
/* CLOCK_MONOTONIC in milliseconds / microseconds. */
long long jt_now_ms(void);
long long jt_now_us(void);
/* sysinfo's free memory in bytes, or -1. */
long long jt_free_bytes(void);
/* Free memory once it is back within slack bytes of before, or after a second of waiting:
 * exited threads' kernel stacks are freed by Janus's reaper thread a moment after wait. */
long long jt_free_bytes_settled(long long before, long long slack);

#endif
