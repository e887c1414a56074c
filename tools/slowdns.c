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
 * This file has the options, the UDP side and the loop; slowdns_msg.c reads
 * queries and builds replies, slowdns_tcp.c serves TCP clients, and
 * slowdns_hostile.c builds the answers of --answer-maze and --answer-flood.
 *
 * Usage: slowdns [-p PORT] [--host ADDR] [--delay MS] [-v]
 *                [--answer NAME=ADDR[*N]]... [--answer NAME=@TARGET]...
 *                [--answer-maze NAME] [--answer-flood NAME] [--fault FAULT]...
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
 *   tcp-endless  TCP: the reply with another id, again and again, forever
 *   tcp-tc       TCP replies have TC set, and the whole answer
 *   tcp-reset    TCP: a query is answered with a reset (RST)
 *   udp-big      UDP replies up to 8192 bytes before TC (no EDNS needed)
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "slowdns needs Linux"
#endif

#include "slowdns.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A UDP reply, waiting for its due time. */
struct reply {
	long long arrived_ms, due_ms;
	struct sockaddr_in peer;
	struct message msg;
	unsigned char data[MAX_UDP_BIG];    /* msg's bytes */
	char what[MAX_TEXT_NAME + 128];     /* what the -v log says about it */
};

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
	      "               [--answer-maze NAME] [--answer-flood NAME] [--fault FAULT]...\n"
	      "faults: nxdomain servfail refused formerr notimp truncate garbage\n"
	      "        wrong-id drop tcp-refuse tcp-drop tcp-cut tcp-short tcp-bytes\n"
	      "        tcp-wrong-id tcp-endless tcp-tc tcp-reset udp-big\n", out);
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

long long now_ms(void)
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


/* --- serving UDP ------------------------------------------------------- */

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
		r->arrived_ms = now_ms();
		r->due_ms = r->arrived_ms + cfg->delay_ms;
		r->peer = peer;
		r->msg = (struct message){ .buf = r->data,
			.cap = has(cfg, FAULT_UDP_BIG) ? sizeof r->data : MAX_MSG };
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
		int slot[2 + MAX_TCP_CONNS];
		int n = tcp_poll_set(pfds, slot, 2, &next);
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
		tcp_serve(pfds, slot, 2, n, cfg);
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
		{ "answer-maze", required_argument, NULL, 'm' },
		{ "answer-flood", required_argument, NULL, 'F' },
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
		case 'm':
		case 'F':
			if (normalize_name(optarg, c == 'm' ? cfg->maze : cfg->flood) != 0)
				bad_usage("bad --answer-%s '%s'", c == 'm' ? "maze" : "flood", optarg);
			break;
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

