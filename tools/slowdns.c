/*
 * slowdns.c - a small, slow and deliberately faulty DNS server for tests.
 *
 * Step 08 builds a non-blocking DNS client. To test it we need a server whose
 * behaviour we control: which names exist, how long replies take and how the
 * server misbehaves. slowdns is a real DNS server over UDP and TCP, on the
 * same port (dig +notcp and dig +tcp can query it), answering A queries for
 * the names given on its command line.
 *
 * It never sleeps. Each reply is built when its query arrives and queued with
 * the time it falls due; one poll loop sends replies as they fall due, so a
 * hundred queries sent together with --delay 500 are all answered ~500 ms
 * later: the very event-loop pattern this kit teaches.
 *
 * Over UDP an answer is at most 512 bytes: a bigger one is sent with the TC
 * (truncated) bit and no records, and a client should ask again over TCP,
 * where the same answer comes whole, after its 2-byte length.
 *
 * Usage: slowdns [-p PORT] [--host ADDR] [--delay MS] [-v]
 *                [--answer NAME=ADDR[*N]]... [--answer NAME=@TARGET]...
 *                [--fault FAULT]...
 * Repeat a NAME for several A records, or give ADDR*N: N records, ADDR and
 * the addresses after it. NAME=@TARGET makes NAME a CNAME. -p 0 (the
 * default) picks a free port, printed as "listening on HOST:PORT".
 * Faults (several may be given):
 *   nxdomain servfail refused formerr notimp   that rcode, for every name
 *   truncate     every UDP reply has TC and no records (TCP answers whole)
 *   garbage      three kinds of malformed answers, in turn
 *   wrong-id     replies (UDP and TCP) carry another id
 *   drop         UDP queries are never answered
 *   tcp-refuse   no TCP listener: a connect is refused
 *   tcp-drop     TCP queries are read and never answered
 *   tcp-cut      TCP: one byte of the length prefix, then close
 *   tcp-short    TCP: a length 100 bytes larger than what follows, then close
 *   tcp-bytes    TCP: the reply in 1-byte segments
 *   tcp-wrong-id TCP replies only carry another id
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "slowdns needs Linux"
#endif

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
	MAX_MSG = 512,          /* the classic UDP limit: we don't speak EDNS */
	MAX_TCP_MSG = 65535,    /* what a 2-byte length can say */
	MAX_TEXT_NAME = 253,    /* longest dotted name, without the final dot */
	MAX_RECORDS = 4096,     /* records from --answer options */
	MAX_PENDING = 4096,     /* replies waiting for their due time */
	MAX_TCP_CONNS = 32,     /* TCP clients served at once */
	TCP_SHORT_BY = 100,     /* tcp-short: the length promises this much more */
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

enum fault { FAULT_NXDOMAIN, FAULT_SERVFAIL, FAULT_REFUSED, FAULT_FORMERR,
             FAULT_NOTIMP, FAULT_TRUNCATE, FAULT_GARBAGE, FAULT_WRONG_ID,
             FAULT_DROP, FAULT_TCP_REFUSE, FAULT_TCP_DROP, FAULT_TCP_CUT,
             FAULT_TCP_SHORT, FAULT_TCP_BYTES, FAULT_TCP_WRONG_ID, FAULT_COUNT };

static const char *const fault_names[FAULT_COUNT] = {
	"nxdomain", "servfail", "refused", "formerr", "notimp", "truncate",
	"garbage", "wrong-id", "drop", "tcp-refuse", "tcp-drop", "tcp-cut",
	"tcp-short", "tcp-bytes", "tcp-wrong-id",
};

/* The rcode each of the first five faults answers with. */
static const unsigned fault_rcodes[] = {
	RCODE_NXDOMAIN, RCODE_SERVFAIL, RCODE_REFUSED, RCODE_FORMERR, RCODE_NOTIMP,
};

struct record {                         /* one --answer option */
	char name[MAX_TEXT_NAME + 1];
	char target[MAX_TEXT_NAME + 1];     /* non-empty for a CNAME */
	struct in_addr addr;                /* otherwise the A record's address */
};

struct config {
	struct record records[MAX_RECORDS];
	int nrecords;
	struct sockaddr_in addr;
	long delay_ms;
	unsigned faults;                    /* 1 << enum fault, for each given */
	bool verbose;
};

