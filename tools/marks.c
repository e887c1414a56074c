/*
 * tools/marks.c — the marks on a timeline's lanes: the loop's waits, work and
 * ticks; the pool's jobs and queue waits; child and DNS spans; flow lines;
 * async sends and signals.
 */
#include "band.h"
#include "picture.h"
#include "svg.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RIGHT_SLACK 16          /* the picture's margin right of the plot */

double pic_px(const struct pic *p, double ts)
{
	return p->x0 + (ts - p->w0) / (p->w1 - p->w0) * (p->x1 - p->x0);
}

int pic_clip(const struct pic *p, double ts, double end, double *a, double *b)
{
	if (end < p->w0 || ts > p->w1)
		return 0;
	*a = pic_px(p, ts < p->w0 ? p->w0 : ts);
	*b = pic_px(p, end > p->w1 ? p->w1 : end);
	return 1;
}

const char *pic_label(const struct pic *p, const struct trace_slice *s)
{
	return trace_str(p->t, s->cmd ? s->cmd : s->name);
}

void pic_duration(char *buf, size_t cap, double us)
{
	if (us >= 10000)
		snprintf(buf, cap, "%.0f ms", us / 1000);
	else if (us >= 1000)
		snprintf(buf, cap, "%.1f ms", us / 1000);
	else
		snprintf(buf, cap, "%.0f µs", us);
}

int mark_loop(struct pic *p, const struct lane *l)
{
	const struct trace_thread *th = &p->t->threads[l->thread];
	struct band wait, run[K_NKINDS], inner[K_NKINDS];
	char label[200], tip[400], d[32];
	double a, b, last_tick = -10, outer_end = -1;

	band_init(&wait, p->f, p->x0, p->x1, l->y + l->h * 0.3, l->h * 0.4);
	for (int k = 0; k < K_NKINDS; k++) {
		band_init(&run[k], p->f, p->x0, p->x1, l->y, l->h);
		band_init(&inner[k], p->f, p->x0, p->x1, l->y + l->h * 0.5, l->h * 0.5);
	}
	fprintf(p->f, "<path class=\"ticks\" stroke=\"%s\" stroke-width=\"1\" d=\"", SVG_MUTED);
	for (size_t i = 0; i < th->nslices; i++) {
		const struct trace_slice *s = &th->slices[i];
		if (s->kind == K_POLL && s->ts >= p->w0 && s->ts <= p->w1 &&
		    pic_px(p, s->ts) - last_tick >= 3) {
			last_tick = pic_px(p, s->ts);
			fprintf(p->f, "M%.1f %.1fv7", last_tick, l->y - 9);
		}
	}
	fputs("\"/>\n", p->f);
	for (int pass = 0; pass < 2; pass++) {  /* the waits first, the work over them */
		for (size_t i = 0; i < th->nslices; i++) {
			const struct trace_slice *s = &th->slices[i];
			if ((s->kind == K_POLL) != (pass == 0)
			    || !pic_clip(p, s->ts, s->ts + s->dur, &a, &b))
				continue;
			const struct kind_style *st = &kind_style[s->kind];
			/* A slice inside the one before it (a job's done callback inside
			 * the wake-up's I/O callback) takes the lower half, so that both
			 * show. Slices are sorted by start, the longer first. */
			int nested = pass == 1 && s->ts + s->dur <= outer_end;
			struct band *bd = pass == 0 ? &wait : nested ? &inner[s->kind] : &run[s->kind];
			if (pass == 1 && !nested)
				outer_end = s->ts + s->dur;
			pic_duration(d, sizeof d, s->dur);
			snprintf(label, sizeof label, "%s · %s", pic_label(p, s), d);
			svg_cut(label);
			snprintf(tip, sizeof tip, "%s%s%s · %s", trace_str(p->t, s->name),
				 s->cmd ? " · " : "", trace_str(p->t, s->cmd), d);
			svg_cut(tip);
			if (band_mark(bd, a, b, st->fill, st->text, st->cls,
				      pass == 0 ? trace_str(p->t, s->name) : label, tip) < 0)
				return -1;
		}
	}
	p->merged += wait.merged;
	band_flush(&wait, kind_style[K_POLL].cls);
	for (int k = 0; k < K_NKINDS; k++) {
		p->merged += run[k].merged + inner[k].merged;
		band_flush(&run[k], kind_style[k].cls);
	}
	for (int k = 0; k < K_NKINDS; k++)
		band_flush(&inner[k], kind_style[k].cls);
	return 0;
}

