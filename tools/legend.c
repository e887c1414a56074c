/*
 * tools/legend.c — the timeline's legend: one swatch and name per kind of mark
 * on the picture, wrapped into rows.
 */
#include "legend.h"
#include "svg.h"

#include <stdio.h>

#define ROW 32
#define SWATCH 20
#define SPACE 24                /* between items */

enum swatch { SW_NONE, SW_BAR, SW_THIN, SW_TICK, SW_LINE, SW_DIAMOND, SW_TRIANGLE, SW_DOT,
	      SW_SHADE };

struct item {
	enum swatch sw;
	const char *fill, *name;
};

static char group_text[80], hidden_text[80];

/* The legend's items, in reading order: the loop's, the pool's, the rest. */
static size_t items(const struct legend *l, struct item *it)
{
	static const enum trace_kind order[] = { K_POLL, K_IO, K_DONE, K_TIMERS, K_CLOSE,
		K_LOOP_OTHER, K_JOB, K_QUEUED, K_ASYNC, K_SIGNAL, K_CHILD, K_DNS };
	size_t n = 0;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		enum trace_kind k = order[i];
		if (k == K_ASYNC && l->pool_flows)
			it[n++] = (struct item){ SW_LINE, "#5b6673", "submit → job → done" };
		if (!l->used[k])
			continue;
		enum swatch sw = k == K_POLL ? SW_THIN : k == K_QUEUED ? SW_THIN
			       : k == K_ASYNC ? SW_DIAMOND : k == K_SIGNAL ? SW_TRIANGLE : SW_BAR;
		it[n++] = (struct item){ sw, kind_style[k].fill, kind_style[k].legend };
		if (k == K_DNS && l->notes)
			it[n++] = (struct item){ SW_DOT, SVG_INK, "a retry, or TCP" };
		if (k == K_POLL && l->ticks)
			it[n++] = (struct item){ SW_TICK, SVG_MUTED, "tick" };
	}
	if (l->group) {
		snprintf(group_text, sizeof group_text, "%d pool threads a lane, shaded by "
			 "how many are busy", l->group);
		it[n++] = (struct item){ SW_SHADE, "#00775a", group_text };
	} else if (l->merged) {
		it[n++] = (struct item){ SW_SHADE, SVG_BLUE, "shade: share busy (short work)" };
	}
	if (l->hidden) {
		snprintf(hidden_text, sizeof hidden_text, "+ %zu idle pool thread%s not shown",
			 l->hidden, l->hidden == 1 ? "" : "s");
		it[n++] = (struct item){ SW_NONE, SVG_INK, hidden_text };
	}
	return n;
}

static double item_width(const struct item *it)
{
	return (it->sw == SW_NONE ? 0 : SWATCH + 7) + svg_text_width(it->name, SVG_READABLE);
}

double legend_measure(struct legend *l, double x0, double x1)
{
	struct item it[K_NKINDS + 6];
	size_t n = items(l, it);
	double x = x0;
	int rows = n ? 1 : 0;
	for (size_t i = 0; i < n; i++) {
		if (x > x0 && x + item_width(&it[i]) > x1) {
			rows++;
			x = x0;
		}
		x += item_width(&it[i]) + SPACE;
	}
	l->height = rows * ROW + 8;
	return l->height;
}

static void swatch(FILE *f, const struct item *it, double x, double y)
{
	switch (it->sw) {
	case SW_NONE:
		break;
	case SW_BAR:
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"14\" fill=\"%s\"/>",
			x, y - 7, SWATCH, it->fill);
		break;
	case SW_THIN:
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"7\" fill=\"%s\"/>",
			x, y - 3.5, SWATCH, it->fill);
		break;
	case SW_TICK:
		fprintf(f, "<path d=\"M%.1f %.1fv10\" stroke=\"%s\" stroke-width=\"1.5\"/>",
			x + SWATCH / 2.0, y - 5, it->fill);
		break;
	case SW_LINE:
		fprintf(f, "<path d=\"M%.1f %.1fl%d -8\" stroke=\"%s\" stroke-width=\"1.5\"/>",
			x, y + 4, SWATCH, it->fill);
		break;
	case SW_DIAMOND:
		fprintf(f, "<path d=\"M%.1f %.1fl5 5 -5 5 -5 -5z\" fill=\"%s\"/>",
			x + SWATCH / 2.0, y - 5, it->fill);
		break;
	case SW_TRIANGLE:
		fprintf(f, "<path d=\"M%.1f %.1fh14l-7 11z\" fill=\"%s\"/>", x + 2, y - 6,
			it->fill);
		break;
	case SW_DOT:
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#ffffff\" "
			"stroke=\"%s\" stroke-width=\"1.5\"/>", x + SWATCH / 2.0, y, it->fill);
		break;
	case SW_SHADE:
		for (int k = 0; k < 3; k++)
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"6\" height=\"14\" "
				"fill=\"%s\" fill-opacity=\"%.2f\"/>", x + 6 * k, y - 7, it->fill,
				0.25 + 0.375 * k);
		break;
	}
}

void legend_draw(FILE *f, const struct legend *l, double x0, double x1, double y)
{
	struct item it[K_NKINDS + 6];
	size_t n = items(l, it);
	double x = x0, cy = y + ROW / 2.0;

	fputs("<g class=\"legend\">\n", f);
	for (size_t i = 0; i < n; i++) {
		if (x > x0 && x + item_width(&it[i]) > x1) {
			cy += ROW;
			x = x0;
		}
		swatch(f, &it[i], x, cy);
		svg_text(f, x + (it[i].sw == SW_NONE ? 0 : SWATCH + 7), cy + 8, SVG_READABLE,
			 "start", 400, SVG_INK, "%s", it[i].name);
		x += item_width(&it[i]) + SPACE;
	}
	fputs("</g>\n", f);
}
