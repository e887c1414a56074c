/*
 * soak — a chaos soak: tens of clients doing a seeded random mix of careful,
 * careless and hostile things to one of the kit's servers (steps 03-08).
 *
 * The suites test what someone thought of. This finds what nobody listed: each
 * client runs one session after another, each of a random kind (below), for
 * SECONDS; every reply that can be checked is checked byte for byte as it
 * arrives. What the server is left with afterwards is for tools/soak-check to
 * judge. The step number decides the mix: /work and /cat from 04, SIGUSR1
 * storms (with --pid) from 06, /run and SIGCHLD storms from 07, /lookup and
 * /resolve from 08.
 *
 * The kinds: echo (random sizes and chunking), commands (valid and invalid,
 * replies checked), bytewise (the same, one byte per send), overlong (a command
 * line past the limit, then more input), limit (a command of exactly the limit,
 * ended by \r\n), halfclose-reset (a command, shutdown(SHUT_WR), then a reset,
 * nothing read), reset (a reset in the middle of a long reply), tinycat (/cat
 * through a 4 KiB receive buffer, read slowly or abandoned), noread (sends
 * commands and never reads), vanish (leaves at a random moment, mid-command or
 * with something in flight). What each kind sends and expects is soak_mix.c;
 * this file is the clients' loop, the checking, and the report.
 *
 * The random choices come from --seed alone, so a seed replays the same mix
 * (the timing, and so the interleaving, is the machine's).
 *
 * Usage: soak -p PORT --step N [-c CLIENTS] [-d SECONDS] [--seed N]
 *             [--root DIR] [--pid PID] [--kind KIND]
 *   --root DIR  the server's --root (04+): soak writes its /cat file there
 *   --pid PID   the server's pid: SIGUSR1 storms (06+), SIGCHLD ones too (07+)
 * 07+ expects the server started with --allow echo,false,yes,sh and 08 with a
 * tools/slowdns answering a.test=10.0.0.1, 10.9.9.9=10.9.9.9 and
 * big.test=10.1.0.1*40 (too big for UDP: /resolve asks again over TCP).
 * Prints first:   soak: seed=S step=N clients=C seconds=D
 * each failure:   soak: FAIL kind=K client=I session=N seed=S: WHAT
 *                 (the first few of each kind; the others are counted)
 * and last:       soak: sessions=N failures=F signals=G, then one line per kind.
 * Exit status: 0 nothing failed, 1 something did, 2 usage.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "soak needs Linux"
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "tool.h"
#include "soak.h"

/* ---- constants ---------------------------------------------------------- */

static const char *const prog = "soak";

enum {
	MAX_CLIENTS = 512,
	MAX_TOLD = 3,           /* failures told in full per kind; the rest are counted */
	PATIENCE_MS = 15000,    /* a session with nothing happening this long fails */
	TICK_MS = 2,            /* the poll() timeout: pacing's resolution */
	OPT_STEP = 256, OPT_SEED, OPT_ROOT, OPT_PID, OPT_KIND, OPT_HELP,
};

/* ---- types -------------------------------------------------------------- */

struct options {
	struct sockaddr_in server;
	unsigned long port, step, clients, seconds, pid;
	uint64_t seed;
	const char *root;
	int kind;               /* --kind: only this kind of session; -1: the mix */
};

/* ---- helpers ------------------------------------------------------------ */

static struct options opt = { .clients = 40, .seconds = 10, .kind = -1 };
static struct client clients[MAX_CLIENTS];
static unsigned long sessions[KINDS], failed[KINDS], failures, signals_sent;

