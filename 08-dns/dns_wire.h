/*
 * dns_wire.h - DNS messages in memory: build an A query, parse its reply,
 * and frame messages for TCP.
 *
 * The step-08 resolver sends the bytes dns_build_query() makes and hands
 * each datagram (or TCP message) it receives to dns_parse_reply(). None of
 * these functions does I/O or allocates memory, so the event loop owns every
 * socket and timer, and a fuzzer can hammer the parser on its own.
 */
#ifndef DNS_WIRE_H
#define DNS_WIRE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Over TCP a message is sent after a 2-byte length (RFC 1035 4.2.2). */
enum { DNS_TCP_PREFIX = 2, DNS_TCP_MAX = DNS_TCP_PREFIX + 65535 };

/* Results of parsing a reply. */
enum dns_status {
	DNS_OK,             /* addresses stored; there may be none (a CNAME only) */
	DNS_NODATA,         /* the name exists, the answer section is empty */
	DNS_NXDOMAIN,       /* the name does not exist */
	DNS_SERVFAIL,       /* the server could not answer */
	DNS_REFUSED,        /* the server will not answer us */
	DNS_FORMERR,        /* the server could not read our query */
	DNS_NOTIMP,         /* the server does not do this kind of query */
	DNS_TRUNCATED,      /* TC bit: the answer did not fit in a datagram */
	DNS_BAD_RESPONSE,   /* our reply, but malformed or with another rcode */
	DNS_NOT_OURS,       /* not a reply to our query: ignore it, keep waiting */
};

/*
 * Builds a standard recursive query for NAME's A records, with ID, into BUF
 * (CAP bytes). NAME is a hostname of letters, digits, '-' and '_', with an
 * optional final dot. Returns the query's length, or -1 if NAME is not a
 * valid hostname or the query does not fit.
 */
int dns_build_query(unsigned char *buf, size_t cap, uint16_t id,
					const char *name);

/*
 * Parses MSG (LEN bytes) as the reply to the A query (ID, NAME), received
 * over TCP if TCP is true, else in a UDP datagram.
 *
 * Returns DNS_NOT_OURS unless the id, QR bit, opcode and question (NAME in
 * any case, type A, class IN) all match: that is how stray and spoofed
 * datagrams are told apart. Then TC gives DNS_TRUNCATED over UDP (over TCP
 * the answer is taken, TC or not, as c-ares does); rcodes 1 to 5
 * give DNS_FORMERR, DNS_SERVFAIL, DNS_NXDOMAIN, DNS_NOTIMP and DNS_REFUSED;
 * any other non-zero rcode, a malformed answer record, a CNAME chain that
 * loops, or two owner names whose hashes collide gives DNS_BAD_RESPONSE.
 *
 * An empty answer section is DNS_NODATA, as c-ares has it (ENODATA).
 * On DNS_OK, stores in ADDRS up to MAX distinct addresses (network byte
 * order) of the A records owned by NAME or by a name NAME leads to through
 * CNAMEs, link by link and in answer order, and sets *COUNT, which may be 0.
 * MAX = dns_max_addrs(LEN) always has room for every one of them.
 *
 * Its cost is O(R log R) for R records, whatever the input (dns_wire.c
 * says why). It is not reentrant: one thread (the loop's) calls it.
 */
enum dns_status dns_parse_reply(const unsigned char *msg, size_t len, bool tcp,
								uint16_t id, const char *name,
								struct in_addr *addrs, size_t max,
								size_t *count);

/* The most A records a message of LEN bytes can hold. */
size_t dns_max_addrs(size_t len);

/*
 * TCP framing. dns_tcp_frame() writes the 2-byte length of QUERY (LEN
 * bytes) then QUERY into BUF (LEN + DNS_TCP_PREFIX bytes). dns_tcp_want()
 * says how many bytes the message being received takes, prefix included,
 * once HAVE bytes of it are in BUF: DNS_TCP_PREFIX until the prefix is in,
 * then the prefix plus the length it gives.
 */
size_t dns_tcp_frame(unsigned char *buf, const unsigned char *query, size_t len);
size_t dns_tcp_want(const unsigned char *buf, size_t have);

/* "ok", "no A records" (NODATA), "NXDOMAIN", "SERVFAIL", "REFUSED", "FORMERR",
 * "NOTIMP", "truncated", "bad response", "not ours". */
const char *dns_status_str(enum dns_status s);

#endif
