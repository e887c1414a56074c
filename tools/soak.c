/*
 * soak — a chaos soak: tens of clients doing a seeded random mix of careful,
 * careless and hostile things to one of the kit's servers (steps 03-08).
 *
 * The suites test what someone thought of. This finds what nobody listed: each
 * client runs one session after another, each of a random kind (below), for
 * SECONDS; every reply that can be checked is checked byte for byte as it
 * arrives. What the server is left with afterwards is for tools/soak-check to
 * judge. The step number decides the mix: /work and /cat from 04, SIGUSR1
 * storms (with --pid) from 06, /run from 07, /lookup and /resolve from 08.
 *
 * The kinds: echo (random sizes and chunking), commands (valid and invalid,
 * replies checked), bytewise (the same, one byte per send), overlong (a command
 * line past the limit, then more input), limit (a command of exactly the limit,
 * ended by \r\n), halfclose-reset (a command, shutdown(SHUT_WR), then a reset,
 * nothing read), reset (a reset in the middle of a long reply), tinycat (/cat
 * through a 4 KiB receive buffer, read slowly or abandoned), noread (sends
 * commands and never reads), vanish (leaves at a random moment, mid-command or
 * with something in flight).
 *
 * The random choices come from --seed alone, so a seed replays the same mix
 * (the timing, and so the interleaving, is the machine's).
 *
 * Usage: soak -p PORT --step N [-c CLIENTS] [-d SECONDS] [--seed N]
 *             [--root DIR] [--pid PID] [--kind KIND]
 *   --root DIR  the server's --root (04+): soak writes its /cat file there
 *   --pid PID   the server's pid: SIGUSR1 storms (06+)
 * 07+ expects the server started with --allow echo,false,yes,sh and 08 with a
 * tools/slowdns answering a.test=10.0.0.1 and 10.9.9.9=10.9.9.9.
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

/* ---- constants ---------------------------------------------------------- */

static const char *const prog = "soak";

enum {
	MAX_CLIENTS = 512,
	MAX_EXPECT = 64,        /* replies one session waits for */
	MAX_TOLD = 3,           /* failures told in full per kind; the rest are counted */
	PATIENCE_MS = 15000,    /* a session with nothing happening this long fails */
	TICK_MS = 2,            /* the poll() timeout: pacing's resolution */
	CAT_SIZE = 768 * 1024 + 123,    /* the /cat file: many chunks, an odd tail */
	TINY_RCVBUF = 4096,
	LINE_LIMIT = 1024,      /* the servers' MAX_LINE */
	OPT_STEP = 256, OPT_SEED, OPT_ROOT, OPT_PID, OPT_KIND, OPT_HELP,
};

static const char CAT_FILE[] = "soak-cat";

/* ---- types -------------------------------------------------------------- */

enum kind { ECHO, COMMANDS, BYTEWISE, OVERLONG, LIMIT, HALFCLOSE_RESET, RESET,
	    TINYCAT, NOREAD, VANISH, KINDS };

static const char *const kind_names[KINDS] = {
	"echo", "commands", "bytewise", "overlong", "limit", "halfclose-reset",
	"reset", "tinycat", "noread", "vanish",
};

/* How often each kind is picked, and from which step on. */
static const struct { unsigned weight, since; } kind_mix[KINDS] = {
	[ECHO] = { 3, 3 }, [COMMANDS] = { 4, 3 }, [BYTEWISE] = { 1, 3 },
	[OVERLONG] = { 1, 3 }, [LIMIT] = { 1, 3 }, [HALFCLOSE_RESET] = { 1, 3 },
	[RESET] = { 2, 3 }, [TINYCAT] = { 2, 4 }, [NOREAD] = { 1, 3 },
	[VANISH] = { 3, 3 },
};

/* One reply the session waits for. EXACT: these bytes (REPEAT: over and over,
 * as from `yes`); LINE: a line that starts with TEXT; CAT: LEN bytes of the
 * /cat file. */
