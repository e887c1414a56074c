/*
 * tools/lanes.c — lays a trace out as lanes (loop, pool threads, children, DNS
 * queries) on a time axis and draws it: the picture of tools/timeline.
 */
#include "lanes.h"
#include "band.h"
#include "legend.h"
#include "picture.h"
#include "svg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOP 108                 /* title, subtitle, and room for signal marks */
#define LABEL_W 150             /* the lane names' column */
#define RIGHT 28
#define LOOP_H 76
#define THREAD_H 52             /* a pool lane's height when there is room */
#define AXIS_H 44

const struct kind_style kind_style[K_NKINDS] = {
	[K_POLL]       = { "#d3dce6", SVG_MUTED, "poll", "waiting in epoll_wait()" },
	[K_TIMERS]     = { SVG_ORANGE, SVG_INK, "timers", "timers phase" },
	[K_IO]         = { SVG_BLUE, "#ffffff", "io", "I/O callback" },
	[K_CLOSE]      = { SVG_PINK, SVG_INK, "close", "close callbacks" },
	[K_DONE]       = { "#005c42", "#ffffff", "done", "a job's done callback" },
	[K_LOOP_OTHER] = { "#7b8794", "#ffffff", "other", "other loop work" },
	[K_JOB]        = { SVG_GREEN, "#ffffff", "job", "pool job" },
	[K_QUEUED]     = { "#8fd3ba", SVG_INK, "queued", "job waiting in the queue" },
	[K_ASYNC]      = { SVG_VERMIL, SVG_VERMIL, "async", "async_send() → wake-up" },
	[K_SIGNAL]     = { SVG_RED, SVG_RED, "signal", "signal" },
	[K_CHILD]      = { SVG_SKY, SVG_INK, "child", "child process" },
	[K_DNS]        = { SVG_PURPLE, "#ffffff", "dns", "DNS query (/resolve)" },
};

/* "pool-12" sorts after "pool-2": pool lanes in their number's order, then
 * other named threads, then unnamed ones by thread id. */
static const struct trace *sort_trace;
static int thread_order(const void *a, const void *b)
{
	const struct trace_thread *x = &sort_trace->threads[*(const size_t *)a];
	const struct trace_thread *y = &sort_trace->threads[*(const size_t *)b];
	int px_ = !strncmp(x->name, "pool-", 5), py_ = !strncmp(y->name, "pool-", 5);
	if (px_ != py_)
		return py_ - px_;
	if (px_)
		return atoi(x->name + 5) - atoi(y->name + 5);
	if (!x->name[0] != !y->name[0])
		return !x->name[0] - !y->name[0];
	return x->tid - y->tid;
}

/* Puts each span of KIND in the window on a row where it overlaps no other
 * (MAX_ROWS at most); returns the number of rows used. */
static int pack_rows(struct pic *p, enum trace_kind kind)
{
	double end[MAX_ROWS];
	int rows = 0;
	for (size_t i = 0; i < p->t->nspans; i++) {
		const struct trace_span *s = &p->t->spans[i];
		double a, b, e = s->end >= 0 ? s->end : p->t->t_max;
		if (s->kind != kind || !pic_clip(p, s->ts, e, &a, &b))
			continue;
		int r = 0;
		while (r < rows && end[r] + 3 > a)
			r++;
		if (r == MAX_ROWS) {    /* full: share the row that frees first */
			r = 0;
			for (int k = 1; k < rows; k++)
				if (end[k] < end[r])
					r = k;
		} else if (r == rows) {
			end[rows++] = b;
		}
		if (b > end[r])
			end[r] = b;
		p->span_row[i] = r;
	}
	return rows;
}

static int add_lane(struct pic *p, struct lane l)
{
	struct lane *q = realloc(p->lanes, (p->nlanes + 1) * sizeof *q);
	if (!q)
		return -1;
	p->lanes = q;
	p->lanes[p->nlanes++] = l;
	return 0;
}

/* Chooses the lanes and their heights; returns the picture's height, or -1
 * when out of memory. */
