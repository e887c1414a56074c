/*
 * resolve.h — a DNS client inside the loop, like c-ares under Node's
 * dns.resolve4(): no thread, just a UDP socket and a timer per query (and a
 * TCP connection when the answer is too big for UDP).
 */
#ifndef RESOLVE_H
#define RESOLVE_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "loop.h"

struct resolve_config {
	struct sockaddr_in server;  /* where queries go (--dns-server) */
	uint64_t timeout_ms;        /* per try (--dns-timeout) */
	unsigned tries;             /* sends before giving up (--dns-tries) */
};

struct resolve;
/* ERROR is NULL on success, otherwise one of the closed list of PROTOCOL.md:
 * "NXDOMAIN", "SERVFAIL", "REFUSED", "FORMERR", "NOTIMP", "no A records",
 * "timeout", "connection refused", "connection reset", "connection closed",
 * "network unreachable", "out of resources", "network error", "bad response",
 * "out of memory"; ADDRS holds COUNT addresses, each
 * once, in answer order. COUNT may be 0: an answer that holds a CNAME but no
 * A record is a success with no address, as in c-ares (dns.resolve4: []). */
typedef void (*resolve_cb)(struct resolve *r, const char *error,
			   const struct in_addr *addrs, size_t count);

/* Starts resolving NAME's A records; CB runs once on the loop thread, then the
 * request frees itself. Returns it, or NULL with errno set (EINVAL: not a valid
 * hostname). DATA is the caller's, handed back in resolve_data(). */
struct resolve *resolve_start(struct loop *l, const struct resolve_config *cfg,
			      const char *name, resolve_cb cb, void *data);
void *resolve_data(const struct resolve *r);
const char *resolve_name(const struct resolve *r);
/* The caller lost interest (its client left): CB will not run. */
void resolve_cancel(struct resolve *r);
/* The WHY an errno value ERR gives in a reply: a name from the closed list
 * above, never the system's own words, which vary with the libc and locale. */
const char *resolve_why(int err);
/* Queries in flight now. */
unsigned resolve_inflight(void);

#endif
