/*
 * timers — N one-shot timers through the kit's loop: what a timer costs.
 *
 * A server with a timeout on every connection has as many timers as
 * connections, and most of them never fire late because the loop keeps them in
 * a binary min-heap: starting one is O(log n), finding the next is O(1). This
 * program starts N timers at once, timer i due in 1 + i % MAX_MS ms, runs the
 * loop until every one has fired, and reports the wall time (about MAX_MS: the
 * timers wait) and the CPU time (the heap's real cost). bench/uv-timers.c does
 * the same with libuv, whose timers are a min-heap too.
 *
 * It links the loop library of the step named at build time (LOOP_STEP):
 * 08-dns's, or until 08 exists, the highest-numbered step that has one.
 *
 * Usage: timers N MAX_MS
 * Prints one line:  timers=N max_ms=M fired=F wall_s=W cpu_s=C
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "timers needs Linux (the kit's loop uses epoll)"
#endif

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop.h"
#include "bench.h"

/* ---- constants ---------------------------------------------------------- */

static const char *const prog = "timers";

#ifndef LOOP_STEP
#define LOOP_STEP "an unnamed step"
#endif

/* ---- helpers ------------------------------------------------------------ */

static struct loop loop;
static struct timer *timers, kickoff;
static unsigned long count, period, fired;
static double wall0, cpu0;      /* the clocks when the timers were started */

static void usage(void)
{
	fprintf(stderr, "usage: %s N MAX_MS   (N one-shot timers due over 1..MAX_MS ms;\n"
		"                        built against %s's loop)\n", prog, LOOP_STEP);
	exit(2);
}

/* ---- callbacks ---------------------------------------------------------- */

static void on_timer(struct timer *t)
{
	(void)t;
	fired++;
}

/* Starts every timer from inside the loop, as a server starts its timeouts:
 * the loop has just read the clock, so the deadlines count from now. (libuv
 * has uv_update_time() for this; the kit's loop keeps its clock to itself.) */
static void on_kickoff(struct timer *t)
{
	(void)t;
	wall0 = seconds(CLOCK_MONOTONIC);
	cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
	for (unsigned long i = 0; i < count; i++)
		timer_start(&timers[i], 1 + i % period, 0);
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	if (argc != 3)
		usage();
	unsigned long n = number(argv[1], 100000000, usage), max_ms = number(argv[2], 86400000, usage);
	if (strcmp(LOOP_STEP, "08-dns") != 0)
		fprintf(stderr, "%s: using %s's loop: 08-dns has no loop library yet\n",
			prog, LOOP_STEP);

	if (loop_init(&loop) != 0) {
		fprintf(stderr, "%s: loop_init: %s\n", prog, strerror(errno));
		return 1;
	}
	/* Initialised (and so paged in) before the clocks start: what is timed is
	 * starting and firing timers, not the kernel handing out fresh memory. */
	timers = calloc(n, sizeof *timers);
	if (timers == NULL) {
		fprintf(stderr, "%s: cannot allocate %lu timers\n", prog, n);
		return 1;
	}
	for (unsigned long i = 0; i < n; i++)
		timer_init(&loop, &timers[i], on_timer);
	count = n;
	period = max_ms;
	timer_init(&loop, &kickoff, on_kickoff);
	timer_start(&kickoff, 0, 0);
	loop_run(&loop);        /* returns when the last timer has fired */
	double wall = seconds(CLOCK_MONOTONIC) - wall0;
	double cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;

	printf("timers=%lu max_ms=%lu fired=%lu wall_s=%.3f cpu_s=%.3f\n",
	       n, max_ms, fired, wall, cpu);
	loop_close(&loop);
	free(timers);
	return fired == n ? 0 : 1;
}
