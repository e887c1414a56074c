/*
 * test/unit/libuv-async.c — async handles against what libuv's own
 * test/test-async.c and the async case of test-ref.c check (our code). Built
 * against each step's loop (05 on) by test/libuv-behaviour.bats.
 *
 * Usage: libuv-async [CASE]     Prints "ok CASE" or "FAIL CASE: ..." per case.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "loop.h"
#include "check.h"

static struct loop loop;
static struct async handle;
static atomic_int async_calls, sends;
static int closes;

static void on_closed(struct handle *h)
{
	(void)h;
	closes++;
}

/* test-async.c: the callback counts, and the third one closes the handle. */
static void on_async_third_closes(struct async *a)
{
	if (atomic_fetch_add(&async_calls, 1) + 1 >= 3)
		handle_close(&a->h, on_closed);
}

/* ...while another thread sends until it sees that the third call happened,
 * pausing a little between sends so that they are not all coalesced. */
static void *sender(void *arg)
{
	struct timespec nap = { 0, 1000000 };
	(void)arg;
	while (atomic_load(&async_calls) < 3) {
		async_send(&handle);
		atomic_fetch_add(&sends, 1);
		nanosleep(&nap, NULL);
	}
	return NULL;
}

/* test-async.c "async": sends from another thread reach the callback on the
 * loop thread; there are never more callbacks than sends; the handle keeps
 * the loop alive until it is closed. */
static void async(void)
{
	pthread_t tid;
	atomic_store(&async_calls, 0);
	atomic_store(&sends, 0);
	closes = 0;
	CHECK(loop_init(&loop) == 0);
	async_init(&loop, &handle, on_async_third_closes);
	CHECK(handle_is_active(&handle.h));     /* active from init, as uv_async_init */
	CHECK(pthread_create(&tid, NULL, sender, NULL) == 0);
	CHECK(loop_run(&loop) == 0);
	pthread_join(tid, NULL);
	CHECK(atomic_load(&async_calls) == 3 && closes == 1);
	CHECK(atomic_load(&sends) >= 3);
	loop_close(&loop);
}

/* test-ref.c async_ref: an unref'd async handle does not keep the loop alive. */
static void async_ref(void)
{
	atomic_store(&async_calls, 0);
	CHECK(loop_init(&loop) == 0);
	async_init(&loop, &handle, on_async_third_closes);
	handle_unref(&handle.h);
	CHECK(loop_run(&loop) == 0);
	CHECK(loop.ticks == 0);
	handle_close(&handle.h, NULL);
	loop_run(&loop);
	loop_close(&loop);
}

static void count_cb(struct async *a)
{
	(void)a;
	atomic_fetch_add(&async_calls, 1);
}

static void on_stop(struct timer *t)
{
	handle_close(&handle.h, NULL);
	handle_close(&t->h, NULL);
}

/* Many sends before the loop looks make one callback, as libuv documents
 * ("uv_async_send() calls are coalesced"). */
static void async_coalesce(void)
{
	static struct timer stop;
	atomic_store(&async_calls, 0);
	CHECK(loop_init(&loop) == 0);
	async_init(&loop, &handle, count_cb);
	timer_init(&loop, &stop, on_stop);
	timer_start(&stop, 50, 0);
	for (int i = 0; i < 1000; i++)
		async_send(&handle);
	CHECK(loop_run(&loop) == 0);
	CHECK(atomic_load(&async_calls) == 1);
	loop_close(&loop);
}

int main(int argc, char **argv)
{
	RUN(async);
	RUN(async_ref);
	RUN(async_coalesce);
	return check_failures;
}
