/*
 * tools/lanes.c — lays a trace out as lanes (loop, pool threads, children, DNS
 * queries) on a time axis and draws it: the picture of tools/timeline.
 *
 * Every text is SVG_READABLE px or more, and the picture is never taller than
 * --height: pool threads idle in the window are left out first, then pool
 * threads share lanes, and the picture says which.
 */
#include "lanes.h"
#include "band.h"
#include "legend.h"
#include "picture.h"
#include "svg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TITLE_H 48              /* the title's line */
#define NOTES_H 34              /* the --mark callouts' line, when there are any */
#define LABEL_W 170             /* the lane names' column */
#define RIGHT 20
#define LOOP_H 64
#define THREAD_H 56             /* a pool lane's height when there is room */
#define THREAD_MIN 34           /* the least that holds a name and a job's label */
#define GAP 6
#define AXIS_H 40

/* Every label's colour on its fill has a contrast of at least 4.5:1 (WCAG's
 * AA): the job green is darker than svg.h's (white on it: 5.5:1, not 3.4). */
const struct kind_style kind_style[K_NKINDS] = {
	[K_POLL]       = { "#d3dce6", SVG_INK, "poll", "waiting in epoll_wait()" },
	[K_TIMERS]     = { SVG_ORANGE, SVG_INK, "timers", "timers" },
	[K_IO]         = { SVG_BLUE, "#ffffff", "io", "I/O callback" },
	[K_CLOSE]      = { SVG_PINK, SVG_INK, "close", "close callbacks" },
	[K_DONE]       = { "#003d2c", "#ffffff", "done", "done callback" },
	[K_LOOP_OTHER] = { "#5b6673", "#ffffff", "other", "other loop work" },
	[K_JOB]        = { "#00775a", "#ffffff", "job", "pool job" },
	[K_QUEUED]     = { "#8fd3ba", SVG_INK, "queued", "queued" },
	[K_ASYNC]      = { SVG_VERMIL, SVG_VERMIL, "async", "async_send → wake-up" },
	[K_SIGNAL]     = { SVG_RED, SVG_RED, "signal", "signal" },
	[K_CHILD]      = { SVG_SKY, SVG_INK, "child", "child process" },
	[K_DNS]        = { SVG_PURPLE, "#ffffff", "dns", "DNS query" },
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
 * (MAX rows at most); returns the number of rows used. When the rows are full
 * a span is merged into the one that frees first (its row R stored as -2 - R),
 * so 100,000 queries at once are a shade, not 100,000 bars drawn over each
 * other. */
static int pack_rows(struct pic *p, enum trace_kind kind, int max)
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
		int shared = r == max;
		if (shared) {
			r = 0;
			for (int k = 1; k < rows; k++)
				if (end[k] < end[r])
					r = k;
			p->legend.merged = 1;
		} else if (r == rows) {
			end[rows++] = b;
		}
		if (b > end[r])
			end[r] = b;
		p->span_row[i] = shared ? -2 - r : r;
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

/* Whether thread TH has anything to draw in the window. */
static int busy(const struct pic *p, const struct trace_thread *th)
{
	double a, b;
	for (size_t i = 0; i < th->nslices; i++)
		if (pic_clip(p, th->slices[i].ts - (th->slices[i].queued_ms > 0 ?
						    th->slices[i].queued_ms * 1000 : 0),
			     th->slices[i].ts + th->slices[i].dur, &a, &b))
			return 1;
	for (size_t i = 0; i < th->ninstants; i++)
		if (th->instants[i].ts >= p->w0 && th->instants[i].ts <= p->w1)
			return 1;
	return 0;
}

/* Chooses the lanes and their heights, from TOP down, in at most MAX_H; the
 * legend is measured already. Returns where the lanes end, or -1 when out of
 * memory. */
static double layout(struct pic *p, double top, double max_h)
{
	const struct trace *t = p->t;
	size_t n = 0, nbusy = 0;
	free(p->lanes);
	p->lanes = NULL;
	p->nlanes = 0;
	p->hidden = 0;
	p->legend.group = 0;
	for (size_t i = 0; i < t->nthreads; i++)
		if (i != t->loop && (t->threads[i].nslices || t->threads[i].ninstants ||
				     t->threads[i].name[0])) {
			p->order[n++] = i;
			nbusy += busy(p, &t->threads[i]);
		}
	sort_trace = t;
	qsort(p->order, n, sizeof *p->order, thread_order);

	/* What the loop and the span lanes take; span rows give way (down to
	 * one) when they would leave no room for a pool lane. */
	double avail;
	int rows[2], max_rows = MAX_ROWS;
	for (;;) {
		double fixed = top + AXIS_H + p->legend.height + 8;
		if (t->loop < t->nthreads)
			fixed += LOOP_H + 10;
		for (int k = 0; k < 2; k++) {
			rows[k] = pack_rows(p, K_CHILD + k, max_rows);
			fixed += rows[k] ? rows[k] * ROW_H + 6 + 10 : 0;
		}
		avail = max_h - fixed;
		if (n == 0 || avail >= THREAD_MIN + GAP || max_rows == 1)
			break;
		max_rows--;
	}

	/* Pool lanes: one each if they fit; else without the idle ones; else
	 * a few threads to a lane. */
	size_t fit = avail >= THREAD_MIN + GAP ? (size_t)(avail / (THREAD_MIN + GAP)) : 1;
	if (n > fit && nbusy < n) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (busy(p, &t->threads[p->order[i]]))
				p->order[k++] = p->order[i];
		p->hidden = n - k;
		n = k;
	}
	size_t per = n > fit ? (n + fit - 1) / fit : 1, nlanes = n ? (n + per - 1) / per : 0;
	double each = nlanes ? avail / (double)nlanes - GAP : 0;
	each = each > THREAD_H ? THREAD_H : each < 8 ? 8 : each;
	p->legend.group = per > 1 ? (int)per : 0;

	if (t->loop < t->nthreads && add_lane(p, (struct lane){ .type = LANE_LOOP,
						  .thread = t->loop, .h = LOOP_H }) < 0)
		return -1;
	for (size_t i = 0; i < n; i += per) {
		size_t m = n - i < per ? n - i : per;
		struct lane l = { .type = per > 1 ? LANE_GROUP : LANE_THREAD,
				  .thread = p->order[i], .members = &p->order[i], .nmembers = m,
				  .h = each };
		if (add_lane(p, l) < 0)
			return -1;
	}
	for (int k = 0; k < 2; k++)
		if (rows[k] && add_lane(p, (struct lane){ .type = LANE_SPANS, .kind = K_CHILD + k,
							  .rows = rows[k],
							  .h = rows[k] * ROW_H + 6 }) < 0)
			return -1;

	double y = top;
	for (size_t i = 0; i < t->nthreads; i++)
		p->lane_of[i] = (size_t)-1;
	for (size_t i = 0; i < p->nlanes; i++) {
		struct lane *l = &p->lanes[i];
		int pool = l->type == LANE_THREAD || l->type == LANE_GROUP;
		l->labelled = !pool || each >= TEXT + 2 || i % 2 == 1;
		l->y = y;
		y += l->h + (pool ? GAP : 10);
		if (l->type == LANE_GROUP)
			for (size_t m = 0; m < l->nmembers; m++)
				p->lane_of[l->members[m]] = i;
		else if (l->type != LANE_SPANS)
			p->lane_of[l->thread] = i;
	}
	return y;
}

