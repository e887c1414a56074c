/*
 * trace_hooks.c — what the timers phase and each kind of handle record for
 * --trace-events: io watchers. The library calls these only while it records
 * (l->trace_events set), each on the thread where the event happens.
 */
#define _GNU_SOURCE

#include "trace_events.h"

#include <stdbool.h>
#include <stdio.h>

#include "loop.h"

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
