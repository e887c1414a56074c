/*
 * loadgen — many connections playing ping-pong with an echo server, one thread.
 *
 * The kit measures every step's server with this program: how many round trips a
 * second it serves, how long one takes, and what thousands of connections cost it.
 * It is an event loop itself (non-blocking sockets, one level-triggered epoll set),
 * so one process can hold 10,000 connections without a thread for each.
 *
 * Each connection sends a BYTES-long line, waits for its whole echo, checks it
 * byte for byte, records the latency, and sends the next line. The lines are never
 * stored: each is a window onto one random pattern, at an offset named by the
 * line's seed, so a connection costs only its small struct, whatever BYTES is.
 *
 * Phases: connect everything (at most MAX_CONNECTING at a time, so a burst of
 * connects cannot overflow the server's listen backlog); then the measured phase,
 * for SECONDS or until REQUESTS round trips. With --hold, every connection makes
 * one checked round trip and then all of them sit idle for SECONDS: the server's
 * memory per idle connection, when read with --pid.
 *
 * Usage: loadgen [-h HOST] -p PORT [-c CONNS] [-s BYTES] [-d SECONDS | -n REQUESTS]
 *                [--hold] [--pid PID]
 * Prints one line:  conns=C requests=R req_per_s=X p50_us=A p99_us=B max_us=M
 *                   errors=E mismatches=K   (and with --pid: threads=T rss_kb=S)
 * Exit status: 0 if there were no errors and no mismatches, 1 if there were, 2 usage.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "loadgen needs Linux (epoll)"
#endif

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "tool.h"

/* ---- constants ---------------------------------------------------------- */

static const char *const prog = "loadgen";

enum {
	MAX_CONNECTING = 256,   /* connects in flight at once */
	PATIENCE_S = 10,        /* at least this long for connects and --hold checks */
	FD_HEADROOM = 16,       /* fds besides the sockets: stdio, epoll, /proc */
	MAX_EVENTS = 1024,      /* events taken per epoll_wait() */
	CHUNK = 16 * 1024,      /* bytes per send() or recv() */
	PATTERN_SIZE = 1 << 20, /* 1 MiB that lines are cut from: see line_bytes() */
	/* Latency histogram: exact below 2 * SUB_COUNT us, then SUB_COUNT buckets
	 * per power of two, so every bucket is within 1/SUB_COUNT (0.8%) of its
	 * values, up to 2^MAX_BITS us (12 days), in 35 KiB whatever the run length. */
	SUB_BITS = 7,
	SUB_COUNT = 1 << SUB_BITS,
	MAX_BITS = 40,
	BUCKETS = (MAX_BITS - SUB_BITS + 1) * SUB_COUNT,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	OPT_HOLD = 256,         /* long options only: past every char value */
	OPT_PID,
	OPT_HELP,
};

static const uint64_t NO_DEADLINE = UINT64_MAX;

/* ---- types -------------------------------------------------------------- */

struct options {
	struct sockaddr_in server;
	const char *host;
	unsigned long port, conns, bytes, seconds;
	unsigned long requests; /* -n: stop after this many; 0 means run for -d */
	unsigned long pid;      /* --pid: whose /proc/PID/status to read; 0: none */
	bool hold;
};

enum conn_state {
	CONN_WAITING,           /* not started yet: waits for a connect slot */
	CONN_CONNECTING,
	CONN_IDLE,              /* connected, no request in flight */
	CONN_BUSY,              /* a line is being sent and its echo received */
	CONN_CLOSED,            /* failed or dropped: never retried */
};

struct conn {
	int fd;
	enum conn_state state;
	uint32_t events;        /* what the epoll set is asked for, now */
	uint32_t seed;          /* names the line in flight: see line_bytes() */
	size_t sent, received;
	uint64_t started_us;
};

struct histogram {
	uint64_t count, max;
	uint64_t buckets[BUCKETS];
};

/* Everything the run has counted so far. */
struct stats {
	size_t next;            /* conns[0 .. next) have had their connect started */
	size_t connecting, live, busy;
	uint64_t established, started, budget, completed, errors, mismatches;
	struct histogram latency;
};

