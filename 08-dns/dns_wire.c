/*
 * dns_wire.c - the DNS message format (RFC 1035), just enough for A lookups.
 *
 * A message is a 12-byte header (id, flags, four section counts) followed by
 * the question, then answer, authority and additional records, each record
 * an owner name, type, class, TTL and data. Names, and their compression
 * pointers, are dns_name.c's.
 *
 * Every byte of a reply comes from the network, so this file trusts none of
 * them: each count, length and offset is checked before it is used. The
 * parser never writes outside its own buffers, never loops forever, and
 * answers any input with a status.
 *
 * Nor may it take long: it runs on the loop thread, and a hostile server can
 * fill 64 KiB with a CNAME chain of 3,400 links whose every name is 127
 * labels long. Looking each link up among all the answers, reading names
 * from the packet each time, costs links x records x labels: seconds in
 * which no other client is served. So the cost is bounded, whatever the
 * input. With R records (R <= LEN / 11), of which A addresses:
 *   - each owner and each CNAME target is read from the packet once, and
 *     compared in place (dns_same_name) at most twice more: O(R) name walks
 *     of at most 255 bytes and MAX_JUMPS pointers each, however they are aimed;
 *   - the records are indexed by a hash of their owner and sorted, once:
 *     O(R log R); each link of the chain is a binary search, O(log R), and
 *     the addresses are made unique by a sort, O(A log A).
 * Nothing costs links x records. A 64 KiB maze of 3,404 links takes a few
 * milliseconds (bench/dns-hostile); looking each link up among all the
 * answers took 20 s. The index lives in static arrays sized for the largest
 * message: the parser is for one thread (the loop's) and allocates nothing.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "dns_wire.c needs Linux"
#endif

#include "dns_wire.h"
#include "dns_name.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum {
	HEADER_LEN = 12,
	/* The smallest A record: a root owner name (1 byte), type, class, TTL
	 * and length (10), the address (4). */
	MIN_A_RECORD = 15,
	TYPE_A = 1, TYPE_CNAME = 5, CLASS_IN = 1,
	FLAG_QR = 0x8000, FLAG_OPCODE = 0x7800, FLAG_TC = 0x0200,
	FLAG_RD = 0x0100, RCODE_MASK = 0x000F,
	RCODE_FORMERR = 1, RCODE_SERVFAIL = 2, RCODE_NXDOMAIN = 3,
	RCODE_NOTIMP = 4, RCODE_REFUSED = 5,
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

/*
 * Reads the resource record at *POS into RR and moves *POS past it. Fails
 * if the record, its data included, does not fit in the message.
 */
static int read_rr(const unsigned char *msg, size_t len, size_t *pos,
                   struct rr *rr)
{
	if (dns_read_name(msg, len, pos, &rr->owner) < 0 || len - *pos < 10)
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
	if (dns_read_name(a->msg, a->len, &pos, out) < 0)
		return -1;
	return pos == rr->rdata + rr->rdlength ? 0 : -1;
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
	if (dns_read_name(msg, len, &pos, &echoed) < 0 || len - pos < 4 ||
		!dns_names_equal(&echoed, qname) || get_u16(msg + pos) != TYPE_A ||
		get_u16(msg + pos + 2) != CLASS_IN)
		return false;
	*answers_at = pos + 4;
	return true;
}

