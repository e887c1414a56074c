/*
 * dns_wire.c - the DNS message format (RFC 1035), just enough for A lookups.
 *
 * A message is a 12-byte header (id, flags, four section counts) followed by
 * the question, then answer, authority and additional records. A name is a
 * run of labels, each a length byte and that many bytes, ending in a zero
 * byte; to save space a name may instead end in a two-byte pointer to a name
 * earlier in the message ("compression").
 *
 * Every byte of a reply comes from the network, so this file trusts none of
 * them: each count, length and offset is checked before it is used, and
 * compression pointers, which an attacker could aim anywhere, get the most
 * suspicion of all. The parser never writes outside its own buffers, never
 * loops forever, and answers any input with a status.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "dns_wire.c needs Linux"
#endif

#include "dns_wire.h"

#include <stdbool.h>
#include <string.h>

enum {
	HEADER_LEN = 12,
	MAX_WIRE_NAME = 255,    /* RFC 1035 2.3.4, length bytes included */
	MAX_TEXT_NAME = 253,    /* its dotted form, without the final dot */
	MAX_LABEL = 63,
	MAX_JUMPS = 16,         /* compression pointers followed in one name */
	/* The smallest A record: a root owner name (1 byte), type, class, TTL
	 * and length (10), the address (4). */
	MIN_A_RECORD = 15,
	TYPE_A = 1, TYPE_CNAME = 5, CLASS_IN = 1,
	FLAG_QR = 0x8000, FLAG_OPCODE = 0x7800, FLAG_TC = 0x0200,
	FLAG_RD = 0x0100, RCODE_MASK = 0x000F,
	RCODE_FORMERR = 1, RCODE_SERVFAIL = 2, RCODE_NXDOMAIN = 3,
	RCODE_NOTIMP = 4, RCODE_REFUSED = 5,
};

/* A name in wire form, uncompressed: labels up to and including the root. */
struct name {
	unsigned char wire[MAX_WIRE_NAME];
	size_t len;
};

/* One resource record; its data stays in the message, at RDATA. */
struct rr {
	struct name owner;
	unsigned type, rclass;
	size_t rdata, rdlength;
};

/* The answer section of a reply whose header and question are checked. */
struct answers {
	const unsigned char *msg;
	size_t len;
	size_t start;           /* offset of the first answer record */
	unsigned count;         /* ANCOUNT, which the sender could have made up */
};

static unsigned get_u16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* DNS compares names ignoring ASCII case, whatever the C locale says. */
static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/*
 * Length bytes are at most 63, below 'A', so case folding leaves them alone
 * and one loop can compare two wire names whole.
 */
static bool names_equal(const struct name *a, const struct name *b)
{
	if (a->len != b->len)
		return false;
	for (size_t i = 0; i < a->len; i++)
		if (ascii_lower(a->wire[i]) != ascii_lower(b->wire[i]))
			return false;
	return true;
}

static bool is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Turns dotted TEXT into wire form; -1 if it is not a valid hostname. */
static int encode_name(const char *text, struct name *out)
{
	size_t len = strlen(text), start = 0;
	if (len > 0 && text[len - 1] == '.')
		len--;                          /* "example.test." is fine too */
	if (len == 0 || len > MAX_TEXT_NAME)
		return -1;
	out->len = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '.') {
			if (!is_host_char(text[i]))
				return -1;
			continue;
		}
		size_t n = i - start;           /* a label ends here */
		if (n == 0 || n > MAX_LABEL)
			return -1;
		out->wire[out->len] = (unsigned char)n;
		memcpy(out->wire + out->len + 1, text + start, n);
		out->len += 1 + n;
		start = i + 1;
	}
	out->wire[out->len++] = 0;          /* the root label */
	return 0;
}

/*
 * Reads the possibly compressed name at *POS into OUT and moves *POS past
 * the name's bytes there. Returns -1 if the name is malformed.
 *
 * A pointer (a byte with the top two bits set, plus the next byte) means
 * "the rest of this name is at offset X". Aimed badly, pointers could send
 * us round in a circle, so each one must point strictly before the place
 * where the labels being read began. Every jump then lands further back
 * than the last, which guarantees the walk ends; MAX_JUMPS and the 255-byte
 * limit on names are a second line of defence.
 */
static int read_name(const unsigned char *msg, size_t len, size_t *pos,
                     struct name *out)
{
	size_t p = *pos, end = 0;
	size_t run_start = p;           /* where the labels being read began */
	int jumps = 0;
	out->len = 0;
	for (;;) {
		if (p >= len)
			return -1;
		unsigned b = msg[p];
		if ((b & 0xC0) == 0xC0) {
			if (p + 1 >= len)
				return -1;
			size_t target = (b & 0x3F) << 8 | msg[p + 1];
			if (target >= run_start || ++jumps > MAX_JUMPS)
				return -1;
			if (jumps == 1)
				end = p + 2;            /* the name's bytes stop here */
			p = run_start = target;
		} else if (b > MAX_LABEL) {
			return -1;                  /* 01 and 10: unused label types */
		} else {
			if (p + 1 + b > len || out->len + 1 + b > MAX_WIRE_NAME)
				return -1;
			memcpy(out->wire + out->len, msg + p, 1 + b);
			out->len += 1 + b;
			p += 1 + b;
			if (b == 0)
				break;
		}
	}
	*pos = jumps > 0 ? end : p;
	return 0;
}