/* ---- helpers ------------------------------------------------------------ */

static struct options opt = { .host = "127.0.0.1", .conns = 100, .bytes = 32, .seconds = 3 };
static struct stats run;
static struct conn *conns;
static int epfd;
static char pattern[PATTERN_SIZE];

static void usage(FILE *to, int status)
{
	fprintf(to,
		"usage: %s [-h HOST] -p PORT [-c CONNS] [-s BYTES] [-d SECONDS | -n REQUESTS]\n"
		"               [--hold] [--pid PID]\n"
		"  -h HOST      numeric IPv4 address or localhost (default 127.0.0.1)\n"
		"  -p PORT      the echo server's port\n"
		"  -c CONNS     connections (default 100)\n"
		"  -s BYTES     bytes per request, newline included (default 32)\n"
		"  -d SECONDS   run this long (default 3); with --hold, hold this long\n"
		"  -n REQUESTS  instead, stop after this many round trips in all\n"
		"  --hold       one checked round trip per connection, then hold them idle\n"
		"  --pid PID    also report PID's threads and RSS, read while under load\n"
		"  --help       show this help\n",
		prog);
	exit(status);
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "hold", no_argument, NULL, OPT_HOLD },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0, 0, 0, 0 },
	};
	bool timed = false;
	int c;

	while ((c = getopt_long(argc, argv, "h:p:c:s:d:n:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': opt.host = optarg; break;
		case 'p': uint_arg(optarg, "port", 1, 65535, &opt.port, usage); break;
		case 'c': uint_arg(optarg, "connection count", 1, 1000000, &opt.conns, usage); break;
		case 's': uint_arg(optarg, "size", 1, 1UL << 30, &opt.bytes, usage); break;
		case 'd': uint_arg(optarg, "duration", 0, 86400, &opt.seconds, usage); timed = true; break;
		case 'n': uint_arg(optarg, "request count", 1, LONG_MAX, &opt.requests, usage); break;
		case OPT_HOLD: opt.hold = true; break;
		case OPT_PID: uint_arg(optarg, "pid", 1, INT_MAX, &opt.pid, usage); break;
		case OPT_HELP: usage(stdout, 0); break;
		default: usage(stderr, EXIT_USAGE);
		}
	}
	const char *bad = optind < argc ? "unexpected argument"
		: opt.port == 0 ? "-p PORT is required"
		: timed && opt.requests ? "-d and -n exclude each other"
		: opt.hold && opt.requests ? "--hold runs for -d, not -n" : NULL;
	if (bad) {
		fprintf(stderr, "%s: %s\n", prog, bad);
		usage(stderr, EXIT_USAGE);
	}
	const char *numeric = strcmp(opt.host, "localhost") == 0 ? "127.0.0.1" : opt.host;
	opt.server.sin_family = AF_INET;
	opt.server.sin_port = htons((in_port_t)opt.port);
	if (inet_pton(AF_INET, numeric, &opt.server.sin_addr) != 1) {
		fprintf(stderr, "%s: bad host '%s' (want a numeric IPv4 address)\n", prog, opt.host);
		usage(stderr, EXIT_USAGE);
	}
}

/* Every connection is an fd: raise the soft limit to the hard one, as Node does,
 * and refuse up front rather than fail thousands of connects with EMFILE. */
static void ensure_fd_limit(unsigned long needed)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit: %s", strerror(errno));
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit: %s", strerror(errno));
	if (needed > rl.rlim_cur)
		die("need %lu fds but RLIMIT_NOFILE is %llu", needed,
		    (unsigned long long)rl.rlim_cur);
}

/* Lines are cut from this, so making or checking one is a memcpy() or memcmp():
 * fast enough that loadgen is not what limits a run with big lines. */
static void make_pattern(void)
{
	for (size_t i = 0; i < PATTERN_SIZE; i++)
		pattern[i] = (char)(' ' + mix32((uint32_t)i) % 95);
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Bytes [OFF, OFF + LEN) of the line named SEED, into BUF. The last byte is
 * '\n', and the first never '/': the kit's later servers read a line starting
 * with '/' as a command. */
static void line_bytes(uint32_t seed, size_t off, char *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		size_t at = (seed + off + done) % PATTERN_SIZE;
		size_t n = min_size(len - done, PATTERN_SIZE - at);
		memcpy(buf + done, pattern + at, n);
		done += n;
	}
	if (off == 0 && buf[0] == '/')
		buf[0] = '.';
	if (off + len == opt.bytes)
		buf[len - 1] = '\n';
}

