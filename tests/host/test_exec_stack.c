/*
 * tests/host/test_exec_stack.c: the initial user stack (core/exec_stack.c) under ASan/UBSan.
 *
 * Each built stack is read back the way a starting program reads it: from sp, argc, the argv
 * and envp arrays up to their NULLs, then auxv up to AT_NULL, following every pointer into
 * the buffer (which must hold a NUL-terminated string there). Buffers are allocated at exactly
 * the measured size, so a write outside the promised bytes is an ASan error. Then the limits:
 * 128 KiB per string, 2 MiB in all, argc 0, and argument checks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errno.h"
#include "core/exec_stack.h"
#include "tap.h"

#define MAXV 64

/* The buffer as user memory: [top - size, top). */
struct view {
	const uint8_t *buf;
	size_t size;
	uint64_t top, sp;
};

struct parsed {
	uint64_t argc;
	const char *argv[MAXV];
	uint64_t argv_addr[MAXV];
	size_t envc;
	const char *envp[MAXV];
	uint64_t envp_addr[MAXV];
	size_t naux;
	uint64_t aux[EXEC_AUXV_MAX][2];
};

static bool inside(const struct view *v, uint64_t a, size_t n)
{
	return a >= v->sp && a <= v->top && n <= v->top - a;
}

static const uint8_t *at(const struct view *v, uint64_t a)
{
	return v->buf + v->size - (v->top - a);
}

static bool word(const struct view *v, uint64_t a, uint64_t *w)
{
	if (!inside(v, a, 8))
		return false;
	memcpy(w, at(v, a), 8);
	return true;
}

static const char *str(const struct view *v, uint64_t a)
{
	if (!inside(v, a, 1) || !memchr(at(v, a), 0, v->top - a))
		return NULL;
	return (const char *)at(v, a);
}

/* An array of string pointers ending in NULL; false on any bad pointer. */
static bool walk_strings(const struct view *v, uint64_t *a, const char **s, uint64_t *addr,
                         size_t *n)
{
	uint64_t p;
	for (*n = 0;; (*n)++, *a += 8) {
		if (!word(v, *a, &p) || *n == MAXV)
			return false;
		if (!p)
			break;
		addr[*n] = p;
		if (!(s[*n] = str(v, p)))
			return false;
	}
	*a += 8;
	return true;
}

static bool walk(const struct view *v, struct parsed *p)
{
	uint64_t a = v->sp, argc;
	if (!word(v, a, &argc))
		return false;
	a += 8;
	size_t n;
	if (!walk_strings(v, &a, p->argv, p->argv_addr, &n) || n != argc)
		return false;
	p->argc = argc;
	if (!walk_strings(v, &a, p->envp, p->envp_addr, &p->envc))
		return false;
	for (p->naux = 0; p->naux < EXEC_AUXV_MAX; p->naux++, a += 16) {
		if (!word(v, a, &p->aux[p->naux][0]) || !word(v, a + 8, &p->aux[p->naux][1]))
			return false;
		if (p->aux[p->naux][0] == AT_NULL)
			return ++p->naux, true;
	}
	return false;
}

/* Value of an auxv entry; *count says how often it occurs. */
static uint64_t aux(const struct parsed *p, uint64_t type, int *count)
{
	uint64_t val = 0;
	*count = 0;
	for (size_t i = 0; i < p->naux; i++)
		if (p->aux[i][0] == type)
			val = p->aux[i][1], ++*count;
	return val;
}

static uint64_t aux1(const struct parsed *p, uint64_t type)
{
	int count;
	uint64_t v = aux(p, type, &count);
	if (count != 1) {
		printf("# auxv type %llu occurs %d times\n", (unsigned long long)type, count);
		tap_cur_failures++;
	}
	return v;
}

static const uint8_t rnd16[16] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

static struct exec_stack_in base_in(void)
{
	return (struct exec_stack_in){.execfn = "/bin/prog", .random = rnd16, .hwcap = 0x178bfbff,
	                              .hwcap2 = 2, .phdr = 0x200040, .phent = 56, .phnum = 7,
	                              .entry = 0x201e80};
}