static void axis(struct pic *p, double top, double bottom)
{
	double span_ms = (p->w1 - p->w0) / 1000, base_ms = (p->w0 - p->t->t_min) / 1000;
	double step = svg_nice_step(span_ms, 6);
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
		svg_text(p->f, x, bottom + 28, TEXT, "middle", 400, SVG_MUTED, "%s", num);
	}
	svg_text(p->f, p->x0 - 40, bottom + 28, TEXT, "end", 400, SVG_MUTED, "time, ms");
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
			/* Work merged into a shade is the shade's entry, not its own. */
			lg->used[s->kind] |= b - a >= BAND_WIDE_PX;
			lg->merged |= b - a < BAND_WIDE_PX;
			lg->ticks |= s->kind == K_POLL;
			if (s->queued_ms > 0 && pic_clip(p, s->ts - s->queued_ms * 1000, s->ts, &a, &b))
				lg->used[K_QUEUED] |= b - a >= BAND_WIDE_PX;
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

/* Lane L's name: the thread's, "pool-1…8" for a group of pool threads (or
 * "8 threads"), "children", "DNS queries". */
static void lane_name(const struct pic *p, const struct lane *l, char *name, size_t cap)
{
	if (l->type == LANE_SPANS) {
		snprintf(name, cap, "%s", l->kind == K_CHILD ? "children" : "DNS queries");
		return;
	}
	const struct trace_thread *th = &p->t->threads[l->thread];
	if (l->type == LANE_GROUP) {
		const struct trace_thread *z = &p->t->threads[l->members[l->nmembers - 1]];
		snprintf(name, cap, "%s…%s", th->name, z->name + 5);
		if (strncmp(th->name, "pool-", 5) != 0 || strncmp(z->name, "pool-", 5) != 0 ||
		    svg_text_width(name, TEXT) > LABEL_W - 16)
			snprintf(name, cap, "%zu threads", l->nmembers);
	} else if (th->name[0]) {
		snprintf(name, cap, "%s", th->name);
	} else {
		snprintf(name, cap, "thread %d", th->tid);
	}
}