int mark_thread(struct pic *p, const struct lane *l)
{
	const struct trace_thread *th = &p->t->threads[l->thread];
	struct band queue, job;
	char label[200], tip[240], d[32];
	double a, b, callout_end = -1;

	band_init(&queue, p->f, p->x0, p->x1, l->y, l->h * QUEUE_H);
	band_init(&job, p->f, p->x0, p->x1, l->y + l->h * JOB_TOP, l->h * (1 - JOB_TOP));
	for (size_t i = 0; i < th->nslices; i++) {
		const struct trace_slice *s = &th->slices[i];
		double q = s->queued_ms > 0 ? s->queued_ms * 1000 : 0;
		if (q > 0 && pic_clip(p, s->ts - q, s->ts, &a, &b)) {
			pic_duration(d, sizeof d, q);
			snprintf(tip, sizeof tip, "%s queued · %s", pic_label(p, s), d);
			svg_cut(tip);
			if (band_mark(&queue, a, b, kind_style[K_QUEUED].fill, SVG_INK,
				      kind_style[K_QUEUED].cls, tip, tip) < 0)
				return -1;
		}
		if (!pic_clip(p, s->ts, s->ts + s->dur, &a, &b))
			continue;
		const struct kind_style *st = &kind_style[s->kind];
		pic_duration(d, sizeof d, s->dur);
		snprintf(label, sizeof label, "%s · %s", pic_label(p, s), d);
		svg_cut(label);
		if (band_mark(&job, a, b, st->fill, st->text, st->cls, label, label) < 0)
			return -1;
		/* A job too short to see gets its name beside it, where the lane is
		 * free up to its next job: a /cat between two slow lookups is the
		 * point of the picture, not a detail. */
		double next = i + 1 < th->nslices ? pic_px(p, th->slices[i + 1].ts) : p->x1;
		double w = svg_text_width(label, TEXT), x = band_clear(b + 5, w);
		if (b - a < BAND_WIDE_PX && job.h >= TEXT + 2 && a > callout_end &&
		    x + 7 + w < next && x + 7 + w < p->x1) {
			svg_text(p->f, x, job.y + job.h / 2 + TEXT * 0.36, TEXT,
				 "start", 400, SVG_INK, "%s", label);
			callout_end = x + 7 + w;
		}
	}
	p->merged += queue.merged + job.merged;
	band_flush(&queue, kind_style[K_QUEUED].cls);
	band_flush(&job, kind_style[K_JOB].cls);
	return 0;
}

/* A lane of several threads: each column of its bands shaded by the share of
 * the threads busy there; and, when all their jobs are one command and run at
 * once, "7 × /work 500" over them. */
