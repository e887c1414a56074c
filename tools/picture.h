/*
 * tools/picture.h — what lanes.c (the layout) and marks.c (the marks on each
 * lane) share: the picture being drawn, its lanes, and its time-to-pixel map.
 */
#ifndef PICTURE_H
#define PICTURE_H

#include <stdio.h>

#include "lanes.h"
#include "legend.h"
#include "svg.h"
#include "trace.h"

#define TEXT SVG_READABLE       /* every text of the picture: svg.h */
#define ROW_H 32                /* one row of child or DNS spans */
#define QUEUE_H 0.22            /* a pool lane: the queue waits' band on top, */
#define JOB_TOP 0.28            /* then the jobs' band from here down */
#define MAX_ROWS 6
#define MARK_INK "#a33f00"      /* a callout: vermilion, dark enough for text */

/* A group is several pool threads on one lane, when one lane each would not
 * fit in --height: their jobs merged, shaded by the share of them busy. */
enum lane_type { LANE_LOOP, LANE_THREAD, LANE_GROUP, LANE_SPANS };

struct lane {
	enum lane_type type;
	size_t thread;          /* LANE_LOOP, LANE_THREAD; LANE_GROUP: its first */
	const size_t *members;  /* LANE_GROUP: its threads, NMEMBERS of them */
	size_t nmembers;
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
	size_t *order;          /* the pool lanes' threads, in lane order */
	size_t hidden;          /* idle threads left out for lack of room */
};

/* Time TS (µs) as an x position on the plot. */
double pic_px(const struct pic *p, double ts);

/* [TS, END) in pixels clipped to the plot, in *A and *B; 0 if outside. */
int pic_clip(const struct pic *p, double ts, double end, double *a, double *b);

/* A slice's label: what the client asked ("/block 800") when the recorder
 * says, else its name ("io fd 7 (conn)"). */
const char *pic_label(const struct pic *p, const struct trace_slice *s);

/* US microseconds for a label: "500 ms", "2.5 ms", "40 µs". */
void pic_duration(char *buf, size_t cap, double us);

/* The marks of one lane of each type (0, or -1 when out of memory), the flow
 * lines between lanes, and the instants (async sends, signals). */
int mark_loop(struct pic *p, const struct lane *l);
int mark_thread(struct pic *p, const struct lane *l);
int mark_group(struct pic *p, const struct lane *l);
int mark_spans(struct pic *p, const struct lane *l);
int mark_flows(struct pic *p);
void mark_instants(struct pic *p);

/* The callouts of --mark, their text on the line at Y, their lines down to
 * BOTTOM. */
void mark_notes(struct pic *p, const struct lanes_mark *m, size_t n, double y, double bottom);

#endif
