/*
 * uv-pool — bench/pool.c written against libuv's uv_queue_work(), for comparison.
 *
 * The same run: N empty jobs, CONC in flight at a time, each done callback
 * submitting the next until N have been. libuv's pool is the model for the
 * kit's: one queue under a mutex, 4 threads by default (UV_THREADPOOL_SIZE),
 * finished jobs handed back through an async handle (an eventfd on Linux).
 *
 * Usage: uv-pool N CONC
 * Prints one line:  jobs=N conc=C wall_s=W jobs_per_s=R
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <uv.h>

#include "bench.h"

/* ---- constants ---------------------------------------------------------- */

static const char *const prog = "uv-pool";

/* ---- helpers ------------------------------------------------------------ */

static uv_loop_t *loop;
static unsigned long jobs, submitted, done;

static void usage(void)
{
	fprintf(stderr, "usage: %s N CONC   (N empty uv_queue_work() jobs, CONC in flight)\n",
		prog);
	exit(2);
}

/* ---- callbacks ---------------------------------------------------------- */

static void on_work(uv_work_t *w)
{
	(void)w;
}

static void submit(uv_work_t *w);

/* Each finished job makes room for the next: CONC stay in flight. */
static void on_done(uv_work_t *w, int status)
{
	(void)status;
	done++;
	if (submitted < jobs)
		submit(w);
}

static void submit(uv_work_t *w)
{
	int err = uv_queue_work(loop, w, on_work, on_done);
	if (err != 0) {
		fprintf(stderr, "%s: uv_queue_work: %s\n", prog, uv_strerror(err));
		exit(1);
	}
	submitted++;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	if (argc != 3)
		usage();
	jobs = number(argv[1], 1000000000, usage);
	unsigned long conc = number(argv[2], 1000000, usage);
	if (conc > jobs)
		conc = jobs;

	loop = uv_default_loop();
	uv_work_t *works = calloc(conc, sizeof *works);
	if (works == NULL) {
		fprintf(stderr, "%s: cannot allocate %lu jobs\n", prog, conc);
		return 1;
	}

	/* As in pool.c, the clock includes starting the pool's threads. */
	double t0 = seconds(CLOCK_MONOTONIC);
	for (unsigned long i = 0; i < conc; i++)
		submit(&works[i]);
	uv_run(loop, UV_RUN_DEFAULT);   /* returns when no job is in flight */
	double wall = seconds(CLOCK_MONOTONIC) - t0;

	printf("jobs=%lu conc=%lu wall_s=%.3f jobs_per_s=%.0f\n",
	       done, conc, wall, wall > 0 ? (double)done / wall : 0.0);
	uv_loop_close(loop);
	free(works);
	return done == jobs ? 0 : 1;
}
