/*
 * slowdns_msg.c - the DNS messages slowdns reads and builds: the question of
 * a query, and a reply with its answers (a CNAME chain, A records) or with
 * the damage a --fault asks for.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "slowdns needs Linux"
#endif

#include "slowdns.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	HEADER_LEN = 12,
	QNAME_OFFSET = 12,      /* the question name follows the header */
	TYPE_A = 1, TYPE_CNAME = 5, TYPE_AAAA = 28, CLASS_IN = 1, TTL = 60,
};

/* Header flag bits and response codes (RFC 1035 section 4.1.1). */
enum {
	FLAG_QR = 0x8000, FLAG_OPCODE = 0x7800, FLAG_AA = 0x0400,
	FLAG_TC = 0x0200, FLAG_RD = 0x0100, FLAG_RA = 0x0080,
	RCODE_FORMERR = 1, RCODE_SERVFAIL = 2, RCODE_NXDOMAIN = 3,
	RCODE_NOTIMP = 4, RCODE_REFUSED = 5,
};

const char *const fault_names[FAULT_COUNT] = {
	"nxdomain", "servfail", "refused", "formerr", "notimp", "truncate",
	"garbage", "wrong-id", "drop", "tcp-refuse", "tcp-drop", "tcp-cut",
	"tcp-short", "tcp-bytes", "tcp-wrong-id", "tcp-endless", "tcp-tc",
	"tcp-reset", "udp-big",
};

/* The rcode each of the first five faults answers with. */
static const unsigned fault_rcodes[] = {
	RCODE_NXDOMAIN, RCODE_SERVFAIL, RCODE_REFUSED, RCODE_FORMERR, RCODE_NOTIMP,
};

unsigned get_u16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* --- building replies -------------------------------------------------- */

void put_bytes(struct message *m, const void *data, size_t n)
{
	if (m->overflow || m->len + n > m->cap) {
		m->overflow = true;
		return;
	}
	memcpy(m->buf + m->len, data, n);
	m->len += n;
}

void put_u16(struct message *m, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };
	put_bytes(m, b, 2);
}

static void set_u16(struct message *m, size_t off, unsigned v)
{
	if (off + 2 <= m->len) {
		m->buf[off] = (unsigned char)(v >> 8);
		m->buf[off + 1] = (unsigned char)v;
	}
}

/* Writes a dotted name as length-prefixed labels ending in the root label. */
static void put_name(struct message *m, const char *name)
{
	while (*name) {
		size_t n = strcspn(name, ".");
		unsigned char len = (unsigned char)n;
		put_bytes(m, &len, 1);
		put_bytes(m, name, n);
		name += n + (name[n] == '.');
	}
	put_bytes(m, "", 1);
}

/*
 * Starts a resource record owned by NAME, which is already in the message at
 * offset OWNER: the owner is a compression pointer there (two bytes, top bits
 * 11), or NAME itself past the 14 bits a pointer has (a long TCP answer).
 * Returns the offset of RDLENGTH, for patching once the data is written.
 */
static size_t put_rr_start(struct message *m, size_t owner, const char *name,
                           unsigned type, unsigned rdlength)
{
	if (owner <= 0x3FFF)
		put_u16(m, 0xC000 | (unsigned)owner);
	else
		put_name(m, name);
	put_u16(m, type);
	put_u16(m, CLASS_IN);
	put_u16(m, 0);                      /* the TTL takes 32 bits */
	put_u16(m, TTL);
	put_u16(m, rdlength);
	return m->len - 2;
}

static const struct record *find_record(const struct config *cfg,
										const char *name, bool cname)
{
	for (int i = 0; i < cfg->nrecords; i++) {
		const struct record *r = &cfg->records[i];
		if (strcmp(r->name, name) == 0 && (r->target[0] != '\0') == cname)
			return r;
	}
	return NULL;
}