static bool has(const struct config *cfg, enum fault f)
{
	return cfg->faults & 1u << f;
}

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

struct reply {
	long long arrived_ms, due_ms;
	struct sockaddr_in peer;
	struct message msg;
	unsigned char data[MAX_MSG];        /* msg's bytes */
	char what[MAX_TEXT_NAME + 128];     /* what the -v log says about it */
};

/* A TCP client: it reads one query, then sends its reply when due. */
struct tcp_conn {
	int fd;
	long long arrived_ms, due_ms;       /* due_ms 0: reading, not replying */
	size_t in_len;                      /* bytes of the query read so far */
	unsigned char in[2 + MAX_TCP_MSG];
	size_t out_len, out_off;            /* the framed reply, and what is sent */
	unsigned char out[2 + MAX_TCP_MSG];
	char what[MAX_TEXT_NAME + 128];
};

static struct tcp_conn *tcp_conns[MAX_TCP_CONNS];

/*
 * Every reply waits the same --delay, so replies fall due in the order their
 * queries arrived: a FIFO ring is all the timer queue this server needs.
 */
static struct reply queue[MAX_PENDING];
static size_t queue_head, queue_len;

static volatile sig_atomic_t stop_requested;

static void complain(const char *fmt, va_list ap)
{
	fputs("slowdns: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	complain(fmt, ap);
	va_end(ap);
	exit(1);
}

static _Noreturn void usage(FILE *out)
{
	fputs("usage: slowdns [-p PORT] [--host ADDR] [--delay MS] [-v]\n"
	      "               [--answer NAME=ADDR[*N]]... [--answer NAME=@TARGET]...\n"
	      "               [--fault FAULT]...\n"
	      "faults: nxdomain servfail refused formerr notimp truncate garbage\n"
	      "        wrong-id drop tcp-refuse tcp-drop tcp-cut tcp-short tcp-bytes\n"
	      "        tcp-wrong-id\n", out);
	exit(out == stdout ? 0 : 2);
}

static _Noreturn void bad_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	complain(fmt, ap);
	va_end(ap);
	usage(stderr);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static unsigned get_u16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Lower-cases NAME into OUT, dropping one final dot; -1 if not a hostname. */
static int normalize_name(const char *name, char *out)
{
	size_t len = strlen(name), label = 0;
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > MAX_TEXT_NAME)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '.' && label == 0)
			return -1;
		if (c != '.' && !isalnum(c) && c != '-' && c != '_')
			return -1;
		label = c == '.' ? 0 : label + 1;
		if (label > 63)
			return -1;
		out[i] = (char)tolower(c);
	}
	out[len] = '\0';
	return label == 0 ? -1 : 0;
}

/* --- building replies -------------------------------------------------- */

static void put_bytes(struct message *m, const void *data, size_t n)
{
	if (m->overflow || m->len + n > m->cap) {
		m->overflow = true;
		return;
	}
	memcpy(m->buf + m->len, data, n);
	m->len += n;
}

static void put_u16(struct message *m, unsigned v)
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
 * in M's 512 bytes is replaced by an empty one with TC set.
 */
static void build_reply(const struct config *cfg, const unsigned char *query,
						const struct query *q, struct message *m, bool tcp,
						char *what, size_t size)
{
	const unsigned char header[HEADER_LEN] = {  /* QDCOUNT 1, rest below */
		(unsigned char)(q->id >> 8), (unsigned char)q->id, 0, 0, 0, 1,
	};
	bool known = find_record(cfg, q->name, false) ||
	             find_record(cfg, q->name, true);
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
		answers = put_answers(cfg, m, q->name, q->qtype);
		if (m->overflow) {              /* too big for UDP: say so */
			m->len = q->question_end;
			m->overflow = false;
			answers = 0;
			flags |= FLAG_TC;
			strcpy(result, "truncated (too big)");
		} else if (answers > 0) {
			snprintf(result, sizeof result, "%d answer%s", answers,
			         answers == 1 ? "" : "s");
		}
	}
	set_u16(m, 2, flags);
	set_u16(m, 6, (unsigned)answers);
	if (has(cfg, FAULT_WRONG_ID) || (tcp && has(cfg, FAULT_TCP_WRONG_ID))) {
		set_u16(m, 0, (q->id + 1u) & 0xFFFF);
		strcat(result, ", wrong id");
	}
	snprintf(what, size, "%sid=%u %s %s -> %s", tcp ? "tcp " : "", q->id,
	         type_name(q->qtype), q->name, result);
}

