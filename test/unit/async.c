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
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

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

int main(int argc, char **argv)
{
	pthread_t tid;
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
