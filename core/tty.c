/*
 * core/tty.c: the console as a terminal: line discipline, job control, termios ioctls.
 *
 * Input: the UART interrupt fills core/console_input.c's ring; a kernel thread ("tty rx",
 * started at the first open) drains it through the line discipline, writes the echo and
 * sends the signals ISIG characters ask for. Doing that in a thread rather than in the
 * interrupt keeps signal sending (which may allocate) and console output out of interrupt
 * context, and ^C still works when nobody reads.
 *
 * State: tty.lock (a spinlock) guards the discipline, the window size, the foreground group
 * (pgrp) and the session the terminal controls (session; 0 none). A session's controlling
 * terminal is the terminal whose session is its sid, so setsid (a new sid) leaves the caller
 * without one, as on Linux; it is released when the session leader exits (tty_proc_exit).
 * Readers sleep on rwait, woken after each input batch and each termios change. Never held
 * while copying to or from user memory, sending signals or writing the console.
 *
 * Job control (Linux's tty_check_change / __tty_check_change): a process of the controlling
 * session outside the foreground group that reads gets SIGTTIN sent to its group (EIO when
 * SIGTTIN is ignored or blocked or the group is orphaned); writing with TOSTOP and changing the
 * terminal's settings raise SIGTTOU likewise (allowed when it is ignored or blocked).
 */
#include "core/tty.h"

#include "core/console.h"
#include "core/console_input.h"
#include "core/errno.h"
#include "core/kprintf.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/signal.h"
#include "core/spinlock.h"
#include "core/string.h"
#include "core/sync.h"
#include "core/time.h"
#include "core/tty_ldisc.h"
#include "core/uaccess.h"
#include "core/uio.h"
#include "core/poll.h"
#include "core/waitq.h"
#include "core/ktimer.h"
#include "fs/vfs.h"

/* ioctl requests, Linux's generic numbers (both ports). */
#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TCSBRK 0x5409
#define TCFLSH 0x540B
#define TIOCSCTTY 0x540E
#define TIOCGPGRP 0x540F
#define TIOCSPGRP 0x5410
#define TIOCOUTQ 0x5411
#define TIOCSTI 0x5412
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD 0x541B
#define TIOCNOTTY 0x5422
#define TIOCGSID 0x5429

#define SIG_IGN_K 1

