/*
 * tools/trace.h — a `--trace-events` file (Chrome Trace Event format, JSON
 * object form) read into what tools/timeline draws: per thread, its slices and
 * instants; the flows between threads; the async spans (children, DNS queries).
 *
 * It reads exactly the events the kit's servers write (each step's trace_events.c):
 * "X" slices, "i" instants, "s"/"t"/"f" flows, "b"/"n"/"e" async spans and "M"
 * thread names; anything else is counted and ignored.
 */
#ifndef TRACE_H
#define TRACE_H

#include <stddef.h>
#include <stdint.h>

/* What a mark is, which decides its lane, colour and legend entry. */
enum trace_kind {
	K_POLL,         /* the loop waiting in epoll_wait() */
	K_TIMERS,       /* the timers phase */
	K_IO,           /* one I/O callback */
	K_CLOSE,        /* close callbacks */
	K_DONE,         /* a pool job's done callback, on the loop */
	K_LOOP_OTHER,   /* any other slice on the loop thread */
	K_JOB,          /* a pool job */
	K_QUEUED,       /* a pool job's wait in the queue (drawn, never read) */
	K_ASYNC,        /* an async_send() instant */
	K_SIGNAL,       /* a signal delivered to the loop */
	K_CHILD,        /* a child process, spawn to reap */
	K_DNS,          /* a /resolve query, send to answer */
	K_NKINDS
};

/* Times are in microseconds, as in the file. Names are offsets into
 * trace.strings. */
struct trace_slice {
	double ts, dur;
	double queued_ms;       /* a pool job's queue wait; < 0 when not given */
	uint32_t name;
	uint32_t cmd;           /* what the client asked ("/block 800"), or 0 */
	enum trace_kind kind;
};

struct trace_instant {
	double ts;
	uint32_t name;
	enum trace_kind kind;
	size_t owner;           /* a note's span, an index into trace.spans */
};

enum trace_flow_cat { FLOW_POOL, FLOW_ASYNC };

struct trace_flow {
	double ts;
	uint64_t id;
	size_t thread;          /* index into trace.threads */
	char ph;                /* 's', 't' or 'f' */
	enum trace_flow_cat cat;
};

struct trace_span {
	double ts, end;         /* end < 0: never ended (still running at the end) */
	uint64_t id;
	uint32_t name, outcome; /* outcome: "exit 0", "SIGTERM"; 0 = none */
	enum trace_kind kind;   /* K_CHILD or K_DNS */
	size_t first_note, nnotes;      /* into trace.notes */
};

struct trace_thread {
	int tid;
	char name[32];          /* from the metadata: "loop", "pool-1"; or "" */
	struct trace_slice *slices;
	size_t nslices, capslices;
	struct trace_instant *instants;
	size_t ninstants, capinstants;
};

struct trace {
	char step[64];          /* otherData.step, or the process name */
	int pid;
	double t_min, t_max;    /* first and last moment of any event */
	size_t nevents, nignored;
	struct trace_thread *threads;
	size_t nthreads, capthreads;
	size_t loop;            /* the loop thread's index, or nthreads if none */
	struct trace_flow *flows;
	size_t nflows, capflows;
	struct trace_span *spans;
	size_t nspans, capspans;
	struct trace_instant *notes;    /* retries and the like, on their spans */
	size_t nnotes, capnotes;
	char *strings;
	size_t nstrings, capstrings;
};

/* Reads the trace file PATH into T, slices sorted by time on each thread and
 * flows grouped by id. Returns 0, or -1 with a message in ERR (which names the
 * file, and a line and column for malformed JSON). trace_free() releases T. */
int trace_read(struct trace *t, const char *path, char *err, size_t errsize);

/* The same from the bytes TEXT[0..SIZE), named
 * PATH in messages: what trace_read() does once it has read the file. */
int trace_parse(struct trace *t, const char *text, size_t size, const char *path,
		char *err, size_t errsize);
void trace_free(struct trace *t);

/* The string at offset OFF of T's strings ("" for 0). */
const char *trace_str(const struct trace *t, uint32_t off);

#endif
