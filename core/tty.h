/*
 * core/tty.h: terminals. Today one: the serial console (/dev/console 5:1, and /dev/tty 5:0,
 * which names the caller's controlling terminal), with the line discipline of
 * core/tty_ldisc.h, a foreground process group and the session it controls.
 */
#ifndef CORE_TTY_H
#define CORE_TTY_H

struct file_ops;
struct proc;

/* devfs's /dev/console and /dev/tty. */
extern const struct file_ops tty_console_fops, tty_dev_fops;

/* p's last thread left (no lock held): if p leads a session with a controlling terminal, the
 * terminal's foreground group gets SIGHUP and SIGCONT and the terminal is released. */
void tty_proc_exit(struct proc *p);

#endif
