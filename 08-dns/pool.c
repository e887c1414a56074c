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

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
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
} pool = { .mutex = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/* UV_THREADPOOL_SIZE, as libuv reads it: 1..1024, else a warning and the default. */
static unsigned pool_size(void)
{
	const char *s = getenv("UV_THREADPOOL_SIZE");
	if (s == NULL || *s == '\0')
		return DEFAULT_THREADS;
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || n < 1 || n > MAX_THREADS) {
		fprintf(stderr, "warning: UV_THREADPOOL_SIZE='%s' is not a number from 1 to %d;"
			" using %d threads\n", s, MAX_THREADS, DEFAULT_THREADS);
		return DEFAULT_THREADS;
	}
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

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool.mutex);
	for (;;) {
		struct work *w;
		while ((w = take_job()) == NULL)
			pthread_cond_wait(&pool.cond, &pool.mutex);
		pool.running++;
		pthread_mutex_unlock(&pool.mutex);

		w->started_ms = loop_clock_ms();
		w->work(w);             /* may block: that's what we are here for */

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
	pthread_attr_t attr;
	int err = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (unsigned i = 0; i < n && err == 0; i++) {
		pthread_t tid;
		err = pthread_create(&tid, &attr, worker, NULL);
		if (err == 0)
			pool.threads++;
	}
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pool.threads > 0)
		return 0;       /* a smaller pool than asked for still works */
	errno = err;
	return -1;
}

static int enqueue(struct loop *l, struct work *w, work_cb work, work_done_cb done)
{
	w->loop = l;
	w->work = work;
	w->done = done;
	w->next = NULL;
	w->queued_ms = loop_clock_ms();

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
