/*
 * tools/trace.c — reads a `--trace-events` file into the model of trace.h.
 */
#include "trace.h"
#include "idmap.h"
#include "json.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_US 9007199254740992.0        /* 2^53 */

/* What reading needs beside the trace: two hash tables, so that each event
 * costs the same however many threads and spans came before it. A file of
 * 200,000 spans ended oldest-first, or of 40,000 threads, is read in linear
 * time, where a scan per event took minutes. */
struct reader {
	struct trace *t;
	struct idmap tids;              /* thread id → index into t->threads */
	struct idmap spans;             /* (kind, id) → the newest span begun */
	size_t *prev_open;              /* span → the open span of its key before it */
	size_t capprev;
};

/* Grows the array *P of *CAP elements of SIZE bytes to hold one more than N;
 * returns 0, or -1 when out of memory. */
static int grow(void *p, size_t *cap, size_t n, size_t size)
{
	void **pp = p;
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 64;
	void *q = realloc(*pp, ncap * size);
	if (!q)
		return -1;
	*pp = q;
	*cap = ncap;
	return 0;
}

static long intern(struct trace *t, const char *s)
{
	size_t n = strlen(s) + 1;
	while (t->nstrings + n > t->capstrings) {
		size_t cap = t->capstrings ? t->capstrings * 2 : 4096;
		char *q = realloc(t->strings, cap);
		if (!q)
			return -1;
		t->strings = q;
		t->capstrings = cap;
	}
	memcpy(t->strings + t->nstrings, s, n);
	t->nstrings += n;
	return (long)(t->nstrings - n);
}

const char *trace_str(const struct trace *t, uint32_t off)
{
	return off && off < t->nstrings ? t->strings + off : "";
}

/* The thread with kernel id TID, added when new; returns its index, or
 * (size_t)-1 when out of memory. */
static size_t thread_of(struct reader *r, int tid)
{
	struct trace *t = r->t;
	size_t i = idmap_get(&r->tids, (uint32_t)tid);
	if (i != IDMAP_NONE)
		return i;
	if (grow(&t->threads, &t->capthreads, t->nthreads, sizeof *t->threads) < 0 ||
	    idmap_put(&r->tids, (uint32_t)tid, t->nthreads) < 0)
		return (size_t)-1;
	t->threads[t->nthreads] = (struct trace_thread){ .tid = tid };
	return t->nthreads++;
}

/* Member KEY of EV as an int, 0 when absent or out of range: converting a
 * double that does not fit is undefined behaviour, and a file may hold any. */
static int int_member(const struct json *j, size_t ev, const char *key)
{
	double v = json_number(j, json_member(j, ev, key), 0);
	return v > INT_MIN && v < INT_MAX ? (int)v : 0;
}

/* An "id" as a number: trace files write it as a number or as a string
 * ("0x1f"); a string that is not a number is hashed (FNV-1a). */
