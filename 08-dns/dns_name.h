/*
 * dns_name.h - DNS names (RFC 1035 3.1, 4.1.4) for dns_wire.c: turned from
 * text into wire form, read from a message with its compression pointers,
 * compared ignoring case, and hashed. Internal to the DNS parser.
 */
#ifndef DNS_NAME_H
#define DNS_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	MAX_WIRE_NAME = 255,    /* RFC 1035 2.3.4, length bytes included */
	MAX_TEXT_NAME = 253,    /* its dotted form, without the final dot */
	MAX_LABEL = 63,
	MAX_JUMPS = 16,         /* compression pointers followed in one name */
};

/* A name in wire form, uncompressed: labels up to and including the root. */
struct name {
	unsigned char wire[MAX_WIRE_NAME];
	size_t len;
};

/* DNS compares names ignoring ASCII case, whatever the C locale says. */
static inline unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* True if A and B are the same name, ignoring ASCII case. */
bool dns_names_equal(const struct name *a, const struct name *b);
/* Turns dotted TEXT into wire form; -1 if it is not a valid hostname. */
int dns_encode_name(const char *text, struct name *out);
/* Reads the possibly compressed name at *POS of MSG (LEN bytes) into OUT and
 * moves *POS past the name's bytes there. Returns -1 if it is malformed. */
int dns_read_name(const unsigned char *msg, size_t len, size_t *pos, struct name *out);
/* True if the names at offsets P and Q of MSG, each read whole by
 * dns_read_name() from that offset before, are the same name. */
bool dns_same_name(const unsigned char *msg, size_t p, size_t q);
/* A hash of N, the same for names equal ignoring case. */
uint64_t dns_hash_name(const struct name *n);

#endif
