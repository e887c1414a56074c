/*
 * slowdns_hostile.c - answers built to cost a resolver as much as a 64 KiB
 * reply can: what a hostile server sends, for the client's tests and bench.
 *
 *   --answer-maze NAME   a chain of CNAMEs from NAME as long as a TCP message
 *                        holds (about 3,400 links), listed last link first,
 *                        every name a 2-byte label and a pointer to a 251-byte
 *                        name of 125 one-byte labels, ending in one A record
 *                        (10.9.0.1). A resolver that looks each link up among
 *                        all the answers, reading each name from the packet,
 *                        does links x records x labels of work.
 *   --answer-flood NAME  a chain of 880 CNAMEs from NAME, listed last first,
 *                        and every other record an A record of one of its
 *                        links, a few addresses repeated: many answers times
 *                        many CNAMEs. Every name is long, as above, and a
 *                        pointer chain: reading one takes the 16 jumps a
 *                        resolver allows (MAX_JUMPS in 08-dns/dns_name.h).
 *
 * Over UDP both are too big and come back truncated (unless --fault udp-big),
 * so a client asks again over TCP and gets all of it.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "slowdns needs Linux"
#endif

#include "slowdns.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum {
	BIG_LABELS = 125,       /* one-byte labels: 251 bytes with the root */
	FLOOD_LINKS = 880,      /* every owner within reach of a pointer */
	LADDER = 15,            /* pieces: a pointer to a link's owner, 16 jumps */
	TYPE_A = 1, TYPE_CNAME = 5, TYPE_NULL = 10, CLASS_IN = 1, CLASS_CH = 3, TTL = 60,
	RR_FIXED = 10,          /* type, class, TTL, RDLENGTH */
};

static bool room(const struct message *m, size_t n)
{
	return !m->overflow && m->len + n <= m->cap;
}


static void put_pointer(struct message *m, size_t at)
{
	put_u16(m, 0xC000 | (unsigned)at);
}

/* The 2-byte label of link K (K >= 1): bytes no other link has, not letters,
 * so that no case folding can make two of them equal. */
static void put_link_label(struct message *m, unsigned k)
{
	unsigned char label[3] = { 2, (unsigned char)(0x80 | (k >> 7 & 0x7F)),
				   (unsigned char)(0x80 | (k & 0x7F)) };
	put_bytes(m, label, sizeof label);
}

static void put_fixed(struct message *m, unsigned type, unsigned rdlength)
{
	put_u16(m, type);
	put_u16(m, CLASS_IN);
	put_u16(m, 0);
	put_u16(m, TTL);
	put_u16(m, rdlength);
}

/*
 * The long name as a ladder of LADDER pieces, each the owner of a record a
 * resolver skips (class CH, type NULL, no data): the first piece's labels end in
 * the root, every later one's in a pointer to the piece before. A name that
 * points to the top piece takes LADDER - 1 jumps more to be read. Returns
 * the top piece's offset; *RECORDS counts the records.
 */
static size_t put_ladder(struct message *m, int *records)
{
	size_t piece = 0;
	for (int k = 0; k < LADDER; k++) {
		size_t at = m->len;
		for (int i = k * BIG_LABELS / LADDER; i < (k + 1) * BIG_LABELS / LADDER; i++)
			put_bytes(m, "\1y", 2);
		if (k == 0)
			put_bytes(m, "", 1);
		else
			put_pointer(m, piece);
		piece = at;
		put_u16(m, TYPE_NULL);
		put_u16(m, CLASS_CH);
		put_u16(m, 0);
		put_u16(m, TTL);
		put_u16(m, 0);
		++*records;
	}
	return piece;
}

/*
 * The first record: link LAST's A record, its owner written in full (the
 * label, then the 251-byte name every later owner points to), unless
 * *BIG_AT is that name already (a ladder). Sets *BIG_AT.
 */
