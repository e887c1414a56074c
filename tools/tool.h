/*
 * tools/tool.h — what the tools share, so that no tool repeats another.
 *
 * Each tool is one .c file and one program; this header holds the little
 * helper they all need. (The step directories deliberately repeat their own
 * copy: each step stands alone. The tools are one program suite.)
 */
#ifndef TOOL_H
#define TOOL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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

#endif