/*
 * Appends the answers for NAME: its CNAME chain (for any query type, as real
 * servers do), then, for an A query, the A records where the chain ends; a
 * name with a CNAME has no other records (RFC 1034 section 3.6.2).
 * Each record's owner points back to the name that introduced it: the
 * question for the first record, the previous CNAME's target after that.
 */
static int put_answers(const struct config *cfg, struct message *m,
                       const char *name, unsigned qtype)
{
	size_t owner = QNAME_OFFSET;
	int count = 0;
	const struct record *cname;
	/* A chain without a loop cannot be longer than the records; a=@b b=@a
	 * goes round until then, and the client must notice the loop. */
	for (int hop = 0; hop < cfg->nrecords; hop++) {
		if (!(cname = find_record(cfg, name, true)))
			break;
		size_t rdlength_at = put_rr_start(m, owner, name, TYPE_CNAME, 0);
		owner = m->len;
		put_name(m, cname->target);
		set_u16(m, rdlength_at, (unsigned)(m->len - owner));
		name = cname->target;
		count++;
	}
	for (int i = 0; qtype == TYPE_A && i < cfg->nrecords; i++) {
		const struct record *r = &cfg->records[i];
		if (r->target[0] == '\0' && strcmp(r->name, name) == 0) {
			put_rr_start(m, owner, name, TYPE_A, 4);
			put_bytes(m, &r->addr, 4);
			count++;
		}
	}
	return count;
}

static const char *type_name(unsigned qtype)
{
	return qtype == TYPE_A ? "A" : qtype == TYPE_AAAA ? "AAAA" :
	       qtype == TYPE_CNAME ? "CNAME" : "other";
}

/*
 * Appends one of three broken answer sections, in turn, and sets *ANSWERS to
 * the count the header will claim. The header and question stay valid, so a
 * client cannot dismiss the reply as a stray: it must notice the damage.
 */
static const char *put_garbage(struct message *m, int *answers)
{
	static unsigned turn;
	size_t here = m->len;
	unsigned char junk[8];
	*answers = 1;
	switch (turn++ % 3) {
	case 0:
		*answers = 3;
		return "garbage (counts claim missing records)";
	case 1:     /* label "a", then a pointer back to it: a, a, a, ... */
		put_bytes(m, "\1a", 2);
		put_rr_start(m, here, "a", TYPE_A, 4);
		put_bytes(m, "\x7f\0\0\1", 4);
		return "garbage (pointer loop)";
	default:
		for (size_t i = 0; i < sizeof junk; i++)
			junk[i] = (unsigned char)rand();
		put_rr_start(m, QNAME_OFFSET, "", TYPE_A, 200);
		put_bytes(m, junk, sizeof junk);
		return "garbage (RDLENGTH past the end)";
	}
}

/* The rcode fault given, if any: 0 for none. */
static unsigned fault_rcode(const struct config *cfg, char *result, size_t size)
{
	for (int f = FAULT_NXDOMAIN; f <= FAULT_NOTIMP; f++)
		if (has(cfg, (enum fault)f)) {
			snprintf(result, size, "%s", fault_names[f]);
			for (char *p = result; *p; p++)
				*p = (char)toupper((unsigned char)*p);
			return fault_rcodes[f];
		}
	return 0;
}

/*
 * Builds the reply to query Q (raw bytes QUERY) into M, and its log line
 * into WHAT (SIZE bytes). Over UDP (TCP false) an answer that does not fit
 * in M's cap (512 bytes, unless udp-big) is replaced by an empty one with TC.
 */
