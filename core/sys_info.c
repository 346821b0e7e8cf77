/*
 * core/sys_info.c: system information, randomness, resource limits, CPU placement and reboot,
 * with Linux semantics on both ports.
 *
 * uname reports Linux (programs and busybox test sysname and parse release as a Linux version)
 * with Janus named in release and version; machine is the port's arch_name, so sysname and
 * release are the same on both ports (PROC-030). sysinfo reports memory in bytes (mem_unit 1,
 * what Linux does on 64-bit machines) straight from the frame allocator, so freeram is exact
 * and a test can see a leaked frame.
 *
 * Resource limits live in proc->rlim. Writers (setrlimit, prlimit64, on any process) take
 * rlim_lock, one lock for every process: the calls are rare, and readers elsewhere (the
 * descriptor table's RLIMIT_NOFILE check, exec's RLIMIT_STACK) read single 64-bit words,
 * which the writers store atomically. "Privileged" means euid 0, the capability model of a
 * Linux process that has not dropped capabilities (CAP_SYS_RESOURCE, CAP_SYS_BOOT).
 */
#include "arch/arch.h"
#include "core/cpu.h"
#include "core/errno.h"
#include "core/pmm.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/string.h"
#include "core/sys_fd.h" /* NR_OPEN, the ceiling of RLIMIT_NOFILE */
#include "core/syscall.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "fs/vfs.h"

SYSCALL_DECLARE(uname);
SYSCALL_DECLARE(getrandom);
SYSCALL_DECLARE(sysinfo);
SYSCALL_DECLARE(getrlimit);
SYSCALL_DECLARE(setrlimit);
SYSCALL_DECLARE(prlimit64);
SYSCALL_DECLARE(sched_yield);
SYSCALL_DECLARE(sched_getaffinity);
SYSCALL_DECLARE(getcpu);
SYSCALL_DECLARE(reboot);

/* ---- uname ---------------------------------------------------------------------------------- */

#define UTS_LEN 65

struct linux_utsname {
	char sysname[UTS_LEN], nodename[UTS_LEN], release[UTS_LEN];
	char version[UTS_LEN], machine[UTS_LEN], domainname[UTS_LEN];
};

/* A Linux-shaped release: some programs parse major.minor.patch out of it. */
#define UTS_RELEASE "6.1.0-janus"
#define UTS_VERSION "#1 SMP PREEMPT Janus " JANUS_RELEASE

long sys_uname(const unsigned long *a)
{
	struct linux_utsname u;
	memset(&u, 0, sizeof(u));
	strlcpy(u.sysname, "Linux", UTS_LEN);
	strlcpy(u.nodename, "janus", UTS_LEN);
	strlcpy(u.release, UTS_RELEASE, UTS_LEN);
	strlcpy(u.version, UTS_VERSION, UTS_LEN);
	strlcpy(u.machine, arch_name, UTS_LEN);
	strlcpy(u.domainname, "(none)", UTS_LEN); /* Linux's default NIS domain */
	return copy_to_user(a[0], &u, sizeof(u)) ? -EFAULT : 0;
}

/* ---- getrandom ------------------------------------------------------------------------------ */

#define GRND_NONBLOCK 1u
#define GRND_RANDOM 2u
#define GRND_INSECURE 4u
#define MAX_RW_COUNT 0x7ffff000ul /* INT_MAX rounded down to a page, as Linux clamps I/O */

/* The kernel's generator is always ready (devfs_random_bytes never blocks), so GRND_NONBLOCK
 * and GRND_RANDOM change nothing; the flags are only checked. Returns the bytes written, which
 * is short only if a fault stops it part way (then -EFAULT if nothing was written). */
long sys_getrandom(const unsigned long *a)
{
	uintptr_t buf = a[0];
	size_t len = a[1] > MAX_RW_COUNT ? MAX_RW_COUNT : a[1];
	unsigned flags = (unsigned)a[2];

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & (GRND_RANDOM | GRND_INSECURE)) == (GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if (!user_range_ok(buf, len))
		return -EFAULT;
	size_t done = 0;
	while (done < len) {
		/* [signals] Linux stops here between pages when a signal is pending: the bytes
		 * so far, or -ERESTARTSYS if none. */
		unsigned char chunk[256];
		size_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
		devfs_random_bytes(chunk, n);
		int err = copy_to_user(buf + done, chunk, n);
		memset(chunk, 0, n);
		if (err)
			return done ? (long)done : -EFAULT;
		done += n;
	}
	return (long)done;
}

