/*
 * dns_wire.h - DNS messages in memory: build an A query, parse its reply.
 *
 * The step-08 resolver sends the bytes dns_build_query() makes and hands
 * each datagram it receives to dns_parse_reply(). Neither function does I/O
 * or allocates memory, so the event loop owns every socket and timer, and a
 * fuzzer can hammer the parser on its own.
 */
#ifndef DNS_WIRE_H
#define DNS_WIRE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

enum { DNS_MAX_ADDRS = 16 };

/* Results of parsing a reply. */
enum dns_status {
	DNS_OK,             /* addresses stored; there may be none (NODATA) */
	DNS_NXDOMAIN,       /* the name does not exist */
	DNS_SERVFAIL,       /* the server could not answer */
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
 * Parses MSG (LEN bytes) as the reply to the A query (ID, NAME).
 *
 * Returns DNS_NOT_OURS unless the id, QR bit, opcode and question (NAME in
 * any case, type A, class IN) all match: that is how stray and spoofed
 * datagrams are told apart. Then TC gives DNS_TRUNCATED, rcode 3
 * DNS_NXDOMAIN, rcode 2 DNS_SERVFAIL and any other non-zero rcode
 * DNS_BAD_RESPONSE, as does any malformed answer record.
 *
 * On DNS_OK, stores in ADDRS, in the order they appear, up to MAX distinct
 * addresses (network byte order) of the A records owned by NAME or by a name
 * NAME leads to through CNAMEs, and sets *COUNT, which may be 0.
 */
enum dns_status dns_parse_reply(const unsigned char *msg, size_t len,
								uint16_t id, const char *name,
								struct in_addr *addrs, size_t max,
								size_t *count);

/* "ok", "NXDOMAIN", "SERVFAIL", "truncated", "bad response", "not ours". */
const char *dns_status_str(enum dns_status s);

#endif
