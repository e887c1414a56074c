/*
 * conn.c — one client's connection: its socket, its out-buffer and
 * backpressure, its idle timeout and its lingering close. What the bytes it
 * reads mean, echoed data or command lines, is input.c's.
 *
 * Replies keep request order: while a command is in flight the connection is
 * "busy", its input is not read (the kernel's buffers fill and TCP pushes back
 * on the client), and bytes already read wait in `in` until the reply is queued.
 * They wait there too while the out-buffer is over its high-water mark.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "conn.c needs Linux (epoll)"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "loop.h"
#include "server.h"

/* ---- constants ---------------------------------------------------------- */

enum {
	READ_SIZE = 64 * 1024,    /* one read()'s worth, into a buffer shared by all */
	HIGH_WATER = 64 * 1024,   /* stop reading a client with this much unsent... */
	LOW_WATER = 16 * 1024,    /* ...and start again once it drains below this */
	LINGER_MS = 2000,         /* how long a closing connection drains the client */
};

/* ---- helpers ------------------------------------------------------------ */

static char read_buf[READ_SIZE];
static struct conn *conns;      /* every open connection */

static void on_conn_timer(struct timer *t);

static size_t pending(const struct conn *c)
{
	return c->out_len - c->out_off;
}

static void on_conn_closed(struct handle *h)
{
	struct conn *c = (struct conn *)h;
	free(c->line);
	free(c->in);
	free(c->out);
	free(c);
}

/* Closes C now; its memory goes once the loop is done with it (close phase).
 * A pool job still running for C is told, and cleans up on its own; a
 * request waiting on the socket instead is abandoned: it frees itself now. */
void conn_close(struct conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	if (c->req != NULL) {
		c->req->conn = NULL;
		if (c->req->abandon != NULL)
			c->req->abandon(c->req);
	}
	if (c->run != NULL)
		run_abandon(c->run);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	timer_stop(&c->timer);
	handle_close(&c->io.h, on_conn_closed);  /* out of epoll first... */
	close(c->io.fd);                        /* ...then the fd can go */
	conn_count--;
}

/* An idle connection (nothing in flight) is closed after --idle-timeout ms
 * without input; any input starts the count again. */
static void idle_timer_restart(struct conn *c)
{
	if (opt.idle_timeout_ms > 0 && !c->busy)
		timer_start(&c->timer, opt.idle_timeout_ms, 0);
}

/* Asks epoll for what C needs now: input unless it is busy, backpressured, at
 * EOF, shutting down or still holding input it read before; output while bytes
 * are pending. Returns 0, or -1 to close C. */
static int conn_update(struct conn *c)
{
	uint32_t want = 0;
	bool reading = c->io.events & EPOLLIN;
	if (!c->eof && !c->busy && !c->quitting && !shutting_down && c->in == NULL
	    && pending(c) < HIGH_WATER && (reading || pending(c) < LOW_WATER))
		want |= EPOLLIN;
	if (pending(c) > 0)
		want |= EPOLLOUT;
	/* Not reading while a command runs, yet a client that resets must be
	 * noticed (its /sleep or child would outlive it): EPOLLRDHUP keeps the fd
	 * reporting, until the first one (a FIN, not a reset) says "no more".
	 * After that FIN only a reset can come: EPOLLERR keeps the fd in the epoll
	 * set for it. (It stays quiet until then, unlike EPOLLIN or EPOLLRDHUP,
	 * which a half-closed socket reports on every wait.) */
	if (c->busy)
		want |= c->rdhup ? EPOLLERR : EPOLLRDHUP;
	return io_set(&c->io, want);
}

/* Sends as much of BUF as the socket takes now; keeps the rest in the out-buffer.
 * Returns 0, or -1 when the connection is broken. */