static void put_first(struct message *m, unsigned last, size_t *big_at,
                      unsigned long addr)
{
	put_link_label(m, last);
	if (*big_at != 0) {
		put_pointer(m, *big_at);
	} else {
		*big_at = m->len;
		for (int i = 0; i < BIG_LABELS; i++)
			put_bytes(m, "\1x", 2);
		put_bytes(m, "", 1);
	}
	put_fixed(m, TYPE_A, 4);
	unsigned char a[4] = { (unsigned char)(addr >> 24), (unsigned char)(addr >> 16),
			       (unsigned char)(addr >> 8), (unsigned char)addr };
	put_bytes(m, a, 4);
}

/* Link K's owner: the question's name for link 0, else a label and a pointer. */
static size_t put_owner(struct message *m, unsigned k, size_t big_at)
{
	size_t at = m->len;
	if (k == 0) {
		put_pointer(m, 12);
	} else {
		put_link_label(m, k);
		put_pointer(m, big_at);
	}
	return at;
}

/* Link K's CNAME to link K + 1, whose owner is at NEXT_AT: a pointer while
 * one can reach it (14 bits of offset), else its label and the long name. */
static void put_cname(struct message *m, unsigned k, size_t next_at, size_t big_at)
{
	bool near = next_at <= 0x3FFF;
	put_fixed(m, TYPE_CNAME, near ? 2 : 5);
	if (near) {
		put_pointer(m, next_at);
	} else {
		put_link_label(m, k + 1);
		put_pointer(m, big_at);
	}
}

static int put_maze(struct message *m)
{
	size_t big_at = 0, owner_at = m->len;
	/* As many links as a TCP message holds, 17 or 20 bytes each: a UDP
	 * reply overflows, and goes out with TC. */
	size_t first = 3 + 2 * BIG_LABELS + 1 + RR_FIXED + 4, near = 0x4000 - m->len - first;
	size_t left = MAX_TCP_MSG - m->len - first;
	unsigned links = (unsigned)(left < near ? left / 17 : near / 17 + (left - near) / 20);
	put_first(m, links, &big_at, 0x0A090001);
	int count = 1;
	for (unsigned k = links; k-- > 0 && !m->overflow;) {
		size_t next_at = owner_at;
		owner_at = put_owner(m, k, big_at);
		put_cname(m, k, next_at, big_at);
		count++;
	}
	return count;
}

static int put_flood(struct message *m)
{
	size_t owners[FLOOD_LINKS + 1];
	int count = 1;
	size_t big_at = put_ladder(m, &count), owner_at = m->len;
	put_first(m, FLOOD_LINKS, &big_at, 0x0A0A0000);
	owners[FLOOD_LINKS] = owner_at;
	for (unsigned k = FLOOD_LINKS; k-- > 0;) {
		size_t next_at = owner_at;
		owner_at = owners[k] = put_owner(m, k, big_at);
		put_cname(m, k, next_at, big_at);
		count++;
	}
	/* A records, 16 bytes each, round the links; every 16th repeats one. */
	for (unsigned long i = 1; room(m, 16); i++) {
		unsigned long addr = 0x0A0A0000 + (i % 16 == 0 ? i / 16 : i);
		unsigned char a[4] = { (unsigned char)(addr >> 24), (unsigned char)(addr >> 16),
				       (unsigned char)(addr >> 8), (unsigned char)addr };
		put_pointer(m, owners[i % (FLOOD_LINKS + 1)]);
		put_fixed(m, TYPE_A, 4);
		put_bytes(m, a, 4);
		count++;
	}
	return count;
}

int put_hostile(const struct config *cfg, struct message *m, const struct query *q,
                char *result, size_t size)
{
	int count;
	if (cfg->maze[0] != '\0' && strcmp(q->name, cfg->maze) == 0)
		count = put_maze(m);
	else if (cfg->flood[0] != '\0' && strcmp(q->name, cfg->flood) == 0)
		count = put_flood(m);
	else
		return -1;
	snprintf(result, size, "%s, %d answers, %zu bytes",
	         cfg->maze[0] != '\0' && strcmp(q->name, cfg->maze) == 0 ? "maze" : "flood",
	         count, m->len);
	return count;
}