static double layout(struct pic *p, double max_h)
{
	const struct trace *t = p->t;
	size_t *order = malloc((t->nthreads + 1) * sizeof *order), n = 0;
	if (!order)
		return -1;
	if (t->loop < t->nthreads && add_lane(p, (struct lane){ .type = LANE_LOOP,
						  .thread = t->loop, .h = LOOP_H }) < 0)
		goto oom;
	for (size_t i = 0; i < t->nthreads; i++)
		if (i != t->loop && (t->threads[i].nslices || t->threads[i].ninstants ||
				     t->threads[i].name[0]))
			order[n++] = i;
	sort_trace = t;
	qsort(order, n, sizeof *order, thread_order);
	for (size_t i = 0; i < n; i++)
		if (add_lane(p, (struct lane){ .type = LANE_THREAD, .thread = order[i] }) < 0)
			goto oom;
	for (enum trace_kind k = K_CHILD; k <= K_DNS; k++) {
		int rows = pack_rows(p, k);
		if (rows && add_lane(p, (struct lane){ .type = LANE_SPANS, .kind = k, .rows = rows,
						       .h = rows * ROW_H + 6 }) < 0)
			goto oom;
	}
	free(order);

	/* Pool lanes take what the others leave, down to a sliver each. */
	double fixed = TOP + AXIS_H + p->legend.height, gap = 10;
	for (size_t i = 0; i < p->nlanes; i++)
		fixed += p->lanes[i].type == LANE_THREAD ? 0 : p->lanes[i].h + gap;
	double each = n ? (max_h - fixed) / (double)n : 0;
	if (each < THREAD_H * 0.6 + gap)
		gap = 3;
	each -= gap;
	each = each > THREAD_H ? THREAD_H : each < 6 ? 6 : each;

	double y = TOP, pitch = each + gap;
	int every = (int)ceil((SVG_SMALL + 4) / pitch);
	for (size_t i = 0, k = 0; i < p->nlanes; i++) {
		struct lane *l = &p->lanes[i];
		if (l->type == LANE_THREAD) {
			l->h = each;
			l->labelled = k % (size_t)every == 0;
			k++;
		} else {
			l->labelled = 1;
		}
		l->y = y;
		y += l->h + (l->type == LANE_THREAD ? gap : 10);
		if (l->type != LANE_SPANS)
			p->lane_of[l->thread] = i;
	}
	return y + AXIS_H + p->legend.height;
oom:
	free(order);
	return -1;
}

static void axis(struct pic *p, double top, double bottom)
{
	double span_ms = (p->w1 - p->w0) / 1000, base_ms = (p->w0 - p->t->t_min) / 1000;
	double step = svg_nice_step(span_ms, 10);
	char num[32];

	fputs("<g class=\"axis\">\n", p->f);
	fprintf(p->f, "<path d=\"M%.1f %.1fH%.1f\" stroke=\"%s\" stroke-width=\"1\"/>\n",
		p->x0, bottom, p->x1, SVG_MUTED);
	int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	/* Counted in whole steps, so that no rounding error adds or drops a tick. */
	long first = (long)ceil(base_ms / step - 1e-9),
	     last = (long)floor((base_ms + span_ms) / step + 1e-9);
	for (long k = first; k <= last; k++) {
		double v = (double)k * step;
		double x = p->x0 + (v - base_ms) / span_ms * (p->x1 - p->x0);
		fprintf(p->f, "<path d=\"M%.1f %.1fV%.1f\" stroke=\"%s\"/>"
			"<path d=\"M%.1f %.1fv5\" stroke=\"%s\"/>\n",
			x, top, bottom, SVG_GRID, x, bottom, SVG_MUTED);
		if (decimals == 0)
			svg_thousands(num, sizeof num, (long long)llround(v));
		else
			snprintf(num, sizeof num, "%.*f", decimals, v);
		svg_text(p->f, x, bottom + 21, SVG_SMALL, "middle", 400, SVG_MUTED, "%s", num);
	}
	svg_text(p->f, p->x0 - 32, bottom + 21, SVG_SMALL, "end", 400, SVG_MUTED, "time, ms");
	fputs("</g>\n", p->f);
}

