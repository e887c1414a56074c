/*
 * pool.h — the thread pool: for work that cannot be polled.
 *
 * epoll can tell when a socket is ready; it cannot make a disk read, a stat()
 * or a getaddrinfo() non-blocking. So, like libuv, the loop hands such work to a
 * few threads and gets told when it is done. The pool is one per process,
 * started on the first job (UV_THREADPOOL_SIZE threads, default 4).
 *
 * A struct work is a *request*: one job, in flight from pool_submit() until its
 * done callback has run on the loop thread. While in flight it keeps the loop
 * alive, and its memory belongs to the pool.
 */
#ifndef POOL_H
#define POOL_H

#include <stdint.h>

#include "loop.h"

struct work;
typedef void (*work_cb)(struct work *w);        /* runs on a pool thread */
typedef void (*work_done_cb)(struct work *w);   /* then on the loop thread */

struct work {
	struct loop *loop;
	work_cb work;
	work_done_cb done;
	struct work *next;      /* in the pool's queue, then the loop's done queue */
	uint64_t queued_ms;     /* CLOCK_MONOTONIC, when submitted */
	uint64_t started_ms;    /* ...and when a thread took it */
	const char *what;       /* what the job is ("/work 300"), for --trace-events */
	uint64_t trace_id;      /* its flow in the trace */
	char *trace_cmd;        /* the command that submitted it, as args, or NULL */
	void *data;             /* the user's */
};

struct pool_stats {
	unsigned threads;       /* started so far (0 until the first job) */
	unsigned queued;        /* waiting for a thread */
	unsigned running;       /* on a thread now */
	unsigned long done;     /* finished and handed back */
};

/* Queues W: WORK runs on a pool thread, then DONE on L's thread. Starts the
 * pool on first use. DONE may be NULL. Returns 0, or -1 with errno set:
 * EINVAL (WORK is NULL), or why no thread could start. */
int pool_submit(struct loop *l, struct work *w, work_cb work, work_done_cb done);
void pool_get_stats(struct pool_stats *s);
/* The loop's side, called from loop_init(): the eventfd that wakes it. */
int pool_loop_init(struct loop *l);
/* ...and from loop_close(): stops and joins the threads, once they are idle. */
void pool_loop_close(struct loop *l);

#endif
