/*
 * tools/legend.h — how each kind of mark looks on a timeline, and the legend
 * that explains the ones a picture shows (and only those).
 */
#ifndef LEGEND_H
#define LEGEND_H

#include <stdio.h>

#include "trace.h"

struct kind_style {
	const char *fill;       /* the mark's colour */
	const char *text;       /* a label's colour on that fill */
	const char *cls;        /* its SVG class */
	const char *legend;     /* what the legend calls it */
};

extern const struct kind_style kind_style[K_NKINDS];

struct legend {
	int used[K_NKINDS];
	int ticks, pool_flows, notes, merged;   /* the other things a picture may show */
	int group;              /* pool threads to a lane, when more than one */
	size_t hidden;          /* idle pool threads left out */
	double height;          /* set by legend_measure() */
};

/* Lays the legend out for a plot X0..X1 wide; sets and returns L->height. */
double legend_measure(struct legend *l, double x0, double x1);

/* Draws it with its top at Y. */
void legend_draw(FILE *f, const struct legend *l, double x0, double x1, double y);

#endif
