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

#include <stddef.h>
#include <stdint.h>

struct io;
struct loop;
struct work;
struct async;
struct trace_events;

/* One event. ts and dur are in ns of CLOCK_MONOTONIC (trace_events_now());
 * ph is the Trace Event phase: 'X' a slice, 'i' an instant, 's' 't' 'f' the
 * start, a step and the finish of a flow (an arrow from thread to thread). */
struct trace_event {
	char ph;
	const char *cat;
	const char *name;        /* any bytes: escaped on the way out */
	uint64_t ts, dur;
	uint64_t id;             /* a flow's: the same for all its events */
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
/* Writes what is buffered, in one write that ends the file with "]}".
 * TE may be NULL: then it does nothing. */
void trace_events_flush(struct trace_events *te);
/* CLOCK_MONOTONIC in ns: the clock of every ts. */
uint64_t trace_events_now(void);
/* S as the inside of a JSON string, as names are written (escaped, bytes past
 * ASCII as '?'), into OUT of SIZE bytes, terminated: for a hook's args. */
void trace_events_escape(char *out, size_t size, const char *s);
/* Records EV, made by the calling thread. Any thread may call it. */
void trace_events_add(struct trace_events *te, const struct trace_event *ev);
/* Names the calling thread's track NAME (a thread_name metadata event). */
void trace_events_name_thread(struct trace_events *te, const char *name);
/* 1, 2, 3...: a number for the next pool thread to name itself. */
unsigned trace_events_thread_number(struct trace_events *te);
/* A new id for a flow: 1, 2, 3... */
uint64_t trace_events_id(struct trace_events *te);

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
/* ---- in trace_hooks.c ------------------------------------------------------ */

/* Runs W's callback for EVENTS inside a slice named for its fd: "io fd 7 (conn)". */
void trace_io(struct io *w, uint32_t events);
/* On the loop thread, as a client's command LINE starts: the io slice it runs
 * in (the first command, when one read brought several) and the pool jobs it
 * submits get "cmd":LINE in their args, cut at 64 bytes. */
void trace_command(const char *line);
/* On the loop thread: RUN(L), the timers phase, inside a slice when it fires
 * a timer (most ticks fire none). */
void trace_timers(struct loop *l, void (*run)(struct loop *l));

/* ---- the pool's hooks: called only while recording ---------------------- */

/* On the loop thread, as W is queued: a flow starts, and W gets its id. */
void trace_submit(struct work *w);
/* On a pool thread: runs W's work inside a slice named for the job, where
 * W's flow passes. Names the thread "pool-N", N = 1, 2... in the order the
 * threads ran their first job. */
void trace_job(struct work *w);
/* On the loop thread: runs W's done callback inside a slice, where W's flow ends. */
void trace_done(struct work *w);

/* ---- the async handles' hooks ------------------------------------------- */

/* On the thread about to call async_send(A): an instant, and a flow that
 * trace_wakeup() ends. Not inside async_send(): a signal handler may call
 * that, and must not take the recorder's lock. */
void trace_async_send(struct async *a);
/* On the loop thread, in A's callback: ends the flow of every send recorded
 * since the last wake-up, however many they were. */
void trace_wakeup(struct async *a);

/* ---- the signal handles' hooks ------------------------------------------ */

/* On the loop thread, as SIGNUM is read from the signal pipe: an instant. */
void trace_signal(struct loop *l, int signum);

#endif
