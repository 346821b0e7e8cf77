/*
 * core/exec_stack.c: the initial user stack (core/exec_stack.h).
 *
 * Design: one function (plan_layout) measures everything and decides every offset, counted as
 * a distance below user_stack_top; exec_stack_measure returns it and exec_stack_build writes
 * to exactly those places, so the two can never disagree. Strings are scanned with a bound
 * (strnlen up to MAX_ARG_STRLEN), never trusted to be short. The limits follow Linux's
 * bprm_stack_limits() with the default 8 MiB stack rlimit: the argv and envp pointers and
 * all strings (the execve path included) share EXEC_ARG_MAX bytes.
 *
 * Words are stored in the kernel's own byte order, which is the user program's: both ports
 * and the host suite are little-endian, and the stack is plain memory to the new program.
 */
#include "core/exec_stack.h"

#include "core/errno.h"
#include "core/string.h"

struct plan {
	size_t argc, envc;           /* argc after the argc == 0 fix-up */
	size_t execfn_len, plat_len; /* NUL included; plat_len is 0 without a platform */
	size_t strings;              /* argv and envp strings, NULs included */
	size_t naux;                 /* auxv pairs, AT_NULL included */
	/* Distances below user_stack_top. */
	size_t off_execfn, off_args, off_platform, off_random, off_sp;
};

/* User addresses the auxv refers to. */
struct aux_addrs {
	uint64_t random, execfn, platform;
};

static const char *const empty_argv[] = {""};

static size_t align16(size_t v)
{
	return (v + 15) & ~(size_t)15;
}

static void put64(uint8_t *dst, uint64_t v)
{
	memcpy(dst, &v, sizeof(v));
}

static const char *const *argv_of(const struct exec_stack_in *in)
{
	return in->argc ? in->argv : empty_argv;
}

/* *len = strlen(s) + 1, or -E2BIG when that is over MAX_ARG_STRLEN. */
static int arg_len(const char *s, size_t *len)
{
	if (!s)
		return -EINVAL;
	size_t n = strnlen(s, MAX_ARG_STRLEN);
	if (n == MAX_ARG_STRLEN)
		return -E2BIG;
	*len = n + 1;
	return 0;
}

/* Add the sizes of n strings to *total, stopping with -E2BIG once it passes the limit. */
static int sum_strings(const char *const *v, size_t n, size_t *total)
{
	if (n && !v)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		size_t len;
		int err = arg_len(v[i], &len);
		if (err)
			return err;
		*total += len;
		if (*total > EXEC_ARG_MAX)
			return -E2BIG;
	}
	return 0;
}

/* Fill aux (room for EXEC_AUXV_MAX pairs) in Linux's order; returns the pair count. */
static size_t auxv_fill(const struct exec_stack_in *in, const struct aux_addrs *a, uint64_t *aux)
{
	size_t n = 0;
#define AUX(type, val) (aux[2 * n] = (type), aux[2 * n + 1] = (val), n++)
	if (in->minsigstksz)
		AUX(AT_MINSIGSTKSZ, in->minsigstksz);
	AUX(AT_HWCAP, in->hwcap);
	AUX(AT_PAGESZ, 4096);
	AUX(AT_CLKTCK, 100);
	AUX(AT_PHDR, in->phdr);
	AUX(AT_PHENT, in->phent);
	AUX(AT_PHNUM, in->phnum);
	AUX(AT_BASE, in->base);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, in->entry);
	AUX(AT_UID, in->uid);
	AUX(AT_EUID, in->euid);
	AUX(AT_GID, in->gid);
	AUX(AT_EGID, in->egid);
	AUX(AT_SECURE, in->secure ? 1 : 0);
	AUX(AT_RANDOM, a->random);
	AUX(AT_HWCAP2, in->hwcap2);
	AUX(AT_EXECFN, a->execfn);
	if (in->platform)
		AUX(AT_PLATFORM, a->platform);
	AUX(AT_NULL, 0);
#undef AUX
	return n;
}

