/*
 * core/sys_cred.c: user and group identities, Linux's rules on both ports.
 *
 * A process's credentials (proc->cred) are shared by its threads, so a set*id call changes
 * them for the whole process, which is what POSIX asks of setuid (musl's set*id wrappers also
 * repeat the call in every thread, and the repeats are no-ops). Every change is made under
 * cred_lock, one mutex for all processes (the calls are rare): read the old set, compute the
 * new one by Linux's rules, store it, and call proc_cred_changed so that the VFS's copy
 * (proc->vfs_cred) follows, still under the lock so two changes cannot publish out of order.
 * Readers (getuid and friends, the VFS through vfs_cred) read 32-bit words without the lock.
 * User memory is copied outside the lock.
 *
 * Privilege is euid 0, which is how a Linux process that keeps the capability rules' defaults
 * holds CAP_SETUID and CAP_SETGID: root may set any id; anyone else only one of the current
 * real, effective or saved ids (setfsuid: or the current fsuid). An id of -1 means "leave it"
 * where Linux says so, and is otherwise invalid. NGROUPS_MAX is 32 here, not Linux's 65536:
 * setgroups with more is -EINVAL.
 */
#include "core/errno.h"
#include "core/proc.h"
#include "core/string.h"
#include "core/sync.h"
#include "core/syscall.h"
#include "core/uaccess.h"

SYSCALL_DECLARE(getuid);
SYSCALL_DECLARE(geteuid);
SYSCALL_DECLARE(getgid);
SYSCALL_DECLARE(getegid);
SYSCALL_DECLARE(getresuid);
SYSCALL_DECLARE(getresgid);
SYSCALL_DECLARE(setuid);
SYSCALL_DECLARE(setgid);
SYSCALL_DECLARE(setreuid);
SYSCALL_DECLARE(setregid);
SYSCALL_DECLARE(setresuid);
SYSCALL_DECLARE(setresgid);
SYSCALL_DECLARE(setfsuid);
SYSCALL_DECLARE(setfsgid);
SYSCALL_DECLARE(getgroups);
SYSCALL_DECLARE(setgroups);

#define ID_NONE 0xffffffffu

static struct mutex cred_lock = MUTEX_INIT("cred");

static const struct cred *cur_cred(void)
{
	return &proc_current()->cred;
}

/* ---- Reading -------------------------------------------------------------------------------- */

long sys_getuid(const unsigned long *a)
{
	(void)a;
	return __atomic_load_n(&cur_cred()->uid, __ATOMIC_RELAXED);
}

long sys_geteuid(const unsigned long *a)
{
	(void)a;
	return __atomic_load_n(&cur_cred()->euid, __ATOMIC_RELAXED);
}

long sys_getgid(const unsigned long *a)
{
	(void)a;
	return __atomic_load_n(&cur_cred()->gid, __ATOMIC_RELAXED);
}

long sys_getegid(const unsigned long *a)
{
	(void)a;
	return __atomic_load_n(&cur_cred()->egid, __ATOMIC_RELAXED);
}

/* Three ids, consistent with each other, to three user words (Linux: each put_user in turn). */
static long put_three(const unsigned long *a, const uint32_t *r, const uint32_t *e,
		      const uint32_t *s)
{
	mutex_lock(&cred_lock);
	uint32_t v[3] = {*r, *e, *s};
	mutex_unlock(&cred_lock);
	for (unsigned i = 0; i < 3; i++)
		if (put_user(a[i], &v[i]))
			return -EFAULT;
	return 0;
}

long sys_getresuid(const unsigned long *a)
{
	const struct cred *c = cur_cred();
	return put_three(a, &c->uid, &c->euid, &c->suid);
}

long sys_getresgid(const unsigned long *a)
{
	const struct cred *c = cur_cred();
	return put_three(a, &c->gid, &c->egid, &c->sgid);
}

/* ---- Changing ------------------------------------------------------------------------------- */

/* Compute the new credentials n from the old o and the arguments: >= 0 (the syscall's result)
 * or -errno (nothing changes). */
