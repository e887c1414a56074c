/*
 * slowdns.h - what slowdns's three files share: its configuration, the DNS
 * messages it reads and builds (slowdns_msg.c), and its TCP clients
 * (slowdns_tcp.c). slowdns.c has the options, the UDP side and the loop.
 */
#ifndef SLOWDNS_H
#define SLOWDNS_H

#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	MAX_MSG = 512,          /* the classic UDP limit: we don't speak EDNS */
	MAX_UDP_BIG = 8192,     /* --fault udp-big: UDP replies up to this size */
	MAX_TCP_MSG = 65535,    /* what a 2-byte length can say */
	MAX_TEXT_NAME = 253,    /* longest dotted name, without the final dot */
	MAX_RECORDS = 4096,     /* records from --answer options */
	MAX_PENDING = 4096,     /* replies waiting for their due time */
	MAX_TCP_CONNS = 128,    /* TCP clients served at once */
};

enum fault { FAULT_NXDOMAIN, FAULT_SERVFAIL, FAULT_REFUSED, FAULT_FORMERR,
             FAULT_NOTIMP, FAULT_TRUNCATE, FAULT_GARBAGE, FAULT_WRONG_ID,
             FAULT_DROP, FAULT_TCP_REFUSE, FAULT_TCP_DROP, FAULT_TCP_CUT,
             FAULT_TCP_SHORT, FAULT_TCP_BYTES, FAULT_TCP_WRONG_ID, FAULT_TCP_ENDLESS,
             FAULT_TCP_TC, FAULT_TCP_RESET, FAULT_UDP_BIG, FAULT_COUNT };

/* The --fault names, in enum fault order. */
extern const char *const fault_names[FAULT_COUNT];

struct record {                         /* one --answer option */
	char name[MAX_TEXT_NAME + 1];
	char target[MAX_TEXT_NAME + 1];     /* non-empty for a CNAME */
	struct in_addr addr;                /* otherwise the A record's address */
};

struct config {
	struct record records[MAX_RECORDS];
	int nrecords;
	char maze[MAX_TEXT_NAME + 1];       /* --answer-maze NAME */
	char flood[MAX_TEXT_NAME + 1];      /* --answer-flood NAME */
	struct sockaddr_in addr;
	long delay_ms;
	unsigned faults;                    /* 1 << enum fault, for each given */
	bool verbose;
};

struct query {                          /* what we answer a query from */
	uint16_t id, flags, qtype, qclass;
	size_t question_end;                /* offset just past the question */
	char name[MAX_TEXT_NAME + 2];       /* lower case, dotted, no final dot */
};

struct message {                        /* a reply under construction */
	unsigned char *buf;
	size_t cap, len;                    /* cap: 512 over UDP, 65535 over TCP */
	bool overflow;                      /* something did not fit */
};

static inline bool has(const struct config *cfg, enum fault f)
{
	return cfg->faults & 1u << f;
}

/* CLOCK_MONOTONIC in ms. */
long long now_ms(void);
unsigned get_u16(const unsigned char *p);

/*
 * Reads the question of a standard query (BUF, LEN bytes) into Q. Returns -1
 * for anything else, which slowdns ignores: replies (answering one could start
 * a loop between two servers), other opcodes, malformed or compressed questions.
 */
int parse_query(const unsigned char *buf, size_t len, struct query *q);
/*
 * Builds the reply to query Q (raw bytes QUERY) into M, as the faults of CFG
 * say, and its -v log line into WHAT (SIZE bytes). Over UDP (TCP false) an
 * answer that does not fit in M's cap is replaced by an empty one with TC.
 */
void build_reply(const struct config *cfg, const unsigned char *query,
				 const struct query *q, struct message *m, bool tcp,
				 char *what, size_t size);

/* Append to M, or mark it overflowed when it has no room (slowdns_msg.c). */
void put_bytes(struct message *m, const void *data, size_t n);
void put_u16(struct message *m, unsigned v);   /* big-endian, as DNS has it */

/*
 * Appends the hostile answer section (slowdns_hostile.c) if Q asks for the
 * name of --answer-maze or --answer-flood, and says what it is in RESULT
 * (SIZE bytes). Returns the records, or -1 for any other name.
 */
int put_hostile(const struct config *cfg, struct message *m, const struct query *q,
                char *result, size_t size);

/* TCP: accepts a client of the listening socket LFD. */
void tcp_accept(int lfd);
/* Adds each TCP client to PFDS (its index in the client table to SLOTS), from
 * index N on; lowers *NEXT (-1: none) to the earliest reply due. Returns the
 * new N. */
int tcp_poll_set(struct pollfd *pfds, int *slots, int n, long long *next);
/* Serves the clients of PFDS[FIRST..N-1] after poll(): reads, and sends what is due. */
void tcp_serve(const struct pollfd *pfds, const int *slots, int first, int n,
			   const struct config *cfg);

#endif