/* --- serving ----------------------------------------------------------- */

/*
 * Reads the question of a standard query. Returns -1 for anything else,
 * which slowdns ignores: replies (answering one could start a loop between
 * two servers), other opcodes, and malformed or compressed questions.
 */
static int parse_query(const unsigned char *buf, size_t len, struct query *q)
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

/* Reads every waiting query and queues a reply to each one we answer. */
static void receive_queries(int fd, const struct config *cfg)
{
	unsigned char buf[MAX_MSG];
	struct sockaddr_in peer;
	struct query q;
	for (;;) {
		socklen_t peer_len = sizeof peer;
		ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT,
		                     (struct sockaddr *)&peer, &peer_len);
		if (n < 0)
			return;     /* EAGAIN: all read (no EINTR: signals are blocked) */
		if (parse_query(buf, (size_t)n, &q) < 0)
			continue;
		if (has(cfg, FAULT_DROP) || queue_len == MAX_PENDING) {
			if (cfg->verbose)
				fprintf(stderr, "slowdns: query id=%u %s -> dropped%s\n",
						q.id, q.name, queue_len < MAX_PENDING ? "" :
						" (queue full)");
			continue;
		}
		struct reply *r = &queue[(queue_head + queue_len++) % MAX_PENDING];
		memset(r, 0, sizeof *r);
		r->arrived_ms = now_ms();
		r->due_ms = r->arrived_ms + cfg->delay_ms;
		r->peer = peer;
		r->msg = (struct message){ .buf = r->data, .cap = sizeof r->data };
		build_reply(cfg, buf, &q, &r->msg, false, r->what, sizeof r->what);
	}
}

static void send_due_replies(int fd, const struct config *cfg)
{
	long long now = now_ms();
	while (queue_len > 0 && queue[queue_head].due_ms <= now) {
		const struct reply *r = &queue[queue_head];
		if (sendto(fd, r->msg.buf, r->msg.len, MSG_DONTWAIT,
		           (const struct sockaddr *)&r->peer, sizeof r->peer) < 0)
			fprintf(stderr, "slowdns: sendto: %s\n", strerror(errno));
		else if (cfg->verbose)
			fprintf(stderr, "slowdns: query %s after %lld ms\n", r->what,
					now - r->arrived_ms);
		queue_head = (queue_head + 1) % MAX_PENDING;
		queue_len--;
	}
}

/* --- serving TCP ------------------------------------------------------ */

static void tcp_close(int i)
{
	close(tcp_conns[i]->fd);
	free(tcp_conns[i]);
	tcp_conns[i] = NULL;
}

static void tcp_accept(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (int i = 0; i < MAX_TCP_CONNS; i++)
		if (tcp_conns[i] == NULL && (tcp_conns[i] = calloc(1, sizeof *tcp_conns[i]))) {
			tcp_conns[i]->fd = fd;
			int one = 1;        /* tcp-bytes: each send() its own segment */
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			return;
		}
	close(fd);                  /* too many clients: refuse this one */
}

/* Reads what the client sent; once a whole query is in, builds the reply. */
static void tcp_read(int i, const struct config *cfg)
{
	struct tcp_conn *c = tcp_conns[i];
	size_t want = c->in_len < 2 ? 2 : 2 + get_u16(c->in);
	ssize_t n = recv(c->fd, c->in + c->in_len, want - c->in_len, MSG_DONTWAIT);
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			tcp_close(i);       /* the client is done */
		return;
	}
	c->in_len += (size_t)n;
	if (c->in_len < 2 || c->in_len < 2 + get_u16(c->in))
		return;
	struct query q;
	size_t len = c->in_len - 2;
	c->in_len = 0;
	if (parse_query(c->in + 2, len, &q) < 0)
		return;
	if (has(cfg, FAULT_TCP_DROP)) {
		if (cfg->verbose)
			fprintf(stderr, "slowdns: query tcp id=%u %s -> dropped\n", q.id, q.name);
		return;
	}
	struct message m = { .buf = c->out + 2, .cap = MAX_TCP_MSG };
	build_reply(cfg, c->in + 2, &q, &m, true, c->what, sizeof c->what);
	size_t prefix = m.len + (has(cfg, FAULT_TCP_SHORT) ? TCP_SHORT_BY : 0);
	c->out[0] = (unsigned char)(prefix >> 8);
	c->out[1] = (unsigned char)prefix;
	c->out_len = 2 + m.len;
	c->out_off = 0;
	if (has(cfg, FAULT_TCP_CUT))
		c->out_len = 1;
	c->arrived_ms = now_ms();
	c->due_ms = c->arrived_ms + cfg->delay_ms;
}