static void usage(FILE *to, int status)
{
	fprintf(to,
		"usage: %s -p PORT --step N [-c CLIENTS] [-d SECONDS] [--seed N]\n"
		"            [--root DIR] [--pid PID] [--kind KIND]\n"
		"  -p PORT      the server's port (on 127.0.0.1)\n"
		"  --step N     the server's step, 3 to 8: it decides the mix\n"
		"  -c CLIENTS   clients at once (default 40)\n"
		"  -d SECONDS   start sessions for this long (default 10)\n"
		"  --seed N     the random mix to replay (default: a new one, printed)\n"
		"  --root DIR   the server's --root: where the /cat file goes (04+)\n"
		"  --pid PID    the server's pid, for signal storms (SIGUSR1 06+, SIGCHLD 07+)\n"
		"  --kind KIND  only sessions of this kind (echo, commands, ...: see above)\n"
		"  --help       show this help\n", prog);
	exit(status);
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "step", required_argument, NULL, OPT_STEP },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "kind", required_argument, NULL, OPT_KIND },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0, 0, 0, 0 },
	};
	unsigned long seed = 0;
	bool seeded = false;
	int c;
	while ((c = getopt_long(argc, argv, "p:c:d:", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': uint_arg(optarg, "port", 1, 65535, &opt.port, usage); break;
		case 'c': uint_arg(optarg, "client count", 1, MAX_CLIENTS, &opt.clients, usage); break;
		case 'd': uint_arg(optarg, "duration", 0, 86400, &opt.seconds, usage); break;
		case OPT_STEP: uint_arg(optarg, "step", 3, 8, &opt.step, usage); break;
		case OPT_SEED: uint_arg(optarg, "seed", 0, ULONG_MAX, &seed, usage); seeded = true; break;
		case OPT_ROOT: opt.root = optarg; break;
		case OPT_PID: uint_arg(optarg, "pid", 1, INT_MAX, &opt.pid, usage); break;
		case OPT_KIND:
			for (int k = 0; k < KINDS; k++)
				if (strcmp(optarg, kind_names[k]) == 0)
					opt.kind = k;
			if (opt.kind < 0) {
				fprintf(stderr, "%s: no session kind '%s'\n", prog, optarg);
				usage(stderr, 2);
			}
			break;
		case OPT_HELP: usage(stdout, 0); break;
		default: usage(stderr, 2);
		}
	}
	const char *bad = optind < argc ? "unexpected argument"
		: opt.port == 0 ? "-p PORT is required"
		: opt.step == 0 ? "--step N is required"
		: opt.step >= 4 && opt.root == NULL ? "--root DIR is required from step 4 on"
		: NULL;
	if (bad) {
		fprintf(stderr, "%s: %s\n", prog, bad);
		usage(stderr, 2);
	}
	/* A new seed when none is given: small, so that it is easy to type. */
	opt.seed = seeded ? seed : (now_us() ^ (uint64_t)getpid() << 16) % 1000000;
	opt.server.sin_family = AF_INET;
	opt.server.sin_port = htons((in_port_t)opt.port);
	opt.server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static uint64_t now_ms(void)
{
	return now_us() / 1000;
}

static void write_cat_file(void)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", opt.root, CAT_FILE);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		die("cannot write %s: %s", path, strerror(errno));
	for (size_t i = 0; i < CAT_SIZE; i++)
		putc(cat_byte(i), f);
	if (fclose(f) != 0)
		die("cannot write %s: %s", path, strerror(errno));
}

/* A printable, quoted copy of at most 48 bytes of BUF, for a failure line. */
static const char *quoted(const char *buf, size_t len, char *to, size_t size)
{
	size_t o = 0;
	to[o++] = '"';
	for (size_t i = 0; i < len && i < 48 && o + 6 < size; i++) {
		unsigned char b = (unsigned char)buf[i];
		o += (size_t)(b >= ' ' && b < 127 && b != '"' && b != '\\'
			? snprintf(to + o, size - o, "%c", b)
			: b == '\n' ? snprintf(to + o, size - o, "\\n")
			: snprintf(to + o, size - o, "\\x%02x", b));
	}
	snprintf(to + o, size - o, "\"%s", len > 48 ? "..." : "");
	return to;
}