static size_t bucket_of(uint64_t us)
{
	if (us < SUB_COUNT)
		return (size_t)us;
	if (us >= (uint64_t)1 << MAX_BITS)
		us = ((uint64_t)1 << MAX_BITS) - 1;
	unsigned shift = 0;
	while (us >> shift >= 2 * SUB_COUNT)
		shift++;
	return (shift + 1) * SUB_COUNT + (size_t)(us >> shift) - SUB_COUNT;
}

/* The largest value that lands in bucket B: reporting it never flatters. */
static uint64_t bucket_top(size_t b)
{
	if (b < 2 * SUB_COUNT)
		return b;
	unsigned shift = (unsigned)(b / SUB_COUNT) - 1;
	uint64_t low = (uint64_t)(b % SUB_COUNT + SUB_COUNT) << shift;
	return low + ((uint64_t)1 << shift) - 1;
}

static void histogram_add(struct histogram *h, uint64_t us)
{
	h->buckets[bucket_of(us)]++;
	h->count++;
	if (us > h->max)
		h->max = us;
}

static uint64_t percentile(const struct histogram *h, unsigned pct)
{
	uint64_t rank = (h->count * pct + 99) / 100, seen = 0;
	for (size_t b = 0; b < BUCKETS && rank > 0; b++) {
		seen += h->buckets[b];
		if (seen >= rank)
			return bucket_top(b) < h->max ? bucket_top(b) : h->max;
	}
	return 0;
}

/* ---- connections -------------------------------------------------------- */

/* epoll_ctl() only when the interest really changes: it is a system call. */
static void want(struct conn *c, uint32_t events)
{
	if (c->events == events)
		return;
	struct epoll_event ev = { .events = events, .data.ptr = c };
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		die("epoll_ctl: %s", strerror(errno));
	c->events = events;
}

static void drop(struct conn *c)
{
	if (c->state == CONN_CONNECTING)
		run.connecting--;
	if (c->state == CONN_IDLE || c->state == CONN_BUSY)
		run.live--;
	if (c->state == CONN_BUSY)
		run.busy--;
	if (c->state != CONN_WAITING)
		close(c->fd);   /* closing the fd also removes it from the epoll set */
	c->state = CONN_CLOSED;
}

/* Counts an error and drops C. Only the first error is told, with its reason:
 * ten thousand identical lines would bury it. */
static void fail(struct conn *c, const char *what, int err)
{
	static bool told;
	if (err == EADDRNOTAVAIL) {
		static bool told_ports;
		if (!told_ports)
			fprintf(stderr, "%s: out of local ports (EADDRNOTAVAIL); see "
				"net.ipv4.ip_local_port_range\n", prog);
		told_ports = true;
	} else if (!told) {
		told = true;
		fprintf(stderr, "%s: first error: %s%s%s (later ones are only counted)\n",
			prog, what, err ? ": " : "", err ? strerror(err) : "");
	}
	run.errors++;
	drop(c);
}

static void mismatch(struct conn *c)
{
	if (run.mismatches++ == 0)
		fprintf(stderr, "%s: first mismatch: an echo differs from what was sent\n", prog);
	drop(c);        /* the byte stream is out of step: nothing after can match */
}

static void start_connect(struct conn *c)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fail(c, "socket", errno);
		return;
	}
	c->state = CONN_CONNECTING;
	run.connecting++;
	/* EINPROGRESS is the usual answer; success and failure both show up as
	 * EPOLLOUT, and SO_ERROR tells which. */
	if (connect(c->fd, (struct sockaddr *)&opt.server, sizeof opt.server) != 0
	    && errno != EINPROGRESS) {
		fail(c, "connect", errno);
		return;
	}
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		die("epoll_ctl: %s", strerror(errno));
	c->events = EPOLLOUT;
}