/* ---- sysinfo -------------------------------------------------------------------------------- */

struct linux_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
};
_Static_assert(sizeof(struct linux_sysinfo) == 112, "struct sysinfo is 112 bytes on LP64");

long sys_sysinfo(const unsigned long *a)
{
	struct linux_sysinfo si;
	memset(&si, 0, sizeof(si)); /* padding too: nothing of the kernel stack leaks */
	uint64_t up = time_ns();
	si.uptime = (int64_t)(up / NSEC_PER_SEC + (up % NSEC_PER_SEC ? 1 : 0)); /* Linux rounds up */
	/* loads stay 0: no load average is kept. */
	si.totalram = pmm_total_frames() * PAGE_SIZE;
	si.freeram = pmm_free_frames() * PAGE_SIZE;
	unsigned n = proc_count();
	si.procs = (uint16_t)(n > 0xffff ? 0xffff : n);
	si.mem_unit = 1;
	return put_user(a[0], &si) ? -EFAULT : 0;
}

/* ---- Resource limits ------------------------------------------------------------------------ */

static struct spinlock rlim_lock = SPINLOCK_INIT("rlim");

static bool privileged(const struct proc *p)
{
	return p->cred.euid == 0;
}

/* Linux's check_prlimit_permission: another process's limits only if the caller's real ids
 * equal all of its uids and gids, or the caller is privileged. */
static bool may_prlimit(const struct proc *me, const struct proc *t)
{
	if (me == t || privileged(me))
		return true;
	const struct cred *c = &me->cred, *tc = &t->cred;
	return c->uid == tc->uid && c->uid == tc->euid && c->uid == tc->suid &&
	       c->gid == tc->gid && c->gid == tc->egid && c->gid == tc->sgid;
}

/* Linux's do_prlimit: read the old value and/or install a new one, atomically together. */
static long do_prlimit(struct proc *p, unsigned res, const struct rlimit64 *new,
		       struct rlimit64 *old, bool priv)
{
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if (new && new->cur > new->max)
		return -EINVAL;
	if (new && res == RLIMIT_NOFILE && new->max > NR_OPEN)
		return -EPERM;
	long ret = 0;
	unsigned long s = spin_lock_irqsave(&rlim_lock);
	struct rlimit64 *r = &p->rlim[res];
	if (new && new->max > r->max && !priv)
		ret = -EPERM;
	if (ret == 0 && old)
		*old = *r;
	if (ret == 0 && new) {
		__atomic_store_n(&r->cur, new->cur, __ATOMIC_RELAXED);
		__atomic_store_n(&r->max, new->max, __ATOMIC_RELAXED);
	}
	spin_unlock_irqrestore(&rlim_lock, s);
	return ret;
}

long sys_getrlimit(const unsigned long *a)
{
	struct proc *p = proc_current();
	struct rlimit64 old;
	long err = do_prlimit(p, (unsigned)a[0], NULL, &old, privileged(p));
	if (err)
		return err;
	return put_user(a[1], &old) ? -EFAULT : 0;
}

long sys_setrlimit(const unsigned long *a)
{
	struct proc *p = proc_current();
	struct rlimit64 new;
	if (get_user(&new, a[1]))
		return -EFAULT;
	return do_prlimit(p, (unsigned)a[0], &new, NULL, privileged(p));
}

/* prlimit64(pid, resource, new, old): pid 0 is the caller. */
long sys_prlimit64(const unsigned long *a)
{
	struct proc *me = proc_current();
	int pid = (int)a[0];
	struct rlimit64 new, old;
	if (a[2] && get_user(&new, a[2]))
		return -EFAULT;
	struct proc *t = me;
	if (pid != 0 && pid != me->pid) {
		t = proc_find(pid);
		if (!t)
			return -ESRCH;
	}
	long err = may_prlimit(me, t) ? 0 : -EPERM;
	if (!err)
		err = do_prlimit(t, (unsigned)a[1], a[2] ? &new : NULL, a[3] ? &old : NULL,
				 privileged(me));
	if (t != me)
		proc_put(t);
	if (!err && a[3] && put_user(a[3], &old))
		err = -EFAULT;
	return err;
}

/* ---- Scheduling and CPUs -------------------------------------------------------------------- */

long sys_sched_yield(const unsigned long *a)
{
	(void)a;
	sched_yield();
	return 0;
}

