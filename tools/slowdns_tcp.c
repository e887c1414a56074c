/*
 * slowdns_tcp.c - slowdns over TCP: each client sends a query after its
 * 2-byte length, and gets the reply the same way, when it falls due. The
 * tcp-* faults break that framing on purpose, for the client's tests:
 * tcp-endless sends the reply, with a wrong id, again and again for as long
 * as the client reads; tcp-reset answers a query with a reset (RST).
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "slowdns needs Linux"
#endif

#include "slowdns.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { TCP_SHORT_BY = 100 };    /* tcp-short: the length promises this much more */

/* A TCP client: it reads one query, then sends its reply when due. */
struct tcp_conn {
	int fd;
	long long arrived_ms, due_ms;       /* due_ms 0: reading, not replying */
	size_t in_len;                      /* bytes of the query read so far */
	unsigned char in[2 + MAX_TCP_MSG];
	size_t out_len, out_off;            /* the framed reply, and what is sent */
	unsigned char out[2 + MAX_TCP_MSG];
	char what[MAX_TEXT_NAME + 128];
	bool repeating;                     /* tcp-endless: sent once already */
};

static struct tcp_conn *tcp_conns[MAX_TCP_CONNS];

static void tcp_close(int i)
{
	close(tcp_conns[i]->fd);
	free(tcp_conns[i]);
	tcp_conns[i] = NULL;
}

void tcp_accept(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (int i = 0; i < MAX_TCP_CONNS; i++)
		if (tcp_conns[i] == NULL && (tcp_conns[i] = calloc(1, sizeof *tcp_conns[i]))) {
			tcp_conns[i]->fd = fd;
			int one = 1;        /* tcp-bytes: each send() its own segment */
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			return;
		}
	close(fd);                  /* too many clients: refuse this one */
}

/* Reads what the client sent; once a whole query is in, builds the reply. */
static void tcp_read(int i, const struct config *cfg)
{
	struct tcp_conn *c = tcp_conns[i];
	size_t want = c->in_len < 2 ? 2 : 2 + get_u16(c->in);
	ssize_t n = recv(c->fd, c->in + c->in_len, want - c->in_len, MSG_DONTWAIT);
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			tcp_close(i);       /* the client is done */
		return;
	}
	c->in_len += (size_t)n;
	if (c->in_len < 2 || c->in_len < 2 + get_u16(c->in))
		return;
	struct query q;
	size_t len = c->in_len - 2;
	c->in_len = 0;
	if (parse_query(c->in + 2, len, &q) < 0)
		return;
	if (has(cfg, FAULT_TCP_RESET)) {
		struct linger abort_now = { .l_onoff = 1, .l_linger = 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &abort_now, sizeof abort_now);
		if (cfg->verbose)
			fprintf(stderr, "slowdns: query tcp id=%u %s -> reset\n", q.id, q.name);
		tcp_close(i);           /* with linger 0, close() sends RST */
		return;
	}
	if (has(cfg, FAULT_TCP_DROP)) {
		if (cfg->verbose)
			fprintf(stderr, "slowdns: query tcp id=%u %s -> dropped\n", q.id, q.name);
		return;
	}
	struct message m = { .buf = c->out + 2, .cap = MAX_TCP_MSG };
	build_reply(cfg, c->in + 2, &q, &m, true, c->what, sizeof c->what);
	size_t prefix = m.len + (has(cfg, FAULT_TCP_SHORT) ? TCP_SHORT_BY : 0);
	c->out[0] = (unsigned char)(prefix >> 8);
	c->out[1] = (unsigned char)prefix;
	c->out_len = 2 + m.len;
	c->out_off = 0;
	if (has(cfg, FAULT_TCP_CUT))
		c->out_len = 1;
	/* tcp-endless: as many copies as the buffer holds, so that each send()
	 * hands the client dozens of messages to read, and it never catches up. */
	for (size_t one = c->out_len; has(cfg, FAULT_TCP_ENDLESS) &&
	     c->out_len + one <= sizeof c->out; c->out_len += one)
		memcpy(c->out + c->out_len, c->out, one);
	c->arrived_ms = now_ms();
	c->due_ms = c->arrived_ms + cfg->delay_ms;
}

/* Sends the reply that is due: all of it, or one byte for tcp-bytes. */
static void tcp_write(int i, const struct config *cfg)
{
	struct tcp_conn *c = tcp_conns[i];
	size_t n = c->out_len - c->out_off;
	if (has(cfg, FAULT_TCP_BYTES))
		n = 1;
	ssize_t sent = send(c->fd, c->out + c->out_off, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (sent < 0) {
		if (errno != EAGAIN)
			tcp_close(i);
		return;
	}
	c->out_off += (size_t)sent;
	if (c->out_off == c->out_len && has(cfg, FAULT_TCP_ENDLESS)) {
		if (cfg->verbose && !c->repeating)
			fprintf(stderr, "slowdns: query %s, sent again and again\n", c->what);
		c->repeating = true;
		c->out_off = 0;         /* the same wrong-id message, once more */
		return;
	}
	if (c->out_off < c->out_len) {
		if (has(cfg, FAULT_TCP_BYTES))
			c->due_ms = now_ms() + 1;   /* the next byte a moment later */
		return;
	}
	if (cfg->verbose)
		fprintf(stderr, "slowdns: query %s%s after %lld ms\n", c->what,
		        has(cfg, FAULT_TCP_CUT) ? ", cut in the length" :
		        has(cfg, FAULT_TCP_SHORT) ? ", length too long" :
		        has(cfg, FAULT_TCP_BYTES) ? ", 1-byte segments" : "",
		        now_ms() - c->arrived_ms);
	c->due_ms = 0;
	if (has(cfg, FAULT_TCP_CUT) || has(cfg, FAULT_TCP_SHORT))
		tcp_close(i);           /* the rest never comes */
}


int tcp_poll_set(struct pollfd *pfds, int *slots, int n, long long *next)
{
	long long now = now_ms();
	for (int i = 0; i < MAX_TCP_CONNS; i++) {
		const struct tcp_conn *c = tcp_conns[i];
		if (c == NULL)
			continue;
		/* A reply already due waits for room in the socket, not for a time. */
		bool sending = c->due_ms > 0 && c->due_ms <= now;
		if (c->due_ms > 0 && !sending && (*next < 0 || c->due_ms < *next))
			*next = c->due_ms;
		slots[n] = i;
		/* A client waiting for its reply is not read: one query at a time. */
		short events = (short)(sending ? POLLOUT : c->due_ms > 0 ? 0 : POLLIN);
		pfds[n++] = (struct pollfd){ .fd = c->fd, .events = events };
	}
	return n;
}

void tcp_serve(const struct pollfd *pfds, const int *slots, int first, int n,
			   const struct config *cfg)
{
	for (int k = first; k < n; k++) {
		int i = slots[k];
		if (tcp_conns[i] != NULL && tcp_conns[i]->due_ms == 0 && pfds[k].revents)
			tcp_read(i, cfg);
		if (tcp_conns[i] != NULL && tcp_conns[i]->due_ms > 0 &&
		    tcp_conns[i]->due_ms <= now_ms())
			tcp_write(i, cfg);
	}
}