/* What the picture will show, for the legend (which is laid out first). */
static void scan(struct pic *p)
{
	const struct trace *t = p->t;
	struct legend *lg = &p->legend;
	double a, b;
	for (size_t i = 0; i < t->nthreads; i++) {
		const struct trace_thread *th = &t->threads[i];
		for (size_t k = 0; k < th->nslices; k++) {
			const struct trace_slice *s = &th->slices[k];
			if (!pic_clip(p, s->ts, s->ts + s->dur, &a, &b))
				continue;
			lg->used[s->kind] = 1;
			lg->merged |= b - a < BAND_WIDE_PX;
			lg->ticks |= s->kind == K_POLL;
			if (s->queued_ms > 0)
				lg->used[K_QUEUED] = 1;
		}
		for (size_t k = 0; k < th->ninstants; k++)
			if (th->instants[k].ts >= p->w0 && th->instants[k].ts <= p->w1)
				lg->used[th->instants[k].kind] = 1;
	}
	for (size_t i = 0; i < t->nspans; i++)
		if (pic_clip(p, t->spans[i].ts, t->spans[i].end >= 0 ? t->spans[i].end : t->t_max,
			     &a, &b)) {
			lg->used[t->spans[i].kind] = 1;
			lg->merged |= b - a < BAND_WIDE_PX;
		}
	for (size_t i = 0; i < t->nflows; i++)
		lg->pool_flows |= t->flows[i].cat == FLOW_POOL;
	for (size_t i = 0; i < t->nnotes; i++)
		lg->notes |= t->notes[i].ts >= p->w0 && t->notes[i].ts <= p->w1;
}

static void lane_labels(struct pic *p)
{
	fputs("<g class=\"lane-labels\">\n", p->f);
	for (size_t i = 0; i < p->nlanes; i++) {
		const struct lane *l = &p->lanes[i];
		const struct trace_thread *th =
			l->type == LANE_SPANS ? NULL : &p->t->threads[l->thread];
		char name[48];
		double x = p->x0 - 12, cy = l->y + l->h / 2;

		if (l->type == LANE_SPANS)
			snprintf(name, sizeof name, "%s",
				 l->kind == K_CHILD ? "children" : "DNS queries");
		else if (th->name[0])
			snprintf(name, sizeof name, "%s", th->name);
		else
			snprintf(name, sizeof name, "thread %d", th->tid);
		fprintf(p->f, "<rect class=\"lane-bg\" data-lane=\"");
		svg_escape(p->f, name);
		fprintf(p->f,
			"\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
			p->x0, l->y, p->x1 - p->x0, l->h, SVG_LANE);
		if (!l->labelled)
			continue;
		if (l->type == LANE_LOOP) {
			svg_text(p->f, x, cy - 2, SVG_LABEL + 1, "end", 600, SVG_INK, "%s", name);
			svg_text(p->f, x, cy + 16, SVG_SMALL, "end", 400, SVG_MUTED, "%zu ticks",
				 p->ticks);
		} else {
			svg_text(p->f, x, cy + SVG_SMALL * 0.36, l->h >= 20 ? SVG_LABEL : SVG_SMALL,
				 "end", l->type == LANE_SPANS ? 600 : 400, SVG_INK, "%s", name);
		}
	}
	fputs("</g>\n", p->f);
}

static size_t count_ticks(const struct pic *p)
{
	size_t n = 0;
	if (p->t->loop >= p->t->nthreads)
		return 0;
	const struct trace_thread *th = &p->t->threads[p->t->loop];
	for (size_t i = 0; i < th->nslices; i++)
		n += th->slices[i].kind == K_POLL && th->slices[i].ts >= p->w0 &&
		     th->slices[i].ts <= p->w1;
	return n;
}

