/*
 * core/exec.c: replacing the running process's program (execve's core).
 *
 * The order makes failure safe: everything that can fail (finding and checking the file,
 * reading "#!" lines, validating the ELF, building the new address space, loading every
 * segment, laying out the initial stack) happens into a new struct mm while the old program
 * is untouched, so an error returns to the caller with its image intact. Only then, at the
 * point of no return, the other threads are made to leave, the new mm replaces the old one,
 * close-on-exec descriptors are closed, caught signals are reset to their default, the
 * FP/SIMD state and TLS are reset, and the user frame is set so the first user instruction
 * sees every register zero but the stack pointer.
 *
 * The argument strings were copied into the kernel by the caller (sys_execve) before any of
 * this, so they survive the old image. Segments are copied from the file into fresh pages
 * (core/elf.h describes the recipe); the stack and bss are demand-zero.
 */
#include "core/exec.h"

#include "arch/arch.h"
#include "core/elf.h"
#include "core/errno.h"
#include "core/futex.h"
#include "core/exec_stack.h"
#include "core/cpu.h"
#include "core/kheap.h"
#include "core/mm.h"
#include "core/proc.h"
#include "core/rseq.h"
#include "core/timer.h"
#include "core/signal.h"
#include "core/string.h"
#include "fs/vfs.h"

#define LOAD_CHUNK 16384

/* Open path for execution: a regular file the caller may execute. */
static int exec_open(struct proc *p, const char *path, struct file **out)
{
	mutex_lock(&p->fs_lock);
	struct path root = p->root, cwd = p->cwd;
	path_get(&root);
	path_get(&cwd);
	mutex_unlock(&p->fs_lock);
	int err = vfs_open(&root, &cwd, path, O_RDONLY, 0, out);
	path_put(&root);
	path_put(&cwd);
	if (err)
		return err;
	struct inode *ino = (*out)->path.ino;
	if (!S_ISREG(ino->mode))
		err = -EACCES;
	else if ((err = vfs_permission(ino, MAY_EXEC)) == 0 && !(ino->mode & 0111))
		err = -EACCES; /* even root needs one x bit */
	if (err)
		file_put(*out);
	return err;
}

static long read_at(struct file *f, void *buf, size_t n, uint64_t pos)
{
	struct uio u = uio_kernel(buf, n);
	return vfs_pread(f, &u, pos);
}

