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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "loop.h"
#include "pool.h"
#include "resolve.h"
#include "server.h"

/* ---- constants ---------------------------------------------------------- */

enum { REPLY_MAX = MAX_LINE };

/* ---- types -------------------------------------------------------------- */

struct lookup {
	struct request req;     /* first: the pool hands back &req.work */
	struct addrinfo *res;
	int err;                /* getaddrinfo()'s EAI_* code, or 0 */
	char host[];
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

/* Appends " WORD" to LINE (SIZE bytes) unless LINE already has that word:
 * every address once, in the order given. */
static void append_word(char *line, size_t size, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = line; (p = strstr(p, word)) != NULL; p += n)
		if (p > line && p[-1] == ' ' && (p[n] == ' ' || p[n] == '\0'))
			return;
	if (strlen(line) + 1 + n < size) {
		strcat(line, " ");
		strcat(line, word);
	}
}

static void append_addrs(char *line, size_t size, const struct addrinfo *res)
{
	for (const struct addrinfo *a = res; a != NULL; a = a->ai_next) {
		char addr[INET6_ADDRSTRLEN];
		const void *bytes = a->ai_family == AF_INET6
			? (const void *)&((const struct sockaddr_in6 *)a->ai_addr)->sin6_addr
			: (const void *)&((const struct sockaddr_in *)a->ai_addr)->sin_addr;
		if (inet_ntop(a->ai_family, bytes, addr, sizeof addr) != NULL)
			append_word(line, size, addr);
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
			char line[REPLY_MAX];
			snprintf(line, sizeof line, "lookup %s", k->host);
			append_addrs(line, sizeof line, k->res);
			conn_reply(c, "%s", line);
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
	struct lookup *k = calloc(1, sizeof *k + strlen(host) + 1);
	if (k == NULL) {
		conn_reply(c, "error: lookup %s: out of memory", host);
		return;
	}
	strcpy(k->host, host);
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
		char line[REPLY_MAX];
		snprintf(line, sizeof line, "resolve %s", resolve_name(r));
		for (size_t i = 0; i < count; i++) {
			char addr[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &addrs[i], addr, sizeof addr);
			append_word(line, sizeof line, addr);
		}
		conn_reply(c, "%s", line);
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
			   errno == EINVAL ? "not a valid hostname" : strerror(errno));
		return;
	}
	conn_busy(c);
}