/* argv and envp as read back: the caller's strings, packed in order below execfn. */
static void check_strings(const struct exec_stack_in *in, const struct parsed *p,
                          const struct exec_stack_out *out)
{
	size_t argc = in->argc ? in->argc : 1;
	CHECK_EQ(p->argc, argc);
	CHECK_EQ(out->argc, argc);
	for (size_t i = 0; i < argc && i < p->argc; i++) {
		CHECK_STREQ(p->argv[i], in->argc ? in->argv[i] : "");
		uint64_t next = i + 1 < argc ? p->argv_addr[i + 1]
		                             : (in->envc ? p->envp_addr[0] : out->execfn);
		CHECK_EQ(p->argv_addr[i] + strlen(p->argv[i]) + 1, next);
	}
	CHECK_EQ(p->envc, in->envc);
	for (size_t i = 0; i < in->envc && i < p->envc; i++) {
		CHECK_STREQ(p->envp[i], in->envp[i]);
		uint64_t next = i + 1 < in->envc ? p->envp_addr[i + 1] : out->execfn;
		CHECK_EQ(p->envp_addr[i] + strlen(p->envp[i]) + 1, next);
	}
	CHECK_EQ(out->argv, out->sp + 8);
	CHECK_EQ(out->envp, out->argv + 8 * (argc + 1));
	CHECK_EQ(out->auxv, out->envp + 8 * (in->envc + 1));
	CHECK_EQ(out->arg_start, p->argv_addr[0]);
	CHECK_EQ(out->env_end, out->execfn);
}

/* auxv: every value promised once, AT_RANDOM/AT_EXECFN/AT_PLATFORM at the right bytes. */
static void check_auxv(const struct exec_stack_in *in, const struct parsed *p,
                       const struct view *v, const struct exec_stack_out *out)
{
	const uint64_t want[][2] = {
		{AT_PAGESZ, 4096}, {AT_PHDR, in->phdr}, {AT_PHENT, in->phent},
		{AT_PHNUM, in->phnum}, {AT_ENTRY, in->entry}, {AT_HWCAP, in->hwcap},
		{AT_HWCAP2, in->hwcap2}, {AT_UID, in->uid}, {AT_EUID, in->euid}, {AT_GID, in->gid},
		{AT_EGID, in->egid}, {AT_SECURE, in->secure}, {AT_BASE, in->base}, {AT_CLKTCK, 100},
		{AT_RANDOM, out->random}, {AT_EXECFN, out->execfn}};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_EQ(aux1(p, want[i][0]), want[i][1]);
	uint64_t r = out->random, e = out->execfn, zero;
	CHECK(inside(v, r, 16) && !memcmp(at(v, r), in->random, 16));
	CHECK_STREQ(str(v, e), in->execfn);
	CHECK_EQ(e + strlen(in->execfn) + 1 + 8, v->top); /* then 8 zero bytes at the very top */
	CHECK(word(v, v->top - 8, &zero) && zero == 0);
	int count;
	uint64_t plat = aux(p, AT_PLATFORM, &count);
	CHECK_EQ(count, in->platform ? 1 : 0);
	if (in->platform) {
		CHECK_EQ(plat, out->platform);
		CHECK_STREQ(str(v, plat), in->platform);
		CHECK_EQ(r + 16, plat); /* random bytes just below the platform */
		CHECK(plat + strlen(in->platform) < p->argv_addr[0]);
	}
	CHECK(r + 16 <= p->argv_addr[0]);
	aux(p, AT_SYSINFO_EHDR, &count);
	CHECK_EQ(count, 0);
	aux(p, AT_MINSIGSTKSZ, &count);
	CHECK_EQ(count, in->minsigstksz ? 1 : 0);
	CHECK(out->auxv + 16 * p->naux <= r); /* the tables end below the random bytes */
	CHECK_EQ(p->aux[p->naux - 1][1], 0);
}

/* Build into a buffer of exactly the measured size and check everything a program sees. */
static void build_and_check(const struct exec_stack_in *in, uint64_t top)
{
	size_t size = 0;
	CHECK_EQ(exec_stack_measure(in, &size), 0);
	uint8_t *buf = malloc(size);
	struct exec_stack_out out;
	CHECK_EQ(exec_stack_build(in, buf, size, top, &out), 0);
	CHECK_EQ(out.size, size);
	CHECK_EQ(out.sp, top - size);
	CHECK_EQ(out.sp % 16, 0);
	struct view v = {buf, size, top, out.sp};
	struct parsed p;
	bool walked = walk(&v, &p);
	CHECK(walked);
	if (walked)
		check_strings(in, &p, &out);
	if (walked)
		check_auxv(in, &p, &v, &out);
	free(buf);
}

