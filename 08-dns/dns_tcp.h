/*
 * dns_tcp.h — one DNS exchange over TCP, in the loop: what a resolver does
 * when a UDP answer comes back truncated (RFC 7766).
 */
#ifndef DNS_TCP_H
#define DNS_TCP_H

#include <stddef.h>
#include <netinet/in.h>

#include "loop.h"

/* The connection ended before a whole message came: the server closed it. */
enum { DNS_TCP_EOF = -1 };

struct dns_tcp;
/*
 * Called on the loop thread with ERR 0 and each whole message received (MSG,
 * LEN bytes, its length prefix removed), or once with ERR set (an errno value,
 * e.g. ECONNREFUSED, or DNS_TCP_EOF) when the connection failed; after that,
 * only dns_tcp_close() may be called.
 */
typedef void (*dns_tcp_cb)(struct dns_tcp *t, int err, const unsigned char *msg, size_t len);

/*
 * Connects to SERVER without blocking, sends QUERY (LEN bytes, at most 512)
 * with its length prefix, then reads replies for CB. DATA is the caller's.
 * Returns the connection, or NULL with errno set.
 */
struct dns_tcp *dns_tcp_start(struct loop *l, const struct sockaddr_in *server,
			      const unsigned char *query, size_t len, dns_tcp_cb cb, void *data);
void *dns_tcp_data(const struct dns_tcp *t);
/* Closes the socket at once; CB is not called again. T frees itself later. */
void dns_tcp_close(struct dns_tcp *t);

#endif