/* Sends the reply that is due: all of it, or one byte for tcp-bytes. */
static void tcp_write(int i, const struct config *cfg)
{
	struct tcp_conn *c = tcp_conns[i];
	size_t n = c->out_len - c->out_off;
	if (has(cfg, FAULT_TCP_BYTES))
		n = 1;
	ssize_t sent = send(c->fd, c->out + c->out_off, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (sent < 0) {
		if (errno != EAGAIN)
			tcp_close(i);
		return;
	}
	c->out_off += (size_t)sent;
	if (c->out_off < c->out_len) {
		if (has(cfg, FAULT_TCP_BYTES))
			c->due_ms = now_ms() + 1;   /* the next byte a moment later */
		return;
	}
	if (cfg->verbose)
		fprintf(stderr, "slowdns: query %s%s after %lld ms\n", c->what,
		        has(cfg, FAULT_TCP_CUT) ? ", cut in the length" :
		        has(cfg, FAULT_TCP_SHORT) ? ", length too long" :
		        has(cfg, FAULT_TCP_BYTES) ? ", 1-byte segments" : "",
		        now_ms() - c->arrived_ms);
	c->due_ms = 0;
	if (has(cfg, FAULT_TCP_CUT) || has(cfg, FAULT_TCP_SHORT))
		tcp_close(i);           /* the rest never comes */
}

/* --- the loop ---------------------------------------------------------- */

/*
 * SIGINT and SIGTERM stay blocked except inside ppoll(), which unblocks them
 * atomically: a signal cannot slip in between testing stop_requested and
 * going to sleep, so it always wakes the loop.
 */
static void serve(int fd, int lfd, const struct config *cfg)
{
	sigset_t blocked, waiting;
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGTERM);
	sigprocmask(SIG_BLOCK, &blocked, &waiting);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	while (!stop_requested) {
		long long next = queue_len > 0 ? queue[queue_head].due_ms : -1;
		struct pollfd pfds[2 + MAX_TCP_CONNS] = {
			{ .fd = fd, .events = POLLIN }, { .fd = lfd, .events = POLLIN },
		};
		int slot[2 + MAX_TCP_CONNS], n = 2;
		for (int i = 0; i < MAX_TCP_CONNS; i++) {
			const struct tcp_conn *c = tcp_conns[i];
			if (c == NULL)
				continue;
			if (c->due_ms > 0 && (next < 0 || c->due_ms < next))
				next = c->due_ms;
			slot[n] = i;
			pfds[n++] = (struct pollfd){ .fd = c->fd,
				.events = c->due_ms > 0 ? 0 : POLLIN };
		}
		struct timespec ts, *timeout = NULL;
		if (next >= 0) {
			long long wait = next - now_ms();
			wait = wait < 0 ? 0 : wait;
			ts = (struct timespec){ wait / 1000, wait % 1000 * 1000000 };
			timeout = &ts;
		}
		if (ppoll(pfds, (nfds_t)n, timeout, &waiting) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (pfds[0].revents & POLLIN)
			receive_queries(fd, cfg);
		send_due_replies(fd, cfg);
		if (pfds[1].revents & POLLIN)
			tcp_accept(lfd);
		for (int k = 2; k < n; k++) {
			int i = slot[k];
			if (tcp_conns[i] != NULL && tcp_conns[i]->due_ms == 0 && pfds[k].revents)
				tcp_read(i, cfg);
			if (tcp_conns[i] != NULL && tcp_conns[i]->due_ms > 0 &&
			    tcp_conns[i]->due_ms <= now_ms())
				tcp_write(i, cfg);
		}
	}
}

/* --- setup ------------------------------------------------------------- */

static long parse_number(const char *s, long max)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		bad_usage("bad number '%s'", s);
	return v;
}