/* Copy the file bytes of one segment into mm. */
static int load_segment(struct mm *mm, struct file *f, const struct elf_segment *s, char *buf)
{
	long err = mm_map(mm, s->map_start, s->map_end - s->map_start, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
	if (err < 0)
		return (int)err;
	for (uint64_t done = 0; done < s->filesz;) {
		size_t n = s->filesz - done < LOAD_CHUNK ? s->filesz - done : LOAD_CHUNK;
		long got = read_at(f, buf, n, s->offset + done);
		if (got < 0)
			return (int)got;
		if ((size_t)got != n)
			return -ENOEXEC; /* the file shrank under us */
		if ((err = mm_write(mm, s->vaddr + done, buf, n)) != 0)
			return (int)err;
		done += n;
	}
	return mm_protect(mm, s->map_start, s->map_end - s->map_start, s->prot);
}

/* The port's signal-return trampoline (arch_sigtramp_code), if it has one, on its own page. */
static int map_sigtramp(struct mm *mm)
{
	uint8_t code[64];
	size_t len = arch_sigtramp_code(code);
	if (len == 0)
		return 0;
	long err = mm_map(mm, MM_SIGTRAMP, PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
	if (err >= 0)
		err = mm_write(mm, MM_SIGTRAMP, code, len);
	if (err >= 0)
		err = mm_protect(mm, MM_SIGTRAMP, PAGE_SIZE, PROT_READ | PROT_EXEC);
	if (err >= 0)
		mm->sigtramp = MM_SIGTRAMP;
	return err < 0 ? (int)err : 0;
}

static int load_image(struct mm *mm, struct file *f, const struct elf_image *img)
{
	char *buf = kmalloc(LOAD_CHUNK);
	if (!buf)
		return -ENOMEM;
	int err = 0;
	for (unsigned i = 0; i < img->nsegs && !err; i++)
		err = load_segment(mm, f, &img->segs[i], buf);
	kfree(buf);
	if (!err)
		err = mm_setup_stack(mm, MM_STACK_TOP, img->stack_exec);
	if (!err)
		mm_set_brk_start(mm, img->brk_start);
	if (!err)
		err = map_sigtramp(mm);
	return err;
}

/* Read the headers and validate them; -ENOEXEC (or an I/O error) otherwise. */
static int read_elf(struct file *f, char *hdr, size_t *len, struct elf_image *img)
{
	uint64_t size = f->path.ino->size;
	long got = read_at(f, hdr, ELF_HDR_MAX < size ? ELF_HDR_MAX : size, 0);
	if (got < 0)
		return (int)got;
	*len = (size_t)got;
	return elf_parse(hdr, *len, size, arch_elf_machine, img);
}

static int build_stack(struct mm *mm, const struct exec_args *ea, const struct elf_image *img,
		       uintptr_t *sp)
{
	struct proc *p = proc_current();
	uint8_t random[16];
	devfs_random_bytes(random, sizeof(random));
	struct exec_stack_in in = {
		.argv = ea->argv, .argc = ea->argc, .envp = ea->envp, .envc = ea->envc,
		.execfn = ea->filename, .random = random, .platform = arch_platform(),
		.hwcap = arch_hwcap(), .hwcap2 = arch_hwcap2(),
		.phdr = img->phdr_addr, .phent = img->phent, .phnum = img->phnum,
		.entry = img->entry,
		.uid = p->cred.uid, .euid = p->cred.euid, .gid = p->cred.gid, .egid = p->cred.egid,
	};
	size_t size;
	int err = exec_stack_measure(&in, &size);
	if (err)
		return err;
	uint8_t *buf = kmalloc(size);
	if (!buf)
		return -ENOMEM;
	struct exec_stack_out out;
	err = exec_stack_build(&in, buf, size, MM_STACK_TOP, &out);
	if (!err)
		err = mm_write(mm, out.sp, buf, out.size);
	kfree(buf);
	mm->arg_start = out.arg_start;
	mm->arg_end = out.arg_end;
	mm->env_start = out.env_start;
	mm->env_end = out.env_end;
	*sp = out.sp;
	return err;
}

/* Make every other thread of p leave and wait until they have (the point of no return). */
static void exec_kill_others(struct proc *p)
{
	struct thread *self = thread_current();
	__atomic_store_n(&p->exec_survivor, self, __ATOMIC_RELEASE);
	while (__atomic_load_n(&p->nthreads, __ATOMIC_ACQUIRE) > 1) {
		proc_kick_threads(p);
		sched_yield();
	}
	__atomic_store_n(&p->exec_survivor, NULL, __ATOMIC_RELEASE);
}

static void reset_caught_signals(struct proc *p)
{
	/* Linux's flush_signal_handlers: SIG_IGN stays, flags and masks go for every signal. */
	for (unsigned i = 0; i < NSIG; i++)
		p->sigactions[i] = (struct sigaction_k){
			.handler = p->sigactions[i].handler == SIG_IGN ? SIG_IGN : SIG_DFL};
}

static void set_comm(struct proc *p, const char *path)
{
	const char *base = strrchr(path, '/');
	strlcpy(p->comm, base ? base + 1 : path, sizeof(p->comm));
}

/* Past the point of no return: install mm and start the new program at entry with sp. */
static void exec_commit(struct proc *p, struct mm *mm, const char *path, const struct path *exe,
			uintptr_t entry, uintptr_t sp)
{
	struct thread *t = thread_current();
	exec_kill_others(p);
	futex_robust_exit(t, p->mm); /* as Linux: robust futexes die with the old image */
	t->robust_list = 0;
	struct mm *old = p->mm;
	struct path old_exe = p->exe, new_exe = *exe;
	path_get(&new_exe);
	mutex_lock(&p->fs_lock); /* proc_get_mm reads p->mm under it */
	unsigned long s = arch_irq_save();
	p->mm = mm;
	mm_activate(mm);
	arch_irq_restore(s);
	p->exe = new_exe;
	mutex_unlock(&p->fs_lock);
	if (old_exe.ino)
		path_put(&old_exe);
	mm_put(old);
	fd_close_on_exec(p->fdt);
	reset_caught_signals(p);
	timers_exec(p); /* POSIX timers die with the image; alarm and itimers stay */
	t->altstack = (struct sigaltstack_k){0}; /* the mask and pending signals stay */
	set_comm(p, path);
	__atomic_store_n(&p->did_exec, true, __ATOMIC_RELAXED); /* setpgid on it: EACCES */
	__atomic_fetch_add(&p->self_exec_id, 1, __ATOMIC_RELAXED);
	strlcpy(t->name, p->comm, sizeof(t->name));
	t->clear_child_tid = 0;
	rseq_exec(t);
	proc_vfork_release(p);
	arch_thread_exec_reset();
	arch_tf_init_user(arch_user_tf(t->stack_top), entry, sp);
}

/* Try to run f as an ELF image: 0 (committed), -ENOEXEC if it is not one, or an error. */
static int exec_elf(struct file *f, const struct exec_args *ea, const char *hdr_path)
{
	struct elf_image *img = kmalloc(sizeof(*img));
	char *hdr = kmalloc(ELF_HDR_MAX);
	struct mm *mm = NULL;
	size_t len;
	uintptr_t sp = 0;
	int err = !img || !hdr ? -ENOMEM : read_elf(f, hdr, &len, img);
	if (!err)
		err = (mm = mm_create()) ? 0 : -ENOMEM;
	if (!err)
		err = load_image(mm, f, img);
	if (!err)
		err = build_stack(mm, ea, img, &sp);
	if (!err)
		exec_commit(proc_current(), mm, hdr_path, &f->path, img->entry, sp);
	else if (mm)
		mm_put(mm);
	kfree(img);
	kfree(hdr);
	return err;
}

/* The "#!" path: run the interpreter with the script's path spliced into argv. */
static int exec_script(struct file *f, const struct exec_args *ea)
{
	char buf[SCRIPT_BUF_SIZE];
	long got = read_at(f, buf, sizeof(buf), 0);
	if (got < 2 || buf[0] != '#' || buf[1] != '!')
		return -ENOEXEC;
	struct script_interp *si = kmalloc(sizeof(*si));
	const char **argv = kmalloc((ea->argc + 3) * sizeof(char *));
	int err = !si || !argv ? -ENOMEM : script_parse(buf, (size_t)got, si);
	long n = err ? err : script_argv(si, ea->filename, ea->argv, ea->argc, argv, ea->argc + 3);
	if (n >= 0) {
		struct exec_args sub = *ea;
		sub.argv = argv;
		sub.argc = (size_t)n;
		struct file *interp;
		err = exec_open(proc_current(), si->interp, &interp);
		if (!err) {
			err = exec_elf(interp, &sub, si->interp);
			file_put(interp);
		}
	} else {
		err = (int)n;
	}
	kfree(si);
	kfree(argv);
	return err;
}

int exec_program(const struct exec_args *ea)
{
	assert_no_locks_held("exec");
	struct file *f;
	int err = exec_open(proc_current(), ea->filename, &f);
	if (err)
		return err;
	err = exec_elf(f, ea, ea->filename);
	if (err == -ENOEXEC)
		err = exec_script(f, ea);
	file_put(f);
	return err;
}
