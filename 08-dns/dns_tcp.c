/*
 * dns_tcp.c — DNS over TCP, in the loop: the fallback for a truncated answer.
 *
 * A reply too big for a UDP datagram comes back with the TC bit set and no
 * (or some) answers. c-ares then asks the same question over TCP, and so
 * does the kit. It is the same loop with a second kind of socket:
 *
 *   connect()  a non-blocking socket returns at once, EINPROGRESS; the loop
 *              waits for it to become writable, and SO_ERROR tells whether the
 *              connection was made (or refused: ECONNREFUSED).
 *   write      over TCP a message goes after its 2-byte length. send() may
 *              take only part of it: the rest waits for the next "writable".
 *   read       a stream has no message boundaries: the 2-byte length comes
 *              first, then that many bytes, in as many pieces as the network
 *              likes (one byte at a time, even). dns_tcp_want() says how many
 *              bytes the message needs; the connection reads until it has them.
 *
 * The caller (resolve.c) keeps the timer and the id and question checks: a
 * message that is not its answer is skipped, and the next one is read.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "dns_tcp.c needs Linux (epoll)"
#endif

#include "dns_tcp.h"
#include "dns_wire.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>

/* ---- constants ---------------------------------------------------------- */

enum {
	MAX_QUERY = 512,
	/* recv() calls in one callback, as libuv's uv__read() has: a server that
	 * streams forever gets its turn and no more, so the query's timer, on
	 * the same loop, still fires ("Prevent loop starvation"). The fd stays
	 * readable; epoll, level-triggered, brings us back next tick. */
	MAX_READS = 32,
};

/* ---- types -------------------------------------------------------------- */

struct dns_tcp {
	struct io io;
	dns_tcp_cb cb;          /* NULL once closed */
	void *data;
	bool connected;
	size_t out_len, out_off;        /* the framed query, and how much is sent */
	unsigned char out[DNS_TCP_PREFIX + MAX_QUERY];
	size_t in_have;                 /* bytes of the message being received */
	unsigned char in[DNS_TCP_MAX];
};

/* ---- helpers ------------------------------------------------------------ */

/* --trace: narrates the connection's steps on stderr, between the ticks. */
__attribute__((format(printf, 2, 3)))
static void trace(const struct dns_tcp *t, const char *fmt, ...)
{
	if (!t->io.h.loop->trace)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "  dns tcp fd %d: ", t->io.fd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void on_closed(struct handle *h)
{
	free(h->data);
}

/* The connection failed with ERR: tell the caller, who will close it. */
static void fail(struct dns_tcp *t, int err)
{
	io_set(&t->io, 0);
	t->cb(t, err, NULL, 0);
}

/* Writable after connect(): did it connect? */
static int check_connected(struct dns_tcp *t)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(t->io.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		fail(t, err);
		return -1;
	}
	t->connected = true;
	trace(t, "connected");
	return 0;
}

/* Sends what the socket takes of the framed query; once all is sent, reads. */
static int send_some(struct dns_tcp *t)
{
	while (t->out_off < t->out_len) {
		ssize_t n = send(t->io.fd, t->out + t->out_off, t->out_len - t->out_off,
				 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;       /* the rest on the next "writable" */
			fail(t, errno);
			return -1;
		}
		t->out_off += (size_t)n;
		trace(t, "sent %zu of %zu bytes (length prefix included)", t->out_off, t->out_len);
	}
	if (io_set(&t->io, EPOLLIN) != 0) {
		fail(t, errno);
		return -1;
	}
	return 0;
}

/* Reads until the socket is empty, or MAX_READS times, handing each whole
 * message to the caller. */
static void read_some(struct dns_tcp *t)
{
	for (int reads = 0; t->cb != NULL && reads < MAX_READS;) {
		size_t want = dns_tcp_want(t->in, t->in_have);
		if (t->in_have >= DNS_TCP_PREFIX && t->in_have == want) {
			t->in_have = 0;
			t->cb(t, 0, t->in + DNS_TCP_PREFIX, want - DNS_TCP_PREFIX);
			continue;       /* the caller may have closed us, or want more */
		}
		ssize_t n = recv(t->io.fd, t->in + t->in_have, want - t->in_have, 0);
		reads++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			fail(t, n == 0 ? DNS_TCP_EOF : errno);
			return;
		}
		t->in_have += (size_t)n;
		if (t->in_have >= DNS_TCP_PREFIX)
			trace(t, "received %zu of %zu bytes", t->in_have,
			      dns_tcp_want(t->in, t->in_have));
	}
}

/* ---- callbacks ---------------------------------------------------------- */

static void on_io(struct io *w, uint32_t events)
{
	struct dns_tcp *t = w->h.data;
	if (!t->connected) {
		if (check_connected(t) == 0)
			send_some(t);
		return;         /* a reply cannot be here yet: wait for "readable" */
	}
	if (t->out_off < t->out_len) {
		send_some(t);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		read_some(t);
}

/* ---- connections -------------------------------------------------------- */

struct dns_tcp *dns_tcp_start(struct loop *l, const struct sockaddr_in *server,
			      const unsigned char *query, size_t len, dns_tcp_cb cb, void *data)
{
	if (len > MAX_QUERY) {
		errno = EINVAL;
		return NULL;
	}
	struct dns_tcp *t = malloc(sizeof *t);
	if (t == NULL)
		return NULL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		free(t);
		return NULL;
	}
	io_init(l, &t->io, fd, on_io);
	t->io.what = "dns tcp";
	t->io.h.data = t;
	t->cb = cb;
	t->data = data;
	t->connected = false;
	t->out_off = 0;
	t->out_len = dns_tcp_frame(t->out, query, len);
	t->in_have = 0;
	/* Non-blocking: "in progress" now, "writable" once the handshake is done.
	 * On loopback a refusal can come at once; then it is just an error. */
	if ((connect(fd, (const struct sockaddr *)server, sizeof *server) != 0 &&
	     errno != EINPROGRESS) || io_set(&t->io, EPOLLOUT) != 0) {
		int err = errno;
		close(fd);
		free(t);
		errno = err;
		return NULL;
	}
	trace(t, "connect: in progress");
	return t;
}

void *dns_tcp_data(const struct dns_tcp *t)
{
	return t->data;
}

void dns_tcp_close(struct dns_tcp *t)
{
	t->cb = NULL;
	handle_close(&t->io.h, on_closed);
	close(t->io.fd);
}
