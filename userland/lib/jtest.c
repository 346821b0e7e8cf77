/*
 * userland/lib/jtest.c: the TAP helper of the user-space tests (API and output: jtest.h).
 *
 * Every line is formatted into a buffer first and then written with write(2) on fd 1 as a
 * whole (stdout is flushed before, so a test's own printf output stays in order). A
 * description never contains a newline; a multi-line diagnostic becomes several "# " lines.
 * errno is preserved across every call, so a test can check it after an expectation.
 * Only the process that calls jt_done() reports the plan: a forked child should report
 * through its exit status, not through points of its own.
 */
#include "jtest.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define JT_LINE 1024

static int jt_points;
static int jt_failed;
static int jt_marked;

/* Write all of buf to fd 1, as one write(2) unless the kernel returns short. */
static void jt_write(const char *buf, size_t len)
{
	fflush(stdout);
	while (len > 0) {
		ssize_t n = write(1, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* Append to buf (of size JT_LINE) at *pos, never overflowing; newlines become spaces. */
static void jt_vappend(char *buf, size_t *pos, const char *fmt, va_list ap)
{
	if (*pos >= JT_LINE - 1)
		return;
	int n = vsnprintf(buf + *pos, JT_LINE - *pos, fmt, ap);
	size_t end = n < 0 ? *pos : *pos + (size_t)n;
	if (end > JT_LINE - 1)
		end = JT_LINE - 1;
	for (size_t i = *pos; i < end; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	*pos = end;
}

static void jt_append(char *buf, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void jt_append(char *buf, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	jt_vappend(buf, pos, fmt, ap);
	va_end(ap);
}

/* Terminate the line with "\n" (the buffer always keeps room for it) and write it. */
static void jt_flush_line(char *buf, size_t pos)
{
	buf[pos++] = '\n';
	jt_write(buf, pos);
}

static void jt_vdiag(const char *fmt, va_list ap)
{
	char text[JT_LINE];
	vsnprintf(text, sizeof text, fmt, ap);
	for (char *start = text, *nl;; start = nl + 1) {
		nl = strchr(start, '\n');
		if (nl)
			*nl = '\0';
		char buf[JT_LINE + 1];
		size_t pos = 0;
		jt_append(buf, &pos, "# %s", start);
		jt_flush_line(buf, pos);
		if (!nl || nl[1] == '\0')
			break;
	}
}

void jt_diag(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	jt_vdiag(fmt, ap);
	va_end(ap);
	errno = saved;
}

/* "ok N - desc" or "not ok N - desc"; counts the point. */
static bool jt_vpoint(bool cond, const char *fmt, va_list ap)
{
	char buf[JT_LINE + 1];
	size_t pos = 0;
	jt_points++;
	if (!cond)
		jt_failed++;
	jt_append(buf, &pos, "%s %d - ", cond ? "ok" : "not ok", jt_points);
	jt_vappend(buf, &pos, fmt, ap);
	jt_flush_line(buf, pos);
	return cond;
}

static bool jt_point(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool jt_point(bool cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	jt_vpoint(cond, fmt, ap);
	va_end(ap);
	return cond;
}

bool jt_ok(bool cond, const char *file, int line, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	jt_vpoint(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		jt_diag("  failed at %s:%d", file, line);
	errno = saved;
	return cond;
}

bool jt_eq(long long got, long long want, const char *expr, const char *file, int line)
{
	int saved = errno;
	bool ok = jt_point(got == want, "%s == %lld", expr, want);
	if (!ok) {
		jt_diag("  got:  %lld (0x%llx)", got, (unsigned long long)got);
		jt_diag("  want: %lld (0x%llx)", want, (unsigned long long)want);
		jt_diag("  at %s:%d", file, line);
	}
	errno = saved;
	return ok;
}

/* s as a C string literal in buf (at most 200 characters of it), or "NULL". */
static const char *jt_quote(const char *s, char *buf, size_t size)
{
	if (!s)
		return "NULL";
	size_t pos = 0;
	buf[pos++] = '"';
	for (size_t i = 0; s[i] && pos + 6 < size && i < 200; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n' || c == '\t' || c == '"' || c == '\\') {
			buf[pos++] = '\\';
			buf[pos++] = c == '\n' ? 'n' : c == '\t' ? 't' : (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			pos += (size_t)snprintf(buf + pos, size - pos, "\\x%02x", c);
		} else {
			buf[pos++] = (char)c;
		}
	}
	buf[pos++] = '"';
	buf[pos] = '\0';
	return buf;
}

bool jt_streq(const char *got, const char *want, const char *expr, const char *file, int line)
{
	int saved = errno;
	char qgot[256], qwant[256];
	bool ok = got && want && strcmp(got, want) == 0;
	jt_point(ok, "%s == %s", expr, jt_quote(want, qwant, sizeof qwant));
	if (!ok) {
		jt_diag("  got:  %s", jt_quote(got, qgot, sizeof qgot));
		jt_diag("  want: %s", qwant);
		jt_diag("  at %s:%d", file, line);
	}
	errno = saved;
	return ok;
}

bool jt_errno(long ret, int saved_errno, int want_errno, const char *expr, const char *file,
	      int line)
{
	int saved = errno;
	bool ok = ret == -1 && saved_errno == want_errno;
	jt_point(ok, "%s fails with %s", expr, jt_errname(want_errno));
	if (!ok) {
		if (ret == -1)
			jt_diag("  got:  -1 with errno %s (%d)", jt_errname(saved_errno), saved_errno);
		else
			jt_diag("  got:  %ld (success), errno %s", ret, jt_errname(saved_errno));
		jt_diag("  want: -1 with errno %s (%d)", jt_errname(want_errno), want_errno);
		jt_diag("  at %s:%d", file, line);
	}
	errno = saved;
	return ok;
}

void jt_skip(const char *fmt, ...)
{
	int saved = errno;
	char buf[JT_LINE + 1];
	size_t pos = 0;
	va_list ap;
	jt_points++;
	jt_append(buf, &pos, "ok %d # SKIP ", jt_points);
	va_start(ap, fmt);
	jt_vappend(buf, &pos, fmt, ap);
	va_end(ap);
	jt_flush_line(buf, pos);
	errno = saved;
}

int jt_failures(void)
{
	return jt_failed;
}

void jt_mark(void)
{
	jt_marked = jt_failed;
}

int jt_failures_since_mark(void)
{
	return jt_failed - jt_marked;
}

static void jt_vbehaviour(const char *id, const char *verdict, const char *fmt, va_list ap)
{
	char buf[JT_LINE + 1];
	size_t pos = 0;
	jt_append(buf, &pos, "JANUS %s %s ", id, verdict);
	jt_vappend(buf, &pos, fmt, ap);
	while (pos > 0 && buf[pos - 1] == ' ')
		pos--;
	jt_flush_line(buf, pos);
}

void jt_behaviour(const char *id, bool pass, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	if (!pass)
		jt_failed++;   /* a failed behaviour fails the test even without a failed point */
	va_start(ap, fmt);
	jt_vbehaviour(id, pass ? "PASS" : "FAIL", fmt, ap);
	va_end(ap);
	errno = saved;
}

void jt_behaviour_skip(const char *id, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	jt_vbehaviour(id, "SKIP", fmt, ap);
	va_end(ap);
	errno = saved;
}

int jt_done(void)
{
	char buf[JT_LINE + 1];
	size_t pos = 0;
	jt_append(buf, &pos, "1..%d", jt_points);
	jt_flush_line(buf, pos);
	return jt_failed ? 1 : 0;
}

/* Linux's errno numbers are the same on x86_64 and aarch64 (asm-generic); aliases
 * (EWOULDBLOCK, EDEADLOCK, ENOTSUP) print as the name they alias. */
static const char *const jt_names[] = {
	[EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR",
	[EIO] = "EIO", [ENXIO] = "ENXIO", [E2BIG] = "E2BIG", [ENOEXEC] = "ENOEXEC",
	[EBADF] = "EBADF", [ECHILD] = "ECHILD", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM",
	[EACCES] = "EACCES", [EFAULT] = "EFAULT", [ENOTBLK] = "ENOTBLK", [EBUSY] = "EBUSY",
	[EEXIST] = "EEXIST", [EXDEV] = "EXDEV", [ENODEV] = "ENODEV", [ENOTDIR] = "ENOTDIR",
	[EISDIR] = "EISDIR", [EINVAL] = "EINVAL", [ENFILE] = "ENFILE", [EMFILE] = "EMFILE",
	[ENOTTY] = "ENOTTY", [ETXTBSY] = "ETXTBSY", [EFBIG] = "EFBIG", [ENOSPC] = "ENOSPC",
	[ESPIPE] = "ESPIPE", [EROFS] = "EROFS", [EMLINK] = "EMLINK", [EPIPE] = "EPIPE",
	[EDOM] = "EDOM", [ERANGE] = "ERANGE", [EDEADLK] = "EDEADLK",
	[ENAMETOOLONG] = "ENAMETOOLONG", [ENOLCK] = "ENOLCK", [ENOSYS] = "ENOSYS",
	[ENOTEMPTY] = "ENOTEMPTY", [ELOOP] = "ELOOP", [ENOMSG] = "ENOMSG", [EIDRM] = "EIDRM",
	[ENOSTR] = "ENOSTR", [ENODATA] = "ENODATA", [ETIME] = "ETIME", [ENOSR] = "ENOSR",
	[ENOLINK] = "ENOLINK", [EPROTO] = "EPROTO", [EBADMSG] = "EBADMSG",
	[EOVERFLOW] = "EOVERFLOW", [EILSEQ] = "EILSEQ", [ENOTSOCK] = "ENOTSOCK",
	[EDESTADDRREQ] = "EDESTADDRREQ", [EMSGSIZE] = "EMSGSIZE", [EPROTOTYPE] = "EPROTOTYPE",
	[ENOPROTOOPT] = "ENOPROTOOPT", [EPROTONOSUPPORT] = "EPROTONOSUPPORT",
	[ESOCKTNOSUPPORT] = "ESOCKTNOSUPPORT", [EOPNOTSUPP] = "EOPNOTSUPP",
	[EPFNOSUPPORT] = "EPFNOSUPPORT", [EAFNOSUPPORT] = "EAFNOSUPPORT",
	[EADDRINUSE] = "EADDRINUSE", [EADDRNOTAVAIL] = "EADDRNOTAVAIL", [ENETDOWN] = "ENETDOWN",
	[ENETUNREACH] = "ENETUNREACH", [ENETRESET] = "ENETRESET",
	[ECONNABORTED] = "ECONNABORTED", [ECONNRESET] = "ECONNRESET", [ENOBUFS] = "ENOBUFS",
	[EISCONN] = "EISCONN", [ENOTCONN] = "ENOTCONN", [ESHUTDOWN] = "ESHUTDOWN",
	[ETIMEDOUT] = "ETIMEDOUT", [ECONNREFUSED] = "ECONNREFUSED", [EHOSTDOWN] = "EHOSTDOWN",
	[EHOSTUNREACH] = "EHOSTUNREACH", [EALREADY] = "EALREADY", [EINPROGRESS] = "EINPROGRESS",
	[ESTALE] = "ESTALE", [EDQUOT] = "EDQUOT", [ECANCELED] = "ECANCELED",
	[EOWNERDEAD] = "EOWNERDEAD", [ENOTRECOVERABLE] = "ENOTRECOVERABLE",
};

const char *jt_errname(int e)
{
	static char buf[16];
	if (e == 0)
		return "0";
	if (e > 0 && (size_t)e < sizeof jt_names / sizeof jt_names[0] && jt_names[e])
		return jt_names[e];
	snprintf(buf, sizeof buf, "E%d", e);
	return buf;
}

/* ---- Helpers many tests share ---------------------------------------------------------------- */

int jt_reap(int pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return WIFSIGNALED(st) ? 1000 + WTERMSIG(st) : -1;
}

long long jt_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long jt_now_ms(void)
{
	return jt_now_us() / 1000;
}

long long jt_free_bytes(void)
{
	struct sysinfo si;
	return sysinfo(&si) == 0 ? (long long)si.freeram * si.mem_unit : -1;
}

long long jt_free_bytes_settled(long long before, long long slack)
{
	long long now = jt_free_bytes();
	for (int i = 0; i < 100 && before - now > slack; i++) {
		usleep(10000);
		now = jt_free_bytes();
	}
	return now;
}