int dns_build_query(unsigned char *buf, size_t cap, uint16_t id,
					const char *name)
{
	struct name qname;
	if (dns_encode_name(name, &qname) < 0 || cap < HEADER_LEN + qname.len + 4)
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

/* ---- the answer index: each record read once, each link a binary search -- */

enum {
	/* The most records a message of 64 KiB holds: each takes at least 11
	 * bytes (a root owner, type, class, TTL, RDLENGTH 0); and A records. */
	MAX_RECORDS = 65536 / 11 + 1,
	MAX_ADDRS = 65536 / MIN_A_RECORD + 1,
};

/* One IN A or IN CNAME record of the answer section. */
struct entry {
	uint64_t owner;         /* a hash of its owner name, case folded */
	uint64_t target;        /* a CNAME's: the hash of its target */
	uint32_t order;         /* its place in the answer section */
	uint32_t owner_at;      /* where its owner name starts in the message */
	uint32_t rdata;         /* where its data starts: an address, or a name */
	bool cname;
	bool visited;           /* on a run's first entry: the chain came here */
};

static struct entry entries[MAX_RECORDS];
static struct in_addr chain_addrs[MAX_ADDRS];   /* the chain's, in order */
static struct seen { uint32_t addr, pos; } seen[MAX_ADDRS];
static bool first_seen[MAX_ADDRS];

static int by_owner(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;
	if (a->owner != b->owner)
		return a->owner < b->owner ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int by_addr(const void *x, const void *y)
{
	const struct seen *a = x, *b = y;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/*
 * One pass over the answer section: checks that every record ANCOUNT
 * promises is there and that the ones we use are well formed, and indexes
 * the IN A and IN CNAME records, sorted by owner. Within a run of one owner
 * hash, every owner must be the same name as the first: a hash collision
 * between two names is refused, as no honest reply has one.
 * Returns the entries, or -1 if malformed.
 */
static int index_answers(const struct answers *a)
{
	size_t pos = a->start, n = 0;
	struct rr rr;
	struct name target;
	for (unsigned i = 0; i < a->count; i++) {
		size_t at = pos;
		if (read_rr(a->msg, a->len, &pos, &rr) < 0)
			return -1;
		if (rr.rclass != CLASS_IN || (rr.type != TYPE_A && rr.type != TYPE_CNAME))
			continue;
		if (rr.type == TYPE_A && rr.rdlength != 4)
			return -1;
		if (rr.type == TYPE_CNAME && read_rdata_name(a, &rr, &target) < 0)
			return -1;
		if (n == MAX_RECORDS)
			return -1;
		entries[n++] = (struct entry){ .owner = dns_hash_name(&rr.owner), .order = i,
			.target = rr.type == TYPE_CNAME ? dns_hash_name(&target) : 0,
			.owner_at = (uint32_t)at, .rdata = (uint32_t)rr.rdata,
			.cname = rr.type == TYPE_CNAME };
	}
	qsort(entries, n, sizeof *entries, by_owner);
	for (size_t j = 1; j < n; j++)
		if (entries[j].owner == entries[j - 1].owner &&
		    !dns_same_name(a->msg, entries[j].owner_at, entries[j - 1].owner_at))
			return -1;
	return (int)n;
}

/* The first of the N entries whose owner hash is H, or N if none. */
static size_t find_owner(size_t n, uint64_t h)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (entries[mid].owner < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && entries[lo].owner == h ? lo : n;
}

/*
 * Stores in ADDRS up to MAX of the N addresses of CHAIN_ADDRS, each once, in
 * their order: sorted by address, the first of each equal run is kept.
 */
static size_t unique_addrs(size_t n, struct in_addr *addrs, size_t max)
{
	for (size_t i = 0; i < n; i++) {
		seen[i] = (struct seen){ .addr = chain_addrs[i].s_addr, .pos = (uint32_t)i };
		first_seen[i] = false;
	}
	qsort(seen, n, sizeof *seen, by_addr);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || seen[i].addr != seen[i - 1].addr)
			first_seen[seen[i].pos] = true;
	size_t count = 0;
	for (size_t i = 0; i < n && count < max; i++)
		if (first_seen[i])
			addrs[count++] = chain_addrs[i];
	return count;
}

/*
 * Follows the CNAME chain from the queried name, collecting each link's
 * addresses in answer order. Servers list a chain in order, but nothing
 * obliges them to, so each link is looked up in the index, never by
 * scanning. A link reached twice is a loop.
 */
static enum dns_status follow_chain(const struct answers *a, const struct name *qname,
                                    struct in_addr *addrs, size_t max, size_t *count)
{
	int n = index_answers(a);
	if (n < 0)
		return DNS_BAD_RESPONSE;
	uint64_t link = dns_hash_name(qname);
	size_t link_at = HEADER_LEN;            /* the question's name: qname */
	size_t found = 0;
	for (;;) {
		size_t first = find_owner((size_t)n, link), next = (size_t)n;
		if (first == (size_t)n)
			break;                          /* no record: the chain ends */
		if (!dns_same_name(a->msg, entries[first].owner_at, link_at) || entries[first].visited)
			return DNS_BAD_RESPONSE;        /* a collision, or a loop */
		entries[first].visited = true;
		for (size_t j = first; j < (size_t)n && entries[j].owner == entries[first].owner; j++) {
			if (entries[j].cname && next == (size_t)n)
				next = j;               /* the first CNAME, as a scan finds it */
			else if (!entries[j].cname && found < MAX_ADDRS)
				memcpy(&chain_addrs[found++], a->msg + entries[j].rdata,
				       sizeof chain_addrs[0]);
		}
		if (next == (size_t)n)
			break;
		link = entries[next].target;
		link_at = entries[next].rdata;
	}
	*count = unique_addrs(found, addrs, max);
	return DNS_OK;
}

enum dns_status dns_parse_reply(const unsigned char *msg, size_t len, bool tcp,
								uint16_t id, const char *name,
								struct in_addr *addrs, size_t max,
								size_t *count)
{
	struct name qname;
	struct answers a = { .msg = msg, .len = len };

	*count = 0;
	if (dns_encode_name(name, &qname) < 0 ||
		!is_our_reply(msg, len, id, &qname, &a.start))
		return DNS_NOT_OURS;
	unsigned flags = get_u16(msg + 2);
	if ((flags & FLAG_TC) && !tcp)
		return DNS_TRUNCATED;   /* over TCP, as in c-ares, the answer is taken */
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