int mark_group(struct pic *p, const struct lane *l)
{
	struct band queue, job;
	double a, b, w = 1.0 / (double)l->nmembers, first = -1, last = -1;
	const struct trace_slice *one = NULL;
	int same = 1;
	size_t n = 0;

	band_init(&queue, p->f, p->x0, p->x1, l->y, l->h * QUEUE_H);
	band_init(&job, p->f, p->x0, p->x1, l->y + l->h * JOB_TOP, l->h * (1 - JOB_TOP));
	for (size_t m = 0; m < l->nmembers; m++) {
		const struct trace_thread *th = &p->t->threads[l->members[m]];
		for (size_t i = 0; i < th->nslices; i++) {
			const struct trace_slice *s = &th->slices[i];
			double q = s->queued_ms > 0 ? s->queued_ms * 1000 : 0;
			if (q > 0 && pic_clip(p, s->ts - q, s->ts, &a, &b) &&
			    band_cover(&queue, a, b, kind_style[K_QUEUED].fill, w) < 0)
				return -1;
			if (!pic_clip(p, s->ts, s->ts + s->dur, &a, &b))
				continue;
			if (band_cover(&job, a, b, kind_style[s->kind].fill, w) < 0)
				return -1;
			same &= !one || (!strcmp(pic_label(p, s), pic_label(p, one)) &&
					 fabs(s->dur - one->dur) < one->dur * 0.2 + 1000);
			one = one ? one : s;
			/* The label goes where every one of them runs: solid. */
			first = a > first ? a : first;
			last = last < 0 || b < last ? b : last;
			n++;
		}
	}
	p->merged += queue.merged + job.merged;
	band_flush(&queue, kind_style[K_QUEUED].cls);
	band_flush(&job, kind_style[K_JOB].cls);
	if (one && same && job.h >= TEXT + 2) {
		char label[240], d[32];
		pic_duration(d, sizeof d, one->dur);
		snprintf(label, sizeof label, "%zu × %s · %s", n, pic_label(p, one), d);
		svg_cut(label);
		double x = band_clear(first + 6, svg_text_width(label, TEXT));
		if (x + svg_text_width(label, TEXT) + 6 <= last)
			svg_text(p->f, x, job.y + job.h / 2 + TEXT * 0.36, TEXT, "start", 400,
				 kind_style[K_JOB].text, "%s", label);
	}
	return 0;
}

int mark_spans(struct pic *p, const struct lane *l)
{
	char label[240], d[32];
	double a, b;

	for (int r = 0; r < l->rows; r++) {
		struct band row;
		band_init(&row, p->f, p->x0, p->x1, l->y + 3 + r * ROW_H, ROW_H - 4);
		for (size_t i = 0; i < p->t->nspans; i++) {
			const struct trace_span *s = &p->t->spans[i];
			double e = s->end >= 0 ? s->end : p->t->t_max;
			if (s->kind != l->kind || (p->span_row[i] != r && p->span_row[i] != -2 - r)
			    || !pic_clip(p, s->ts, e, &a, &b))
				continue;
			const struct kind_style *st = &kind_style[s->kind];
			if (p->span_row[i] < 0) {       /* the rows were full: merged */
				if (band_cover(&row, a, b, st->fill, 1) < 0)
					return -1;
				continue;
			}
			pic_duration(d, sizeof d, e - s->ts);
			snprintf(label, sizeof label, "%s · %s%s%s", trace_str(p->t, s->name), d,
				 s->outcome ? " · " : s->end < 0 ? " · still running" : "",
				 trace_str(p->t, s->outcome));
			svg_cut(label);
			if (band_mark(&row, a, b, st->fill, st->text, st->cls, label, label) < 0)
				return -1;
			/* Its notes (a retry, the TCP fallback) as dots on the bar. */
			for (size_t k = s->first_note; k < s->first_note + s->nnotes; k++) {
				const struct trace_instant *n = &p->t->notes[k];
				if (n->ts < p->w0 || n->ts > p->w1)
					continue;
				fprintf(p->f,
					"<circle class=\"note\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
					"fill=\"#ffffff\" stroke=\"%s\" "
					"stroke-width=\"1.5\"><title>",
					pic_px(p, n->ts), row.y + row.h / 2, SVG_INK);
				svg_escape(p->f, trace_str(p->t, n->name));
				fputs("</title></circle>\n", p->f);
			}
		}
		p->merged += row.merged;
		band_flush(&row, kind_style[l->kind].cls);
	}
	return 0;
}

/* Where a flow line meets thread TH's lane: the loop lane's bottom edge, a
 * pool lane's job band's top. Returns 0 when the thread has no lane. */
static int flow_y(const struct pic *p, size_t th, double *y, size_t *lane)
{
	if (th >= p->t->nthreads || p->lane_of[th] >= p->nlanes)
		return 0;
	const struct lane *l = &p->lanes[*lane = p->lane_of[th]];
	*y = l->type == LANE_LOOP ? l->y + l->h : l->y + l->h * JOB_TOP;
	return 1;
}

