/*
 * test/unit/pool.c — the thread pool alone. Built against each step's loop
 * (04 on) by test/04-pool.bats.
 *
 * Usage: pool CASE
 *   size       one job, then prints how many threads the pool started
 *              (UV_THREADPOOL_SIZE from the environment)
 *   null-work  pool_submit() with no work function: prints whether it was
 *              refused with EINVAL, and that no thread started
 *   null-done  a job with no done callback runs, and the loop still ends
 *   shutdown   prints how many threads loop_close() ended (this process's
 *              threads while the pool runs, less those after loop_close())
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "loop.h"
#include "pool.h"

static struct loop loop;
static struct work job;
static atomic_int ran;

static void work_nothing(struct work *w)
{
	(void)w;
	atomic_store(&ran, 1);
}

static void on_done(struct work *w)
{
	(void)w;
}

/* Threads of this process now, from /proc (the loop's own included). */
static int threads_now(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int n = -1;
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	struct pool_stats st;
	if (loop_init(&loop) != 0)
		return 1;
	if (strcmp(what, "size") == 0) {
		if (pool_submit(&loop, &job, work_nothing, on_done) != 0)
			return 1;
		loop_run(&loop);
		pool_get_stats(&st);
		printf("threads=%u\n", st.threads);
	} else if (strcmp(what, "null-work") == 0) {
		errno = 0;
		int refused = pool_submit(&loop, &job, NULL, on_done) == -1 && errno == EINVAL;
		loop_run(&loop);
		pool_get_stats(&st);
		printf("refused=%d threads=%u\n", refused, st.threads);
	} else if (strcmp(what, "null-done") == 0) {
		if (pool_submit(&loop, &job, work_nothing, NULL) != 0)
			return 1;
		loop_run(&loop);
		printf("ran=%d\n", atomic_load(&ran));
	} else if (strcmp(what, "shutdown") == 0) {
		if (pool_submit(&loop, &job, work_nothing, on_done) != 0)
			return 1;
		loop_run(&loop);
		int running = threads_now();
		loop_close(&loop);
		printf("joined=%d\n", running - threads_now());
		return 0;
	} else {
		fprintf(stderr, "usage: pool size|null-work|null-done|shutdown\n");
		return 2;
	}
	loop_close(&loop);
	return 0;
}
