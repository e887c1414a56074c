/*
 * resolve.c — a DNS client in the loop: what c-ares does for dns.resolve4().
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
 * `tries` times.
 *
 * A reply with the TC bit did not fit in a datagram. As c-ares does, the query
 * then asks the same question again over TCP (dns_tcp.c), which has no such
 * limit; that switch is not a new try, but the timeout and the tries go on
 * applying over TCP. SERVFAIL, NOTIMP and REFUSED are tried again too, while
 * tries are left, as c-ares does: another try may reach a server that works.
 *
 * Three functions are the query's life, for anyone who wants to watch it:
 * send_try() sends (or resends), on_message() judges what came back, and
 * finish() answers.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "resolve.c needs Linux (getrandom, epoll)"
#endif

#include "resolve.h"
#include "dns_tcp.h"
#include "dns_wire.h"
#include "trace_events.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>

/* ---- constants ---------------------------------------------------------- */

enum {
	MAX_QUERY = 512,        /* a UDP DNS message, without EDNS */
	/* Room for any datagram, as c-ares has: a server may send more than 512
	 * bytes without being asked (EDNS), and a datagram cut short would be
	 * misread. MSG_TRUNC says if one was longer all the same. */
	MAX_REPLY = 65535,
	MAX_NAME = 255,
	/* Datagrams read in one callback, as libuv's uv__udp_recvmsg() does:
	 * a server that never stops sending gets its turn, then the loop's
	 * other fds and timers get theirs ("Prevent loop starvation"). */
	MAX_READS = 32,
};

/* ---- types -------------------------------------------------------------- */

struct resolve {
	struct io io;           /* the query's UDP socket */
	struct timer timer;     /* this try's deadline */
	struct dns_tcp *tcp;    /* this try's TCP connection, once truncated */
	const struct resolve_config *cfg;
	resolve_cb cb;          /* NULL once called or cancelled */
	void *data;
	bool over_tcp;          /* a reply was truncated: TCP from now on */
	unsigned tries;         /* sends so far */
	unsigned open_handles;  /* freed when both have closed */
	uint16_t id;
	uint64_t trace_id;      /* --trace-events: its span's id, 0 before it began */
	int query_len;
	unsigned char query[MAX_QUERY];
	char name[MAX_NAME + 1];
};

/* ---- helpers ------------------------------------------------------------ */

const char *resolve_why(int err)
{
	switch (err) {
	case ECONNREFUSED: return "connection refused";
	case ECONNRESET: case EPIPE: case ECONNABORTED: return "connection reset";
	case ETIMEDOUT: return "timeout";
	case ENETUNREACH: case EHOSTUNREACH: case ENETDOWN: case EHOSTDOWN:
	case EADDRNOTAVAIL: return "network unreachable";
	case EMFILE: case ENFILE: case ENOBUFS: case ENOMEM: return "out of resources";
	default: return "network error";
	}
}

static unsigned inflight;

static void on_tcp(struct dns_tcp *t, int err, const unsigned char *msg, size_t len);

/* --trace: narrates the query's life on stderr, between the loop's ticks. */
__attribute__((format(printf, 2, 3)))
static void trace(const struct resolve *r, const char *fmt, ...)
{
	if (!r->io.h.loop->trace)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "  resolve %s id=%u: ", r->name, r->id);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void on_closed(struct handle *h)
{
	struct resolve *r = h->data;
	if (--r->open_handles == 0)
		free(r);
}

static void close_tcp(struct resolve *r)
{
	if (r->tcp != NULL)
		dns_tcp_close(r->tcp);
	r->tcp = NULL;
}

/* --trace-events: the query as an async span (cat "dns"), from its first send
 * (PH 'b') through each later try ('n', named NAME) to its answer ('e'). */
static void trace_query(struct resolve *r, char ph, const char *name, const char *args)
{
	struct trace_events *te = r->io.h.loop->trace_events;
	char span[MAX_NAME + 16];
	if (r->trace_id == 0)
		r->trace_id = trace_events_id(te);
	snprintf(span, sizeof span, "resolve %s", r->name);
	struct trace_event ev = { .ph = ph, .cat = "dns", .name = name ? name : span,
				  .ts = trace_events_now(), .id = r->trace_id,
				  .args = ph == 'b' ? trace_command_args() : args };
	trace_events_add(te, &ev);
}

/* Ends the query: the callback (unless cancelled), then every handle closes. */
static void finish(struct resolve *r, const char *error, const struct in_addr *addrs,
		   size_t count)
{
	resolve_cb cb = r->cb;
	if (r->trace_id != 0) {
		char args[96];
		snprintf(args, sizeof args, "\"answer\":\"%s\"",
			 cb == NULL ? "cancelled" : error != NULL ? error : "ok");
		trace_query(r, 'e', NULL, args);
	}
	r->cb = NULL;
	inflight--;
	close_tcp(r);
	handle_close(&r->io.h, on_closed);
	close(r->io.fd);
	handle_close(&r->timer.h, on_closed);
	if (cb != NULL) {
		if (error != NULL)
			trace(r, "answer: %s", error);
		else
			trace(r, "answer: %zu address%s", count, count == 1 ? "" : "es");
		cb(r, error, addrs, count);
	}
}

