/*
 * commands.c — the protocol's commands: a table of names, one function each.
 *
 * A command either answers at once (/help, /stats) or starts something and
 * answers later from a callback (/sleep: a timer; /work and /cat: a job on the
 * thread pool). In between, its connection is busy: conn_busy() stops reading
 * it, conn_done() carries on. /block is the counter-example: it answers at once
 * because it never lets the loop go, and everyone else waits.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "commands.c needs Linux"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop.h"
#include "server.h"
#include "trace_events.h"

/* ---- constants ---------------------------------------------------------- */

enum {
	MAX_SLEEP_MS = 3600000,
	MAX_BLOCK_MS = 10000,
	MAX_WORK_MS = 60000,
};

/* ---- types -------------------------------------------------------------- */

struct command {
	const char *name;
	void (*run)(struct conn *c, const char *args);
};

/* /work MS: a job that sleeps on a pool thread, standing in for any blocking
 * call (a disk read, a compression, a crypto hash). */
struct work_req {
	struct request req;
	uint64_t ms;
	char what[32];          /* "/work MS": the job's name in a trace */
};

/* ---- helpers ------------------------------------------------------------ */

/* Parses a whole decimal number in [0, MAX]. */
static bool parse_ms(const char *s, unsigned long max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v > max)
		return false;
	*out = v;
	return true;
}

void stats_line(char *buf, size_t size)
{
	uint64_t now = loop_now(&loop);
	struct pool_stats ps;
	pool_get_stats(&ps);
	snprintf(buf, size,
		 "stats ticks=%lu uptime_ms=%llu idle_ms=%llu conns=%lu handles=%u refs=%u"
		 " timers=%zu lag_ms=%llu max_busy_ms=%llu utilization=%.3f"
		 " pool_threads=%u pool_queued=%u pool_running=%u"
		 " pool_done=%lu async_sends=%lu wakeups=%lu",
		 loop.ticks, (unsigned long long)(now - loop.start_ms),
		 (unsigned long long)loop_idle_ms(&loop), conn_count, loop.active_handles,
		 loop.active_refs, loop.heap_len, (unsigned long long)loop.lag_ms,
		 (unsigned long long)loop_max_busy_ms(&loop), loop_utilization(&loop),
		 ps.threads, ps.queued, ps.running, ps.done,
		 atomic_load(&loop.async_sends), loop.wakeups);
}

/* ---- the commands ------------------------------------------------------- */

static void cmd_help(struct conn *c, const char *args);

static void cmd_quit(struct conn *c, const char *args)
{
	(void)args;
	conn_quit(c, "bye");
}

/* /sleep MS: a timer, so the loop serves everyone else meanwhile. The reply
 * comes from command_timer(). */
static void cmd_sleep(struct conn *c, const char *args)
{
	if (!parse_ms(args, MAX_SLEEP_MS, &c->sleep_ms)) {
		conn_reply(c, "error: sleep: bad duration '%s' (0 to %d ms)", args, MAX_SLEEP_MS);
		return;
	}
	conn_busy(c);
	timer_start(&c->timer, c->sleep_ms, 0);
}

void command_timer(struct conn *c)
{
	conn_reply(c, "slept %llu ms", (unsigned long long)c->sleep_ms);
	conn_done(c);
}

/* /block MS: the bad addon. It spins on the loop thread, so for MS ms no other
 * connection gets a byte: this is what "don't block the event loop" means. */
static void cmd_block(struct conn *c, const char *args)
{
	uint64_t ms;
	if (!parse_ms(args, MAX_BLOCK_MS, &ms)) {
		conn_reply(c, "error: block: bad duration '%s' (0 to %d ms)", args, MAX_BLOCK_MS);
		return;
	}
	/* One ms more: the clock counts whole ms, so "+ ms" could end the spin
	 * up to 1 ms short. */
	uint64_t until = loop_clock_ms() + ms + 1;
	while (loop_clock_ms() < until)
		;
	conn_reply(c, "blocked the loop for %llu ms", (unsigned long long)ms);
}

static void work_sleep(struct work *w)
{
	struct work_req *r = (struct work_req *)w;
	struct timespec ts = { (time_t)(r->ms / 1000), (long)(r->ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void work_done(struct work *w)
{
	struct work_req *r = (struct work_req *)w;
	struct conn *c = r->req.conn;
	if (c != NULL) {
		c->req = NULL;
		conn_reply(c, "worked %llu ms, queued %llu ms", (unsigned long long)r->ms,
			   (unsigned long long)(w->started_ms - w->queued_ms));
		conn_done(c);
	}
	free(r);
}

/* /work MS: the loop stays free while a pool thread waits. */
static void cmd_work(struct conn *c, const char *args)
{
	uint64_t ms;
	if (!parse_ms(args, MAX_WORK_MS, &ms)) {
		conn_reply(c, "error: work: bad duration '%s' (0 to %d ms)", args, MAX_WORK_MS);
		return;
	}
	struct work_req *r = calloc(1, sizeof *r);
	if (r == NULL) {
		conn_reply(c, "error: work: out of memory");
		return;
	}
	r->ms = ms;
	r->req.conn = c;
	snprintf(r->what, sizeof r->what, "/work %llu", (unsigned long long)ms);
	r->req.work.what = r->what;
	if (pool_submit(&loop, &r->req.work, work_sleep, work_done) != 0) {
		conn_reply(c, "error: work: cannot start the thread pool: %s", strerror(errno));
		free(r);
		return;
	}
	c->req = &r->req;
	conn_busy(c);
}

static void cmd_stats(struct conn *c, const char *args)
{
	char line[512];
	(void)args;
	stats_line(line, sizeof line);
	conn_reply(c, "%s", line);
}

static const struct command commands[] = {
	{ "help", cmd_help },
	{ "quit", cmd_quit },
	{ "sleep", cmd_sleep },
	{ "stats", cmd_stats },
	{ "block", cmd_block },
	{ "work", cmd_work },
	{ "cat", command_cat },     /* in cat.c */
};

static void cmd_help(struct conn *c, const char *args)
{
	char list[256] = "";
	(void)args;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		strcat(list, " /");
		strcat(list, commands[i].name);
	}
	conn_reply(c, "commands:%s", list);
}

/* ---- dispatch ----------------------------------------------------------- */

void command_run(struct conn *c, char *line)
{
	if (c->io.h.loop->trace_events)
		trace_command(line);            /* before the line is cut up */
	char *name = line + 1;                  /* skip the '/' */
	char *args = name + strcspn(name, " ");
	if (*args != '\0')
		*args++ = '\0';
	args += strspn(args, " ");

	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(name, commands[i].name) == 0) {
			commands[i].run(c, args);
			return;
		}
	}
	conn_reply(c, "error: /%s: unknown command (try /help)", name);
}
