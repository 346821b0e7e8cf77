/*
 * core/epoll.h: epoll instances (epoll_create1, epoll_ctl, epoll_wait and friends), to Linux
 * semantics, built on the wait queues and file poll operations poll and select use
 * (core/poll.h, core/waitq.h). The design, the locks and what is left out are in
 * core/epoll.c and docs/epoll.md.
 */
#ifndef CORE_EPOLL_H
#define CORE_EPOLL_H

#include <stdbool.h>

/* Linux's event bits beyond poll's (core/poll.h has EPOLLIN's values as POLLIN ...). */
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3

struct file;

/* True if f is an epoll instance. */
bool file_is_epoll(const struct file *f);

#endif