/* The job that flow step T started on its worker, or NULL. */
static const struct trace_slice *job_of(const struct pic *p, const struct trace_flow *t)
{
	const struct trace_thread *th = &p->t->threads[t->thread];
	size_t lo = 0, hi = th->nslices;
	while (lo < hi) {       /* the first slice starting after t (plus slack) */
		size_t mid = (lo + hi) / 2;
		if (th->slices[mid].ts <= t->ts + 50)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0 && lo - i <= 4;)
		if (th->slices[i].kind == K_JOB && th->slices[i].ts + th->slices[i].dur >= t->ts)
			return &th->slices[i];
	return NULL;
}

/* A set of lines already drawn, by their ends rounded to 3 px: a thousand
 * flows between the same two places are drawn once, and 2,048 lines at most
 * (more would be a smear that says nothing more). */
#define SEEN_CAP 4096
struct seen { uint64_t key[SEEN_CAP]; size_t n; };

static int seen_add(struct seen *s, uint64_t key)
{
	size_t i = (size_t)((key * 11400714819323198485u) >> 50) % SEEN_CAP;
	if (s->n >= SEEN_CAP / 2)
		return 0;       /* enough lines: more would not show anything new */
	key |= 1u;              /* 0 marks a free slot */
	for (; s->key[i]; i = (i + 1) % SEEN_CAP)
		if (s->key[i] == key)
			return 0;
	s->key[i] = key;
	s->n++;
	return 1;
}

/* A curve from FROM (at FROM_TS) to TO, in the flow category's style; an
 * async flow ends in a dot on the loop lane: the wake-up that handled it. */
static void flow_line(struct pic *p, struct seen *seen, const struct trace_flow *from,
		      double from_ts, const struct trace_flow *to)
{
	int async = from->cat == FLOW_ASYNC;
	double y1, y2, x1, x2;
	size_t l1, l2;
	if (!flow_y(p, from->thread, &y1, &l1) || !flow_y(p, to->thread, &y2, &l2) || l1 == l2)
		return;
	if ((from_ts < p->w0 && to->ts < p->w0) || (from_ts > p->w1 && to->ts > p->w1))
		return;
	x1 = pic_px(p, from_ts < p->w0 ? p->w0 : from_ts > p->w1 ? p->w1 : from_ts);
	x2 = pic_px(p, to->ts < p->w0 ? p->w0 : to->ts > p->w1 ? p->w1 : to->ts);
	uint64_t key = (uint64_t)llround(x1 / 3) << 40 | (uint64_t)(l1 & 0xfff) << 28 |
		       (uint64_t)llround(x2 / 3) << 12 | (uint64_t)(l2 & 0xfff);
	if (!seen_add(seen, key << 1 | (uint64_t)async))
		return;
	fprintf(p->f, "<path class=\"%s\" d=\"M%.1f %.1fC%.1f %.1f %.1f %.1f %.1f %.1f\" "
		"fill=\"none\" stroke=\"%s\" stroke-opacity=\"%s\"/>\n",
		async ? "flow-async" : "flow-pool", x1, y1, x1, (y1 + y2) / 2, x2, (y1 + y2) / 2,
		x2, y2, async ? SVG_VERMIL : "#7b8794", async ? "0.8" : "0.45");
	if (async)
		fprintf(p->f, "<circle class=\"wakeup\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
			"fill=\"%s\"/>\n", x2, y2, SVG_VERMIL);
}

int mark_flows(struct pic *p)
{
	const struct trace *t = p->t;
	struct seen *seen = calloc(1, sizeof *seen);
	if (!seen)
		return -1;
	for (size_t i = 0; i < t->nflows;) {
		const struct trace_flow *s = NULL, *st = NULL, *f = NULL;
		size_t k = i;
		for (; k < t->nflows && t->flows[k].cat == t->flows[i].cat &&
		       t->flows[k].id == t->flows[i].id; k++) {
			const struct trace_flow *x = &t->flows[k];
			if (x->ph == 's' && !s) s = x;
			else if (x->ph == 't' && !st) st = x;
			else if (x->ph == 'f' && !f) f = x;
		}
		const struct trace_slice *job = st ? job_of(p, st) : NULL;
		double a, b;
		/* A job too short to see as itself is merged: so are its arrows. */
		int visible = !(job && pic_clip(p, job->ts, job->ts + job->dur, &a, &b) &&
				b - a < BAND_WIDE_PX);
		if (t->flows[i].cat == FLOW_POOL) {
			if (visible && s && st)
				flow_line(p, seen, s, s->ts, st);
			if (visible && job && f)
				flow_line(p, seen, st, job->ts + job->dur, f);
		} else if (s && f) {
			flow_line(p, seen, s, s->ts, f);
		}
		i = k;
	}
	free(seen);
	return 0;
}

