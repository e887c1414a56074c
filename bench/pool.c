/*
 * pool — N empty jobs through the kit's thread pool: what a round trip costs.
 *
 * A job that does nothing measures only the machinery a real fs or DNS request
 * pays on top of its own work: queue it under a mutex, wake a worker, hand it
 * back on the done queue, wake the loop through the self-pipe, run the done
 * callback. CONC jobs are in flight at a time: CONC are submitted at once, then
 * each done callback submits the next until N have been. CONC 1 is pure
 * latency (every wake-up is paid in full); a larger CONC shows how well the
 * wake-ups coalesce. bench/uv-pool.c does the same with uv_queue_work().
 *
 * It links the loop library of the step named at build time (LOOP_STEP):
 * 08-dns's, or until 08 exists, the highest-numbered step that has one.
 *
 * Usage: pool N CONC
 * Prints one line:  jobs=N conc=C wall_s=W jobs_per_s=R
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "pool needs Linux (the kit's loop uses epoll)"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop.h"
#include "pool.h"
#include "bench.h"

/* ---- constants ---------------------------------------------------------- */

static const char *const prog = "pool";

#ifndef LOOP_STEP
#define LOOP_STEP "an unnamed step"
#endif

/* ---- helpers ------------------------------------------------------------ */

static struct loop loop;
static unsigned long jobs, submitted, done;

static void usage(void)
{
	fprintf(stderr, "usage: %s N CONC   (N empty pool jobs, CONC in flight at a time;\n"
		"                     built against %s's loop)\n", prog, LOOP_STEP);
	exit(2);
}

/* ---- callbacks ---------------------------------------------------------- */

static void on_work(struct work *w)
{
	(void)w;
}

static void submit(struct work *w);

/* Each finished job makes room for the next: CONC stay in flight. */
static void on_done(struct work *w)
{
	done++;
	if (submitted < jobs)
		submit(w);
}

static void submit(struct work *w)
{
	if (pool_submit(&loop, w, on_work, on_done) != 0) {
		fprintf(stderr, "%s: pool_submit: %s\n", prog, strerror(errno));
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
	if (strcmp(LOOP_STEP, "08-dns") != 0)
		fprintf(stderr, "%s: using %s's loop: 08-dns has no loop library yet\n",
			prog, LOOP_STEP);
	if (conc > jobs)
		conc = jobs;

	if (loop_init(&loop) != 0) {
		fprintf(stderr, "%s: loop_init: %s\n", prog, strerror(errno));
		return 1;
	}
	struct work *works = calloc(conc, sizeof *works);
	if (works == NULL) {
		fprintf(stderr, "%s: cannot allocate %lu jobs\n", prog, conc);
		return 1;
	}

	/* The clock includes starting the pool's threads, as the first job of a
	 * real program pays it too; at 100,000 jobs that is noise. */
	double t0 = seconds(CLOCK_MONOTONIC);
	for (unsigned long i = 0; i < conc; i++)
		submit(&works[i]);
	loop_run(&loop);        /* returns when no job is in flight */
	double wall = seconds(CLOCK_MONOTONIC) - t0;

	printf("jobs=%lu conc=%lu wall_s=%.3f jobs_per_s=%.0f\n",
	       done, conc, wall, wall > 0 ? (double)done / wall : 0.0);
	loop_close(&loop);
	free(works);
	return done == jobs ? 0 : 1;
}