static void test_layout(void)
{
	const char *argv[] = {"prog", "-x", "hello world", ""};
	const char *envp[] = {"HOME=/", "PATH=/bin:/sbin", "TERM=vt100"};
	struct exec_stack_in in = base_in();
	in.argv = argv, in.argc = 4, in.envp = envp, in.envc = 3;
	in.platform = "x86_64";
	build_and_check(&in, 0x7ffffffff000);
	in.platform = NULL;
	in.uid = 1000, in.euid = 1001, in.gid = 100, in.egid = 101, in.secure = true;
	in.minsigstksz = 5120, in.base = 0x7f0000000000;
	build_and_check(&in, 0x7ffffffff000);

	/* The exact Linux picture for a small case, byte offsets from the top. */
	const char *a1[] = {"a"};
	struct exec_stack_in s = base_in();
	s.argv = a1, s.argc = 1, s.execfn = "/a";
	size_t size;
	CHECK_EQ(exec_stack_measure(&s, &size), 0);
	/* 8 marker + 3 "/a" + 2 "a" = 13 -> 16, random 16 -> 32, then argc, argv, NULL, envp NULL
	 * = 4 words and 18 auxv pairs = 40 words = 320 bytes: 352, already 16-aligned. */
	CHECK_EQ(size, 352);
	tap_point("layout: argc, argv, envp, auxv, strings, AT_RANDOM/AT_EXECFN/AT_PLATFORM");
}

static void test_argc0(void)
{
	const char *envp[] = {"A=1"};
	struct exec_stack_in in = base_in();
	in.envp = envp, in.envc = 1;
	build_and_check(&in, 0x7ffffffff000); /* checks argc 1, argv[0] "" */
	in.argv = NULL;
	uint8_t buf[1024];
	struct exec_stack_out out;
	CHECK_EQ(exec_stack_build(&in, buf, sizeof(buf), 0x1000000, &out), 0);
	uint64_t argc, argv0, argv1;
	memcpy(&argc, buf + sizeof(buf) - out.size, 8);
	memcpy(&argv0, buf + sizeof(buf) - out.size + 8, 8);
	memcpy(&argv1, buf + sizeof(buf) - out.size + 16, 8);
	CHECK_EQ(argc, 1);
	CHECK_EQ(buf[sizeof(buf) - (0x1000000 - argv0)], 0);
	CHECK_EQ(argv1, 0);
	tap_point("argc 0 becomes argc 1 with argv[0] == \"\" (Linux >= 5.18, PROC-011)");
}

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_random_shapes(void)
{
	static char pool[2 * MAXV][300];
	const char *argv[MAXV], *envp[MAXV];
	for (int r = 0; r < 3000; r++) {
		struct exec_stack_in in = base_in();
		in.argc = rnd() % 20, in.envc = rnd() % 20;
		for (size_t i = 0; i < in.argc + in.envc; i++) {
			size_t len = rnd() % 4 == 0 ? 0 : rnd() % (sizeof(pool[0]) - 1);
			for (size_t k = 0; k < len; k++)
				pool[i][k] = (char)(1 + rnd() % 255);
			pool[i][len] = '\0';
			if (i < in.argc)
				argv[i] = pool[i];
			else
				envp[i - in.argc] = pool[i];
		}
		in.argv = argv, in.envp = envp;
		in.execfn = pool[MAXV + rnd() % MAXV];
		in.platform = rnd() % 2 ? &"aarch64"[rnd() % 8] : NULL;
		in.minsigstksz = rnd() % 2 ? 4096 : 0;
		build_and_check(&in, (0x10000 + rnd() % 0x7ffffff0000ull) & ~15ull);
	}
	tap_point("3000 random argv/envp/platform shapes read back exactly");
}

static void test_string_limit(void)
{
	char *big = malloc(MAX_ARG_STRLEN + 1);
	memset(big, 'x', MAX_ARG_STRLEN);
	big[MAX_ARG_STRLEN - 1] = '\0'; /* 131071 characters + NUL: allowed */
	const char *argv[] = {"prog", big}, *envp[] = {big};
	struct exec_stack_in in = base_in();
	in.argv = argv, in.argc = 2;
	uint8_t *buf = malloc(EXEC_STACK_MAX);
	struct exec_stack_out out;
	CHECK_EQ(exec_stack_build(&in, buf, EXEC_STACK_MAX, 0x7ffffffff000, &out), 0);
	big[MAX_ARG_STRLEN - 1] = 'x';
	big[MAX_ARG_STRLEN] = '\0'; /* 131072 characters: too long */
	CHECK_EQ(exec_stack_build(&in, buf, EXEC_STACK_MAX, 0x7ffffffff000, &out), -E2BIG);
	in.argc = 1, in.envp = envp, in.envc = 1;
	CHECK_EQ(exec_stack_build(&in, buf, EXEC_STACK_MAX, 0x7ffffffff000, &out), -E2BIG);
	in.envc = 0, in.execfn = big;
	size_t size;
	CHECK_EQ(exec_stack_measure(&in, &size), -E2BIG);
	free(buf);
	free(big);
	tap_point("one string of 128 KiB or more (NUL included) gives -E2BIG (PROC-010)");
}

