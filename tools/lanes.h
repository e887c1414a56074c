/*
 * tools/lanes.h — tools/timeline's picture: a trace laid out as lanes on a
 * time axis, and drawn as SVG.
 */
#ifndef LANES_H
#define LANES_H

#include <stdio.h>

#include "trace.h"

/* A callout: TEXT at AT_MS ms after the first event ("1 wake-up for 32
 * completions"), what the picture is there to show. */
struct lanes_mark {
	double at_ms;
	const char *text;
};

struct lanes_opts {
	double width;           /* the picture's width in px */
	double height;          /* the most it may use; lanes shrink to fit */
	double from_ms, to_ms;  /* the window, after the first event; to < 0: all */
	const char *title;      /* NULL: the step's name */
	const struct lanes_mark *marks;
	size_t nmarks;
};

/* Draws T as one SVG document on F. Returns 0, or -1 when out of memory (F
 * then holds a partial picture). */
int lanes_draw(FILE *f, const struct trace *t, const struct lanes_opts *o);

#endif
