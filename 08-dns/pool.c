/*
 * pool.c — the thread pool, and how finished work gets back to the loop.
 *
 * Workers take jobs from one FIFO queue, guarded by a mutex, and sleep on a
 * condition variable when it is empty. A finished job goes on the loop's done
 * queue, and async_send() (the self-pipe, async.c) wakes the loop, which runs
 * each job's done callback on its own thread. Callbacks never run on a worker:
 * the rest of the program never needs a lock.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "pool.c needs Linux"
#endif

#include "pool.h"
#include "trace_events.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- constants ---------------------------------------------------------- */

enum {
	DEFAULT_THREADS = 4,    /* libuv's default */
	MAX_THREADS = 1024,     /* libuv's cap (128 before libuv 1.30) */
};

/* ---- the pool: one per process, like libuv's ---------------------------- */

static struct {
	pthread_mutex_t mutex;
	pthread_cond_t cond;    /* signalled when a job is queued */
	struct work *head, *tail;
	unsigned threads, queued, running;
	unsigned slow_running;  /* slow I/O jobs on a thread now */
	unsigned long done;
	bool stopping;          /* pool_loop_close(): workers leave once idle */
	pthread_t tids[MAX_THREADS];
} pool = { .mutex = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/* UV_THREADPOOL_SIZE, read as libuv reads it: the number it starts with
 * (atoi: "8 threads" is 8, "lots" is 0), then 0 becomes 1 and anything above
 * 1024 becomes 1024, with no warning. A negative number is above 1024 too:
 * libuv keeps the count unsigned. (libuv also ignores a value of 16 bytes or
 * more, which no sensible setting is.) */
static unsigned pool_size(void)
{
	const char *s = getenv("UV_THREADPOOL_SIZE");
	if (s == NULL)
		return DEFAULT_THREADS;
	long n = strtol(s, NULL, 10);       /* atoi(), without its undefined overflow */
	if (n == 0)
		return 1;
	if (n < 0 || n > MAX_THREADS)
		return MAX_THREADS;
	return (unsigned)n;
}

/* Hands W back to its loop: the done queue, then a wake-up. */
static void post_done(struct work *w)
{
	struct loop *l = w->loop;

	pthread_mutex_lock(&l->done_mutex);
	w->next = NULL;
	if (l->done_tail != NULL)
		l->done_tail->next = w;
	else
		l->done_head = w;
	l->done_tail = w;
	pthread_mutex_unlock(&l->done_mutex);
	if (l->trace_events)
		trace_async_send(&l->pool_async);
	async_send(&l->pool_async);
}

/* The first job a thread may take now: the oldest, unless it is slow I/O and
 * ⌈threads/2⌉ slow jobs already run; then the oldest job that isn't. */
static struct work *take_job(void)
{
	unsigned slow_limit = (pool.threads + 1) / 2;
	struct work **p = &pool.head, *prev = NULL;
	for (; *p != NULL; prev = *p, p = &(*p)->next) {
		struct work *w = *p;
		if (w->slow_io && pool.slow_running >= slow_limit)
			continue;
		*p = w->next;
		if (pool.tail == w)
			pool.tail = prev;
		pool.queued--;
		pool.slow_running += w->slow_io;
		return w;
	}
	return NULL;
}

/* W's work, on this thread; recording, inside a slice on its track. */
static void run_job(struct work *w)
{
	if (w->loop->trace_events)
		trace_job(w);
	else
		w->work(w);
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool.mutex);
	for (;;) {
		struct work *w;
		while ((w = take_job()) == NULL && !pool.stopping)
			pthread_cond_wait(&pool.cond, &pool.mutex);
		if (w == NULL)
			break;          /* stopping, and no job is left */
		pool.running++;
		pthread_mutex_unlock(&pool.mutex);

		w->started_ms = loop_clock_ms();
		run_job(w);     /* may block: that's what we are here for */

		pthread_mutex_lock(&pool.mutex);
		pool.running--;
		if (w->slow_io) {
			pool.slow_running--;
			/* A slow job that had to wait may run now. */
			pthread_cond_broadcast(&pool.cond);
		}
		pthread_mutex_unlock(&pool.mutex);
		post_done(w);
		pthread_mutex_lock(&pool.mutex);
	}
	pthread_mutex_unlock(&pool.mutex);
	return NULL;
}