/* NAME=ADDR, NAME=ADDR*N (N records from ADDR on) or NAME=@TARGET. */
static void add_answer(struct config *cfg, const char *arg)
{
	struct record r = { .name = "" };
	char name[MAX_TEXT_NAME + 2], value[64];
	const char *eq = strchr(arg, '=');
	long n = 1;
	bool ok = eq && (size_t)(eq - arg) < sizeof name &&
	          strlen(eq + 1) < sizeof value;
	if (ok) {
		memcpy(name, arg, (size_t)(eq - arg));
		name[eq - arg] = '\0';
		strcpy(value, eq + 1);
		char *star = strchr(value, '*');
		if (star != NULL) {
			*star = '\0';
			n = parse_number(star + 1, MAX_RECORDS);
		}
		ok = n > 0 && cfg->nrecords + n <= MAX_RECORDS &&
		     normalize_name(name, r.name) == 0 &&
		     (value[0] == '@' ? star == NULL && normalize_name(value + 1, r.target) == 0
		      : inet_pton(AF_INET, value, &r.addr) == 1);
	}
	if (!ok)
		bad_usage("bad --answer '%s'", arg);
	for (long i = 0; i < n; i++) {
		cfg->records[cfg->nrecords++] = r;
		r.addr.s_addr = htonl(ntohl(r.addr.s_addr) + 1);
	}
}

static void parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option options[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "host", required_argument, NULL, 'H' },
		{ "delay", required_argument, NULL, 'd' },
		{ "answer", required_argument, NULL, 'a' },
		{ "fault", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	cfg->addr.sin_family = AF_INET;
	cfg->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while ((c = getopt_long(argc, argv, "p:vh", options, NULL)) != -1) {
		int f = 0;
		switch (c) {
		case 'p':
			cfg->addr.sin_port = htons((uint16_t)parse_number(optarg, 65535));
			break;
		case 'H':
			if (inet_pton(AF_INET, optarg, &cfg->addr.sin_addr) != 1)
				bad_usage("bad --host '%s'", optarg);
			break;
		case 'd': cfg->delay_ms = parse_number(optarg, 3600 * 1000); break;
		case 'a': add_answer(cfg, optarg); break;
		case 'f':
			while (f < FAULT_COUNT && strcmp(optarg, fault_names[f]) != 0)
				f++;
			if (f == FAULT_COUNT)
				bad_usage("bad --fault '%s'", optarg);
			cfg->faults |= 1u << f;
			break;
		case 'v': cfg->verbose = true; break;
		case 'h': usage(stdout); break;
		default: usage(stderr);
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument '%s'", argv[optind]);
}

/*
 * Binds the UDP socket, then a TCP listener on the same port (unless
 * tcp-refuse). With port 0 the kernel picks the UDP port, which TCP may find
 * taken: then both start again. Sets *LFD (-1 without TCP); returns the UDP fd.
 */
static int bind_both(struct config *cfg, const char *host, int *lfd)
{
	bool any_port = cfg->addr.sin_port == 0;
	for (int attempt = 0;; attempt++) {
		struct sockaddr_in addr = cfg->addr;
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
			die("cannot bind %s:%u: %s", host, ntohs(addr.sin_port),
				strerror(errno));
		socklen_t len = sizeof addr;
		if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
			die("getsockname: %s", strerror(errno));
		*lfd = -1;
		if (has(cfg, FAULT_TCP_REFUSE)) {
			cfg->addr = addr;
			return fd;
		}
		int one = 1;
		*lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (*lfd < 0)
			die("socket: %s", strerror(errno));
		setsockopt(*lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(*lfd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
		    listen(*lfd, 64) == 0) {
			cfg->addr = addr;
			return fd;
		}
		if (errno != EADDRINUSE || !any_port || attempt == 20)
			die("cannot listen on TCP %s:%u: %s", host, ntohs(addr.sin_port),
				strerror(errno));
		close(*lfd);
		close(fd);
	}
}

int main(int argc, char **argv)
{
	static struct config cfg;
	char host[INET_ADDRSTRLEN];
	int lfd;
	parse_args(argc, argv, &cfg);
	inet_ntop(AF_INET, &cfg.addr.sin_addr, host, sizeof host);
	srand((unsigned)time(NULL));

	int fd = bind_both(&cfg, host, &lfd);
	printf("listening on %s:%u\n", host, ntohs(cfg.addr.sin_port));
	fflush(stdout);

	serve(fd, lfd, &cfg);
	close(fd);
	if (lfd >= 0)
		close(lfd);
	return 0;
}
