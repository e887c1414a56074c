/*
 * tools/band.h — one horizontal band of a timeline picture, and how it stays
 * readable and small however many marks land on it.
 *
 * A mark at least BAND_WIDE_PX wide is drawn as itself: a rectangle with its
 * name inside when the name fits, and a tooltip. A narrower one cannot be seen
 * as itself, so it is merged: each pixel column adds up the share of its time
 * that such marks covered, and the band draws runs of columns shaded in four
 * steps of that share. So 10,000 one-microsecond slices become at most one
 * rectangle per column, and a loop that is busy 10% of the time looks pale,
 * not solid.
 */
#ifndef BAND_H
#define BAND_H

#include <stdio.h>

#define BAND_WIDE_PX 2.0

struct band {
	FILE *f;
	double x0, x1;          /* the plot's left and right edges */
	double y, h;            /* this band's top and height */
	int ncols;
	float *cover;           /* ncols shares, allocated on first use */
	const char *fill;       /* colour of the merged marks */
	size_t merged;          /* how many marks were merged */
};

/* A band drawing on F between X0 and X1, at Y with height H. */
void band_init(struct band *b, FILE *f, double x0, double x1, double y, double h);

/* Draws the mark [PX0, PX1) (pixels, already clipped to the plot) in FILL;
 * LABEL (may be NULL) goes inside in TEXT colour if it fits, TOOLTIP (may be
 * NULL) becomes its <title>. CLASS names the mark in the SVG (for tests and
 * styling). A narrow mark is merged instead (band_flush draws those). Returns
 * -1 when out of memory, else 0. */
int band_mark(struct band *b, double px0, double px1, const char *fill, const char *text,
	      const char *cls, const char *label, const char *tooltip);

/* Merges [PX0, PX1) into the band whatever its width, each column covered
 * counting WEIGHT (1: the whole column; 1/8: one of a group of 8 threads). */
int band_cover(struct band *b, double px0, double px1, const char *fill, double weight);

/* The x positions of the callout lines (lanes.c sets them before any band
 * draws): a label is moved right of a line that would cross it. */
void band_avoid(const double *xs, size_t n);

/* Where a text W px wide that would start at X starts instead, clear of the
 * callout lines: X, or just right of the last line in its way. */
double band_clear(double x, double w);

/* Draws the merged marks, in FILL, with class CLS; frees the band's memory. */
void band_flush(struct band *b, const char *cls);

#endif