void build_reply(const struct config *cfg, const unsigned char *query,
						const struct query *q, struct message *m, bool tcp,
						char *what, size_t size)
{
	const unsigned char header[HEADER_LEN] = {  /* QDCOUNT 1, rest below */
		(unsigned char)(q->id >> 8), (unsigned char)q->id, 0, 0, 0, 1,
	};
	bool known = find_record(cfg, q->name, false) ||
	             find_record(cfg, q->name, true) ||
	             strcmp(q->name, cfg->maze) == 0 || strcmp(q->name, cfg->flood) == 0;
	unsigned flags = FLAG_QR | FLAG_AA | FLAG_RA | (q->flags & FLAG_RD);
	unsigned rcode;
	int answers = 0;
	char result[64] = "NODATA";

	put_bytes(m, header, HEADER_LEN);
	put_bytes(m, query + HEADER_LEN, q->question_end - HEADER_LEN);
	if (has(cfg, FAULT_GARBAGE)) {
		snprintf(result, sizeof result, "%s", put_garbage(m, &answers));
	} else if ((rcode = fault_rcode(cfg, result, sizeof result)) != 0) {
		flags |= rcode;
	} else if (has(cfg, FAULT_TRUNCATE) && !tcp) {
		flags |= FLAG_TC;
		strcpy(result, "truncated");
	} else if (!known) {
		flags |= RCODE_NXDOMAIN;
		strcpy(result, "NXDOMAIN");
	} else if (q->qclass == CLASS_IN) {
		if (q->qtype != TYPE_A ||
		    (answers = put_hostile(cfg, m, q, result, sizeof result)) < 0)
			answers = put_answers(cfg, m, q->name, q->qtype);
		if (m->overflow) {              /* too big for UDP: say so */
			m->len = q->question_end;
			m->overflow = false;
			answers = 0;
			flags |= FLAG_TC;
			strcpy(result, "truncated (too big)");
		} else if (answers > 0 && strcmp(result, "NODATA") == 0) {
			snprintf(result, sizeof result, "%d answer%s", answers,
			         answers == 1 ? "" : "s");
		}
	}
	if (tcp && has(cfg, FAULT_TCP_TC)) {
		flags |= FLAG_TC;       /* and the whole answer all the same */
		strcat(result, ", TC set");
	}
	set_u16(m, 2, flags);
	set_u16(m, 6, (unsigned)answers);
	if (has(cfg, FAULT_WRONG_ID) ||
	    (tcp && (has(cfg, FAULT_TCP_WRONG_ID) || has(cfg, FAULT_TCP_ENDLESS)))) {
		set_u16(m, 0, (q->id + 1u) & 0xFFFF);
		strcat(result, ", wrong id");
	}
	snprintf(what, size, "%sid=%u %s %s -> %s", tcp ? "tcp " : "", q->id,
	         type_name(q->qtype), q->name, result);
}


/*
 * Reads the question of a standard query. Returns -1 for anything else,
 * which slowdns ignores: replies (answering one could start a loop between
 * two servers), other opcodes, and malformed or compressed questions.
 */
int parse_query(const unsigned char *buf, size_t len, struct query *q)
{
	size_t pos = HEADER_LEN, out = 0;
	if (len < HEADER_LEN)
		return -1;
	q->id = (uint16_t)get_u16(buf);
	q->flags = (uint16_t)get_u16(buf + 2);
	if ((q->flags & (FLAG_QR | FLAG_OPCODE)) || get_u16(buf + 4) != 1)
		return -1;
	while (pos < len && buf[pos] != 0) {
		size_t n = buf[pos];
		if (n > 63 || pos + 1 + n >= len || out + 1 + n > MAX_TEXT_NAME + 1)
			return -1;
		if (out > 0)
			q->name[out++] = '.';
		for (size_t i = 1; i <= n; i++) {   /* odd bytes: never a match */
			unsigned char c = buf[pos + i];
			q->name[out++] = isgraph(c) && c != '.' ? (char)tolower(c) : '?';
		}
		pos += 1 + n;
	}
	if (pos + 5 > len)
		return -1;
	q->name[out] = '\0';
	q->qtype = (uint16_t)get_u16(buf + pos + 1);
	q->qclass = (uint16_t)get_u16(buf + pos + 3);
	q->question_end = pos + 5;
	return 0;
}

