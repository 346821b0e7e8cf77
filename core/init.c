/*
 * core/init.c: starting pid 1 and hearing of its end.
 *
 * kmain_late builds init's argv and envp from the kernel command line (core/main.c) and calls
 * proc_start_init. Init gets a process with root credentials, the root file system as root
 * and cwd, and /dev/console on descriptors 0, 1 and 2. Its first thread execs the program in
 * its own context, exactly as execve would, and reports success or the error back before
 * entering user mode, so a missing or broken init is an error kmain can print, not a hang.
 * When init's last thread exits, proc_become_zombie completes init_done (core/proc.c) and
 * proc_wait_init returns its wait status. init_report then prints, after init's end (the
 * console is init's while it runs), when init entered user mode and the kernel's counters.
 */
#include "core/bcache.h"
#include "core/cpu.h"
#include "core/errno.h"
#include "core/exec.h"
#include "core/kheap.h"
#include "core/kprintf.h"
#include "core/mm.h"
#include "core/proc.h"
#include "core/syscall.h"
#include "core/time.h"
#include "core/uaccess.h"

static uint64_t init_first_user_ns; /* time_ns() as init entered user mode */

struct init_start {
	struct exec_args ea;
	struct completion started;
	int err;
};

static void init_thread_main(void *arg)
{
	struct init_start *is = arg;
	int err = exec_program(&is->ea);
	is->err = err;
	complete(&is->started); /* is is gone after this */
	if (err)
		proc_thread_exit(wstatus_exited(127));
	/* tools/bench's "boot to first user instruction": init's next step is user mode. Reported
	 * by init_report, after init: the console is init's while it runs. */
	init_first_user_ns = time_ns();
	user_thread_entry(NULL);
}

static int open_console(struct fdtable *fdt)
{
	struct path root = {0};
	int err = vfs_root(&root);
	for (int fd = 0; fd < 3 && err == 0; fd++) {
		struct file *f;
		err = vfs_open(&root, &root, "/dev/console", O_RDWR, 0, &f);
		if (err == 0 && (err = fd_install(fdt, f, (unsigned)fd, 0)) < 0)
			file_put(f);
		else if (err > 0)
			err = 0; /* the descriptor */
	}
	if (root.ino)
		path_put(&root);
	return err;
}

/* pid 1's process: everything but the program. */
static int init_proc_create(struct proc **out)
{
	struct proc *p = proc_alloc();
	if (!p)
		return -ENOMEM;
	p->pgid = p->sid = 0; /* as on Linux: pid 1 starts in session 0 and may setsid() */
	proc_cred_changed(p);
	p->fdt = fdtable_new((unsigned)p->rlim[RLIMIT_NOFILE].cur);
	p->mm = mm_create();
	int err = !p->fdt || !p->mm ? -ENOMEM : vfs_root(&p->root);
	if (!err) {
		p->cwd = p->root;
		path_get(&p->cwd);
		err = open_console(p->fdt);
	}
	if (err) {
		proc_abandon(p);
		return err;
	}
	*out = p;
	return 0;
}

int proc_start_init(const char *path, const char *const *argv, const char *const *envp)
{
	static struct init_start is;
	struct proc *p;
	vfs_current_cred = proc_vfs_cred;
	completion_init(&init_done);
	int err = init_proc_create(&p);
	if (err)
		return err;
	is.ea = (struct exec_args){path, argv, 0, envp, 0};
	while (argv[is.ea.argc])
		is.ea.argc++;
	while (envp[is.ea.envc])
		is.ea.envc++;
	completion_init(&is.started);
	struct thread *t = thread_create_stopped("init", init_thread_main, &is);
	if (!t || arch_thread_user_init(t) != 0) {
		if (t)
			thread_free_stopped(t);
		proc_abandon(p);
		return -ENOMEM;
	}
	t->tid = p->pid;
	init_proc = p;
	proc_link(p, NULL);
	proc_add_thread(p, t);
	thread_start(t);
	wait_for_completion(&is.started);
	return is.err;
}

int proc_wait_init(void)
{
	wait_for_completion(&init_done);
	return init_status;
}

void init_report(void)
{
	kprintf("janus: first user instruction at %lu us\n",
		(unsigned long)(init_first_user_ns / 1000));
	/* The kernel's counters over the whole run, for tools/bench --profile. */
	uint64_t switches = 0;
	for (unsigned i = 0; i < MAX_CPUS; i++)
		switches += __atomic_load_n(&cpus[i].switches, __ATOMIC_RELAXED);
	struct bcache_stats bs;
	bcache_get_stats(&bs);
	kprintf("janus: counters syscalls %lu switches %lu faults %lu cow %lu bcache_hits %lu "
		"bcache_misses %lu blocks_read %lu blocks_written %lu\n",
		(unsigned long)syscall_count(), (unsigned long)switches,
		(unsigned long)mm_fault_count(), (unsigned long)mm_cow_count(),
		(unsigned long)bs.hits, (unsigned long)bs.misses, (unsigned long)bs.reads,
		(unsigned long)bs.writes);
}