/* Sends the query once more, over UDP or TCP, and starts this try's timer.
 * Returns NULL, or what went wrong. */
static const char *send_try(struct resolve *r)
{
	r->tries++;
	if (r->io.h.loop->trace_events) {
		char name[32];
		snprintf(name, sizeof name, "try %u over %s", r->tries, r->over_tcp ? "TCP" : "UDP");
		trace_query(r, r->trace_id == 0 ? 'b' : 'n', r->trace_id == 0 ? NULL : name, NULL);
	}
	timer_start(&r->timer, r->cfg->timeout_ms, 0);
	if (r->over_tcp) {
		close_tcp(r);   /* a new try gets a new connection */
		trace(r, "try %u of %u over TCP", r->tries, r->cfg->tries);
		r->tcp = dns_tcp_start(r->io.h.loop, &r->cfg->server, r->query,
				       (size_t)r->query_len, on_tcp, r);
		if (r->tcp != NULL)
			return NULL;
	} else {
		trace(r, "try %u of %u over UDP", r->tries, r->cfg->tries);
		ssize_t n;
		do
			n = send(r->io.fd, r->query, (size_t)r->query_len, 0);
		while (n < 0 && errno == EINTR);
		if (n == r->query_len)
			return NULL;
	}
	return resolve_why(errno);
}

/* This try failed with ERROR: try again if tries are left, else answer ERROR. */
static void retry(struct resolve *r, const char *error)
{
	trace(r, "try %u failed: %s", r->tries, error);
	while (r->tries < r->cfg->tries) {
		const char *e = send_try(r);
		if (e == NULL)
			return;
		error = e;
	}
	finish(r, error, NULL, 0);
}

/* A truncated UDP reply: the same try again, over TCP (c-ares does not count
 * it as a new try either). */
static void to_tcp(struct resolve *r)
{
	trace(r, "truncated (TC): asking again over TCP");
	r->over_tcp = true;
	io_set(&r->io, 0);      /* UDP is done with */
	r->tries--;
	const char *error = send_try(r);
	if (error != NULL)
		retry(r, error);
}

/* A message came, over UDP or TCP: ignore it, try again, or answer. */
static void on_message(struct resolve *r, const unsigned char *msg, size_t len)
{
	size_t max = dns_max_addrs(len), count = 0;
	struct in_addr *addrs = malloc((max > 0 ? max : 1) * sizeof *addrs);
	if (addrs == NULL) {
		finish(r, "out of memory", NULL, 0);
		return;
	}
	enum dns_status st = dns_parse_reply(msg, len, r->over_tcp, r->id, r->name,
					     addrs, max, &count);
	switch (st) {
	case DNS_NOT_OURS:
		trace(r, "ignored a message that is not our answer");
		break;          /* stray, late or spoofed: keep waiting */
	case DNS_TRUNCATED:     /* only over UDP: over TCP the answer is taken */
		to_tcp(r);
		break;
	case DNS_SERVFAIL:
	case DNS_NOTIMP:
	case DNS_REFUSED:
		retry(r, dns_status_str(st));
		break;
	case DNS_OK:            /* count may be 0: a CNAME and no A record */
		finish(r, NULL, addrs, count);
		break;
	default:
		finish(r, dns_status_str(st), NULL, 0);
	}
	free(addrs);
}

/* ---- callbacks ---------------------------------------------------------- */

static void on_readable(struct io *w, uint32_t events)
{
	struct resolve *r = w->h.data;
	static unsigned char reply[MAX_REPLY];
	(void)events;

	for (int reads = 0; reads < MAX_READS && r->cb != NULL && !r->over_tcp; reads++) {
		/* MSG_TRUNC: the datagram's whole length, even past the buffer */
		ssize_t n = recv(w->fd, reply, sizeof reply, MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;         /* wait for the next datagram */
			retry(r, resolve_why(errno));
			return;
		}
		if ((size_t)n > sizeof reply)
			continue;       /* cut short: not a message we can read */
		on_message(r, reply, (size_t)n);
	}
}

static void on_tcp(struct dns_tcp *t, int err, const unsigned char *msg, size_t len)
{
	struct resolve *r = dns_tcp_data(t);
	if (err == 0) {
		on_message(r, msg, len);
		return;
	}
	close_tcp(r);
	retry(r, err == DNS_TCP_EOF ? "connection closed" : resolve_why(err));
}

static void on_timeout(struct timer *t)
{
	retry(t->h.data, "timeout");
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
	io_init(l, &r->io, fd, on_readable);
	r->io.what = "dns udp";
	timer_init(l, &r->timer, on_timeout);
	r->io.h.data = r->timer.h.data = r;
	r->open_handles = 2;
	inflight++;
	if (io_set(&r->io, EPOLLIN) != 0 || send_try(r) != NULL) {
		int err = errno;
		r->cb = NULL;
		finish(r, NULL, NULL, 0);       /* r is freed after the close phase */
		errno = err;
		return NULL;
	}
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
