/*
 * soak_mix.c — the chaos soak's mix: what each kind of session sends, what it
 * expects back, and how it ends; and the seeded random sequence behind it all.
 *
 * A builder fills a client's out-buffer and its list of expected replies; the
 * loop in soak.c sends one and checks the other, byte for byte. See soak.c for
 * the kinds, and the steps that decide which commands a session may use.
 */
#define _GNU_SOURCE

#include <string.h>

#include "tool.h"
#include "soak.h"

/* ---- constants ---------------------------------------------------------- */

const char *const kind_names[KINDS] = {
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

/* ---- helpers ------------------------------------------------------------ */

static uint64_t rng;
static unsigned long mix_step;  /* the step of the session being built */

void mix_seed(uint64_t seed)
{
	rng = seed;
}

/* splitmix64: a small generator that any seed, 0 included, starts well. */
static uint64_t next_random(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

size_t pick(size_t lo, size_t hi)
{
	return lo + (size_t)(next_random() % (hi - lo + 1));
}

bool chance(unsigned percent)
{
	return pick(1, 100) <= percent;
}

/* Every byte value, so that /cat must be binary-safe. */
unsigned char cat_byte(size_t i)
{
	return (unsigned char)(mix32((uint32_t)i) & 0xff);
}

enum kind mix_pick_kind(unsigned long step, int only)
{
	if (only >= 0)
		return (enum kind)only;
	unsigned total = 0;
	for (int k = 0; k < KINDS; k++)
		total += kind_mix[k].since <= step ? kind_mix[k].weight : 0;
	size_t r = pick(1, total);
	for (int k = 0; k < KINDS; k++) {
		unsigned w = kind_mix[k].since <= step ? kind_mix[k].weight : 0;
		if (r <= w)
			return (enum kind)k;
		r -= w;
	}
	return ECHO;
}

/* ---- the sessions ------------------------------------------------------- */

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

/* /resolve of a name with BIG_ANSWERS addresses: too many for a UDP reply, so
 * the answer comes truncated and the query is asked again over TCP. */
static void ask_big(struct client *c)
{
	char reply[64 + BIG_ANSWERS * 16] = "resolve big.test";
	size_t len = strlen(reply);
	for (int i = 1; i <= BIG_ANSWERS; i++)
		len += (size_t)snprintf(reply + len, sizeof reply - len, " 10.1.0.%d", i);
	ask(c, "/resolve big.test", EXACT, reply);
}

/* One command of the step's protocol, valid or not, with its reply. */
static void random_command(struct client *c)
{
	char line[128], reply[192];
	size_t n = pick(0, 100);
	switch (pick(0, mix_step >= 8 ? 17 : mix_step >= 7 ? 13 : mix_step >= 4 ? 9 : 4)) {
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
		if (chance(40))
			ask(c, "/resolve a.test", EXACT, "resolve a.test 10.0.0.1");
		else if (chance(50))
			ask(c, "/resolve nx.test", EXACT, "error: resolve nx.test: NXDOMAIN");
		else
			ask_big(c);
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
 * client that is about to leave. The long ones (an hour's /sleep, a grandchild
 * that holds /run's pipes for 30 s) only for a client that leaves with a
 * reset: after a plain close() (a FIN) the server cannot know the client is
 * gone rather than half-closed, so it rightly keeps the connection until the
 * reply it owes is sent. */
static void in_flight(struct client *c)
{
	static const char *const busy[] = {
		"/sleep 150", "/work 300", "/cat soak-cat" /* CAT_FILE */, "/run yes",
		"/run sh -c sleep\t2&", "/resolve a.test", "/lookup localhost", "/resolve big.test",
	};
	static const char *const long_busy[] = { "/sleep 3600000", "/run sh -c sleep\t30&" };
	const char *line;
	if (c->abrupt && chance(40))
		line = long_busy[pick(0, mix_step >= 7 ? 1 : 0)];
	else
		line = busy[pick(0, mix_step >= 8 ? 7 : mix_step >= 7 ? 4 : mix_step >= 4 ? 2 : 0)];
	out_add(c, line, strlen(line));
	out_add(c, "\n", 1);
}

void mix_build_session(struct client *c, unsigned long step)
{
	mix_step = step;
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
		if (mix_step >= 4 && chance(50))
			ask_cat(c);
		else if (mix_step >= 7 && chance(30)) {
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
		 * them, as it stops taking echo, or its memory grows without bound.
		 * The /sleep first lets them pile up, so that the server's next
		 * read is a full one: thousands of commands at once. */
		const char *cmd = chance(50) ? "/stats\n" : "/help\n";
		out_add(c, "/sleep 50\n", 10);
		for (size_t i = 0; i < 16384; i++)
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

