/*
 * tools/picture.h — what lanes.c (the layout) and marks.c (the marks on each
 * lane) share: the picture being drawn, its lanes, and its time-to-pixel map.
 */
#ifndef PICTURE_H
#define PICTURE_H

#include <stdio.h>

#include "legend.h"
#include "trace.h"

#define ROW_H 24                /* one row of child or DNS spans */
#define QUEUE_H 0.34            /* a pool lane: the queue waits' band on top, */
#define JOB_TOP 0.40            /* then the jobs' band from here down */
#define MAX_ROWS 6

enum lane_type { LANE_LOOP, LANE_THREAD, LANE_SPANS };

struct lane {
	enum lane_type type;
	size_t thread;          /* LANE_LOOP, LANE_THREAD */
	enum trace_kind kind;   /* LANE_SPANS: K_CHILD or K_DNS */
	int rows;
	double y, h;
	int labelled;
};

struct pic {
	FILE *f;
	const struct trace *t;
	double x0, x1;          /* the plot's edges, px */
	double w0, w1;          /* the window, µs */
	struct lane *lanes;
	size_t nlanes;
	size_t *lane_of;        /* thread index → lane index (or nlanes) */
	int *span_row;          /* span index → row (-1: not in the window) */
	struct legend legend;
	size_t merged, ticks;
};

/* Time TS (µs) as an x position on the plot. */
double pic_px(const struct pic *p, double ts);

/* [TS, END) in pixels clipped to the plot, in *A and *B; 0 if outside. */
int pic_clip(const struct pic *p, double ts, double end, double *a, double *b);

/* US microseconds for a label: "500 ms", "2.5 ms", "40 µs". */
void pic_duration(char *buf, size_t cap, double us);

/* The marks of one lane of each type (0, or -1 when out of memory), the flow
 * lines between lanes, and the instants (async sends, signals). */
int mark_loop(struct pic *p, const struct lane *l);
int mark_thread(struct pic *p, const struct lane *l);
int mark_spans(struct pic *p, const struct lane *l);
int mark_flows(struct pic *p);
void mark_instants(struct pic *p);

#endif