/* ---- a session's life --------------------------------------------------- */

/* Closes the session's socket (with a reset when ABRUPT: SO_LINGER 0 makes
 * close() send an RST), forgets the session, and schedules the next one. */
static void end_session(struct client *c, bool abrupt, uint64_t now)
{
	if (c->fd >= 0) {
		if (abrupt) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };
			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		}
		close(c->fd);
	}
	free(c->out);
	for (size_t i = 0; i < c->n_expect; i++)
		free(c->expects[i].text);
	int id = c->id;
	unsigned long session = c->session;
	memset(c, 0, sizeof *c);
	c->id = id;
	c->session = session;
	c->fd = -1;
	c->start_at = now + pick(0, 50);
}

/* What the session waits for, for a failure line: which reply, and where in it. */
static const char *waiting_for(const struct client *c)
{
	static char what[192];
	if (c->cur == c->n_expect)
		return "after every reply it waited for";
	const struct expect *e = &c->expects[c->cur];
	if (e->type == CAT) {
		snprintf(what, sizeof what, "at reply %zu of %zu, byte %zu of the %zu-byte /cat file",
			 c->cur + 1, c->n_expect, c->pos, e->len);
	} else {
		char q[128];
		snprintf(what, sizeof what, "at reply %zu of %zu, %s%s, byte %zu", c->cur + 1,
			 c->n_expect, e->type == LINE ? "a line starting " : "",
			 quoted(e->text, e->len, q, sizeof q), c->pos);
	}
	return what;
}

__attribute__((format(printf, 3, 4)))
static void fail(struct client *c, uint64_t now, const char *fmt, ...)
{
	failures++;
	if (++failed[c->kind] <= MAX_TOLD) {
		va_list ap;
		va_start(ap, fmt);
		printf("%s: FAIL kind=%s client=%d session=%lu seed=%" PRIu64 ": ", prog,
		       kind_names[c->kind], c->id, c->session, opt.seed);
		vprintf(fmt, ap);
		putchar('\n');
		fflush(stdout);
		va_end(ap);
	} else if (failed[c->kind] == MAX_TOLD + 1) {
		printf("%s: more failures of kind=%s: counted, not told\n", prog, kind_names[c->kind]);
	}
	end_session(c, true, now);
}

static void start_session(struct client *c, uint64_t now)
{
	c->session++;
	c->kind = mix_pick_kind(opt.step, opt.kind);
	sessions[c->kind]++;
	mix_build_session(c, opt.step);
	c->progress_at = c->started_at_ms = now;
	c->flood_until = now + c->delay_ms;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket: %s", strerror(errno));
	/* Before connect(): the receive buffer sets the window TCP offers. */
	if (c->rcvbuf > 0)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &c->rcvbuf, sizeof c->rcvbuf);
	int one = 1;
	if (c->pace == ONE_BYTE)        /* one byte, one segment: no Nagle */
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* A blocking connect(): on loopback the kernel completes it at once,
	 * whatever the server's loop is doing. */
	if (connect(c->fd, (struct sockaddr *)&opt.server, sizeof opt.server) != 0) {
		c->running = true;
		fail(c, now, "connect: %s", strerror(errno));
		return;
	}
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	c->running = true;
}

/* Checks N received bytes against what the session waits for. Returns false
 * (the session failed and is over) on the first byte that differs. */