int conn_write(struct conn *c, const char *buf, size_t len)
{
	if (pending(c) == 0) {
		ssize_t n = send(c->io.fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
	}
	if (len == 0)
		return 0;
	/* Slide the unsent bytes to the front, so the buffer never outgrows
	 * what is really pending (at most HIGH_WATER plus one read). */
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_len + len;
		char *grown = realloc(c->out, cap);
		if (grown == NULL)
			return -1;
		c->out = grown;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	/* Ask for EPOLLOUT now: the caller may be a timer or a pool callback,
	 * not this connection's own io callback, which would ask on its way out. */
	if (!(c->io.events & EPOLLOUT))
		return conn_update(c);
	return 0;
}

/* EPOLLOUT: the socket has room again. Send what is pending; free the buffer
 * once it is empty, so an idle connection holds no memory but its struct. */
static int conn_flush(struct conn *c)
{
	while (pending(c) > 0) {
		ssize_t n = send(c->io.fd, c->out + c->out_off, pending(c), MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_off = c->out_len = c->out_cap = 0;
	return 0;
}

bool conn_drained(const struct conn *c)
{
	return pending(c) < LOW_WATER;
}

bool conn_full(const struct conn *c)
{
	return pending(c) >= HIGH_WATER;
}

static void conn_vreply(struct conn *c, const char *fmt, va_list ap)
{
	char line[MAX_LINE + 256];
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof line - 2)
		n = sizeof line - 2;    /* a reply never outgrows its line */
	line[n++] = '\n';
	if (conn_write(c, line, (size_t)n) != 0)
		c->quitting = true;     /* broken: conn_check() closes it */
}

void conn_reply(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	conn_vreply(c, fmt, ap);
	va_end(ap);
}

void conn_quit(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	conn_vreply(c, fmt, ap);
	va_end(ap);
	c->quitting = true;
}

/* The server closes first (/quit, a command too long) while the client may
 * still be sending. close() with unread input makes the kernel answer with a
 * reset (RFC 1122, 4.2.2.13) instead of a FIN, and a reset can destroy the last
 * replies: the ones our kernel had not sent yet, and those the client's had not
 * handed to the client. So close the way a careful server does (Apache's
 * "lingering close"): shutdown(SHUT_WR) sends the FIN after everything queued,
 * then read and drop what still comes until the client's EOF, then close. The
 * timer bounds that at LINGER_MS (a couple of seconds, as Apache's short
 * lingering close), so a client that keeps sending cannot hold the connection.
 * A graceful shutdown closes each idle connection this way too. */
static void conn_linger(struct conn *c)
{
	c->lingering = true;
	if (shutdown(c->io.fd, SHUT_WR) != 0 || io_set(&c->io, EPOLLIN) != 0) {
		conn_close(c);
		return;
	}
	timer_start(&c->timer, LINGER_MS, 0);
}

/* After any event on C: finish at EOF, close when done, else re-arm epoll.
 * At EOF everything the client sent has been read, so close() sends a FIN. */
static void conn_check(struct conn *c)
{
	if (c->closed || c->lingering)
		return;
	if (c->eof && !c->busy && c->state == IN_COMMAND && c->line != NULL)
		conn_run_line(c);       /* a last command with no '\n' still counts */
	bool done = (c->eof || c->quitting || shutting_down) && !c->busy && pending(c) == 0;
	if (done && !c->eof)
		conn_linger(c);
	else if (done || conn_update(c) != 0)
		conn_close(c);
}

void conn_busy(struct conn *c)
{
	c->busy = true;
	timer_stop(&c->timer);
}

void conn_done(struct conn *c)
{
	c->busy = false;
	conn_feed_held(c);
	if (!c->busy)
		idle_timer_restart(c);
	conn_check(c);
}

/* ---- callbacks ---------------------------------------------------------- */

/* EPOLLIN: one read() per wake-up, so one busy client cannot starve the rest;
 * epoll is level-triggered, so what is left is read on the next tick. libuv
 * reads at most 32 times per callback ("Prevent loop starvation when the data
 * comes in as fast as (or faster than) we can read it"); one is stricter still. */
static int conn_read(struct conn *c)
{
	ssize_t n = read(c->io.fd, read_buf, sizeof read_buf);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0) {
		c->eof = true;
		return 0;
	}
	idle_timer_restart(c);
	size_t used = conn_feed(c, read_buf, (size_t)n);
	if (used < (size_t)n && !c->quitting)
		return conn_hold(c, read_buf + used, (size_t)n - used);
	return 0;
}

/* EPOLLIN while lingering: drop what the client still sends. -1 once it is
 * done (EOF) or gone (an error): then the connection can close. */
static int linger_read(struct conn *c)
{
	ssize_t n = read(c->io.fd, read_buf, sizeof read_buf);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	return n == 0 ? -1 : 0;
}

static void on_conn_io(struct io *w, uint32_t events)
{
	struct conn *c = (struct conn *)w;
	int err = 0;
	if (c->lingering) {
		/* EPOLLHUP here is the client's FIN after ours: read to its EOF. */
		if ((events & EPOLLERR) || linger_read(c) != 0)
			conn_close(c);
		return;
	}
	/* EPOLLERR or EPOLLHUP: reset or both directions closed. Nothing to save. */
	if (events & (EPOLLERR | EPOLLHUP))
		err = -1;
	if (events & EPOLLRDHUP)
		c->rdhup = true;        /* a half-close: the rest is read after the command */
	if (!err && (events & EPOLLOUT))
		err = conn_flush(c);
	if (!err && c->on_drain != NULL && conn_drained(c)) {
		void (*drain)(struct conn *) = c->on_drain;
		c->on_drain = NULL;
		drain(c);       /* e.g. /cat reads its next chunk */
		if (c->closed)
			return;
	}
	if (!err && !c->busy && pending(c) < LOW_WATER)
		conn_feed_held(c);      /* drained: run what the client sent meanwhile */
	if (!err && (events & EPOLLIN) && c->in == NULL)
		err = conn_read(c);
	if (err)
		conn_close(c);
	else
		conn_check(c);
}

static void on_conn_timer(struct timer *t)
{
	struct conn *c = (struct conn *)((char *)t - offsetof(struct conn, timer));
	if (c->busy) {
		command_timer(c);
		return;
	}
	conn_close(c);          /* the idle timeout, or the end of a lingering close */
}

void conn_start(int fd)
{
	struct conn *c = calloc(1, sizeof *c);
	if (c == NULL) {
		fprintf(stderr, "%s: cannot serve fd %d: out of memory\n", prog, fd);
		close(fd);
		return;
	}
	io_init(&loop, &c->io, fd, on_conn_io);
	c->io.what = "conn";
	timer_init(&loop, &c->timer, on_conn_timer);
	if (io_set(&c->io, EPOLLIN) != 0) {
		fprintf(stderr, "%s: cannot serve fd %d: %s\n", prog, fd, strerror(errno));
		close(fd);
		free(c);
		return;
	}
	conn_count++;
	c->next = conns;
	if (conns != NULL)
		conns->prev = c;
	conns = c;
	idle_timer_restart(c);
}

void conn_shutdown_all(void)
{
	struct conn *c = conns;
	while (c != NULL) {
		struct conn *next = c->next;    /* conn_check() may close c */
		conn_check(c);
		c = next;
	}
}

void conn_close_all(void)
{
	while (conns != NULL)
		conn_close(conns);
}

