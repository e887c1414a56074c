/*
 * resolve.c — DNS over UDP, in the loop: what c-ares does for dns.resolve4().
 *
 * Unlike getaddrinfo(), which blocks and so needs a pool thread for as long
 * as the DNS server takes, a query here is one non-blocking UDP socket in the
 * epoll set and one timer. A slow server holds no thread at all.
 *
 * Each query gets its own socket, connect()ed to the server: the kernel then
 * drops datagrams from anyone else, and an ICMP "port unreachable" comes back
 * as ECONNREFUSED. Its 16-bit id comes from getrandom(), and a reply must match
 * the id and repeat our question (dns_wire.c checks), or it is ignored: a
 * spoofer has to guess both. No answer within the timeout: send again, up to
 * `tries` times. A truncated reply (TC bit) is reported as such: there is no
 * fallback to TCP here, where c-ares would retry over TCP.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "resolve.c needs Linux (getrandom, epoll)"
#endif

#include "resolve.h"
#include "dns_wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>

/* ---- constants ---------------------------------------------------------- */

enum {
	MAX_QUERY = 512,        /* a UDP DNS message, without EDNS */
	MAX_REPLY = 4096,       /* room for a bigger (broken) reply, to reject it */
	MAX_NAME = 255,
};

/* ---- types -------------------------------------------------------------- */

struct resolve {
	struct io io;           /* the query's socket */
	struct timer timer;     /* this try's deadline */
	const struct resolve_config *cfg;
	resolve_cb cb;          /* NULL once called or cancelled */
	void *data;
	unsigned tries_left;
	unsigned open_handles;  /* freed when both have closed */
	uint16_t id;
	int query_len;
	unsigned char query[MAX_QUERY];
	char name[MAX_NAME + 1];
};

/* ---- helpers ------------------------------------------------------------ */

static unsigned inflight;

static void on_closed(struct handle *h)
{
	struct resolve *r = h->data;
	if (--r->open_handles == 0)
		free(r);
}

/* Ends the query: the callback (unless cancelled), then both handles close. */
static void finish(struct resolve *r, const char *error, const struct in_addr *addrs,
		   size_t count)
{
	resolve_cb cb = r->cb;
	r->cb = NULL;
	inflight--;
	handle_close(&r->io.h, on_closed);
	close(r->io.fd);
	handle_close(&r->timer.h, on_closed);
	if (cb != NULL)
		cb(r, error, addrs, count);
}

static int send_query(struct resolve *r)
{
	ssize_t n;
	do
		n = send(r->io.fd, r->query, (size_t)r->query_len, 0);
	while (n < 0 && errno == EINTR);
	return n == r->query_len ? 0 : -1;
}

/* ---- callbacks ---------------------------------------------------------- */

static void on_readable(struct io *w, uint32_t events)
{
	struct resolve *r = w->h.data;
	static unsigned char reply[MAX_REPLY];
	struct in_addr addrs[DNS_MAX_ADDRS];
	(void)events;

	for (;;) {
		size_t count = 0;
		ssize_t n = recv(w->fd, reply, sizeof reply, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;         /* wait for the next datagram */
			finish(r, errno == ECONNREFUSED ? "connection refused" : strerror(errno),
			       NULL, 0);
			return;
		}
		enum dns_status st = dns_parse_reply(reply, (size_t)n, r->id, r->name,
						     addrs, DNS_MAX_ADDRS, &count);
		if (st == DNS_NOT_OURS)
			continue;       /* stray, late or spoofed: keep waiting */
		if (st == DNS_OK && count == 0)
			finish(r, "no A records", NULL, 0);
		else
			finish(r, st == DNS_OK ? NULL : dns_status_str(st), addrs, count);
		return;
	}
}

static void on_timeout(struct timer *t)
{
	struct resolve *r = t->h.data;
	if (--r->tries_left == 0 || send_query(r) != 0) {
		finish(r, "timeout", NULL, 0);
		return;
	}
	timer_start(&r->timer, r->cfg->timeout_ms, 0);
}

/* ---- requests ----------------------------------------------------------- */

struct resolve *resolve_start(struct loop *l, const struct resolve_config *cfg,
			      const char *name, resolve_cb cb, void *data)
{
	struct resolve *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	if (strlen(name) > MAX_NAME || getrandom(&r->id, sizeof r->id, 0) != sizeof r->id) {
		free(r);
		errno = EINVAL;
		return NULL;
	}
	strcpy(r->name, name);
	r->query_len = dns_build_query(r->query, sizeof r->query, r->id, name);
	if (r->query_len < 0) {
		free(r);
		errno = EINVAL;
		return NULL;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&cfg->server, sizeof cfg->server) != 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		free(r);
		errno = err;
		return NULL;
	}
	r->cfg = cfg;
	r->cb = cb;
	r->data = data;
	r->tries_left = cfg->tries > 0 ? cfg->tries : 1;
	io_init(l, &r->io, fd, on_readable);
	timer_init(l, &r->timer, on_timeout);
	r->io.h.data = r->timer.h.data = r;
	r->open_handles = 2;
	inflight++;
	if (io_set(&r->io, EPOLLIN) != 0 || send_query(r) != 0) {
		int err = errno;
		r->cb = NULL;
		finish(r, NULL, NULL, 0);       /* r is freed after the close phase */
		errno = err;
		return NULL;
	}
	timer_start(&r->timer, cfg->timeout_ms, 0);
	return r;
}

void *resolve_data(const struct resolve *r)
{
	return r->data;
}

const char *resolve_name(const struct resolve *r)
{
	return r->name;
}

void resolve_cancel(struct resolve *r)
{
	if (r->cb == NULL)
		return;
	r->cb = NULL;
	finish(r, NULL, NULL, 0);
}

unsigned resolve_inflight(void)
{
	return inflight;
}