struct winsize_k {
	uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

struct tty {
	struct spinlock lock;
	struct tty_ldisc ld;
	struct winsize_k ws;
	int pgrp, session;
	struct waitq rwait;
	bool started; /* the input thread runs (set once, under lock) */
};

static struct tty console_tty = {
	.lock = SPINLOCK_INIT("tty console"),
	.rwait = WAITQ_INIT("tty console read"),
};
static bool console_ld_ready; /* ldisc_init done (under lock) */

/* ---- Process groups ------------------------------------------------------------------------ */

/* Send sig to every live member of group pgid. */
static void signal_pgrp(int pgid, int sig)
{
	if (pgid <= 0)
		return;
	struct ksiginfo info = {.signo = sig, .code = SI_KERNEL};
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	for (struct proc *p = proc_first_locked(); p; p = p->all_next)
		if (p->state == PROC_ALIVE && p->pgid == pgid)
			signal_send_locked(p, 0, &info);
	spin_unlock_irqrestore(&proc_tree_lock, s);
}

/* POSIX's orphaned process group: no member has a parent in another group of the same
 * session (proc_tree_lock held). */
static bool pgrp_orphaned_locked(int pgid)
{
	for (struct proc *p = proc_first_locked(); p; p = p->all_next) {
		if (p->state != PROC_ALIVE || p->pgid != pgid)
			continue;
		struct proc *q = p->parent;
		if (q && q->pgid != pgid && q->sid == p->sid)
			return false;
	}
	return true;
}

/* Is sig ignored or blocked by the running thread? */
static bool sig_ignored_or_blocked(int sig)
{
	struct thread *t = thread_current();
	struct proc *p = t->proc;
	unsigned long s = spin_lock_irqsave(&p->lock);
	bool r = p->sigactions[sig - 1].handler == SIG_IGN_K || (t->sigmask & sig_bit(sig));
	spin_unlock_irqrestore(&p->lock, s);
	return r;
}

/* Background access by the caller: 0 to go ahead, -EIO, or -ERESTARTSYS after sending sig
 * (SIGTTIN or SIGTTOU) to the caller's group. */
static long job_control(struct tty *tty, int sig)
{
	struct proc *p = proc_current();
	if (!p)
		return 0;
	unsigned long s = spin_lock_irqsave(&tty->lock);
	int pgrp = tty->pgrp, session = tty->session;
	spin_unlock_irqrestore(&tty->lock, s);
	s = spin_lock_irqsave(&proc_tree_lock);
	int pgid = p->pgid;
	bool ours = session && p->sid == session, orphaned = pgrp_orphaned_locked(pgid);
	spin_unlock_irqrestore(&proc_tree_lock, s);
	if (!ours || !pgrp || pgid == pgrp)
		return 0;
	if (sig_ignored_or_blocked(sig))
		return sig == SIGTTIN ? -EIO : 0;
	if (orphaned)
		return -EIO;
	signal_pgrp(pgid, sig);
	return -ERESTARTSYS;
}

/* ---- Input --------------------------------------------------------------------------------- */

static void tty_receive(struct tty *tty, unsigned char c)
{
	struct ldisc_out echo; /* the input thread's and TIOCSTI's: on the caller's stack */
	echo.len = 0;
	unsigned long s = spin_lock_irqsave(&tty->lock);
	int sig = ldisc_receive(&tty->ld, c, &echo);
	int pgrp = tty->pgrp;
	spin_unlock_irqrestore(&tty->lock, s);
	if (echo.len)
		console_write_raw((const char *)echo.buf, echo.len);
	if (sig)
		signal_pgrp(pgrp, sig);
}

static void rx_main(void *arg)
{
	struct tty *tty = arg;
	for (;;) {
		console_input_wait();
		int c;
		while ((c = console_input_getc()) >= 0)
			tty_receive(tty, (unsigned char)c);
		wake_up_all(&tty->rwait);
	}
}

static int console_open(struct inode *ino, struct file *f)
{
	struct tty *tty = &console_tty;
	unsigned long s = spin_lock_irqsave(&tty->lock);
	bool start = !tty->started;
	tty->started = true;
	if (!console_ld_ready) {
		ldisc_init(&tty->ld);
		console_ld_ready = true;
	}
	spin_unlock_irqrestore(&tty->lock, s);
	if (start && !thread_create("tty rx", rx_main, tty))
		pr_err("tty: no input thread\n");
	return 0;
}

/* /dev/tty: the caller's controlling terminal, or ENXIO (the console is the only one). */
static int devtty_open(struct inode *ino, struct file *f)
{
	struct proc *p = proc_current();
	unsigned long s = spin_lock_irqsave(&console_tty.lock);
	bool ours = p && console_tty.session && console_tty.session == p->sid;
	spin_unlock_irqrestore(&console_tty.lock, s);
	if (!ours)
		return -ENXIO;
	return console_open(ino, f);
}

/* ---- Read ----------------------------------------------------------------------------------- */

static bool tty_has_input(struct tty *tty)
{
	unsigned long s = spin_lock_irqsave(&tty->lock);
	bool r = ldisc_readable(&tty->ld, 1);
	spin_unlock_irqrestore(&tty->lock, s);
	return r;
}

/* Sleep until input arrives, deadline_ns passes (0: none) or a signal: 0, 1 on timeout, or
 * -ERESTARTSYS. */
static int wait_input(struct tty *tty, uint64_t deadline_ns)
{
	bool expired = false;
	prepare_to_wait(&tty->rwait);
	if (!tty_has_input(tty) && !signal_pending()) {
		if (deadline_ns)
			expired = sched_sleep_until(deadline_ns);
		else
			sched_sleep();
	}
	finish_wait(&tty->rwait);
	if (signal_pending())
		return -ERESTARTSYS;
	return expired ? 1 : 0;
}

/* Take what the discipline gives into u: bytes copied (or -EFAULT), *line_done when a
 * canonical line ended. */
static long take(struct tty *tty, struct uio *u, bool *line_done)
{
	unsigned char buf[256];
	size_t want = u->resid < sizeof(buf) ? u->resid : sizeof(buf);
	unsigned long s = spin_lock_irqsave(&tty->lock);
	size_t n = ldisc_read(&tty->ld, buf, want);
	*line_done = tty->ld.read_ended;
	spin_unlock_irqrestore(&tty->lock, s);
	if (n == 0)
		return 0;
	long r = uio_copy_out(u, buf, n);
	return r < 0 ? -EFAULT : r;
}

static long tty_read(struct file *f, struct uio *u, uint64_t pos)
{
	struct tty *tty = &console_tty;
	long err = job_control(tty, SIGTTIN);
	if (err)
		return err;
	if (u->resid == 0)
		return 0;
	unsigned long s = spin_lock_irqsave(&tty->lock);
	bool canon = tty->ld.t.c_lflag & TTY_ICANON;
	unsigned vmin = tty->ld.t.c_cc[VMIN], vtime = tty->ld.t.c_cc[VTIME];
	spin_unlock_irqrestore(&tty->lock, s);
	if (canon)
		vmin = 1, vtime = 0;
	uint64_t tick = (uint64_t)vtime * (NSEC_PER_SEC / 10);
	uint64_t deadline = vtime && !vmin ? time_ns() + tick : 0;
	long done = 0;
	for (;;) {
		bool line_done = false;
		long r = take(tty, u, &line_done);
		if (r < 0)
			return done ? done : r;
		done += r;
		if (u->resid == 0 || (canon ? line_done : (size_t)done >= (vmin ? vmin : 1)))
			break;
		if (canon && done && !tty_has_input(tty))
			break; /* defensive: a canonical read never waits mid-line */
		if (r && vtime && vmin)
			deadline = time_ns() + tick; /* the inter-byte timer restarts */
		if (!vmin && !vtime)
			break;
		if (f->flags & O_NONBLOCK)
			return done ? done : -EAGAIN;
		int w = wait_input(tty, deadline);
		if (w < 0)
			return done ? done : w;
		if (w > 0 && !tty_has_input(tty))
			break;
	}
	return done;
}

/* ---- Write ---------------------------------------------------------------------------------- */

/* Writers take turns (write_mu) through one buffer pair: each write of up to TTY_WRITE_MAX
 * bytes is processed whole and reaches the console in one console_write_raw, under the
 * console lock, so kernel messages never land inside it (BOOT-010). The mutex may be held
 * across the user copy: no path takes it with the mm lock held. */
#define TTY_WRITE_MAX 4096
static struct mutex write_mu = MUTEX_INIT("tty_write");
static unsigned char write_in[TTY_WRITE_MAX];      /* guarded by write_mu */
static unsigned char write_out[2 * TTY_WRITE_MAX]; /* guarded by write_mu */

static long tty_write(struct file *f, struct uio *u, uint64_t pos)
{
	struct tty *tty = &console_tty;
	unsigned long s = spin_lock_irqsave(&tty->lock);
	bool tostop = tty->ld.t.c_lflag & TTY_TOSTOP;
	spin_unlock_irqrestore(&tty->lock, s);
	if (tostop) {
		long err = job_control(tty, SIGTTOU);
		if (err)
			return err;
	}
	mutex_lock(&write_mu);
	long done = 0;
	while (u->resid > 0) {
		long r = uio_copy_in(u, write_in, sizeof(write_in));
		if (r < 0) {
			done = done ? done : r;
			break;
		}
		for (size_t i = 0; i < (size_t)r;) {
			/* ONLCR at most doubles the bytes, so one pass holds the whole write; only
			 * tab expansion could overflow write_out, and then it goes in pieces. */
			size_t len = 0, used = 1;
			s = spin_lock_irqsave(&tty->lock);
			while (i < (size_t)r && used) {
				size_t n;
				used = ldisc_output(&tty->ld, write_in + i, (size_t)r - i,
						    write_out + len, sizeof(write_out) - len, &n);
				i += used;
				len += n;
			}
			spin_unlock_irqrestore(&tty->lock, s);
			console_write_raw((const char *)write_out, (unsigned)len); /* not torn */
		}
		done += r;
	}
	mutex_unlock(&write_mu);
	return done;
}

static int64_t tty_llseek(struct file *f, int64_t off, int whence)
{
	return -ESPIPE;
}

/* ---- ioctl ---------------------------------------------------------------------------------- */

static long set_termios(struct tty *tty, unsigned cmd, uintptr_t arg)
{
	struct termios_k t;
	if (copy_from_user(&t, arg, sizeof(t)))
		return -EFAULT;
	long err = job_control(tty, SIGTTOU);
	if (err)
		return err;
	/* TCSETSW and TCSETSF wait for output to drain: it is written synchronously. */
	unsigned long s = spin_lock_irqsave(&tty->lock);
	if (cmd == TCSETSF)
		ldisc_flush_input(&tty->ld);
	ldisc_set_termios(&tty->ld, &t);
	spin_unlock_irqrestore(&tty->lock, s);
	wake_up_all(&tty->rwait);
	return 0;
}

static long set_winsize(struct tty *tty, uintptr_t arg)
{
	struct winsize_k ws;
	if (copy_from_user(&ws, arg, sizeof(ws)))
		return -EFAULT;
	unsigned long s = spin_lock_irqsave(&tty->lock);
	bool changed = memcmp(&ws, &tty->ws, sizeof(ws)) != 0;
	tty->ws = ws;
	int pgrp = tty->pgrp;
	spin_unlock_irqrestore(&tty->lock, s);
	if (changed)
		signal_pgrp(pgrp, SIGWINCH);
	return 0;
}

/* Is tty the caller's controlling terminal? */
static bool is_ctty(struct tty *tty, struct proc *p)
{
	unsigned long s = spin_lock_irqsave(&tty->lock);
	bool r = tty->session && tty->session == p->sid;
	spin_unlock_irqrestore(&tty->lock, s);
	return r;
}

static long get_pgrp(struct tty *tty, uintptr_t arg, bool sid)
{
	if (!is_ctty(tty, proc_current()))
		return -ENOTTY;
	unsigned long s = spin_lock_irqsave(&tty->lock);
	int v = sid ? tty->session : tty->pgrp;
	spin_unlock_irqrestore(&tty->lock, s);
	return put_user(arg, &v) ? -EFAULT : 0;
}

/* TIOCSPGRP: pgid must be a group of the caller's session (Linux's tiocspgrp). */
static long set_pgrp(struct tty *tty, uintptr_t arg)
{
	struct proc *self = proc_current();
	long err = job_control(tty, SIGTTOU);
	if (err)
		return err;
	int pgid;
	if (get_user(&pgid, arg))
		return -EFAULT;
	if (!is_ctty(tty, self))
		return -ENOTTY;
	if (pgid < 0)
		return -EINVAL;
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	bool found = false, same_session = false;
	for (struct proc *p = proc_first_locked(); p; p = p->all_next) {
		if (p->state == PROC_ALIVE && p->pgid == pgid) {
			found = true;
			same_session |= p->sid == self->sid;
		}
	}
	spin_unlock_irqrestore(&proc_tree_lock, s);
	if (!found)
		return -ESRCH;
	if (!same_session)
		return -EPERM;
	s = spin_lock_irqsave(&tty->lock);
	tty->pgrp = pgid;
	spin_unlock_irqrestore(&tty->lock, s);
	return 0;
}

/* TIOCSCTTY: a session leader without a controlling terminal takes this one; arg 1 lets root
 * steal it from another session. */
static long set_ctty(struct tty *tty, uintptr_t arg)
{
	struct proc *p = proc_current();
	unsigned long s = spin_lock_irqsave(&proc_tree_lock);
	int sid = p->sid, pgid = p->pgid;
	spin_unlock_irqrestore(&proc_tree_lock, s);
	if (sid != p->pid)
		return -EPERM;
	long r = 0;
	s = spin_lock_irqsave(&tty->lock);
	if (tty->session == sid)
		r = 0;
	else if (tty->session && !(arg == 1 && p->cred.euid == 0))
		r = -EPERM;
	else
		tty->session = sid, tty->pgrp = pgid;
	spin_unlock_irqrestore(&tty->lock, s);
	return r;
}

/* Release tty from its session; the foreground group gets SIGHUP and SIGCONT. */
static void disassociate(struct tty *tty, int sid)
{
	unsigned long s = spin_lock_irqsave(&tty->lock);
	int pgrp = 0;
	if (tty->session && tty->session == sid) {
		pgrp = tty->pgrp;
		tty->session = tty->pgrp = 0;
	}
	spin_unlock_irqrestore(&tty->lock, s);
	signal_pgrp(pgrp, SIGHUP);
	signal_pgrp(pgrp, SIGCONT);
}

/* TIOCNOTTY by the session leader gives the terminal up for the whole session. */
static long no_ctty(struct tty *tty)
{
	struct proc *p = proc_current();
	if (!is_ctty(tty, p))
		return -ENOTTY;
	if (p->sid != p->pid)
		return -EPERM; /* [limitation] a non-leader cannot drop it alone yet */
	disassociate(tty, p->sid);
	return 0;
}

void tty_proc_exit(struct proc *p)
{
	if (p->sid == p->pid)
		disassociate(&console_tty, p->sid);
}

static long tty_ioctl_get(struct tty *tty, unsigned cmd, uintptr_t arg)
{
	unsigned long s = spin_lock_irqsave(&tty->lock);
	struct termios_k t = tty->ld.t;
	struct winsize_k ws = tty->ws;
	int avail = (int)ldisc_avail(&tty->ld), zero = 0;
	spin_unlock_irqrestore(&tty->lock, s);
	int err = cmd == TCGETS ? put_user(arg, &t)
		: cmd == TIOCGWINSZ ? put_user(arg, &ws)
		: cmd == FIONREAD ? put_user(arg, &avail) : put_user(arg, &zero);
	return err ? -EFAULT : 0;
}

static long tty_flush(struct tty *tty, uintptr_t arg)
{
	if (arg > 2)
		return -EINVAL;
	long err = job_control(tty, SIGTTOU);
	if (err)
		return err;
	if (arg != 1) { /* TCIFLUSH, TCIOFLUSH; output is never queued */
		unsigned long s = spin_lock_irqsave(&tty->lock);
		ldisc_flush_input(&tty->ld);
		spin_unlock_irqrestore(&tty->lock, s);
	}
	return 0;
}

/* TIOCSTI: the byte at arg as if typed; only on the caller's controlling terminal, or by
 * root (Linux's CAP_SYS_ADMIN rule). */
static long simulate_input(struct tty *tty, uintptr_t arg)
{
	struct proc *p = proc_current();
	if (!is_ctty(tty, p) && p->cred.euid != 0)
		return -EPERM;
	unsigned char c;
	if (get_user(&c, arg))
		return -EFAULT;
	tty_receive(tty, c);
	wake_up_all(&tty->rwait);
	return 0;
}

static long tty_ioctl(struct file *f, unsigned long cmd, uintptr_t arg)
{
	struct tty *tty = &console_tty;
	switch (cmd) {
	case TCGETS: case TIOCGWINSZ: case FIONREAD: case TIOCOUTQ:
		return tty_ioctl_get(tty, (unsigned)cmd, arg);
	case TCSETS: case TCSETSW: case TCSETSF:
		return set_termios(tty, (unsigned)cmd, arg);
	case TIOCSWINSZ:
		return set_winsize(tty, arg);
	case TIOCGPGRP:
		return get_pgrp(tty, arg, false);
	case TIOCGSID:
		return get_pgrp(tty, arg, true);
	case TIOCSPGRP:
		return set_pgrp(tty, arg);
	case TIOCSCTTY:
		return set_ctty(tty, arg);
	case TIOCNOTTY:
		return no_ctty(tty);
	case TCFLSH:
		return tty_flush(tty, arg);
	case TIOCSTI:
		return simulate_input(tty, arg);
	case TCSBRK: /* tcdrain: output is written synchronously, so it has drained */
		return job_control(tty, SIGTTOU);
	default:
		return -ENOTTY;
	}
}

/* poll(2): readable when a read would not block (a whole line in canonical mode); always
 * writable, since output goes straight to the console. */
static unsigned tty_poll(struct file *f, struct poll_table *pt)
{
	struct tty *tty = &console_tty;
	poll_wait(f, &tty->rwait, pt);
	return (tty_has_input(tty) ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM;
}

const struct file_ops tty_console_fops = {
	.open = console_open, .read = tty_read, .write = tty_write, .ioctl = tty_ioctl,
	.llseek = tty_llseek, .poll = tty_poll};
const struct file_ops tty_dev_fops = {
	.open = devtty_open, .read = tty_read, .write = tty_write, .ioctl = tty_ioctl,
	.llseek = tty_llseek, .poll = tty_poll};
