/*
 * tools/tool.h — what the tools share, so that no tool repeats another.
 *
 * Each tool is one .c file and one program; this header holds the little
 * helpers more than one of them needs. (The step directories deliberately repeat their own
 * copy: each step stands alone. The tools are one program suite.)
 */
#ifndef TOOL_H
#define TOOL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Setup failures: one line, "NAME: what failed: why", then exit status 1.
 * The tool's name comes from argv[0] (glibc's program_invocation_short_name). */
__attribute__((format(printf, 1, 2), noreturn, unused))
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", program_invocation_short_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* Parses a whole decimal number in [MIN, MAX] into *OUT. Returns false, leaving
 * *OUT alone, for anything else: a sign, trailing text, an overflow. */
__attribute__((unused))
static bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* An option's number: ARG parsed as a whole number in [MIN, MAX] into *OUT, or
 * one line saying what is wrong and then USAGE(stderr, 2), which exits. */
__attribute__((unused))
static void uint_arg(const char *arg, const char *name, unsigned long min, unsigned long max,
		     unsigned long *out, void (*usage)(FILE *to, int status))
{
	if (!parse_uint(arg, min, max, out)) {
		fprintf(stderr, "%s: bad %s '%s' (want %lu..%lu)\n", program_invocation_short_name,
			name, arg, min, max);
		usage(stderr, 2);
	}
}

/* Microseconds on the monotonic clock: for intervals, never for dates. */
__attribute__((unused))
static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* A well-known integer hash (lowbias32): every input bit stirs every output bit. */
__attribute__((unused))
static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

#endif
