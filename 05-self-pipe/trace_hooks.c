/*
 * trace_hooks.c — what the timers phase and each kind of handle record for
 * --trace-events: io watchers, the pool and async handles. The library calls
 * these only while it records (l->trace_events set), each on the thread where
 * the event happens.
 */
#define _GNU_SOURCE

#include "trace_events.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>

#include "loop.h"
#include "pool.h"

/* ---- constants ---------------------------------------------------------- */

enum {
	JOB_NAME_MAX = 300,             /* "complete " and a job's name, cut */
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

/* ---- the pool's hooks --------------------------------------------------- */

static void flow(struct trace_events *te, char ph, uint64_t ts, uint64_t id)
{
	struct trace_event ev = { .ph = ph, .cat = "pool", .name = "job", .ts = ts, .id = id };
	trace_events_add(te, &ev);
}

/* A flow event at the start of a short slice of the flow's own category,
 * where a viewer can bind it: Chromium's DevTools binds a flow event only to
 * a slice with the same pid, tid, ts and cat, Perfetto to the slice around
 * it. The callers' slices are of other categories (io, loop). */
static uint64_t flow_marked(struct trace_events *te, char ph, uint64_t id, const char *what,
			    const char *name)
{
	char slice[JOB_NAME_MAX];
	uint64_t ts = trace_events_now();
	flow(te, ph, ts, id);
	snprintf(slice, sizeof slice, "%s %s", what, name);
	trace_slice(te, "pool", slice, ts, NULL);
	return ts;
}

/* A send's flow id: its number, past the pool's ids (a different flow in a
 * viewer needs a different id). */
static uint64_t send_id(unsigned long n)
{
	return (1ULL << 40) + n;
}

static const char *job_name(const struct work *w)
{
	return w->what != NULL ? w->what : "job";
}

void trace_submit(struct work *w)
{
	struct trace_events *te = w->loop->trace_events;
	w->trace_id = trace_events_id(te);
	w->trace_cmd = current_cmd[0] != '\0' ? strdup(current_cmd) : NULL;
	flow_marked(te, 's', w->trace_id, "submit", job_name(w));
}

void trace_job(struct work *w)
{
	static _Thread_local bool named;
	struct trace_events *te = w->loop->trace_events;
	char args[CMD_ARGS_MAX + 64];
	if (!named) {
		char name[32];
		snprintf(name, sizeof name, "pool-%u", trace_events_thread_number(te));
		trace_events_name_thread(te, name);
		named = true;
	}
	uint64_t start = trace_events_now();
	flow(te, 't', start, w->trace_id);
	w->work(w);
	snprintf(args, sizeof args, "\"queued_ms\":%llu%s%s",
		 (unsigned long long)(w->started_ms - w->queued_ms),
		 w->trace_cmd != NULL ? "," : "", w->trace_cmd != NULL ? w->trace_cmd : "");
	trace_slice(te, "pool", job_name(w), start, args);
}

void trace_done(struct work *w)
{
	struct trace_events *te = w->loop->trace_events;
	char name[JOB_NAME_MAX];
	char saved[CMD_ARGS_MAX], *cmd = w->trace_cmd;
	/* Named first: the callback may free W. */
	snprintf(name, sizeof name, "done %s", job_name(w));
	uint64_t start = flow_marked(te, 'f', w->trace_id, "complete", job_name(w));
	/* What the callback submits (the next /cat chunk) is the command's too. */
	memcpy(saved, current_cmd, sizeof saved);
	snprintf(current_cmd, sizeof current_cmd, "%s", cmd != NULL ? cmd : "");
	if (w->done != NULL)
		w->done(w);
	memcpy(current_cmd, saved, sizeof current_cmd);
	trace_slice(te, "loop", name, start, cmd);   /* the loop's work */
	free(cmd);
}

/* ---- the async handles' hooks ------------------------------------------- */

/* The time is read before the send is counted: the wake-up that sees the
 * count reads its time later, so no arrow can point back in time. */
void trace_async_send(struct async *a)
{
	struct trace_events *te = a->h.loop->trace_events;
	uint64_t ts = trace_events_now();
	unsigned long n = atomic_fetch_add(&a->traced_sends, 1) + 1;
	struct trace_event ev = { .ph = 'i', .cat = "async", .name = "async_send", .ts = ts };
	trace_events_add(te, &ev);
	ev = (struct trace_event){ .ph = 's', .cat = "async", .name = "wakeup", .ts = ts,
				   .id = send_id(n) };
	trace_events_add(te, &ev);
	trace_slice(te, "async", "async_send", ts, NULL);   /* for the arrow: see flow_marked() */
}

void trace_wakeup(struct async *a)
{
	struct trace_events *te = a->h.loop->trace_events;
	unsigned long sent = atomic_load(&a->traced_sends), woken = a->traced_woken;
	uint64_t ts = trace_events_now();
	char args[48];
	for (; a->traced_woken < sent; a->traced_woken++) {
		struct trace_event ev = { .ph = 'f', .cat = "async", .name = "wakeup", .ts = ts,
					  .id = send_id(a->traced_woken + 1) };
		trace_events_add(te, &ev);
	}
	snprintf(args, sizeof args, "\"sends\":%lu", sent - woken);
	trace_slice(te, "async", "wakeup", ts, args);   /* for the arrows: see flow_marked() */
}