typedef long cred_update(struct cred *n, const struct cred *o, const unsigned long *a);

static long change_cred(cred_update *fn, const unsigned long *a)
{
	struct proc *p = proc_current();
	mutex_lock(&cred_lock);
	struct cred o = p->cred, n = o;
	long ret = fn(&n, &o, a);
	if (ret >= 0 && memcmp(&n, &o, sizeof(n)) != 0) {
		p->cred = n;
		proc_cred_changed(p);
	}
	mutex_unlock(&cred_lock);
	return ret;
}

static bool privileged(const struct cred *o)
{
	return o->euid == 0;
}

/* id is one of the current real, effective or saved ids. */
static bool among(uint32_t id, uint32_t r, uint32_t e, uint32_t s)
{
	return id == r || id == e || id == s;
}

/* setuid and setgid share their rule; so do the other pairs. The uid variants work on the uid
 * fields of the new and old credentials, the gid variants on the gid fields. */
struct idset {
	uint32_t *r, *e, *s, *fs; /* in the new credentials */
};
struct idvals {
	uint32_t r, e, s, fs;     /* the old ones */
};

static struct idset uids(struct cred *c)
{
	return (struct idset){&c->uid, &c->euid, &c->suid, &c->fsuid};
}
static struct idset gids(struct cred *c)
{
	return (struct idset){&c->gid, &c->egid, &c->sgid, &c->fsgid};
}
static struct idvals old_uids(const struct cred *c)
{
	return (struct idvals){c->uid, c->euid, c->suid, c->fsuid};
}
static struct idvals old_gids(const struct cred *c)
{
	return (struct idvals){c->gid, c->egid, c->sgid, c->fsgid};
}

/* Linux's setuid: root sets real, effective, saved and fs ids; others only the effective (and
 * fs) id, to the real or saved one. */
static long set_one(struct idset n, struct idvals o, bool priv, uint32_t id)
{
	if (id == ID_NONE)
		return -EINVAL;
	if (priv)
		*n.r = *n.s = id;
	else if (id != o.r && id != o.s)
		return -EPERM;
	*n.e = *n.fs = id;
	return 0;
}

/* Linux's setreuid: the real id may become the real or effective one, the effective id any of
 * the three; the saved id follows the new effective one if the real id was set or the
 * effective one set to something other than the old real id. */
static long set_re(struct idset n, struct idvals o, bool priv, uint32_t r, uint32_t e)
{
	if (r != ID_NONE && !priv && r != o.r && r != o.e)
		return -EPERM;
	if (e != ID_NONE && !priv && !among(e, o.r, o.e, o.s))
		return -EPERM;
	if (r != ID_NONE)
		*n.r = r;
	if (e != ID_NONE)
		*n.e = e;
	if (r != ID_NONE || (e != ID_NONE && e != o.r))
		*n.s = *n.e;
	*n.fs = *n.e;
	return 0;
}

/* Linux's setresuid: each id given may become any of the three current ones. */
static long set_res(struct idset n, struct idvals o, bool priv, const unsigned long *a)
{
	uint32_t v[3] = {(uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2]};
	for (unsigned i = 0; i < 3 && !priv; i++)
		if (v[i] != ID_NONE && !among(v[i], o.r, o.e, o.s))
			return -EPERM;
	if (v[0] != ID_NONE)
		*n.r = v[0];
	if (v[1] != ID_NONE)
		*n.e = v[1];
	if (v[2] != ID_NONE)
		*n.s = v[2];
	*n.fs = *n.e;
	return 0;
}

/* Linux's setfsuid: returns the old fs id whatever happens; changes it only to one of the
 * real, effective, saved or current fs ids (anything, for root). -1 just asks. */
static long set_fs(struct idset n, struct idvals o, bool priv, uint32_t id)
{
	if (id != ID_NONE && (priv || among(id, o.r, o.e, o.s) || id == o.fs))
		*n.fs = id;
	return o.fs;
}

#define CRED_ARGS struct cred *n, const struct cred *o, const unsigned long *a

