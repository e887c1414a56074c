/*
 * tools/band.c — a timeline band that draws wide marks and merges narrow ones
 * (see band.h).
 */
#include "band.h"
#include "svg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double *avoid_x;
static size_t navoid;

void band_avoid(const double *xs, size_t n)
{
	avoid_x = xs;
	navoid = n;
}

/* Each line pushes the text past it at most once: X only grows. */
double band_clear(double x, double w)
{
	for (int moved = 1; moved;) {
		moved = 0;
		for (size_t i = 0; i < navoid; i++)
			if (avoid_x[i] > x - 4 && avoid_x[i] < x + w + 4) {
				x = avoid_x[i] + 8;
				moved = 1;
			}
	}
	return x;
}

/* Cuts LABEL's " · " parts from the end until it fits in ROOM px with some
 * air on the right ("child 4711 echo · 200 ms · exit 0" → "child 4711 echo"),
 * or to nothing. */
static void fit_in(char *label, double room)
{
	while (label[0] && svg_text_width(label, SVG_READABLE) + 6 > room) {
		char *cut = strstr(label, " · "), *last = NULL;
		for (; cut; cut = strstr(cut + 1, " · "))
			last = cut;
		if (!last)
			label[0] = '\0';
		else
			*last = '\0';
	}
}

void band_init(struct band *b, FILE *f, double x0, double x1, double y, double h)
{
	*b = (struct band){ .f = f, .x0 = x0, .x1 = x1, .y = y, .h = h,
			    .ncols = (int)ceil(x1 - x0) };
}

int band_mark(struct band *b, double px0, double px1, const char *fill, const char *text,
	      const char *cls, const char *label, const char *tooltip)
{
	if (px1 - px0 >= BAND_WIDE_PX) {
		/* A pixel of ground on the right, so that two marks end to end
		 * (one job, then the next on the same thread) read as two. */
		double w = px1 - px0 >= 6 ? px1 - px0 - 1.5 : px1 - px0;
		fprintf(b->f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\" fill=\"%s\">", cls, px0, b->y, w, b->h, fill);
		if (tooltip) {
			fputs("<title>", b->f);
			svg_escape(b->f, tooltip);
			fputs("</title>", b->f);
		}
		fputs("</rect>\n", b->f);
		/* Text needs some air on both sides and a band tall enough for it;
		 * a label a callout line would cross starts right of the line, if
		 * it fits there. */
		char fit[256], first[256];
		double start = px0 + 6, at;
		snprintf(fit, sizeof fit, "%s", label ? label : "");
		svg_cut(fit);
		fit_in(fit, px1 - start);
		memcpy(first, fit, sizeof fit);
		while (fit[0] && (at = band_clear(start, svg_text_width(fit, SVG_READABLE))) != start) {
			start = at;
			fit_in(fit, px1 - start);
		}
		if (!fit[0]) {  /* crossed is better than not there */
			memcpy(fit, first, sizeof fit);
			start = px0 + 6;
		}
		if (fit[0] && b->h >= SVG_READABLE + 2)
			svg_text(b->f, start, b->y + b->h / 2 + SVG_READABLE * 0.36, SVG_READABLE,
				 "start", 400, text, "%s", fit);
		return 0;
	}
	return band_cover(b, px0, px1, fill, 1);
}

int band_cover(struct band *b, double px0, double px1, const char *fill, double weight)
{
	if (!b->cover) {
		b->cover = calloc((size_t)b->ncols + 1, sizeof *b->cover);
		if (!b->cover)
			return -1;
	}
	b->fill = fill;
	b->merged++;
	/* Each column gets the share of it that [px0, px1) covers; a mark of no
	 * length gets a trace of one, so that it shows (at the palest shade). */
	double a = px0 - b->x0, z = px1 - b->x0;
	if (z - a < 1e-4)
		z = a + 1e-4;
	for (int c = (int)floor(a); c <= (int)floor(z) && c <= b->ncols; c++) {
		if (c < 0)
			continue;
		double lo = a > c ? a : c, hi = z < c + 1 ? z : c + 1;
		if (hi > lo)
			b->cover[c] += (float)((hi - lo) * weight);
	}
	return 0;
}

/* The share of a column in four steps (0 = nothing there). */
static int level(float share)
{
	if (share <= 0)
		return 0;
	return share >= 1 ? 4 : (int)ceil(share * 4);
}

void band_flush(struct band *b, const char *cls)
{
	if (!b->cover)
		return;
	for (int c = 0; c <= b->ncols;) {
		int l = level(b->cover[c]), end = c + 1;
		if (l == 0) {
			c++;
			continue;
		}
		while (end <= b->ncols && level(b->cover[end]) == l)
			end++;
		double x = b->x0 + c, w = end - c;
		if (x + w > b->x1)
			w = b->x1 - x;
		fprintf(b->f, "<rect class=\"%s merged\" x=\"%.0f\" y=\"%.1f\" width=\"%.0f\" "
			"height=\"%.1f\" fill=\"%s\"", cls, x, b->y, w, b->h, b->fill);
		if (l < 4)
			fprintf(b->f, " fill-opacity=\"%.2f\"", l / 4.0);
		fputs("/>\n", b->f);
		c = end;
	}
	free(b->cover);
	b->cover = NULL;
}