enum expect_type { EXACT, REPEAT, LINE, CAT };
struct expect {
	enum expect_type type;
	char *text;
	size_t len;
};

/* How a session ends, once everything is sent. */
enum ending {
	END_EOF,        /* shutdown(SHUT_WR); every reply, then the server's EOF */
	END_RESET,      /* a reset (SO_LINGER 0) once RESET_AFTER bytes came back */
	END_LEAVE,      /* close() or a reset after DELAY ms, whatever is pending */
	END_FLOOD,      /* keep sending OUT for DELAY ms without reading, close */
};

enum pace { ALL_AT_ONCE, CHUNKS, ONE_BYTE };

struct client {
	char *out;              /* what the session sends */
	size_t out_len, out_off;
	size_t read_max;        /* bytes per recv(): tinycat reads slowly */
	struct expect expects[MAX_EXPECT];
	size_t n_expect, cur, pos;
	size_t received, reset_after;
	unsigned long session;
	uint64_t start_at;      /* ms: when the next session starts */
	uint64_t send_at;       /* ms: ONE_BYTE's next send */
	uint64_t read_at;       /* ms: tinycat's next recv() */
	uint64_t delay_ms, started_at_ms, sent_all_at, progress_at, flood_until;
	int id, fd, rcvbuf;
	enum kind kind;
	enum pace pace;
	enum ending ending;
	bool running, shut, send_failed, noread, abrupt;
	bool unchecked;         /* reads what comes, expects nothing in particular */
	bool half_close;        /* shutdown(SHUT_WR) once all is sent, whatever the ending */
};

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
static uint64_t rng;
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
		"  --pid PID    the server's pid, for SIGUSR1 storms (06+)\n"
		"  --kind KIND  only sessions of this kind (echo, commands, ...: see above)\n"
		"  --help       show this help\n", prog);
	exit(status);
}