static long upd_setuid(CRED_ARGS)
{
	return set_one(uids(n), old_uids(o), privileged(o), (uint32_t)a[0]);
}
static long upd_setgid(CRED_ARGS)
{
	return set_one(gids(n), old_gids(o), privileged(o), (uint32_t)a[0]);
}
static long upd_setreuid(CRED_ARGS)
{
	return set_re(uids(n), old_uids(o), privileged(o), (uint32_t)a[0], (uint32_t)a[1]);
}
static long upd_setregid(CRED_ARGS)
{
	return set_re(gids(n), old_gids(o), privileged(o), (uint32_t)a[0], (uint32_t)a[1]);
}
static long upd_setresuid(CRED_ARGS)
{
	return set_res(uids(n), old_uids(o), privileged(o), a);
}
static long upd_setresgid(CRED_ARGS)
{
	return set_res(gids(n), old_gids(o), privileged(o), a);
}
static long upd_setfsuid(CRED_ARGS)
{
	return set_fs(uids(n), old_uids(o), privileged(o), (uint32_t)a[0]);
}
static long upd_setfsgid(CRED_ARGS)
{
	return set_fs(gids(n), old_gids(o), privileged(o), (uint32_t)a[0]);
}

long sys_setuid(const unsigned long *a)
{
	return change_cred(upd_setuid, a);
}
long sys_setgid(const unsigned long *a)
{
	return change_cred(upd_setgid, a);
}
long sys_setreuid(const unsigned long *a)
{
	return change_cred(upd_setreuid, a);
}
long sys_setregid(const unsigned long *a)
{
	return change_cred(upd_setregid, a);
}
long sys_setresuid(const unsigned long *a)
{
	return change_cred(upd_setresuid, a);
}
long sys_setresgid(const unsigned long *a)
{
	return change_cred(upd_setresgid, a);
}
long sys_setfsuid(const unsigned long *a)
{
	return change_cred(upd_setfsuid, a);
}
long sys_setfsgid(const unsigned long *a)
{
	return change_cred(upd_setfsgid, a);
}

/* ---- Supplementary groups ------------------------------------------------------------------- */

/* getgroups(size, list): size 0 asks for the count; a smaller size than the count is -EINVAL. */
long sys_getgroups(const unsigned long *a)
{
	int size = (int)a[0];
	if (size < 0)
		return -EINVAL;
	const struct cred *c = cur_cred();
	uint32_t g[NGROUPS_MAX];
	mutex_lock(&cred_lock);
	unsigned n = c->ngroups;
	memcpy(g, c->groups, n * sizeof(g[0]));
	mutex_unlock(&cred_lock);
	if (size == 0)
		return n;
	if ((unsigned)size < n)
		return -EINVAL;
	return copy_to_user(a[1], g, n * sizeof(g[0])) ? -EFAULT : (long)n;
}

/* setgroups(size, list): root only. Linux keeps the list sorted, so getgroups returns it in
 * ascending order whatever order it was given in. */
long sys_setgroups(const unsigned long *a)
{
	if (!privileged(cur_cred()))
		return -EPERM;
	unsigned size = (unsigned)a[0];
	if (size > NGROUPS_MAX)
		return -EINVAL;
	uint32_t g[NGROUPS_MAX] = {0};
	if (size && copy_from_user(g, a[1], size * sizeof(g[0])))
		return -EFAULT;
	for (unsigned i = 0; i < size; i++) {
		if (g[i] == ID_NONE)
			return -EINVAL;
		for (unsigned j = i; j > 0 && g[j - 1] > g[j]; j--) { /* insertion sort */
			uint32_t t = g[j];
			g[j] = g[j - 1];
			g[j - 1] = t;
		}
	}
	struct proc *p = proc_current();
	mutex_lock(&cred_lock);
	p->cred.ngroups = size;
	memcpy(p->cred.groups, g, sizeof(g));
	proc_cred_changed(p);
	mutex_unlock(&cred_lock);
	return 0;
}
