/*
 * trace_hooks.c — what the timers phase and each kind of handle record for
 * --trace-events: io watchers and the pool. The library calls these only while
 * it records (l->trace_events set), each on the thread where the event
 * happens.
 */
#define _GNU_SOURCE

#include "trace_events.h"

#include <stdbool.h>
#include <stdio.h>

#include "loop.h"
#include "pool.h"

/* ---- constants ---------------------------------------------------------- */

enum { JOB_NAME_MAX = 300 };    /* "done " and a job's name, cut */

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
	char name[64], args[64];
	struct trace_events *te = w->h.loop->trace_events;
	/* Named before the callback runs: the callback may close W. */
	snprintf(name, sizeof name, "io fd %d (%s)", w->fd, w->what);
	snprintf(args, sizeof args, "\"events\":\"%s\"", trace_events_name(events));
	uint64_t start = trace_events_now();
	w->cb(w, events);
	trace_slice(te, "io", name, start, args);
}

/* ---- the pool's hooks --------------------------------------------------- */

static void flow(struct trace_events *te, char ph, uint64_t ts, uint64_t id)
{
	struct trace_event ev = { .ph = ph, .cat = "pool", .name = "job", .ts = ts, .id = id };
	trace_events_add(te, &ev);
}

static const char *job_name(const struct work *w)
{
	return w->what != NULL ? w->what : "job";
}

void trace_submit(struct work *w)
{
	struct trace_events *te = w->loop->trace_events;
	w->trace_id = trace_events_id(te);
	flow(te, 's', trace_events_now(), w->trace_id);
}

void trace_job(struct work *w)
{
	static _Thread_local bool named;
	struct trace_events *te = w->loop->trace_events;
	char args[64];
	if (!named) {
		char name[32];
		snprintf(name, sizeof name, "pool-%u", trace_events_thread_number(te));
		trace_events_name_thread(te, name);
		named = true;
	}
	uint64_t start = trace_events_now();
	flow(te, 't', start, w->trace_id);
	w->work(w);
	snprintf(args, sizeof args, "\"queued_ms\":%llu",
		 (unsigned long long)(w->started_ms - w->queued_ms));
	trace_slice(te, "pool", job_name(w), start, args);
}

void trace_done(struct work *w)
{
	struct trace_events *te = w->loop->trace_events;
	char name[JOB_NAME_MAX];
	uint64_t id = w->trace_id, start = trace_events_now();
	/* Copied first: the callback may free W. */
	snprintf(name, sizeof name, "done %s", job_name(w));
	flow(te, 'f', start, id);
	if (w->done != NULL)
		w->done(w);
	trace_slice(te, "loop", name, start, NULL);   /* the loop's work */
}
