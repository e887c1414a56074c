/*
 * commands.c — the protocol's commands: a table of names, one function each.
 *
 * A command either answers at once (/help, /stats) or starts something and
 * answers later from a callback (/sleep: a timer). In between, its connection
 * is busy: conn_busy() stops reading it, conn_done() carries on.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "commands.c needs Linux"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "server.h"
#include "trace_events.h"

/* ---- constants ---------------------------------------------------------- */

enum { MAX_SLEEP_MS = 3600000 };

/* ---- types -------------------------------------------------------------- */

struct command {
	const char *name;
	void (*run)(struct conn *c, const char *args);
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
	snprintf(buf, size,
		 "stats ticks=%lu uptime_ms=%llu idle_ms=%llu conns=%lu handles=%u refs=%u"
		 " timers=%zu lag_ms=%llu max_busy_ms=%llu utilization=%.3f",
		 loop.ticks, (unsigned long long)(now - loop.start_ms),
		 (unsigned long long)loop_idle_ms(&loop), conn_count, loop.active_handles,
		 loop.active_refs, loop.heap_len, (unsigned long long)loop.lag_ms,
		 (unsigned long long)loop_max_busy_ms(&loop), loop_utilization(&loop));
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