static bool match(struct client *c, const char *buf, size_t n, uint64_t now)
{
	char got[128];
	for (size_t i = 0; i < n; i++) {
		if (c->cur == c->n_expect) {
			fail(c, now, "unexpected bytes %s after every reply it waited for",
			     quoted(buf + i, n - i, got, sizeof got));
			return false;
		}
		struct expect *e = &c->expects[c->cur];
		bool done;
		if (e->type == LINE && c->pos >= e->len) {
			if (c->pos >= e->len + 4096) {
				fail(c, now, "a reply line longer than 4 KiB %s", waiting_for(c));
				return false;
			}
			done = buf[i] == '\n';
		} else {
			unsigned char wanted = e->type == CAT ? cat_byte(c->pos)
				: (unsigned char)e->text[c->pos];
			if ((unsigned char)buf[i] != wanted) {
				fail(c, now, "reply differs %s: got %s", waiting_for(c),
				     quoted(buf + i, n - i, got, sizeof got));
				return false;
			}
			done = e->type != LINE && c->pos + 1 == e->len;
		}
		c->pos++;
		if (done) {
			c->pos = 0;
			if (e->type != REPEAT)
				c->cur++;
		}
	}
	return true;
}

/* ---- callbacks: what a client does when its socket is ready ------------- */

static bool wants_output(const struct client *c, uint64_t now)
{
	return !c->send_failed && c->out_off < c->out_len
		&& (c->pace != ONE_BYTE || now >= c->send_at);
}

static bool wants_input(const struct client *c, uint64_t now)
{
	return !c->noread && now >= c->read_at;
}

static void send_some(struct client *c, uint64_t now)
{
	size_t n = c->out_len - c->out_off;
	if (c->pace == ONE_BYTE) {
		n = 1;
		c->send_at = now + pick(0, 2);
	} else if (c->pace == CHUNKS && n > 1) {
		n = pick(1, n < 16384 ? n : 16384);
	}
	ssize_t w = send(c->fd, c->out + c->out_off, n, MSG_NOSIGNAL);
	if (w > 0) {
		c->out_off += (size_t)w;
		c->progress_at = now;
	} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
		/* The server closed or reset: whatever it answered before
		 * still counts, and is still read and checked. */
		c->send_failed = true;
	}
	if (c->ending == END_FLOOD && c->out_off == c->out_len)
		c->out_off = 0;         /* the same commands again, until DELAY */
}

/* One recv(). Returns false when the session is over. */
static bool receive_some(struct client *c, uint64_t now)
{
	char buf[64 * 1024];
	ssize_t n = recv(c->fd, buf, c->read_max < sizeof buf ? c->read_max : sizeof buf, 0);
	if (c->kind == TINYCAT)
		c->read_at = now + 1;   /* a slow reader: the window stays shut */
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return true;
		fail(c, now, "%s from the server %s", strerror(errno), waiting_for(c));
		return false;
	}
	if (n == 0) {
		if (c->cur < c->n_expect) {
			fail(c, now, "the server closed the connection %s", waiting_for(c));
			return false;
		}
		end_session(c, false, now);
		return false;
	}
	c->received += (size_t)n;
	c->progress_at = now;
	return c->unchecked || match(c, buf, (size_t)n, now);
}

/* Everything a client does on one turn of the loop, REVENTS from poll(). */
static void step_client(struct client *c, short revents, uint64_t now)
{
	if ((revents & POLLOUT) && wants_output(c, now))
		send_some(c, now);
	bool all_sent = c->send_failed || (c->out_off == c->out_len && c->ending != END_FLOOD);
	if (all_sent && c->sent_all_at == 0)
		c->sent_all_at = now;
	if (all_sent && !c->shut && (c->ending == END_EOF || c->half_close)) {
		shutdown(c->fd, SHUT_WR);
		c->shut = true;
	}
	if ((revents & (POLLIN | POLLERR | POLLHUP)) && wants_input(c, now)
	    && !receive_some(c, now))
		return;

	uint64_t leave_from = all_sent ? c->sent_all_at : c->started_at_ms + 1000;
	switch (c->ending) {
	case END_RESET:
		if (c->received >= c->reset_after || c->cur == c->n_expect) {
			end_session(c, true, now);
			return;
		}
		break;
	case END_LEAVE:
		if (now >= leave_from + c->delay_ms) {
			end_session(c, c->abrupt, now);
			return;
		}
		break;
	case END_FLOOD:
		if (now >= c->flood_until) {
			end_session(c, false, now);
			return;
		}
		break;
	default:
		break;
	}
	if (now - c->progress_at > PATIENCE_MS)
		fail(c, now, "nothing happened for %d ms %s", PATIENCE_MS, waiting_for(c));
}

