/*
 * trace_hooks.c — what the timers phase and each kind of handle record for
 * --trace-events: io watchers. The library calls these only while it records
 * (l->trace_events set), each on the thread where the event happens.
 */
#define _GNU_SOURCE

#include "trace_events.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"

/* ---- constants ---------------------------------------------------------- */

enum {
	CMD_MAX = 64,                   /* of a command line's bytes, in args.cmd */
	CMD_ARGS_MAX = CMD_MAX * 6 + 16,        /* "cmd":"...", escaped */
};

/* The loop thread's commands, as args members ("cmd":"/block 800"): the first
 * run by the io callback now running, which labels its slice, and the one
 * whose work is being done now (a command's, or a job's done callback's),
 * which labels the jobs it submits. */
static char io_cmd[CMD_ARGS_MAX], current_cmd[CMD_ARGS_MAX];

/* ---- the loop's phases -------------------------------------------------- */

void trace_timers(struct loop *l, void (*run)(struct loop *l))
{
	/* Every timer in the heap was started before this pass: due is enough. */
	bool fires = l->heap_len > 0 && l->heap[0]->due <= l->now;
	uint64_t start = trace_events_now();
	run(l);
	if (fires)
		trace_slice(l->trace_events, "loop", "timers", start, NULL);
}

/* ---- the io watchers' hook ---------------------------------------------- */

void trace_io(struct io *w, uint32_t events)
{
	char name[64], args[CMD_ARGS_MAX + 64];
	struct trace_events *te = w->h.loop->trace_events;
	/* Named before the callback runs: the callback may close W. */
	snprintf(name, sizeof name, "io fd %d (%s)", w->fd, w->what);
	io_cmd[0] = current_cmd[0] = '\0';
	uint64_t start = trace_events_now();
	w->cb(w, events);
	snprintf(args, sizeof args, "\"events\":\"%s\"%s%s", trace_events_name(events),
		 io_cmd[0] != '\0' ? "," : "", io_cmd);
	trace_slice(te, "io", name, start, args);
}

/* ---- commands ----------------------------------------------------------- */

void trace_command(const char *line)
{
	char cut[CMD_MAX + 1], escaped[CMD_MAX * 6 + 1];
	size_t n = strnlen(line, CMD_MAX + 1);
	if (n > CMD_MAX) {
		n = CMD_MAX;
		while (n > 0 && ((unsigned char)line[n] & 0xc0) == 0x80)
			n--;            /* not inside a UTF-8 sequence */
	}
	memcpy(cut, line, n);
	cut[n] = '\0';
	trace_events_escape(escaped, sizeof escaped, cut);
	snprintf(current_cmd, sizeof current_cmd, "\"cmd\":\"%s\"", escaped);
	if (io_cmd[0] == '\0')
		memcpy(io_cmd, current_cmd, sizeof io_cmd);
}