static uint64_t id_of(const struct json *j, size_t ev)
{
	size_t v = json_member(j, ev, "id");
	char buf[64], *end;
	uint64_t h = 14695981039346656037u;

	if (v == JSON_NONE)
		return 0;
	if (j->tok[v].type == JSON_NUMBER) {
		double d = json_number(j, v, 0);
		return d >= 0 && d < 18446744073709551616.0 ? (uint64_t)d : 0;
	}
	json_string(j, v, buf, sizeof buf);
	errno = 0;
	unsigned long long n = strtoull(buf, &end, 0);
	if (!errno && *buf && !*end)
		return n;
	for (const char *s = buf; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* Whether a slice only binds a flow event to its thread (TRACE.md: DevTools
 * draws an arrow only from a slice of the flow's own category): `submit NAME`
 * and `complete NAME` on the loop, `async_send` on the sender, `wakeup` in the
 * self-pipe's callback. A few µs each, they are an arrow's end, not work: the
 * flow events draw the arrow, and drawn as slices they would be jobs on the
 * loop's lane and "other work" in the pool's. */
static int binds_flow(const char *cat, const char *name)
{
	return !strcmp(cat, "async") ||
	       (!strcmp(cat, "pool") && (!strncmp(name, "submit ", 7) ||
					 !strncmp(name, "complete ", 9)));
}

static enum trace_kind slice_kind(const char *cat, const char *name)
{
	if (!strcmp(cat, "pool"))
		return K_JOB;
	if (!strcmp(cat, "io"))
		return K_IO;
	if (!strncmp(name, "poll", 4))
		return K_POLL;
	if (!strncmp(name, "done ", 5))
		return K_DONE;
	if (!strcmp(name, "timers"))
		return K_TIMERS;
	if (!strcmp(name, "close callbacks"))
		return K_CLOSE;
	return K_LOOP_OTHER;
}

/* How a span ended, as TRACE.md records it: a child's "exit 0" or "SIGTERM",
 * a query's answer ("ok", "timeout", "NXDOMAIN"); 0 for none, -1 when out of
 * memory. */
static long outcome_of(struct trace *t, const struct json *j, size_t args)
{
	static const char *const keys[] = { "answer", "signal", "error" };
	char buf[64];
	size_t v;

	if ((v = json_member(j, args, "exit")) != JSON_NONE) {
		snprintf(buf, sizeof buf, "exit %.0f", json_number(j, v, 0));
		return intern(t, buf);
	}
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
		if ((v = json_member(j, args, keys[k])) != JSON_NONE) {
			json_string(j, v, buf, sizeof buf);
			return buf[0] ? intern(t, buf) : 0;
		}
	return 0;
}

/* A span's begin, note or end. The table holds, per (kind, id), the newest
 * span begun with it; an end closes that one and uncovers the one before it
 * still open, so spans of one id nest as the old scan for "the newest open
 * span of that kind and id" had them. */
static int add_span_event(struct reader *r, const struct json *j, size_t ev, char ph,
			  enum trace_kind kind, double ts, long name)
{
	struct trace *t = r->t;
	uint64_t id = id_of(j, ev), key = id * 2 + (kind == K_DNS);
	size_t top = idmap_get(&r->spans, key);
	int open = top != IDMAP_NONE && t->spans[top].end < 0;

	if (ph == 'b') {
		if (grow(&t->spans, &t->capspans, t->nspans, sizeof *t->spans) < 0 ||
		    grow(&r->prev_open, &r->capprev, t->nspans, sizeof *r->prev_open) < 0 ||
		    idmap_put(&r->spans, key, t->nspans) < 0)
			return -1;
		t->spans[t->nspans] = (struct trace_span){ .ts = ts, .end = -1, .id = id,
			.name = (uint32_t)name, .kind = kind };
		r->prev_open[t->nspans++] = open ? top : IDMAP_NONE;
		return 0;
	}
	if (!open) {
		t->nignored++;  /* an end or a note without its begin */
		return 0;
	}
	if (ph == 'n') {
		if (grow(&t->notes, &t->capnotes, t->nnotes, sizeof *t->notes) < 0)
			return -1;
		t->notes[t->nnotes++] = (struct trace_instant){ .ts = ts,
			.name = (uint32_t)name, .kind = kind, .owner = top };
		return 0;
	}
	long outcome = outcome_of(t, j, json_member(j, ev, "args"));
	if (outcome < 0)
		return -1;
	t->spans[top].end = ts;
	t->spans[top].outcome = (uint32_t)outcome;
	if (r->prev_open[top] != IDMAP_NONE)
		return idmap_put(&r->spans, key, r->prev_open[top]);
	return 0;
}

/* One element of traceEvents. Returns 0, or -1 when out of memory. */
static int add_event(struct reader *r, const struct json *j, size_t ev)
{
	struct trace *t = r->t;
	char ph[4], cat[32], name[160];
	size_t args = json_member(j, ev, "args"), th;
	struct trace_thread *thr;
	double ts = json_number(j, json_member(j, ev, "ts"), -1);
	double dur = json_number(j, json_member(j, ev, "dur"), 0);
	int tid = int_member(j, ev, "tid");
	long nm;

	if (j->tok[ev].type != JSON_OBJECT) {
		t->nignored++;
		return 0;
	}
	json_string(j, json_member(j, ev, "ph"), ph, sizeof ph);
	json_string(j, json_member(j, ev, "cat"), cat, sizeof cat);
	json_string(j, json_member(j, ev, "name"), name, sizeof name);
	if (ph[0] == 'M') {
		size_t what = json_member(j, ev, "name"), v = json_member(j, args, "name");
		if (json_is(j, what, "thread_name")) {
			if ((th = thread_of(r, tid)) == (size_t)-1)
				return -1;
			json_string(j, v, t->threads[th].name, sizeof t->threads[th].name);
		} else if (json_is(j, what, "process_name") && !t->step[0]) {
			json_string(j, v, t->step, sizeof t->step);
			t->pid = int_member(j, ev, "pid");
		}
		return 0;
	}
	/* A time past 2^53 µs (285 years; 1e999 parses as infinity) is not one a
	 * clock gave: past it a double has no whole µs, and no axis can hold it. */
	if (!(ts >= 0 && ts < MAX_US) || ph[0] == '\0' || ph[1] != '\0') {
		t->nignored++;
		return 0;
	}
	if (!t->pid)
		t->pid = int_member(j, ev, "pid");
	if (!(dur >= 0 && dur < MAX_US))
		dur = 0;
	if (ts < t->t_min)
		t->t_min = ts;
	if (ts + dur > t->t_max)
		t->t_max = ts + dur;
	t->nevents++;
	if ((nm = intern(t, name)) < 0)
		return -1;

	switch (ph[0]) {
	case 'X': {
		long c = 0;
		char cmd[160];
		if (binds_flow(cat, name))
			return 0;
		if (json_string(j, json_member(j, args, "cmd"), cmd, sizeof cmd) &&
		    (c = intern(t, cmd)) < 0)
			return -1;
		if ((th = thread_of(r, tid)) == (size_t)-1)
			return -1;
		thr = &t->threads[th];
		if (grow(&thr->slices, &thr->capslices, thr->nslices, sizeof *thr->slices) < 0)
			return -1;
		thr->slices[thr->nslices++] = (struct trace_slice){ .ts = ts, .dur = dur,
			.queued_ms = json_number(j, json_member(j, args, "queued_ms"), -1),
			.name = (uint32_t)nm, .cmd = (uint32_t)c, .kind = slice_kind(cat, name) };
		return 0;
	}
	case 'i':
	case 'I': {
		enum trace_kind kind = !strcmp(cat, "async") ? K_ASYNC
				      : !strcmp(cat, "signal") ? K_SIGNAL : K_NKINDS;
		if (kind == K_NKINDS)
			break;
		if ((th = thread_of(r, tid)) == (size_t)-1)
			return -1;
		thr = &t->threads[th];
		if (grow(&thr->instants, &thr->capinstants, thr->ninstants,
			 sizeof *thr->instants) < 0)
			return -1;
		thr->instants[thr->ninstants++] = (struct trace_instant){ .ts = ts,
			.name = (uint32_t)nm, .kind = kind };
		return 0;
	}
	case 's':
	case 't':
	case 'f':
		if (strcmp(cat, "pool") != 0 && strcmp(cat, "async") != 0)
			break;
		if ((th = thread_of(r, tid)) == (size_t)-1 ||
		    grow(&t->flows, &t->capflows, t->nflows, sizeof *t->flows) < 0)
			return -1;
		t->flows[t->nflows++] =
			(struct trace_flow){ .ts = ts,
					     .id = id_of(j, ev),
					     .thread = th,
					     .ph = ph[0],
					     .cat = !strcmp(cat, "pool") ? FLOW_POOL : FLOW_ASYNC };
		return 0;
	case 'b':
	case 'n':
	case 'e':
		if (!strcmp(cat, "process"))
			return add_span_event(r, j, ev, ph[0], K_CHILD, ts, nm);
		if (!strcmp(cat, "dns"))
			return add_span_event(r, j, ev, ph[0], K_DNS, ts, nm);
		break;
	}
	t->nignored++;
	return 0;
}

/* By start, and of two that start together the longer first: a slice comes
 * before the slices inside it. */
static int by_ts(const void *a, const void *b)
{
	const struct trace_slice *x = a, *y = b;
	if (x->ts != y->ts)
		return (x->ts > y->ts) - (x->ts < y->ts);
	return (x->dur < y->dur) - (x->dur > y->dur);
}

static int by_owner(const void *a, const void *b)
{
	const struct trace_instant *x = a, *y = b;
	if (x->owner != y->owner)
		return x->owner < y->owner ? -1 : 1;
	return (x->ts > y->ts) - (x->ts < y->ts);
}

static int by_flow(const void *a, const void *b)
{
	const struct trace_flow *x = a, *y = b;
	if (x->cat != y->cat)
		return (int)x->cat - (int)y->cat;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (x->ts > y->ts) - (x->ts < y->ts);
}

/* Reads all of PATH into a NUL-terminated buffer; *SIZE is its length. */
static char *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			char *q = realloc(buf, cap + 1);
			if (!q) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = q;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*size = n;
	return buf;
}

static void reader_free(struct reader *r)
{
	idmap_free(&r->tids);
	idmap_free(&r->spans);
	free(r->prev_open);
	*r = (struct reader){ .t = r->t };
}

int trace_read(struct trace *t, const char *path, char *err, size_t errsize)
{
	size_t size;
	char *text = slurp(path, &size);
	if (!text) {
		*t = (struct trace){ 0 };
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	int rc = trace_parse(t, text, size, path, err, errsize);
	free(text);
	return rc;
}

int trace_parse(struct trace *t, const char *text, size_t size, const char *path,
		char *err, size_t errsize)
{
	struct reader r = { .t = t };
	struct json j;
	size_t events, e;
	char jerr[160];

	*t = (struct trace){ .t_min = 1e300, .t_max = -1e300 };
	if (json_parse(&j, text, size, jerr, sizeof jerr) < 0) {
		snprintf(err, errsize, "%s: not JSON: %s", path, jerr);
		return -1;
	}
	/* Both of the format's forms: {"traceEvents": [...]} and a bare [...]. */
	events = j.tok[0].type == JSON_ARRAY ? 0 : json_member(&j, 0, "traceEvents");
	if (events == JSON_NONE || j.tok[events].type != JSON_ARRAY) {
		snprintf(err, errsize, "%s: not a trace: no \"traceEvents\" array", path);
		goto fail;
	}
	if (intern(t, "") < 0)  /* offset 0 is "" */
		goto oom;
	json_string(&j, json_member(&j, json_member(&j, 0, "otherData"), "step"),
		    t->step, sizeof t->step);
	e = events + 1;
	for (uint32_t n = 0; n < j.tok[events].count; n++, e = j.tok[e].next)
		if (add_event(&r, &j, e) < 0)
			goto oom;
	reader_free(&r);
	if (t->nevents == 0) {
		snprintf(err, errsize, "%s: no events to draw", path);
		goto fail;
	}

	t->loop = t->nthreads;
	for (size_t i = 0; i < t->nthreads; i++) {
		if (t->threads[i].nslices > 1)
			qsort(t->threads[i].slices, t->threads[i].nslices,
			      sizeof *t->threads[i].slices, by_ts);
		if (!strcmp(t->threads[i].name, "loop"))
			t->loop = i;
	}
	/* Without names, the loop is the thread that polls. */
	for (size_t i = 0; i < t->nthreads && t->loop == t->nthreads; i++)
		for (size_t k = 0; k < t->threads[i].nslices; k++)
			if (t->threads[i].slices[k].kind == K_POLL) {
				t->loop = i;
				break;
			}
	if (t->nflows > 1)
		qsort(t->flows, t->nflows, sizeof *t->flows, by_flow);
	if (t->nnotes > 1)
		qsort(t->notes, t->nnotes, sizeof *t->notes, by_owner);
	for (size_t i = t->nnotes; i-- > 0;) {
		t->spans[t->notes[i].owner].first_note = i;
		t->spans[t->notes[i].owner].nnotes++;
	}
	json_free(&j);
	return 0;
oom:
	snprintf(err, errsize, "%s: out of memory", path);
fail:
	reader_free(&r);
	json_free(&j);
	trace_free(t);
	return -1;
}

void trace_free(struct trace *t)
{
	for (size_t i = 0; i < t->nthreads; i++) {
		free(t->threads[i].slices);
		free(t->threads[i].instants);
	}
	free(t->threads);
	free(t->flows);
	free(t->spans);
	free(t->notes);
	free(t->strings);
	*t = (struct trace){ 0 };
}