static void lane_labels(struct pic *p)
{
	fputs("<g class=\"lane-labels\">\n", p->f);
	for (size_t i = 0; i < p->nlanes; i++) {
		const struct lane *l = &p->lanes[i];
		char name[80];
		double x = p->x0 - 10, cy = l->y + l->h / 2;

		lane_name(p, l, name, sizeof name);
		fprintf(p->f, "<rect class=\"lane-bg\" data-lane=\"");
		svg_escape(p->f, name);
		fprintf(p->f,
			"\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
			p->x0, l->y, p->x1 - p->x0, l->h, SVG_LANE);
		if (!l->labelled)
			continue;
		if (l->type == LANE_LOOP) {
			svg_text(p->f, x, cy - 5, TEXT, "end", 600, SVG_INK, "%s", name);
			svg_text(p->f, x, cy + 21, TEXT, "end", 400, SVG_MUTED, "%zu tick%s",
				 p->ticks, p->ticks == 1 ? "" : "s");
		} else {
			svg_text(p->f, x, cy + TEXT * 0.36, TEXT, "end",
				 l->type == LANE_SPANS ? 600 : 400, SVG_INK, "%s", name);
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
		threads += p->lanes[i].type == LANE_THREAD ? 1
			 : p->lanes[i].type == LANE_GROUP ? p->lanes[i].nmembers : 0;
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
		n += (size_t)snprintf(buf + n, cap - n, ". Pid %d, %zu events, %.0f ms shown",
				      p->t->pid, p->t->nevents, (p->w1 - p->w0) / 1000);
	if (n < cap && (p->w0 > p->t->t_min))
		n += (size_t)snprintf(buf + n, cap - n, " (from %.0f ms)",
				      (p->w0 - p->t->t_min) / 1000);
	if (n < cap)
		snprintf(buf + n, cap - n, ".");
}

int lanes_draw(FILE *f, const struct trace *t, const struct lanes_opts *o)
{
	struct pic p = { .f = f, .t = t, .x0 = LABEL_W, .x1 = o->width - RIGHT };
	char title[160], desc[600];
	int rc = -1, signals = 0;

	p.w0 = t->t_min + o->from_ms * 1000;
	p.w1 = o->to_ms >= 0 ? t->t_min + o->to_ms * 1000 : t->t_max;
	if (p.w1 <= p.w0)
		p.w1 = p.w0 + 1000;     /* one event, or a window past the end */
	p.lane_of = malloc((t->nthreads + 1) * sizeof *p.lane_of);
	p.order = malloc((t->nthreads + 1) * sizeof *p.order);
	p.span_row = malloc((t->nspans + 1) * sizeof *p.span_row);
	if (!p.lane_of || !p.order || !p.span_row)
		goto out;
	for (size_t i = 0; i < t->nspans; i++)
		p.span_row[i] = -1;

	scan(&p);
	signals = p.legend.used[K_SIGNAL];
	double top = TITLE_H + (o->nmarks ? NOTES_H : 0) + (signals ? 26 : 12);
	/* The legend says how pool threads were merged or left out, which the
	 * layout decides from the room the legend leaves: so twice, at most. */
	double end = 0;
	for (int pass = 0; pass < 2; pass++) {
		int group = p.legend.group, merged = p.legend.merged;
		size_t hidden = p.legend.hidden;
		legend_measure(&p.legend, 24, o->width - RIGHT);
		if ((end = layout(&p, top, o->height)) < 0)
			goto out;
		p.legend.hidden = p.hidden;
		if (p.legend.group == group && p.legend.hidden == hidden &&
		    p.legend.merged == merged)
			break;
	}
	legend_measure(&p.legend, 24, o->width - RIGHT);
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
	double bottom = end + 8 - (p.nlanes ? 10 : 0), height = bottom + AXIS_H + p.legend.height;
	if (height > o->height)
		height = o->height;
	svg_begin(f, o->width, height, title, desc);
	lane_labels(&p);
	axis(&p, top - 2, bottom);
	/* Labels keep clear of the callout lines drawn over them at the end. */
	double note_x[16];
	size_t nnotes = 0;
	for (size_t i = 0; i < o->nmarks && nnotes < sizeof note_x / sizeof note_x[0]; i++) {
		double ts = t->t_min + o->marks[i].at_ms * 1000;
		if (ts >= p.w0 && ts <= p.w1)
			note_x[nnotes++] = pic_px(&p, ts);
	}
	band_avoid(note_x, nnotes);
	for (size_t i = 0; i < p.nlanes; i++) {
		const struct lane *l = &p.lanes[i];
		int r = l->type == LANE_LOOP ? mark_loop(&p, l)
		      : l->type == LANE_THREAD ? mark_thread(&p, l)
		      : l->type == LANE_GROUP ? mark_group(&p, l) : mark_spans(&p, l);
		if (r < 0)
			goto out;
	}
	if (mark_flows(&p) < 0)
		goto out;
	mark_instants(&p);
	band_avoid(NULL, 0);
	mark_notes(&p, o->marks, o->nmarks, TITLE_H + NOTES_H - 10, bottom);
	legend_draw(f, &p.legend, 24, o->width - RIGHT, bottom + AXIS_H);
	svg_text(f, 24, 34, SVG_TITLE + 2, "start", 600, SVG_INK, "%s", title);
	svg_end(f);
	rc = 0;
out:
	band_avoid(NULL, 0);
	free(p.lanes);
	free(p.lane_of);
	free(p.order);
	free(p.span_row);
	return rc;
}