/* The picture in words, for its <desc>: what lanes it has, over how long. */
static void describe(const struct pic *p, char *buf, size_t cap)
{
	size_t threads = 0, n;
	int children = 0, dns = 0;
	for (size_t i = 0; i < p->nlanes; i++) {
		threads += p->lanes[i].type == LANE_THREAD;
		children |= p->lanes[i].type == LANE_SPANS && p->lanes[i].kind == K_CHILD;
		dns |= p->lanes[i].type == LANE_SPANS && p->lanes[i].kind == K_DNS;
	}
	n = (size_t)snprintf(buf, cap, "A timeline of %.0f ms of a run of %s, drawn by "
			     "tools/timeline from its --trace-events file: the loop thread "
			     "(%zu ticks)", (p->w1 - p->w0) / 1000,
			     p->t->step[0] ? p->t->step : "a server", p->ticks);
	if (n < cap && threads)
		n += (size_t)snprintf(buf + n, cap - n, ", %zu pool thread%s with %s jobs "
				      "and queue waits", threads, threads == 1 ? "" : "s",
				      threads == 1 ? "its" : "their");
	if (n < cap && children)
		n += (size_t)snprintf(buf + n, cap - n, ", child processes");
	if (n < cap && dns)
		n += (size_t)snprintf(buf + n, cap - n, ", DNS queries");
	if (n < cap)
		snprintf(buf + n, cap - n, ".");
}

int lanes_draw(FILE *f, const struct trace *t, const struct lanes_opts *o)
{
	struct pic p = { .f = f, .t = t, .x0 = LABEL_W, .x1 = o->width - RIGHT };
	char title[160], num[32], desc[400];
	int rc = -1;

	p.w0 = t->t_min + o->from_ms * 1000;
	p.w1 = o->to_ms >= 0 ? t->t_min + o->to_ms * 1000 : t->t_max;
	if (p.w1 <= p.w0)
		p.w1 = p.w0 + 1000;     /* one event, or a window past the end */
	p.lane_of = malloc((t->nthreads + 1) * sizeof *p.lane_of);
	p.span_row = malloc((t->nspans + 1) * sizeof *p.span_row);
	if (!p.lane_of || !p.span_row)
		goto out;
	for (size_t i = 0; i < t->nthreads; i++)
		p.lane_of[i] = (size_t)-1;
	for (size_t i = 0; i < t->nspans; i++)
		p.span_row[i] = -1;

	scan(&p);
	legend_measure(&p.legend, 24, o->width - RIGHT);
	double height = layout(&p, o->height);
	if (height < 0)
		goto out;
	for (size_t i = 0; i < t->nthreads; i++)
		if (p.lane_of[i] == (size_t)-1)
			p.lane_of[i] = p.nlanes;
	p.ticks = count_ticks(&p);

	if (o->title)
		snprintf(title, sizeof title, "%s", o->title);
	else
		snprintf(title, sizeof title, "%s: a traced run", t->step[0] ? t->step : "trace");
	svg_cut(title);
	describe(&p, desc, sizeof desc);
	svg_begin(f, o->width, height, title, desc);
	double bottom = p.nlanes ? p.lanes[p.nlanes - 1].y + p.lanes[p.nlanes - 1].h + 8 : TOP;
	lane_labels(&p);
	axis(&p, TOP - 2, bottom);
	for (size_t i = 0; i < p.nlanes; i++) {
		const struct lane *l = &p.lanes[i];
		int r = l->type == LANE_LOOP ? mark_loop(&p, l)
		      : l->type == LANE_THREAD ? mark_thread(&p, l) : mark_spans(&p, l);
		if (r < 0)
			goto out;
	}
	if (mark_flows(&p) < 0)
		goto out;
	mark_instants(&p);
	legend_draw(f, &p.legend, 24, o->width - RIGHT, bottom + AXIS_H);

	svg_text(f, 24, 42, SVG_TITLE, "start", 600, SVG_INK, "%s", title);
	fprintf(f, "<text x=\"24\" y=\"72\" font-size=\"%d\" fill=\"%s\">", SVG_SUBTITLE,
		SVG_MUTED);
	svg_escape(f, t->step[0] ? t->step : "trace");
	fprintf(f, ", pid %d: %s events", t->pid,
		svg_thousands(num, sizeof num, (long long)t->nevents));
	fprintf(f, ", %.0f ms shown", (p.w1 - p.w0) / 1000);
	if (o->from_ms > 0 || o->to_ms >= 0)
		fprintf(f, " (from %.0f ms)", o->from_ms);
	fputs("</text>\n", f);
	svg_end(f);
	rc = 0;
out:
	free(p.lanes);
	free(p.lane_of);
	free(p.span_row);
	return rc;
}
