/*
 * uv-timers — bench/timers.c written against libuv, for comparison.
 *
 * The same run: N one-shot timers started at once, timer i due in
 * 1 + i % MAX_MS ms, the loop run until every one has fired. libuv keeps its
 * timers in a binary min-heap too (ordered by deadline, then start order), so
 * the CPU times compare two implementations of one data structure.
 *
 * Usage: uv-timers N MAX_MS
 * Prints one line:  timers=N max_ms=M fired=F wall_s=W cpu_s=C
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <uv.h>

#include "bench.h"

/* ---- constants ---------------------------------------------------------- */

static const char *const prog = "uv-timers";

/* ---- helpers ------------------------------------------------------------ */

static unsigned long fired;

static void usage(void)
{
	fprintf(stderr, "usage: %s N MAX_MS   (N one-shot timers due over 1..MAX_MS ms)\n", prog);
	exit(2);
}

/* ---- callbacks ---------------------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
	(void)t;
	fired++;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	if (argc != 3)
		usage();
	unsigned long n = number(argv[1], 100000000, usage), max_ms = number(argv[2], 86400000, usage);

	uv_loop_t *loop = uv_default_loop();
	/* Initialised (and so paged in) before the clocks start, as in timers.c. */
	uv_timer_t *timers = calloc(n, sizeof *timers);
	if (timers == NULL) {
		fprintf(stderr, "%s: cannot allocate %lu timers\n", prog, n);
		return 1;
	}
	for (unsigned long i = 0; i < n; i++)
		uv_timer_init(loop, &timers[i]);

	uv_update_time(loop);   /* deadlines count from now, not from uv_loop_init */
	double wall0 = seconds(CLOCK_MONOTONIC), cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
	for (unsigned long i = 0; i < n; i++)
		uv_timer_start(&timers[i], on_timer, 1 + i % max_ms, 0);
	uv_run(loop, UV_RUN_DEFAULT);   /* returns when the last timer has fired */
	double wall = seconds(CLOCK_MONOTONIC) - wall0;
	double cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;

	printf("timers=%lu max_ms=%lu fired=%lu wall_s=%.3f cpu_s=%.3f\n",
	       n, max_ms, fired, wall, cpu);
	/* No uv_loop_close(): it refuses a loop whose handles were never closed,
	 * and closing a million of them would only slow the exit. */
	free(timers);
	return fired == n ? 0 : 1;
}
