/*
 * test/unit/libuv-pool.c — the thread pool against what libuv's own
 * test/test-threadpool.c and test-loop-alive.c check about work requests (our
 * code). Built against each step's loop (04 on) by test/libuv-behaviour.bats.
 *
 * Usage: libuv-pool [CASE]     Prints "ok CASE" or "FAIL CASE: ..." per case.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "loop.h"
#include "pool.h"
#include "check.h"

static struct loop loop;
static pthread_t loop_thread, work_thread;
static atomic_int works;
static int dones, done_on_loop_thread, alive_in_done;

static void work_cb_simple(struct work *w)
{
	(void)w;
	work_thread = pthread_self();
	atomic_fetch_add(&works, 1);
}

static void done_cb_simple(struct work *w)
{
	(void)w;
	dones++;
	done_on_loop_thread = pthread_equal(pthread_self(), loop_thread);
}

/* threadpool_queue_work_simple: the work runs once, on another thread; its
 * done callback once, on the loop's thread. */
static void threadpool_queue_work_simple(void)
{
	static struct work w;
	atomic_store(&works, 0);
	dones = 0;
	loop_thread = pthread_self();
	CHECK(loop_init(&loop) == 0);
	CHECK(pool_submit(&loop, &w, work_cb_simple, done_cb_simple) == 0);
	CHECK(loop_run(&loop) == 0);
	CHECK(atomic_load(&works) == 1 && dones == 1);
	CHECK(!pthread_equal(work_thread, loop_thread));
	CHECK(done_on_loop_thread);
	loop_close(&loop);
}

/* threadpool_queue_work_einval: no work function, EINVAL. */
static void threadpool_queue_work_einval(void)
{
	static struct work w;
	CHECK(loop_init(&loop) == 0);
	errno = 0;
	CHECK(pool_submit(&loop, &w, NULL, done_cb_simple) == -1 && errno == EINVAL);
	CHECK(loop_run(&loop) == 0);
	loop_close(&loop);
}

static void work_cb_slow(struct work *w)
{
	struct timespec nap = { 0, 50 * 1000000 };
	(void)w;
	nanosleep(&nap, NULL);
}

static void done_cb_count(struct work *w)
{
	(void)w;
	dones++;
	alive_in_done = (int)w->loop->active_reqs;   /* the last one's stays */
}

/* test-loop-alive.c: a work request in flight keeps the loop alive, with no
 * handle at all; once its done callback has run, nothing does. */
static void loop_alive_work(void)
{
	static struct work w[3];
	dones = 0;
	alive_in_done = -1;
	CHECK(loop_init(&loop) == 0);
	for (int i = 0; i < 3; i++)
		CHECK(pool_submit(&loop, &w[i], work_cb_slow, done_cb_count) == 0);
	CHECK(loop.active_reqs == 3);
	CHECK(loop_run(&loop) == 0);
	CHECK(dones == 3 && loop.active_reqs == 0);
	/* A request no longer counts in its own done callback, as in libuv
	 * (uv__work_done() unregisters it before calling after_work_cb). */
	CHECK(alive_in_done == 0);
	loop_close(&loop);
}

int main(int argc, char **argv)
{
	RUN(threadpool_queue_work_simple);
	RUN(threadpool_queue_work_einval);
	RUN(loop_alive_work);
	return check_failures;
}
