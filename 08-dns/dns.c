/*
 * dns.c — /lookup and /resolve: Node's two ways to ask DNS, side by side.
 *
 * /lookup HOST is dns.lookup(): getaddrinfo() on the thread pool. It reads
 * /etc/hosts, nsswitch.conf and resolv.conf like every other program on the
 * machine, and it blocks, so it needs a pool thread for as long as the DNS
 * server takes. Marked slow I/O, it can hold at most half the pool.
 *
 * /resolve HOST is dns.resolve4(): resolve.c, a DNS client in the loop. It asks
 * --dns-server directly (no /etc/hosts) and holds no thread while it waits.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "dns.c needs Linux"
#endif

#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "loop.h"
#include "pool.h"
#include "resolve.h"
#include "server.h"

/* ---- types -------------------------------------------------------------- */

struct lookup {
	struct request req;     /* first: the pool hands back &req.work */
	struct addrinfo *res;
	int err;                /* getaddrinfo()'s EAI_* code, or 0 */
	const char *host;       /* in what, after "lookup " */
	char what[];            /* "lookup HOST": the job's name in a trace */
};

/* ---- /lookup: getaddrinfo() on the pool ---------------------------------- */

static void lookup_work(struct work *w)
{
	struct lookup *k = (struct lookup *)w;
	/* No AI_ADDRCONFIG: it hides IPv4 answers on a machine whose only IPv4
	 * address is 127.0.0.1, a surprise in containers and test namespaces. */
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	k->err = getaddrinfo(k->host, NULL, &hints, &k->res);
}

/*
 * A reply line that grows with its addresses: a name can have hundreds, far
 * more than the MAX_LINE that limits the commands coming in. It starts with
 * the command's own words ("resolve HOST"); the addresses follow, each once.
 */
struct reply {
	char *buf;
	size_t len, cap;
	size_t addrs_at;        /* where the first " ADDR" starts */
	bool failed;            /* out of memory: the reply says so instead */
};

static void reply_add(struct reply *r, const char *text)
{
	size_t n = strlen(text);
	if (r->failed)
		return;
	if (r->len + n + 2 > r->cap) {          /* room for '\n' and '\0' too */
		size_t cap = r->cap > 0 ? r->cap : 64;
		while (r->len + n + 2 > cap)
			cap *= 2;
		char *grown = realloc(r->buf, cap);
		if (grown == NULL) {
			r->failed = true;
			return;
		}
		r->buf = grown;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, text, n + 1);
	r->len += n;
}

/* Starts R with the words "CMD HOST"; the addresses come after them. */
static void reply_start(struct reply *r, const char *cmd, const char *host)
{
	*r = (struct reply){ 0 };
	reply_add(r, cmd);
	reply_add(r, " ");
	reply_add(r, host);
	r->addrs_at = r->len;
}

/* Appends " ADDR" unless ADDR is among the addresses already: every address
 * once, in the order given. Only the addresses are searched, not the command's
 * own words, which may look like one ("/lookup 127.0.0.1"). */
static void reply_add_addr(struct reply *r, const char *addr)
{
	size_t n = strlen(addr);
	if (r->failed)
		return;
	r->buf[r->len] = '\0';
	for (const char *p = r->buf + r->addrs_at; (p = strstr(p, addr)) != NULL; p += n)
		if (p[-1] == ' ' && (p[n] == ' ' || p[n] == '\0'))
			return;
	reply_add(r, " ");
	reply_add(r, addr);
}

/* Sends R as one line on C (or an error, if R could not grow), and frees it. */
static void reply_send(struct conn *c, struct reply *r, const char *cmd, const char *host)
{
	if (r->failed) {
		conn_reply(c, "error: %s %s: out of memory", cmd, host);
	} else {
		r->buf[r->len++] = '\n';
		if (conn_write(c, r->buf, r->len) != 0)
			c->quitting = true;     /* broken: conn_check() closes it */
	}
	free(r->buf);
}

static void append_addrs(struct reply *line, const struct addrinfo *res)
{
	for (const struct addrinfo *a = res; a != NULL; a = a->ai_next) {
		char addr[INET6_ADDRSTRLEN];
		const void *bytes = a->ai_family == AF_INET6
			? (const void *)&((const struct sockaddr_in6 *)a->ai_addr)->sin6_addr
			: (const void *)&((const struct sockaddr_in *)a->ai_addr)->sin_addr;
		if (inet_ntop(a->ai_family, bytes, addr, sizeof addr) != NULL)
			reply_add_addr(line, addr);
	}
}

static void lookup_done(struct work *w)
{
	struct lookup *k = (struct lookup *)w;
	struct conn *c = k->req.conn;
	if (c != NULL) {
		c->req = NULL;
		if (k->err != 0) {
			conn_reply(c, "error: lookup %s: %s", k->host, gai_strerror(k->err));
		} else {
			struct reply line;
			reply_start(&line, "lookup", k->host);
			append_addrs(&line, k->res);
			reply_send(c, &line, "lookup", k->host);
		}
		conn_done(c);
	}
	if (k->res != NULL)
		freeaddrinfo(k->res);
	free(k);
}

void command_lookup(struct conn *c, const char *host)
{
	if (*host == '\0') {
		conn_reply(c, "error: lookup: usage: /lookup HOST");
		return;
	}
	size_t size = sizeof "lookup " + strlen(host);
	struct lookup *k = calloc(1, sizeof *k + size);
	if (k == NULL) {
		conn_reply(c, "error: lookup %s: out of memory", host);
		return;
	}
	snprintf(k->what, size, "lookup %s", host);
	k->host = k->what + strlen("lookup ");
	k->req.work.what = k->what;
	k->req.conn = c;
	if (pool_submit_slow_io(&loop, &k->req.work, lookup_work, lookup_done) != 0) {
		conn_reply(c, "error: lookup %s: cannot start the thread pool: %s", host,
			   strerror(errno));
		free(k);
		return;
	}
	c->req = &k->req;
	conn_busy(c);
}

/* ---- /resolve: the loop's own DNS client --------------------------------- */

static void resolve_done(struct resolve *r, const char *error,
			 const struct in_addr *addrs, size_t count)
{
	struct conn *c = resolve_data(r);
	c->resolve = NULL;
	if (error != NULL) {
		conn_reply(c, "error: resolve %s: %s", resolve_name(r), error);
	} else {
		struct reply line;
		reply_start(&line, "resolve", resolve_name(r));
		/* Each address is there once already (dns_wire.c): no search,
		 * which would cost addresses x line length for thousands. */
		for (size_t i = 0; i < count; i++) {
			char addr[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &addrs[i], addr, sizeof addr);
			reply_add(&line, " ");
			reply_add(&line, addr);
		}
		reply_send(c, &line, "resolve", resolve_name(r));
	}
	conn_done(c);
}

void command_resolve(struct conn *c, const char *host)
{
	if (*host == '\0') {
		conn_reply(c, "error: resolve: usage: /resolve HOST");
		return;
	}
	c->resolve = resolve_start(&loop, &dns_config, host, resolve_done, c);
	if (c->resolve == NULL) {
		conn_reply(c, "error: resolve %s: %s", host,
			   errno == EINVAL ? "not a valid hostname" : resolve_why(errno));
		return;
	}
	conn_busy(c);
}