/* The kernel's cpumask: MAX_CPUS bits in whole longs, as Linux's cpumask_size(). */
#define KMASK_BYTES (((MAX_CPUS + 63) / 64) * 8)

/* sched_getaffinity(pid, len, mask): user threads may run on every online CPU (no
 * sched_setaffinity yet), so any process's mask is the online CPUs. Returns the bytes written,
 * min(len, KMASK_BYTES); libc clears the rest of the caller's set. */
long sys_sched_getaffinity(const unsigned long *a)
{
	int pid = (int)a[0];
	unsigned len = (unsigned)a[1];
	unsigned ncpu = __atomic_load_n(&ncpus_online, __ATOMIC_RELAXED);
	if ((uint64_t)len * 8 < ncpu || (len & 7))
		return -EINVAL;
	if (pid != 0 && pid != proc_current()->pid) {
		struct proc *t = proc_find(pid);
		if (!t)
			return -ESRCH;
		proc_put(t);
	}
	uint8_t mask[KMASK_BYTES];
	memset(mask, 0, sizeof(mask));
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (__atomic_load_n(&cpus[i].online, __ATOMIC_ACQUIRE))
			mask[i / 8] |= (uint8_t)(1u << (i % 8));
	unsigned n = len < KMASK_BYTES ? len : KMASK_BYTES;
	return copy_to_user(a[2], mask, n) ? -EFAULT : (long)n;
}

/* getcpu(cpu, node, cache): the CPU the caller was running on (it may move at once). */
long sys_getcpu(const unsigned long *a)
{
	unsigned long s = arch_irq_save();
	unsigned cpu = arch_cpu_id();
	arch_irq_restore(s);
	unsigned node = 0;
	if (a[0] && put_user(a[0], &cpu))
		return -EFAULT;
	if (a[1] && put_user(a[1], &node))
		return -EFAULT;
	return 0;
}

/* ---- reboot --------------------------------------------------------------------------------- */

#define LINUX_REBOOT_MAGIC1 0xfee1deadu
#define LINUX_REBOOT_MAGIC2 672274793u
#define LINUX_REBOOT_MAGIC2A 85072278u
#define LINUX_REBOOT_MAGIC2B 369367448u
#define LINUX_REBOOT_MAGIC2C 537993216u

#define LINUX_REBOOT_CMD_RESTART 0x01234567u
#define LINUX_REBOOT_CMD_HALT 0xCDEF0123u
#define LINUX_REBOOT_CMD_CAD_ON 0x89ABCDEFu
#define LINUX_REBOOT_CMD_CAD_OFF 0x00000000u
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321FEDCu
#define LINUX_REBOOT_CMD_RESTART2 0xA1B2C3D4u

static bool cad_enabled = true; /* Linux's C_A_D default; nothing sends Ctrl-Alt-Del yet */

/* Write back every dirty block, then leave QEMU. There is no reset hook in arch.h, so a
 * restart powers off too: under the test runner both end the run. */
static _Noreturn void power_off(void)
{
	vfs_sync_all();
	arch_power_off(0);
}

long sys_reboot(const unsigned long *a)
{
	uint32_t magic1 = (uint32_t)a[0], magic2 = (uint32_t)a[1], cmd = (uint32_t)a[2];
	if (!privileged(proc_current()))
		return -EPERM;
	if (magic1 != LINUX_REBOOT_MAGIC1 ||
	    (magic2 != LINUX_REBOOT_MAGIC2 && magic2 != LINUX_REBOOT_MAGIC2A &&
	     magic2 != LINUX_REBOOT_MAGIC2B && magic2 != LINUX_REBOOT_MAGIC2C))
		return -EINVAL;
	switch (cmd) {
	case LINUX_REBOOT_CMD_CAD_ON:
	case LINUX_REBOOT_CMD_CAD_OFF:
		__atomic_store_n(&cad_enabled, cmd == LINUX_REBOOT_CMD_CAD_ON, __ATOMIC_RELAXED);
		return 0;
	case LINUX_REBOOT_CMD_RESTART2: {
		char why[256]; /* Linux copies the command string first: -EFAULT if unreadable */
		long n = strncpy_from_user(why, a[3], sizeof(why));
		if (n < 0 && n != -ENAMETOOLONG)
			return -EFAULT;
		power_off();
	}
	case LINUX_REBOOT_CMD_RESTART:
	case LINUX_REBOOT_CMD_HALT:
	case LINUX_REBOOT_CMD_POWER_OFF:
		power_off();
	default:
		return -EINVAL;
	}
}