/* Async sends as diamonds on their thread's lane, signals as flags above the
 * loop lane; one mark per few pixels. */
void mark_instants(struct pic *p)
{
	for (size_t ti = 0; ti < p->t->nthreads; ti++) {
		if (p->lane_of[ti] >= p->nlanes)
			continue;
		const struct lane *l = &p->lanes[p->lane_of[ti]];
		const struct trace_thread *th = &p->t->threads[ti];
		double last_async = -10, last_signal = -100;
		for (size_t i = 0; i < th->ninstants; i++) {
			const struct trace_instant *in = &th->instants[i];
			double x = pic_px(p, in->ts);
			if (in->ts < p->w0 || in->ts > p->w1)
				continue;
			if (in->kind == K_ASYNC && fabs(x - last_async) >= 3) {
				double y = l->y + l->h * JOB_TOP, r = l->h < 16 ? 3 : 5;
				fprintf(p->f,
					"<path class=\"async\" d=\"M%.1f %.1fl%.0f %.0f %.0f %.0f "
					"%.0f %.0fz\" fill=\"%s\"/>\n",
					x, y - r, r, r, -r, r, -r, -r, SVG_VERMIL);
				last_async = x;
			} else if (in->kind == K_SIGNAL && fabs(x - last_signal) >= 3) {
				/* A flag above the ticks, and a line down through the lane
				 * at the moment it was delivered. */
				fprintf(p->f, "<path class=\"signal\" d=\"M%.1f %.1fh14l-7 12z\" "
					"fill=\"%s\"/><path d=\"M%.1f %.1fV%.1f\" stroke=\"%s\" "
					"stroke-width=\"1.5\" stroke-opacity=\"0.7\"/>\n", x - 7,
					l->y - 24, SVG_RED, x, l->y - 12, l->y + l->h, SVG_RED);
				/* Its name to the right, or to the left near the edge. */
				const char *name = trace_str(p->t, in->name);
				int left = x + 9 + svg_text_width(name, TEXT) > p->x1 + 20;
				if (fabs(x - last_signal) >= 80)
					svg_text(p->f, left ? x - 9 : x + 9, l->y - 13, TEXT,
						 left ? "end" : "start", 600, SVG_RED, "%s", name);
				last_signal = x;
			}
		}
	}
}

/* What --mark asked for: a line down through the lanes at its moment, and its
 * text in the row above them, to the right of the line where that clears the
 * edge and the next mark, else to its left (marks in the order given). */
void mark_notes(struct pic *p, const struct lanes_mark *m, size_t n, double y, double bottom)
{
	double last_end = 0;
	for (size_t i = 0; i < n; i++) {
		double ts = p->t->t_min + m[i].at_ms * 1000;
		if (ts < p->w0 || ts > p->w1)
			continue;
		double x = pic_px(p, ts), w = svg_text_width(m[i].text, TEXT);
		double next = i + 1 < n ? pic_px(p, p->t->t_min + m[i + 1].at_ms * 1000) : 1e9;
		int right = x + 10 + w <= p->x1 + RIGHT_SLACK && (next < x || x + 10 + w < next - 20);
		int left = !right && x - 10 - w >= last_end + 6;
		fprintf(p->f, "<g class=\"callout\"><path d=\"M%.1f %.1fV%.1f\" stroke=\"%s\" "
			"stroke-width=\"2.5\" stroke-dasharray=\"6 4\"/>"
			"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>\n", x, y - TEXT * 0.4,
			bottom, MARK_INK, x, y - TEXT * 0.4, MARK_INK);
		svg_text(p->f, left ? x - 10 : x + 10, y, TEXT, left ? "end" : "start", 600,
			 MARK_INK, "%s", m[i].text);
		fputs("</g>\n", p->f);
		last_end = left ? x : x + 10 + w;
	}
}