/*
 * Reads the resource record at *POS into RR and moves *POS past it. Fails
 * if the record, its data included, does not fit in the message.
 */
static int read_rr(const unsigned char *msg, size_t len, size_t *pos,
                   struct rr *rr)
{
	if (read_name(msg, len, pos, &rr->owner) < 0 || len - *pos < 10)
		return -1;
	const unsigned char *fixed = msg + *pos;
	rr->type = get_u16(fixed);
	rr->rclass = get_u16(fixed + 2);
	/* fixed + 4 holds the TTL, which a resolver without a cache ignores */
	rr->rdlength = get_u16(fixed + 8);
	rr->rdata = *pos + 10;
	if (rr->rdlength > len - rr->rdata)
		return -1;
	*pos = rr->rdata + rr->rdlength;
	return 0;
}

/* Reads the name that is the whole data of RR (a CNAME's target). */
static int read_rdata_name(const struct answers *a, const struct rr *rr,
                           struct name *out)
{
	size_t pos = rr->rdata;
	if (read_name(a->msg, a->len, &pos, out) < 0)
		return -1;
	return pos == rr->rdata + rr->rdlength ? 0 : -1;
}

/*
 * Checks that all the records ANCOUNT promises are there and that the ones
 * we use are well formed, so that later passes can rely on them.
 */
static int check_answers(const struct answers *a)
{
	size_t pos = a->start;
	struct rr rr;
	struct name target;
	for (unsigned i = 0; i < a->count; i++) {
		if (read_rr(a->msg, a->len, &pos, &rr) < 0)
			return -1;
		if (rr.rclass != CLASS_IN)
			continue;
		if (rr.type == TYPE_A && rr.rdlength != 4)
			return -1;
		if (rr.type == TYPE_CNAME && read_rdata_name(a, &rr, &target) < 0)
			return -1;
	}
	return 0;
}

/*
 * Looks among the answers for the CNAME owned by NAME and stores its target
 * in TARGET. Returns 1 if found, 0 if NAME has no CNAME, -1 if malformed.
 */
static int find_cname(const struct answers *a, const struct name *name,
                      struct name *target)
{
	size_t pos = a->start;
	struct rr rr;
	for (unsigned i = 0; i < a->count; i++) {
		if (read_rr(a->msg, a->len, &pos, &rr) < 0)
			return -1;
		if (rr.type == TYPE_CNAME && rr.rclass == CLASS_IN &&
			names_equal(&rr.owner, name))
			return read_rdata_name(a, &rr, target) < 0 ? -1 : 1;
	}
	return 0;
}

/* True if ADDRS (COUNT of them) holds ADDR already. */
static bool have_addr(const struct in_addr *addrs, size_t count,
                      const struct in_addr *addr)
{
	for (size_t i = 0; i < count; i++)
		if (addrs[i].s_addr == addr->s_addr)
			return true;
	return false;
}

/*
 * Appends to ADDRS (COUNT so far, room for MAX), in answer order and once
 * each, the addresses of the A records owned by LINK, one name of the chain.
 * A records of a name outside the chain are never taken, whatever a server
 * put in the reply: they are not addresses of the name we asked about.
 * Returns the new count.
 */
static size_t collect_addrs(const struct answers *a, const struct name *link,
                            struct in_addr *addrs, size_t count, size_t max)
{
	size_t pos = a->start;
	struct rr rr;
	for (unsigned i = 0; i < a->count && count < max; i++) {
		if (read_rr(a->msg, a->len, &pos, &rr) < 0)
			break;
		if (rr.type != TYPE_A || rr.rclass != CLASS_IN ||
			!names_equal(&rr.owner, link))
			continue;
		struct in_addr addr;
		memcpy(&addr, a->msg + rr.rdata, sizeof addr);
		if (!have_addr(addrs, count, &addr))
			addrs[count++] = addr;
	}
	return count;
}

/*
 * Checks the header and question of MSG against our query. On success sets
 * *ANSWERS_AT to the offset of the answer section. Anything we cannot prove
 * to be the reply to our question, we treat as someone else's datagram.
 */