static void start_connects(void)
{
	while (run.connecting < MAX_CONNECTING && run.next < opt.conns)
		start_connect(&conns[run.next++]);
}

/* Writes what the socket takes now, computing the line's bytes as it goes. */
static void send_some(struct conn *c)
{
	char buf[CHUNK];
	while (c->sent < opt.bytes) {
		size_t len = min_size(opt.bytes - c->sent, CHUNK);
		line_bytes(c->seed, c->sent, buf, len);
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			fail(c, "send", errno);
			return;
		}
		c->sent += (size_t)n;
	}
	/* Keep reading while sending: a long line's echo starts before it is all
	 * sent, and a server that cannot write back stops reading us. */
	want(c, EPOLLIN | (c->sent < opt.bytes ? EPOLLOUT : 0));
}

/* A new line, a new seed, sent at once: a socket with room is the usual case. */
static void start_request(struct conn *c, uint64_t now)
{
	c->seed = mix32(c->seed + 0x9e3779b9U);
	c->sent = c->received = 0;
	c->started_us = now;
	c->state = CONN_BUSY;
	run.busy++;
	run.started++;
	send_some(c);
}

static void finish_request(struct conn *c)
{
	uint64_t now = now_us();
	histogram_add(&run.latency, now - c->started_us);
	run.completed++;
	run.busy--;
	c->state = CONN_IDLE;
	if (!opt.hold && run.started < run.budget)
		start_request(c, now);
}

/* One recv() per wake-up, checked against the line as it arrives. */
static void receive_some(struct conn *c)
{
	char buf[CHUNK], expected[CHUNK];
	ssize_t n = recv(c->fd, buf, min_size(opt.bytes - c->received, CHUNK), 0);
	if (n <= 0) {
		if (n == 0)
			fail(c, "the server closed a connection", 0);
		else if (errno != EAGAIN)
			fail(c, "recv", errno);
		return;
	}
	line_bytes(c->seed, c->received, expected, (size_t)n);
	if (memcmp(buf, expected, (size_t)n) != 0) {
		mismatch(c);
		return;
	}
	c->received += (size_t)n;
	if (c->received == opt.bytes)
		finish_request(c);
}

/* ---- callbacks: what the loop does for each ready socket ---------------- */

static void on_connect_done(struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		fail(c, "connect", err);
	} else {
		run.connecting--;
		run.established++;
		run.live++;
		c->state = CONN_IDLE;
		want(c, EPOLLIN);
	}
	start_connects();
}

/* An idle connection expects nothing: bytes are the server speaking out of turn,
 * and EOF or an error means the server dropped us. */
static void on_idle_readable(struct conn *c)
{
	char byte;
	ssize_t n = recv(c->fd, &byte, 1, 0);
	if (n > 0)
		mismatch(c);
	else if (n == 0)
		fail(c, "the server closed an idle connection", 0);
	else if (errno != EAGAIN)
		fail(c, "recv", errno);
}

