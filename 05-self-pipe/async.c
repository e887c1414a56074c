/*
 * async.c — async handles: how another thread, or a signal handler, wakes the loop.
 *
 * The loop sleeps in epoll_wait(), so the only way to wake it is to make one of
 * its fds readable. The classic answer is the self-pipe: the loop watches the
 * read end of a pipe it owns; async_send() writes one byte to the write end.
 * write() on a non-blocking pipe is async-signal-safe and never waits, so it may
 * be called from any thread or from inside a signal handler.
 *
 * Sends coalesce: each handle has an atomic `pending` flag, and only the send
 * that raises it writes a byte. A thousand sends before the loop looks cost one
 * write and one wake-up, and the callback runs once. (libuv does the same; on
 * Linux it writes to an eventfd instead of a pipe — one fd instead of two.)
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "async.c needs Linux (pipe2)"
#endif

#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <unistd.h>
#include <sys/epoll.h>

/* ---- the loop's side ---------------------------------------------------- */

/* The read end is readable: empty the pipe, then run the callback of every
 * handle whose flag is up. Emptying first means a send that lands meanwhile
 * leaves a byte behind, so it is seen on the next iteration, never lost.
 * Reading until EAGAIN cannot go on for ever (as signal.c's could): no flag is
 * lowered until it ends, so at most one byte per handle comes in meanwhile. */
static void on_async_readable(struct io *w, uint32_t events)
{
	struct loop *l = w->h.loop;
	char buf[256];
	(void)events;

	while (read(w->fd, buf, sizeof buf) > 0)
		;
	l->wakeups++;
	/* A callback may close a handle: its memory lives until the close phase
	 * and keeps its `next`, so the walk goes on; CLOSING skips it. */
	struct async *a = l->asyncs;
	while (a != NULL) {
		struct async *next = a->next;
		/* The flag is lowered even with no callback: libuv allows a
		 * NULL one (the send then only wakes the loop). */
		if (!(a->h.flags & HANDLE_CLOSING) && atomic_exchange(&a->pending, 0) &&
		    a->cb != NULL)
			a->cb(a);
		a = next;
	}
}

int async_loop_init(struct loop *l)
{
	int fds[2];
	/* Non-blocking both ends: the reader drains until EAGAIN, and a writer
	 * finding the pipe full knows a wake-up is already on its way. */
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
		return -1;
	l->async_wfd = fds[1];
	io_init(l, &l->async_io, fds[0], on_async_readable);
	l->async_io.what = "self-pipe";
	if (io_set(&l->async_io, EPOLLIN) != 0)
		return -1;
	/* The watcher is always there; only started async handles may keep the
	 * loop alive, each by its own ref. */
	handle_unref(&l->async_io.h);
	return 0;
}

void async_loop_close(struct loop *l)
{
	close(l->async_io.fd);
	close(l->async_wfd);
}

/* ---- async handles ------------------------------------------------------ */

void async_init(struct loop *l, struct async *a, async_cb cb)
{
	handle_init(l, &a->h, HANDLE_ASYNC);
	atomic_init(&a->pending, 0);
	atomic_init(&a->traced_sends, 0);
	a->traced_woken = 0;
	a->cb = cb;
	a->next = l->asyncs;
	l->asyncs = a;
	handle_start(&a->h);    /* like uv_async_init: active from birth */
}

/* Any thread, or a signal handler: only lock-free atomics and write(). */
void async_send(struct async *a)
{
	struct loop *l = a->h.loop;
	atomic_fetch_add_explicit(&l->async_sends, 1, memory_order_relaxed);
	if (atomic_exchange(&a->pending, 1))
		return;         /* already raised: the loop will see this one too */
	int saved = errno;      /* a signal handler must leave errno as it found it */
	ssize_t n;
	do
		n = write(l->async_wfd, "", 1);
	while (n < 0 && errno == EINTR);
	/* EAGAIN: the pipe is full of wake-ups the loop has not read yet. */
	errno = saved;
}

/* Called by handle_close(): the handle leaves the loop's list. */
void async_remove(struct async *a)
{
	struct async **p = &a->h.loop->asyncs;
	while (*p != a)
		p = &(*p)->next;
	*p = a->next;   /* a->next stays: a walk in progress may continue from a */
	handle_stop(&a->h);
}