/* Starts the threads, on the first job only: a program that never uses the
 * pool never has more than one thread. Called with pool.mutex held.
 * Workers start with every signal blocked (they inherit the mask): signals
 * then go to the loop thread, and a worker's read() or sleep is never cut
 * short by one. (libuv leaves its workers' masks alone and retries on EINTR.) */
static int pool_start(void)
{
	unsigned n = pool_size();
	sigset_t all, old;
	int err = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < n && err == 0; i++) {
		err = pthread_create(&pool.tids[pool.threads], NULL, worker, NULL);
		if (err == 0)
			pool.threads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pool.threads > 0)
		return 0;       /* a smaller pool than asked for still works */
	errno = err;
	return -1;
}

static int enqueue(struct loop *l, struct work *w, work_cb work, work_done_cb done)
{
	if (work == NULL) {
		errno = EINVAL;         /* as libuv: a worker would call NULL */
		return -1;
	}
	w->loop = l;
	w->work = work;
	w->done = done;
	w->next = NULL;
	w->queued_ms = loop_clock_ms();
	if (l->trace_events)
		trace_submit(w);        /* before a worker can take it */

	pthread_mutex_lock(&pool.mutex);
	if (pool.threads == 0 && pool_start() != 0) {
		pthread_mutex_unlock(&pool.mutex);
		return -1;
	}
	if (pool.tail != NULL)
		pool.tail->next = w;
	else
		pool.head = w;
	pool.tail = w;
	pool.queued++;
	pthread_cond_signal(&pool.cond);
	pthread_mutex_unlock(&pool.mutex);
	l->active_reqs++;       /* a request in flight keeps the loop alive */
	return 0;
}

int pool_submit(struct loop *l, struct work *w, work_cb work, work_done_cb done)
{
	w->slow_io = false;
	return enqueue(l, w, work, done);
}

int pool_submit_slow_io(struct loop *l, struct work *w, work_cb work, work_done_cb done)
{
	w->slow_io = true;
	return enqueue(l, w, work, done);
}

void pool_get_stats(struct pool_stats *s)
{
	pthread_mutex_lock(&pool.mutex);
	s->threads = pool.threads;
	s->queued = pool.queued;
	s->running = pool.running;
	s->slow_running = pool.slow_running;
	s->done = pool.done;
	pthread_mutex_unlock(&pool.mutex);
}

/* ---- the loop's side ---------------------------------------------------- */

/* Woken by async_send(): take every finished job and run its callback. */
static void on_pool_async(struct async *a)
{
	struct loop *l = a->h.loop;

	if (l->trace_events)
		trace_wakeup(a);
	pthread_mutex_lock(&l->done_mutex);
	struct work *w = l->done_head;
	l->done_head = l->done_tail = NULL;
	pthread_mutex_unlock(&l->done_mutex);

	while (w != NULL) {
		struct work *next = w->next;
		l->active_reqs--;
		pthread_mutex_lock(&pool.mutex);
		pool.done++;
		pthread_mutex_unlock(&pool.mutex);
		if (l->trace_events)
			trace_done(w);
		else if (w->done != NULL)
			w->done(w);     /* may free w */
		w = next;
	}
}

int pool_loop_init(struct loop *l)
{
	pthread_mutex_init(&l->done_mutex, NULL);
	async_init(l, &l->pool_async, on_pool_async);
	/* Unref'd: the handle is always there; only jobs in flight
	 * (active_reqs) should keep the loop alive. */
	handle_unref(&l->pool_async.h);
	return 0;
}

/* Stops the pool and joins its threads, as libuv does when the library is
 * unloaded. A job still queued runs first; its done callback does not. With
 * the threads gone, nothing of theirs is left for a leak checker to count:
 * a getaddrinfo() in a worker keeps resolver state until its thread ends. */
void pool_loop_close(struct loop *l)
{
	(void)l;                /* one pool, and one loop, per program */
	pthread_mutex_lock(&pool.mutex);
	pool.stopping = true;
	pthread_cond_broadcast(&pool.cond);
	unsigned n = pool.threads;
	pthread_mutex_unlock(&pool.mutex);
	for (unsigned i = 0; i < n; i++)
		pthread_join(pool.tids[i], NULL);
	pthread_mutex_lock(&pool.mutex);
	pool.threads = 0;
	pool.stopping = false;  /* a later loop may start the pool again */
	pthread_mutex_unlock(&pool.mutex);
}