static void on_busy(struct conn *c, uint32_t events)
{
	if ((events & EPOLLOUT) && c->sent < opt.bytes)
		send_some(c);
	/* EPOLLERR and EPOLLHUP too: recv() is what reports them. */
	if (c->state == CONN_BUSY && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		receive_some(c);
}

static void on_event(struct conn *c, uint32_t events)
{
	switch (c->state) {
	case CONN_CONNECTING: on_connect_done(c); break;
	case CONN_IDLE: on_idle_readable(c); break;
	case CONN_BUSY: on_busy(c, events); break;
	default: break;         /* dropped earlier in this same batch of events */
	}
}

/* ---- the loop and its phases -------------------------------------------- */

static bool all_connected(void) { return run.next == opt.conns && run.connecting == 0; }
static bool none_busy(void) { return run.busy == 0; }
static bool none_live(void) { return run.live == 0; }

/* Runs the loop until DONE() says so or DEADLINE (in now_us() time) passes. */
static void run_until(uint64_t deadline, bool (*done)(void))
{
	static struct epoll_event events[MAX_EVENTS];

	while (!done()) {
		uint64_t now = now_us();
		if (now >= deadline)
			return;
		int timeout_ms = deadline == NO_DEADLINE ? -1
			: (int)((deadline - now + 999) / 1000);
		int n = epoll_wait(epfd, events, MAX_EVENTS, timeout_ms);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			on_event(events[i].data.ptr, events[i].events);
	}
}

/* Ends every connection still in STATE: it ran out of time. */
static void give_up(enum conn_state state, const char *why)
{
	for (size_t i = 0; i < opt.conns; i++)
		if (conns[i].state == state)
			fail(&conns[i], why, 0);
}

/* Phase 1: every connection connected, or given up on after PATIENCE us. */
static void connect_all(uint64_t patience)
{
	start_connects();
	run_until(now_us() + patience, all_connected);
	give_up(CONN_CONNECTING, "connect timed out");
	give_up(CONN_WAITING, "connect timed out");
}

/* Phase 2: ping-pong on every connection, or with --hold one round trip each.
 * Returns how long it took, in us: the clock starts only now, so connecting
 * thousands of sockets does not count against the server. */
static uint64_t ping_pong(uint64_t patience)
{
	uint64_t t0 = now_us();
	run.budget = opt.hold ? opt.conns : opt.requests ? opt.requests : UINT64_MAX;
	for (size_t i = 0; i < opt.conns && run.started < run.budget; i++)
		if (conns[i].state == CONN_IDLE)
			start_request(&conns[i], t0);
	uint64_t end = opt.hold ? t0 + patience
		: opt.requests ? NO_DEADLINE : t0 + opt.seconds * 1000000;
	run_until(end, none_busy);
	return now_us() - t0;
}

/* Threads: and VmRSS: from /proc/PID/status; -1 for what cannot be read. */
static bool read_proc_status(long *threads, long *rss_kb)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%lu/status", opt.pid);
	*threads = *rss_kb = -1;
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof line, f) != NULL) {
		sscanf(line, "Threads: %ld", threads);
		sscanf(line, "VmRSS: %ld", rss_kb);
	}
	fclose(f);
	return *threads >= 0 && *rss_kb >= 0;
}

/* The one summary line. Called while every connection is still open, so that
 * --pid sees the server under load. Returns the exit status. */
static int report(uint64_t elapsed_us)
{
	long threads = 0, rss_kb = 0;
	bool proc_ok = opt.pid == 0 || read_proc_status(&threads, &rss_kb);
	if (!proc_ok)
		fprintf(stderr, "%s: cannot read /proc/%lu/status\n", prog, opt.pid);
	printf("conns=%" PRIu64 " requests=%" PRIu64 " req_per_s=%" PRIu64
	       " p50_us=%" PRIu64 " p99_us=%" PRIu64 " max_us=%" PRIu64
	       " errors=%" PRIu64 " mismatches=%" PRIu64,
	       run.established, run.completed,
	       elapsed_us > 0 ? run.completed * 1000000 / elapsed_us : 0,
	       percentile(&run.latency, 50), percentile(&run.latency, 99),
	       run.latency.max, run.errors, run.mismatches);
	if (opt.pid)
		printf(" threads=%ld rss_kb=%ld", threads, rss_kb);
	putchar('\n');
	return run.errors == 0 && run.mismatches == 0 && proc_ok ? 0 : EXIT_FAILED;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	ensure_fd_limit(opt.conns + FD_HEADROOM);
	conns = calloc(opt.conns, sizeof *conns);
	if (conns == NULL)
		die("calloc: %s", strerror(errno));
	for (size_t i = 0; i < opt.conns; i++)
		conns[i].seed = (uint32_t)i;    /* each connection its own lines */
	make_pattern();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1: %s", strerror(errno));

	uint64_t patience = (opt.seconds > PATIENCE_S ? opt.seconds : PATIENCE_S) * 1000000;
	connect_all(patience);
	uint64_t elapsed = ping_pong(patience);
	if (opt.hold) {
		give_up(CONN_BUSY, "no echo in time");
		run_until(now_us() + opt.seconds * 1000000, none_live);   /* phase 3 */
	}
	return report(elapsed);        /* exit() then closes every connection */
}