static bool is_our_reply(const unsigned char *msg, size_t len, uint16_t id,
                         const struct name *qname, size_t *answers_at)
{
	size_t pos = HEADER_LEN;
	struct name echoed;
	if (len < HEADER_LEN || get_u16(msg) != id)
		return false;
	unsigned flags = get_u16(msg + 2);
	if (!(flags & FLAG_QR) || (flags & FLAG_OPCODE) || get_u16(msg + 4) != 1)
		return false;
	if (read_name(msg, len, &pos, &echoed) < 0 || len - pos < 4 ||
		!names_equal(&echoed, qname) || get_u16(msg + pos) != TYPE_A ||
		get_u16(msg + pos + 2) != CLASS_IN)
		return false;
	*answers_at = pos + 4;
	return true;
}

int dns_build_query(unsigned char *buf, size_t cap, uint16_t id,
					const char *name)
{
	struct name qname;
	if (encode_name(name, &qname) < 0 || cap < HEADER_LEN + qname.len + 4)
		return -1;
	const unsigned char header[HEADER_LEN] = {  /* RD set, QDCOUNT 1 */
		(unsigned char)(id >> 8), (unsigned char)id, FLAG_RD >> 8, 0, 0, 1,
	};
	const unsigned char type_class[4] = { 0, TYPE_A, 0, CLASS_IN };
	memcpy(buf, header, HEADER_LEN);
	memcpy(buf + HEADER_LEN, qname.wire, qname.len);
	memcpy(buf + HEADER_LEN + qname.len, type_class, sizeof type_class);
	return (int)(HEADER_LEN + qname.len + sizeof type_class);
}

/*
 * Follows the CNAME chain from the queried name, collecting each link's
 * addresses. Servers list a chain in order, but nothing obliges them to, so
 * each link is looked up among all the answers. A chain without a loop uses
 * each CNAME record at most once: more links than records means a loop.
 */
static enum dns_status follow_chain(const struct answers *a, const struct name *qname,
                                    struct in_addr *addrs, size_t max, size_t *count)
{
	struct name link = *qname, next;
	for (unsigned hops = 0;; hops++) {
		*count = collect_addrs(a, &link, addrs, *count, max);
		int found = find_cname(a, &link, &next);
		if (found == 0)
			return DNS_OK;
		if (found < 0 || hops == a->count)
			return DNS_BAD_RESPONSE;
		link = next;
	}
}

enum dns_status dns_parse_reply(const unsigned char *msg, size_t len,
								uint16_t id, const char *name,
								struct in_addr *addrs, size_t max,
								size_t *count)
{
	struct name qname;
	struct answers a = { .msg = msg, .len = len };

	*count = 0;
	if (encode_name(name, &qname) < 0 ||
		!is_our_reply(msg, len, id, &qname, &a.start))
		return DNS_NOT_OURS;
	unsigned flags = get_u16(msg + 2);
	if (flags & FLAG_TC)
		return DNS_TRUNCATED;
	switch (flags & RCODE_MASK) {
	case 0: break;
	case RCODE_FORMERR: return DNS_FORMERR;
	case RCODE_SERVFAIL: return DNS_SERVFAIL;
	case RCODE_NXDOMAIN: return DNS_NXDOMAIN;
	case RCODE_NOTIMP: return DNS_NOTIMP;
	case RCODE_REFUSED: return DNS_REFUSED;
	default: return DNS_BAD_RESPONSE;
	}
	a.count = get_u16(msg + 6);
	if (a.count == 0)
		return DNS_NODATA;
	if (check_answers(&a) < 0)
		return DNS_BAD_RESPONSE;
	enum dns_status st = follow_chain(&a, &qname, addrs, max, count);
	if (st != DNS_OK)
		*count = 0;
	return st;
}

size_t dns_max_addrs(size_t len)
{
	return len / MIN_A_RECORD;
}

size_t dns_tcp_frame(unsigned char *buf, const unsigned char *query, size_t len)
{
	buf[0] = (unsigned char)(len >> 8);
	buf[1] = (unsigned char)len;
	memcpy(buf + DNS_TCP_PREFIX, query, len);
	return len + DNS_TCP_PREFIX;
}

size_t dns_tcp_want(const unsigned char *buf, size_t have)
{
	return have < DNS_TCP_PREFIX ? DNS_TCP_PREFIX : DNS_TCP_PREFIX + get_u16(buf);
}

const char *dns_status_str(enum dns_status s)
{
	switch (s) {
	case DNS_OK: return "ok";
	case DNS_NODATA: return "no A records";
	case DNS_NXDOMAIN: return "NXDOMAIN";
	case DNS_SERVFAIL: return "SERVFAIL";
	case DNS_REFUSED: return "REFUSED";
	case DNS_FORMERR: return "FORMERR";
	case DNS_NOTIMP: return "NOTIMP";
	case DNS_TRUNCATED: return "truncated";
	case DNS_BAD_RESPONSE: return "bad response";
	case DNS_NOT_OURS: return "not ours";
	}
	return "unknown";
}
