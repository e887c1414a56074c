/*
 * test/unit/async.c — async handles alone: sends from another thread coalesce,
 * and none is lost. Built against each step's loop (05 on) by 05-self-pipe.bats.
 *
 * A thread calls async_send() SENDS times as fast as it can, then sets `finished`
 * and sends once more. The callback counts its calls and closes the handle once
 * it sees `finished`, which lets loop_run() return. A lost wake-up would hang
 * (the suite runs this under `timeout`).
 *
 * Usage: async SENDS   Prints: sends=N callbacks=C wakeups=W
 *        async null-cb  A handle with no callback is sent to, next to one with
 *                       a callback: the loop must neither crash nor lose the
 *                       other's call. Prints: other_callbacks=1
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"

static struct loop loop;
static struct async handle;
static atomic_int finished;
static long sends, callbacks;

static void *sender(void *arg)
{
	(void)arg;
	for (long i = 0; i < sends; i++)
		async_send(&handle);
	atomic_store(&finished, 1);
	async_send(&handle);
	return NULL;
}

static void on_async(struct async *a)
{
	callbacks++;
	if (atomic_load(&finished))
		handle_close(&a->h, NULL);
}

static struct async silent;
static struct timer ender;

static void on_other(struct async *a)
{
	(void)a;
	callbacks++;
}

static void on_end(struct timer *t)
{
	handle_close(&silent.h, NULL);
	handle_close(&handle.h, NULL);
	handle_close(&t->h, NULL);
}

static int null_cb(void)
{
	if (loop_init(&loop) != 0)
		return 1;
	async_init(&loop, &handle, on_other);
	async_init(&loop, &silent, NULL);
	timer_init(&loop, &ender, on_end);
	timer_start(&ender, 50, 0);
	async_send(&silent);
	async_send(&handle);
	loop_run(&loop);
	printf("other_callbacks=%ld\n", callbacks);
	loop_close(&loop);
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t tid;
	if (argc > 1 && strcmp(argv[1], "null-cb") == 0)
		return null_cb();
	sends = argc > 1 ? atol(argv[1]) : 100000;
	if (loop_init(&loop) != 0)
		return 1;
	async_init(&loop, &handle, on_async);
	pthread_create(&tid, NULL, sender, NULL);
	loop_run(&loop);
	pthread_join(tid, NULL);
	printf("sends=%ld callbacks=%ld wakeups=%lu\n", sends + 1, callbacks, loop.wakeups);
	loop_close(&loop);
	return 0;
}
