/*
 * trace_events.h — the recorder behind --trace-events FILE: the run written as a
 * Chrome Trace Event file, the JSON that `node --trace-event-categories` writes
 * and that Perfetto, Chrome's DevTools and speedscope open. TRACE.md at the top
 * of the kit is the file's contract: what each event is and what it is named.
 *
 * Events are buffered and written when the buffer fills or when the loop is
 * about to sleep (trace_poll_start), so a busy loop makes large writes and an
 * idle one leaves the file up to date. Off, recording costs the loop one
 * branch on a NULL pointer per hook.
 */
#ifndef TRACE_EVENTS_H
#define TRACE_EVENTS_H

#include <stdint.h>

struct trace_events;

/* One event. ts and dur are in ns of CLOCK_MONOTONIC (trace_events_now());
 * ph is the Trace Event phase: 'X' a slice, 'i' an instant. */
struct trace_event {
	char ph;
	const char *cat;
	const char *name;        /* any bytes: escaped on the way out */
	uint64_t ts, dur;
	const char *args;        /* JSON members, e.g. "\"tick\":3", or NULL */
};

/* Creates PATH and writes the header and the process's and the calling
 * thread's ("loop") names. Recording stops, with a note on stderr and in the
 * file, before the file would pass MAX_BYTES. PROG prefixes that note; STEP
 * names the process. Returns NULL with errno set if PATH cannot be written,
 * ENODEV if it is not a regular file (a FIFO, a device): never blocks. */
struct trace_events *trace_events_open(const char *path, uint64_t max_bytes,
				       const char *prog, const char *step);
/* Writes what is buffered, closes the file, frees TE.
 * TE may be NULL (not recording): then it does nothing. */
void trace_events_close(struct trace_events *te);
/* Writes what is buffered, in one write that ends the file with "]}". */
void trace_events_flush(struct trace_events *te);
/* CLOCK_MONOTONIC in ns: the clock of every ts. */
uint64_t trace_events_now(void);
/* Records EV, made by the calling thread. */
void trace_events_add(struct trace_events *te, const struct trace_event *ev);

/* ---- the loop's hooks: called only while recording ---------------------- */

/* A slice (ph 'X') named NAME from START to now. */
void trace_slice(struct trace_events *te, const char *cat, const char *name,
		 uint64_t start, const char *args);
/* Called just before the poll: writes what is buffered if the loop may sleep
 * (TIMEOUT != 0), and returns the poll's start for trace_poll(). */
uint64_t trace_poll_start(struct trace_events *te, int timeout);
/* The poll of tick TICK, from START to now: TIMEOUT and WHY say why it waited
 * that long, N (epoll_wait's result) what woke it. */
void trace_poll(struct trace_events *te, uint64_t start, unsigned long tick,
		int timeout, const char *why, int n);
/* EPOLLIN... as words: "readable", "hung up". */
const char *trace_events_name(uint32_t events);
#endif