/* ---- the loop ----------------------------------------------------------- */

/* A burst of SIGUSR1s, as fast as kill() goes: most arrive while the last is
 * still pending, and the server must take the storm and still hear SIGTERM.
 * From 07 some storms are SIGCHLDs from no child at all: a server that reaps
 * must take a SIGCHLD as "some child may have ended", never as "this one". */
static void signal_storm(void)
{
	int signum = opt.step >= 7 && chance(30) ? SIGCHLD : SIGUSR1;
	for (size_t n = pick(1, 3000); n > 0; n--) {
		if (kill((pid_t)opt.pid, signum) != 0) {
			if (failures++ < MAX_TOLD)
				printf("%s: FAIL signals seed=%" PRIu64 ": kill %lu: %s\n", prog,
				       opt.seed, opt.pid, strerror(errno));
			opt.pid = 0;    /* gone: no more storms */
			return;
		}
		signals_sent++;
	}
}

/* Starts sessions until SECONDS have passed, then lets every session end. */
static void run(void)
{
	static struct pollfd pfds[MAX_CLIENTS];
	uint64_t t0 = now_ms(), stop_at = t0 + opt.seconds * 1000, storm_at = t0;
	for (size_t i = 0; i < opt.clients; i++) {
		clients[i].id = (int)i;
		clients[i].fd = -1;
		clients[i].start_at = t0 + pick(0, 100);
	}
	for (;;) {
		uint64_t now = now_ms();
		bool stopping = now >= stop_at;
		if (!stopping && opt.pid != 0 && opt.step >= 6 && now >= storm_at) {
			signal_storm();
			storm_at = now + pick(50, 400);
		}
		size_t live = 0;
		for (size_t i = 0; i < opt.clients; i++) {
			struct client *c = &clients[i];
			if (!c->running && !stopping && now >= c->start_at)
				start_session(c, now);
			pfds[i].fd = -1;
			if (!c->running)
				continue;
			live++;
			/* A client that neither reads nor can send has nothing to
			 * wait for but its clock: a reset would make poll() spin. */
			if (c->noread && c->send_failed)
				continue;
			pfds[i].fd = c->fd;
			pfds[i].events = (short)((wants_output(c, now) ? POLLOUT : 0)
						 | (wants_input(c, now) ? POLLIN : 0));
		}
		if (stopping && live == 0)
			return;
		if (poll(pfds, opt.clients, TICK_MS) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		now = now_ms();
		for (size_t i = 0; i < opt.clients; i++) {
			if (!clients[i].running)
				continue;
			short revents = 0;
			if (pfds[i].fd >= 0)
				revents = pfds[i].revents;
			step_client(&clients[i], revents, now);
		}
	}
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	mix_seed(opt.seed);
	printf("%s: seed=%" PRIu64 " step=%lu clients=%lu seconds=%lu\n", prog, opt.seed,
	       opt.step, opt.clients, opt.seconds);
	fflush(stdout);
	if (opt.step >= 4)
		write_cat_file();
	run();
	unsigned long total = 0;
	for (int k = 0; k < KINDS; k++)
		total += sessions[k];
	printf("%s: sessions=%lu failures=%lu signals=%lu\n", prog, total, failures, signals_sent);
	for (int k = 0; k < KINDS; k++)
		if (sessions[k] > 0)
			printf("%s:   kind=%s sessions=%lu failed=%lu\n", prog, kind_names[k],
			       sessions[k], failed[k]);
	return failures == 0 ? 0 : 1;
}
