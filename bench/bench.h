/*
 * bench/bench.h — what the benchmark programs share: reading their numbers,
 * and the clock. The kit's programs and their libuv twins include it alike,
 * so a comparison differs only in the loop being measured.
 */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <stdlib.h>
#include <time.h>

/* S as a whole number from 1 to MAX, or else USAGE(), which exits. */
__attribute__((unused))
static unsigned long number(const char *s, unsigned long max, void (*usage)(void))
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v < 1 || v > max)
		usage();
	return v;
}

/* CLOCK (CLOCK_MONOTONIC for wall time, CLOCK_PROCESS_CPUTIME_ID for CPU
 * time), in seconds. */
__attribute__((unused))
static double seconds(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