static void number_arg(const char *name, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	if (!parse_uint(optarg, min, max, out)) {
		fprintf(stderr, "%s: bad %s '%s' (want %lu..%lu)\n", prog, name, optarg, min, max);
		usage(stderr, 2);
	}
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
		case 'p': number_arg("port", 1, 65535, &opt.port); break;
		case 'c': number_arg("client count", 1, MAX_CLIENTS, &opt.clients); break;
		case 'd': number_arg("duration", 0, 86400, &opt.seconds); break;
		case OPT_STEP: number_arg("step", 3, 8, &opt.step); break;
		case OPT_SEED: number_arg("seed", 0, ULONG_MAX, &seed); seeded = true; break;
		case OPT_ROOT: opt.root = optarg; break;
		case OPT_PID: number_arg("pid", 1, INT_MAX, &opt.pid); break;
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

/* splitmix64: a small generator that any seed, 0 included, starts well. */
static uint64_t next_random(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [LO, HI]. */
static size_t pick(size_t lo, size_t hi)
{
	return lo + (size_t)(next_random() % (hi - lo + 1));
}

static bool chance(unsigned percent)
{
	return pick(1, 100) <= percent;
}

/* Byte I of the /cat file: every byte value, so that /cat must be binary-safe. */
static unsigned char cat_byte(size_t i)
{
	return (unsigned char)(mix32((uint32_t)i) & 0xff);
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

/* ---- building a session ------------------------------------------------- */

static void out_add(struct client *c, const char *buf, size_t len)
{
	char *grown = realloc(c->out, c->out_len + len);
	if (grown == NULL)
		die("out of memory");
	memcpy(grown + c->out_len, buf, len);
	c->out = grown;
	c->out_len += len;
}

static void expect_add(struct client *c, enum expect_type type, const char *text, size_t len)
{
	if (c->n_expect == MAX_EXPECT)
		return;         /* builders stay far below; a cap keeps it safe */
	struct expect *e = &c->expects[c->n_expect++];
	e->type = type;
	e->len = len;
	e->text = NULL;
	if (text != NULL) {
		if ((e->text = malloc(len)) == NULL)
			die("out of memory");
		memcpy(e->text, text, len);
	}
}

/* Sends LINE plus a newline (sometimes \r\n, as telnet does) and waits for REPLY
 * (EXACT, with its newline added) or, with TYPE LINE, a line starting with it. */
static void ask(struct client *c, const char *line, enum expect_type type, const char *reply)
{
	out_add(c, line, strlen(line));
	if (chance(20))
		out_add(c, "\r\n", 2);
	else
		out_add(c, "\n", 1);
	if (type == LINE) {
		expect_add(c, LINE, reply, strlen(reply));
	} else {
		char buf[LINE_LIMIT + 64];
		int n = snprintf(buf, sizeof buf, "%s\n", reply);
		expect_add(c, EXACT, buf, (size_t)n);
	}
}

/* A data line of LEN bytes ('\n' included), echoed as it is: any byte but '\n',
 * and never '/' first, which would make it a command. */
static void echo_line(struct client *c, size_t len)
{
	unsigned char *line = malloc(len);
	if (line == NULL)
		die("out of memory");
	bool text = chance(50);
	for (size_t i = 0; i + 1 < len; i++) {
		unsigned char b = (unsigned char)(text ? pick(' ', '~') : next_random() & 0xff);
		line[i] = b == '\n' ? ' ' : b;
	}
	if (len > 1 && line[0] == '/')
		line[0] = '.';
	line[len - 1] = '\n';
	out_add(c, (char *)line, len);
	expect_add(c, EXACT, (char *)line, len);
	free(line);
}

static void ask_cat(struct client *c)
{
	char header[32];
	int n = snprintf(header, sizeof header, "file %d\n", CAT_SIZE);
	out_add(c, "/cat ", 5);
	out_add(c, CAT_FILE, strlen(CAT_FILE));
	out_add(c, "\n", 1);
	expect_add(c, EXACT, header, (size_t)n);
	expect_add(c, CAT, NULL, CAT_SIZE);
}

/* One command of the step's protocol, valid or not, with its reply. */
static void random_command(struct client *c)
{
	char line[128], reply[192];
	size_t n = pick(0, 100);
	switch (pick(0, opt.step >= 8 ? 17 : opt.step >= 7 ? 13 : opt.step >= 4 ? 9 : 4)) {
	case 0: ask(c, "/stats", LINE, "stats ticks="); break;
	case 1: ask(c, "/help", LINE, "commands: /help /quit /sleep /stats"); break;
	case 2:
		snprintf(line, sizeof line, "/sleep %zu", n * 3);
		snprintf(reply, sizeof reply, "slept %zu ms", n * 3);
		ask(c, line, EXACT, reply);
		break;
	case 3: {
		const char *arg = chance(50) ? "-1" : "3600001";
		snprintf(line, sizeof line, "/sleep %s", arg);
		snprintf(reply, sizeof reply, "error: sleep: bad duration '%s' (0 to 3600000 ms)", arg);
		ask(c, line, EXACT, reply);
		break;
	}
	case 4:
		snprintf(line, sizeof line, "/%s", chance(50) ? "frobnicate" : "");
		snprintf(reply, sizeof reply, "error: %s: unknown command (try /help)", line);
		ask(c, line, EXACT, reply);
		break;
	case 5:
		snprintf(line, sizeof line, "/work %zu", n * 2);
		snprintf(reply, sizeof reply, "worked %zu ms, queued ", n * 2);
		ask(c, line, LINE, reply);
		break;
	case 6: ask(c, "/work soon", EXACT, "error: work: bad duration 'soon' (0 to 60000 ms)"); break;
	case 7: ask(c, "/block 2", EXACT, "blocked the loop for 2 ms"); break;
	case 8: ask_cat(c); break;
	case 9: {
		const char *path = chance(50) ? "no-such-file" : "../etc/passwd";
		snprintf(line, sizeof line, "/cat %s", path);
		snprintf(reply, sizeof reply, "error: cat %s: ", path);
		ask(c, line, LINE, reply);
		break;
	}
	case 10:
		snprintf(line, sizeof line, "/run echo soak %zu", n);
		snprintf(reply, sizeof reply, "soak %zu\nexit 0", n);
		ask(c, line, EXACT, reply);
		break;
	case 11: ask(c, "/run false", EXACT, "exit 1"); break;
	case 12: ask(c, "/run rm -rf x", EXACT,
		     "error: run rm: not allowed (start the server with --allow rm)"); break;
	/* A grandchild that outlives its parent and holds the output pipe: the
	 * reply waits for it. (A tab, not a space: /run splits on spaces.) */
	case 13: ask(c, "/run sh -c sleep\t0.2&", EXACT, "exit 0"); break;
	case 14: ask(c, "/lookup localhost", LINE, "lookup localhost "); break;
	case 15: ask(c, "/lookup 127.0.0.1", EXACT, "lookup 127.0.0.1 127.0.0.1"); break;
	case 16:
		if (chance(50))
			ask(c, "/resolve a.test", EXACT, "resolve a.test 10.0.0.1");
		else
			ask(c, "/resolve nx.test", EXACT, "error: resolve nx.test: NXDOMAIN");
		break;
	default: ask(c, "/resolve 10.9.9.9", EXACT, "resolve 10.9.9.9 10.9.9.9"); break;
	}
}

/* Commands and data lines mixed, ended by EOF or /quit. */
static void build_conversation(struct client *c)
{
	for (size_t i = pick(1, 8); i > 0; i--) {
		if (chance(25))
			echo_line(c, pick(1, 200));
		else
			random_command(c);
	}
	if (chance(30))
		ask(c, "/quit", EXACT, "bye");
}

/* Something that keeps the server busy on this connection's behalf, for a
 * client that is about to leave. An hour's /sleep only for a client that
 * leaves with a reset: after a plain close() (a FIN) the server cannot know
 * the client is gone rather than half-closed, so it rightly keeps the
 * connection until the reply it owes is sent. */
static void in_flight(struct client *c)
{
	static const char *const busy[] = {
		"/sleep 3600000", "/sleep 150", "/work 300", "/cat soak-cat", "/run yes",
		"/run sh -c sleep\t2&", "/resolve a.test", "/lookup localhost",
	};
	size_t last = opt.step >= 8 ? 7 : opt.step >= 7 ? 5 : opt.step >= 4 ? 3 : 1;
	const char *line = busy[pick(c->abrupt ? 0 : 1, last)];
	out_add(c, line, strlen(line));
	out_add(c, "\n", 1);
}

static void build_session(struct client *c)
{
	c->pace = chance(50) ? ALL_AT_ONCE : CHUNKS;
	c->ending = END_EOF;
	c->read_max = 64 * 1024;
	switch (c->kind) {
	case ECHO:
		for (size_t i = pick(1, 4); i > 0; i--)
			echo_line(c, pick(1, chance(70) ? 4096 : 256 * 1024));
		break;
	case COMMANDS:
		build_conversation(c);
		break;
	case BYTEWISE:
		c->pace = ONE_BYTE;
		build_conversation(c);
		break;
	case OVERLONG: {
		/* Past the limit: the error, then the server closes, however much
		 * more the client had sent. */
		if (chance(50))
			random_command(c);
		size_t len = pick(LINE_LIMIT + 1, 8192);
		char *line = malloc(len + 1);
		if (line == NULL)
			die("out of memory");
		memset(line, 'x', len);
		line[0] = '/';
		line[len] = '\n';
		out_add(c, line, len + 1);
		free(line);
		char reply[64];
		int n = snprintf(reply, sizeof reply, "error: command too long (max %d bytes)\n",
				 LINE_LIMIT);
		expect_add(c, EXACT, reply, (size_t)n);
		if (chance(60)) {
			char junk[4096];
			memset(junk, 'j', sizeof junk);
			for (size_t i = pick(1, 16); i > 0; i--)
				out_add(c, junk, sizeof junk);
		}
		break;
	}
	case LIMIT: {
		/* Exactly LINE_LIMIT bytes of command, then \r\n: a valid /sleep. */
		char line[LINE_LIMIT + 1];
		memset(line, ' ', LINE_LIMIT);
		memcpy(line, "/sleep", 6);
		line[LINE_LIMIT - 1] = '7';
		line[LINE_LIMIT] = '\0';
		out_add(c, line, LINE_LIMIT);
		out_add(c, "\r\n", 2);
		expect_add(c, EXACT, "slept 7 ms\n", 11);
		break;
	}
	case HALFCLOSE_RESET:
		c->abrupt = true;
		out_add(c, "hello\n", 6);
		in_flight(c);
		c->noread = true;
		c->half_close = true;
		c->ending = END_LEAVE;
		c->delay_ms = pick(0, 100);
		break;
	case RESET:
		if (opt.step >= 4 && chance(50))
			ask_cat(c);
		else if (opt.step >= 7 && chance(30)) {
			out_add(c, "/run yes\n", 9);
			expect_add(c, REPEAT, "y\n", 2);
		} else {
			echo_line(c, pick(64 * 1024, 1024 * 1024));
		}
		c->ending = END_RESET;
		c->reset_after = pick(1, 256 * 1024);
		break;
	case TINYCAT:
		c->rcvbuf = TINY_RCVBUF;
		c->read_max = pick(1024, 4096);
		for (size_t i = pick(1, 2); i > 0; i--)
			ask_cat(c);
		if (chance(50)) {
			c->ending = END_RESET;
			c->reset_after = pick(0, CAT_SIZE);
		}
		break;
	case NOREAD: {
		/* Commands whose replies nobody reads: the server must stop taking
		 * them, as it stops taking echo, or its memory grows without bound. */
		const char *cmd = chance(50) ? "/stats\n" : "/help\n";
		for (size_t i = 0; i < 4096; i++)
			out_add(c, cmd, strlen(cmd));
		c->noread = true;
		c->rcvbuf = TINY_RCVBUF;        /* the kernel holds little for us */
		c->ending = END_FLOOD;
		c->delay_ms = pick(100, 1500);
		break;
	}
	default: /* VANISH */
		c->abrupt = chance(50);
		switch (pick(0, 3)) {
		case 0: break;                                  /* connect, close */
		case 1: out_add(c, "/sle", 4); break;           /* mid-command */
		case 2: echo_line(c, pick(1, 100000)); break;     /* unread echo */
		default: in_flight(c); break;
		}
		for (size_t i = 0; i < c->n_expect; i++)
			free(c->expects[i].text);
		c->n_expect = 0;
		c->noread = chance(50);
		c->unchecked = !c->noread;      /* reads, and checks nothing */
		c->ending = END_LEAVE;
		c->delay_ms = pick(0, 300);
		break;
	}
}

/* ---- a session's life --------------------------------------------------- */

static enum kind pick_kind(void)
{
	if (opt.kind >= 0)
		return (enum kind)opt.kind;
	unsigned total = 0;
	for (int k = 0; k < KINDS; k++)
		total += kind_mix[k].since <= opt.step ? kind_mix[k].weight : 0;
	size_t r = pick(1, total);
	for (int k = 0; k < KINDS; k++) {
		unsigned w = kind_mix[k].since <= opt.step ? kind_mix[k].weight : 0;
		if (r <= w)
			return (enum kind)k;
		r -= w;
	}
	return ECHO;
}

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
	c->kind = pick_kind();
	sessions[c->kind]++;
	build_session(c);
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
 * still pending, and the server must take the storm and still hear SIGTERM. */
static void signal_storm(void)
{
	for (size_t n = pick(1, 3000); n > 0; n--) {
		if (kill((pid_t)opt.pid, SIGUSR1) != 0) {
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
	rng = opt.seed;
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