static void test_total_limit(void)
{
	/* 16 argv pointers (128) + "/x" (3) + 15 strings of 131072 + one of 130941 = 2 MiB. */
	static char s[16][MAX_ARG_STRLEN];
	const char *argv[16];
	for (int i = 0; i < 16; i++) {
		size_t len = i < 15 ? MAX_ARG_STRLEN - 1 : 130940;
		memset(s[i], 'a' + i, len);
		s[i][len] = '\0';
		argv[i] = s[i];
	}
	struct exec_stack_in in = base_in();
	in.argv = argv, in.argc = 16, in.execfn = "/x";
	uint8_t *buf = malloc(EXEC_STACK_MAX);
	struct exec_stack_out out;
	in.platform = "012345678901234567890123456789012345678901234567890123456789012"; /* 63 */
	CHECK_EQ(exec_stack_build(&in, buf, EXEC_STACK_MAX, 0x7ffffffff000, &out), 0);
	CHECK(out.size <= EXEC_STACK_MAX);
	s[15][130940] = 'z', s[15][130941] = '\0'; /* one byte more */
	CHECK_EQ(exec_stack_build(&in, buf, EXEC_STACK_MAX, 0x7ffffffff000, &out), -E2BIG);
	free(buf);

	size_t n = EXEC_ARG_MAX / 8, size; /* pointers alone fill the limit */
	const char **many = malloc(n * sizeof(*many));
	for (size_t i = 0; i < n; i++)
		many[i] = "";
	in = base_in();
	in.argv = many, in.argc = n;
	CHECK_EQ(exec_stack_measure(&in, &size), -E2BIG);
	in.argc = 1, in.envp = many, in.envc = n - 1;
	CHECK_EQ(exec_stack_measure(&in, &size), -E2BIG);
	in.envc = 200000; /* 1.6 MB of pointers + 200 KB of "" strings: fits */
	CHECK_EQ(exec_stack_measure(&in, &size), 0);
	buf = malloc(size);
	CHECK_EQ(exec_stack_build(&in, buf, size, 0x7ffffffff000, &out), 0);
	free(buf);
	free(many);
	tap_point("strings + pointers over 2 MiB give -E2BIG; exactly 2 MiB fits EXEC_STACK_MAX");
}

static void test_bad_args(void)
{
	const char *argv[] = {"prog", NULL};
	struct exec_stack_in in = base_in();
	in.argv = argv, in.argc = 1;
	size_t size;
	CHECK_EQ(exec_stack_measure(&in, &size), 0);
	uint8_t *buf = malloc(size);
	struct exec_stack_out out;
	CHECK_EQ(exec_stack_build(&in, buf, size - 1, 0x7ffffffff000, &out), -E2BIG);
	CHECK_EQ(exec_stack_build(&in, buf, size, 0x7ffffffff008, &out), -EINVAL);
	CHECK_EQ(exec_stack_build(&in, buf, size, size - 16, &out), -EINVAL);
	CHECK_EQ(exec_stack_build(&in, buf, size, size, &out), 0); /* stack down to address 0 */
	free(buf);
	in.argc = 2;
	CHECK_EQ(exec_stack_measure(&in, &size), -EINVAL);
	in.argc = 1, in.random = NULL;
	CHECK_EQ(exec_stack_measure(&in, &size), -EINVAL);
	in.random = rnd16, in.execfn = NULL;
	CHECK_EQ(exec_stack_measure(&in, &size), -EINVAL);
	in.execfn = "/x", in.envc = 1;
	CHECK_EQ(exec_stack_measure(&in, &size), -EINVAL); /* envp NULL with envc 1 */
	in.envc = 0;
	in.platform = "0123456789012345678901234567890123456789012345678901234567890123"; /* 64 */
	CHECK_EQ(exec_stack_measure(&in, &size), -EINVAL);
	tap_point("a short buffer gives -E2BIG; bad top, NULL strings, long platform -EINVAL");
}

int main(void)
{
	test_layout();
	test_argc0();
	test_random_shapes();
	test_string_limit();
	test_total_limit();
	test_bad_args();
	return tap_done();
}