/* Sizes and the limits: the string counts, lengths and the total. */
static int plan_sizes(const struct exec_stack_in *in, struct plan *p)
{
	if (!in->execfn || !in->random)
		return -EINVAL;
	p->argc = in->argc ? in->argc : 1;
	p->envc = in->envc;
	if (p->argc > EXEC_ARG_MAX / 8 || p->envc > EXEC_ARG_MAX / 8)
		return -E2BIG;
	size_t total = (p->argc + p->envc) * 8; /* the argv and envp pointers */
	if (total >= EXEC_ARG_MAX)
		return -E2BIG;
	int err = arg_len(in->execfn, &p->execfn_len);
	if (err)
		return err;
	total += p->execfn_len;
	size_t before = total;
	if ((err = sum_strings(argv_of(in), p->argc, &total)) ||
	    (err = sum_strings(in->envp, in->envc, &total)))
		return err;
	p->strings = total - before;
	if (total > EXEC_ARG_MAX)
		return -E2BIG;
	if (in->platform) {
		size_t n = strnlen(in->platform, EXEC_PLATFORM_MAX);
		if (n == EXEC_PLATFORM_MAX)
			return -EINVAL;
		p->plat_len = n + 1;
	}
	return 0;
}

static int plan_layout(const struct exec_stack_in *in, struct plan *p)
{
	uint64_t aux[2 * EXEC_AUXV_MAX];
	struct aux_addrs none = {0, 0, 0};

	memset(p, 0, sizeof(*p));
	int err = plan_sizes(in, p);
	if (err)
		return err;
	p->naux = auxv_fill(in, &none, aux);
	size_t off = 8 + p->execfn_len; /* the end marker, then the path */
	p->off_execfn = off;
	off += p->strings;
	p->off_args = off;
	off = align16(off) + p->plat_len;
	p->off_platform = off;
	off += 16;
	p->off_random = off;
	size_t words = 1 + (p->argc + 1) + (p->envc + 1) + 2 * p->naux;
	p->off_sp = align16(off + words * 8);
	return 0;
}

int exec_stack_measure(const struct exec_stack_in *in, size_t *size)
{
	struct plan p;
	int err = plan_layout(in, &p);
	if (err)
		return err;
	*size = p.off_sp;
	return 0;
}

/* Copy n strings upwards from *pos (a distance below top) and store their user addresses in
 * the pointer array at ptrs, followed by NULL. */
static void put_strings(uint8_t *top_buf, uint64_t top, const char *const *v, size_t n,
                        size_t *pos, uint8_t *ptrs)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i]) + 1; /* bounded: plan_sizes checked it */
		memcpy(top_buf - *pos, v[i], len);
		put64(ptrs + 8 * i, top - *pos);
		*pos -= len;
	}
	put64(ptrs + 8 * n, 0);
}

static void fill_out(const struct plan *p, uint64_t top, bool platform, struct exec_stack_out *out)
{
	out->sp = top - p->off_sp;
	out->size = p->off_sp;
	out->argc = p->argc;
	out->argv = out->sp + 8;
	out->envp = out->argv + 8 * (p->argc + 1);
	out->auxv = out->envp + 8 * (p->envc + 1);
	out->execfn = top - p->off_execfn;
	out->random = top - p->off_random;
	out->platform = platform ? top - p->off_platform : 0;
	out->arg_start = top - p->off_args;
	out->env_end = out->execfn;
	out->env_start = out->env_end;
	out->arg_end = out->arg_start;
}

int exec_stack_build(const struct exec_stack_in *in, uint8_t *buf, size_t buf_size,
                     uint64_t user_stack_top, struct exec_stack_out *out)
{
	struct plan p;
	int err = plan_layout(in, &p);
	if (err)
		return err;
	if ((user_stack_top & 15) || user_stack_top < p.off_sp)
		return -EINVAL;
	if (buf_size < p.off_sp)
		return -E2BIG;

	uint8_t *top = buf + buf_size;
	memset(top - p.off_sp, 0, p.off_sp);
	fill_out(&p, user_stack_top, in->platform != NULL, out);
	memcpy(top - p.off_execfn, in->execfn, p.execfn_len);

	uint8_t *argv_ptrs = top - p.off_sp + 8;
	size_t pos = p.off_args;
	put_strings(top, user_stack_top, argv_of(in), p.argc, &pos, argv_ptrs);
	out->arg_end = out->env_start = user_stack_top - pos;
	put_strings(top, user_stack_top, in->envp, p.envc, &pos, argv_ptrs + 8 * (p.argc + 1));

	if (in->platform)
		memcpy(top - p.off_platform, in->platform, p.plat_len);
	memcpy(top - p.off_random, in->random, 16);
	put64(top - p.off_sp, p.argc);

	uint64_t aux[2 * EXEC_AUXV_MAX];
	struct aux_addrs a = {out->random, out->execfn, out->platform};
	size_t naux = auxv_fill(in, &a, aux);
	uint8_t *auxp = argv_ptrs + 8 * (p.argc + 1) + 8 * (p.envc + 1);
	for (size_t i = 0; i < 2 * naux; i++)
		put64(auxp + 8 * i, aux[i]);
	return 0;
}
