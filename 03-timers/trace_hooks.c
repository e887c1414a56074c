/*
 * trace_hooks.c — what each kind of handle records for --trace-events: io
 * watchers. The library calls these only while it records (l->trace_events
 * set), each on the thread where the event happens.
 */
#define _GNU_SOURCE

#include "trace_events.h"

#include <stdio.h>

#include "loop.h"

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
