/*
 * tools/trace-check — checks a --trace-events file against TRACE.md's contract.
 *
 * Usage: trace-check FILE [--cut] [CHECK]...
 *   --cut                    the run was cut short (exit at once, a kill): a flow
 *                            or span may lack its end, as after the size cap
 *   --ticks N                the polls with tick <= N are exactly ticks 1..N
 *                            (N: the `ticks` that /stats reported)
 *   --long THREAD MS         some slice on THREAD ("loop", "pool") lasts >= MS ms
 *                            and, on the loop, has no poll inside it
 *   --no-long THREAD MS      no slice but a poll on THREAD lasts >= MS ms
 *   --has CAT:PH:NAME        an event of category CAT, phase PH, name starting
 *                            with NAME (any part may be empty: any)
 *   --count CAT:PH:NAME N    exactly N such events
 *   --times CAT:PH:NAME N    such events happened at N different times at most
 *                            (e.g. the flow ends of many sends: one wake-up)
 *
 * Always checked: the JSON parses; every event has the fields its phase needs;
 * one process; every thread with events is named; per thread, the events are in
 * the order they happened (a slice counts when it ends), and the slices nest;
 * every flow has its start and its finish (inside a slice), in time order, and
 * each of its events starts a slice of its own category on its thread; every
 * async span that begins, ends. (After --trace-events-max stopped the recording,
 * a flow or span may lack its end: only the order is checked.)
 * Prints `ok: N events, T threads, P polls`, or what is wrong and exits 1.
 *
 * Times are kept as whole nanoseconds (the file's µs have 3 decimals), so that
 * "ends before" is exact: no rounding of a double decides the order.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <math.h>
#include <string.h>

#include "json.h"
#include "tool.h"

struct ev {
	size_t tok;             /* the event's object in the document */
	char ph;
	const char *cat, *name;
	double pid, tid;
	int64_t ts, dur;        /* ns; dur 0 when absent */
	size_t id;              /* the id token, or JSON_NONE */
	size_t seq;             /* position in the file */
};

static struct json j;
static struct ev *evs;
static size_t nev;

__attribute__((format(printf, 1, 2), noreturn))
static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("trace-check: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	exit(1);
}

/* The event's own text, for a message (at most 300 bytes of it). */
static const char *text_of(const struct ev *e)
{
	static char buf[320];
	const struct json_tok *t = &j.tok[e->tok];
	snprintf(buf, sizeof buf, "%.*s", (int)(t->len > 300 ? 300 : t->len), j.text + t->start);
	return buf;
}

/* A string member decoded into memory of its own; NULL when missing. */
static const char *str_member(size_t obj, const char *key)
{
	size_t v = json_member(&j, obj, key);
	if (v == JSON_NONE || j.tok[v].type != JSON_STRING)
		return NULL;
	char *s = malloc(j.tok[v].len + 1);
	if (!s)
		die("out of memory");
	json_string(&j, v, s, j.tok[v].len + 1);
	return s;
}

/* Token V, a number of µs, as whole ns. */
static bool ns_of(size_t v, int64_t *out)
{
	if (v == JSON_NONE || j.tok[v].type != JSON_NUMBER)
		return false;
	const char *s = j.text + j.tok[v].start, *end = s + j.tok[v].len;
	if (memchr(s, 'e', (size_t)(end - s)) || memchr(s, 'E', (size_t)(end - s))) {
		*out = llround(json_number(&j, v, 0) * 1000.0);
		return true;
	}
	bool neg = *s == '-';
	int64_t whole = 0, frac = 0, unit = 1000;
	for (s += neg; s < end && *s != '.'; s++)
		whole = whole * 10 + (*s - '0');
	for (s += s < end; s < end && unit > 1; s++) {
		unit /= 10;
		frac += (*s - '0') * unit;
	}
	*out = (neg ? -1 : 1) * (whole * 1000 + frac);
	return true;
}

static int64_t end_of(const struct ev *e) { return e->ts + e->dur; }

static bool same_id(const struct ev *a, const struct ev *b)
{
	const struct json_tok *x = &j.tok[a->id], *y = &j.tok[b->id];
	return x->type == y->type && x->len == y->len && strcmp(a->cat, b->cat) == 0 &&
	       memcmp(j.text + x->start, j.text + y->start, x->len) == 0;
}

static bool is_poll(const struct ev *e)
{
	return e->ph == 'X' && strcmp(e->cat, "loop") == 0 && strncmp(e->name, "poll", 4) == 0;
}

static void load(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail("cannot open %s: %s", path, strerror(errno));
	char *text = NULL;
	size_t size = 0, cap = 0, n;
	do {
		if (size == cap) {
			char *more = realloc(text, cap = cap ? cap * 2 : 1 << 16);
			if (!more)
				die("out of memory");
			text = more;
		}
		size += n = fread(text + size, 1, cap - size, f);
	} while (n > 0);
	fclose(f);
	char err[200];
	if (json_parse(&j, text, size, err, sizeof err) < 0)
		fail("not valid JSON: %s", err);
	size_t list = json_member(&j, 0, "traceEvents");
	if (list == JSON_NONE || j.tok[list].type != JSON_ARRAY)
		fail("not the object form: no traceEvents array");
	if (!(evs = calloc(j.tok[list].count + 1, sizeof *evs)))
		die("out of memory");
	for (size_t i = list + 1; i < j.tok[list].next; i = j.tok[i].next) {
		struct ev *e = &evs[nev];
		*e = (struct ev){ .tok = i, .id = json_member(&j, i, "id"), .seq = nev++ };
		const char *ph = str_member(i, "ph");
		e->name = str_member(i, "name");
		size_t pid = json_member(&j, i, "pid"), tid = json_member(&j, i, "tid");
		if (!ph || !e->name || pid == JSON_NONE || tid == JSON_NONE)
			fail("event without ph, pid, tid or name: %s", text_of(e));
		e->pid = json_number(&j, pid, NAN);
		e->tid = json_number(&j, tid, NAN);
		if (strlen(ph) != 1 || !strchr("XiMstfbne", ph[0]))
			fail("unknown phase: %s", text_of(e));
		e->ph = ph[0];
		free((void *)ph);
		if (e->ph == 'M') {
			e->cat = "";
			continue;
		}
		if (!(e->cat = str_member(i, "cat")) || !ns_of(json_member(&j, i, "ts"), &e->ts))
			fail("event without ts or cat: %s", text_of(e));
		size_t dur = json_member(&j, i, "dur");
		if (e->ph == 'X' && (!ns_of(dur, &e->dur) || e->dur < 0))
			fail("slice without a duration: %s", text_of(e));
		if (strchr("stfbne", e->ph) && e->id == JSON_NONE)
			fail("flow or async event without id: %s", text_of(e));
		const char *bp = str_member(i, "bp");
		if (e->ph == 'f' && !(bp && strcmp(bp, "e") == 0))
			fail("flow finish not bound to its enclosing slice: %s", text_of(e));
		free((void *)bp);
	}
}

/* The threads: tid and name, from the thread_name metadata. */
static struct thread { double tid; const char *name; } *threads;
static size_t nthreads;

static const char *thread_name(double tid)
{
	for (size_t t = 0; t < nthreads; t++)
		if (threads[t].tid == tid)
			return threads[t].name;
	return NULL;
}

static void check_threads(void)
{
	bool named = false;
	if (!(threads = calloc(nev + 1, sizeof *threads)))
		die("out of memory");
	for (size_t i = 0; i < nev; i++) {
		if (evs[i].pid != evs[0].pid)
			fail("events from more than one process");
		if (evs[i].ph != 'M')
			continue;
		named |= strcmp(evs[i].name, "process_name") == 0;
		if (strcmp(evs[i].name, "thread_name") != 0)
			continue;
		const char *name = str_member(json_member(&j, evs[i].tok, "args"), "name");
		if (!name)
			fail("thread_name without args.name: %s", text_of(&evs[i]));
		struct thread *t = &threads[nthreads];
		for (size_t k = 0; k < nthreads; k++)
			if (threads[k].tid == evs[i].tid)
				t = &threads[k];
		if (t == &threads[nthreads])
			nthreads++;
		else
			free((void *)t->name);
		*t = (struct thread){ evs[i].tid, name };
	}
	if (!named)
		fail("no process_name");
	for (size_t i = 0; i < nev; i++)
		if (evs[i].ph != 'M' && !thread_name(evs[i].tid))
			fail("thread %.0f has events but no thread_name", evs[i].tid);
}

/* Orders: by thread, then as written; slices of a thread by (ts, longest first). */
static int by_thread(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int by_start(const void *a, const void *b)
{
	const struct ev *x = *(struct ev *const *)a, *y = *(struct ev *const *)b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->dur != y->dur)
		return x->dur > y->dur ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Per thread: events in the order they ended, slices nested. */
static void check_order(struct ev *th, size_t n, struct ev **stack)
{
	const char *name = thread_name(th[0].tid);
	size_t ns = 0, depth = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && end_of(&th[i]) < end_of(&th[i - 1]))
			fail("%s: an event ends before the one written before it: %s", name, text_of(&th[i]));
		if (th[i].ph == 'X')
			stack[ns++] = &th[i];
	}
	qsort(stack, ns, sizeof *stack, by_start);
	for (size_t i = 0; i < ns; i++) {
		while (depth > 0 && end_of(stack[depth - 1]) <= stack[i]->ts)
			depth--;
		if (depth > 0 && end_of(stack[i]) > end_of(stack[depth - 1])) {
			char outer[320];
			snprintf(outer, sizeof outer, "%s", text_of(stack[depth - 1]));
			fail("%s: slices overlap without nesting: %s and %s", name, outer, text_of(stack[i]));
		}
		stack[depth++] = stack[i];
	}
}

static bool inside_slice(const struct ev *f)
{
	for (size_t i = 0; i < nev; i++)
		if (evs[i].ph == 'X' && evs[i].tid == f->tid && evs[i].ts <= f->ts && f->ts <= end_of(&evs[i]))
			return true;
	return false;
}

/* The key a flow or span is known by, for a message: "(CAT, ID)". */
static const char *key_of(const struct ev *e)
{
	static char buf[160];
	const struct json_tok *t = &j.tok[e->id];
	snprintf(buf, sizeof buf, "(%s, %.*s)", e->cat, (int)(t->len > 100 ? 100 : t->len),
		 j.text + t->start);
	return buf;
}

/* Flows (s, t, f) and async spans (b, e), each grouped by category and id. */
static void check_flows(bool capped)
{
	bool *done = calloc(nev + 1, 1);
	size_t *m = calloc(nev + 1, sizeof *m);
	if (!done || !m)
		die("out of memory");
	for (size_t i = 0; i < nev; i++) {
		const char *kind = strchr("stf", evs[i].ph) ? "stf" : strchr("be", evs[i].ph) ? "be" : NULL;
		if (done[i] || !kind)
			continue;
		size_t n = 0, count[256] = { 0 };
		for (size_t k = i; k < nev; k++)
			if (!done[k] && strchr(kind, evs[k].ph) && same_id(&evs[k], &evs[i])) {
				done[k] = true;
				m[n++] = k;
				count[(unsigned char)evs[k].ph]++;
			}
		if (kind[0] == 'b') {
			if (count['b'] != count['e'] && !capped)
				fail("async span %s: %zu begin, %zu end", key_of(&evs[i]), count['b'], count['e']);
			continue;
		}
		if (count['s'] > 1 || count['f'] > 1 || (!capped && (count['s'] != 1 || count['f'] != 1)))
			fail("flow %s has not one start and one finish: %zu s, %zu t, %zu f",
			     key_of(&evs[i]), count['s'], count['t'], count['f']);
		/* Taken in the order s, t..., f, the times never go back. */
		int64_t prev = INT64_MIN;
		const struct ev *finish = NULL;
		for (const char *ph = kind; *ph; ph++)
			for (size_t k = 0; k < n; k++) {
				const struct ev *x = &evs[m[k]];
				if (x->ph != *ph)
					continue;
				if (x->ts < prev)
					fail("flow %s goes back in time", key_of(x));
				prev = x->ts;
				if (x->ph == 'f')
					finish = x;
			}
		if (finish && !inside_slice(finish))
			fail("flow %s finishes outside any slice", key_of(finish));
	}
	free(done);
	free(m);
}

/* Does a slice of F's pid, tid and category span F's ts, and does one start
 * at it? Chromium's DevTools binds a flow event only to a slice with the same
 * pid, tid, ts and category, and Perfetto to the slice around it on its thread. */
static void slice_at(const struct ev *f, bool *around, bool *starts)
{
	*around = *starts = false;
	for (size_t i = 0; i < nev; i++) {
		const struct ev *s = &evs[i];
		if (s->ph != 'X' || s->pid != f->pid || s->tid != f->tid || strcmp(s->cat, f->cat) != 0)
			continue;
		*around |= s->ts <= f->ts && f->ts <= end_of(s);
		*starts |= s->ts == f->ts;
	}
}

/* Every flow event (s, t, f) starts a slice of its own category on its thread.
 * (In a run cut short, the slice of a job still running was never written.) */
static void check_flow_binding(bool capped)
{
	for (size_t i = 0; i < nev; i++) {
		const struct ev *f = &evs[i];
		bool around, starts;
		if (!strchr("stf", f->ph))
			continue;
		slice_at(f, &around, &starts);
		if (!around && capped)
			continue;
		if (!around)
			fail("flow %s: no %s slice on its thread around its ts: %s", key_of(f), f->cat, text_of(f));
		if (!starts)
			fail("flow %s: no %s slice on its thread starts at its ts: %s", key_of(f), f->cat, text_of(f));
	}
}

/* Does event E match CAT:PH:NAME (an empty part matches anything)? */
static bool matches(const struct ev *e, const char *spec)
{
	const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	size_t lc = c1 ? (size_t)(c1 - spec) : strlen(spec);
	const char *ph = c1 ? c1 + 1 : "", *name = c2 ? c2 + 1 : "";
	size_t lp = c2 ? (size_t)(c2 - ph) : strlen(ph);
	if (e->ph == 'M')
		return false;
	if (lc && (strlen(e->cat) != lc || strncmp(e->cat, spec, lc) != 0))
		return false;
	if (lp && (lp != 1 || e->ph != ph[0]))
		return false;
	return strncmp(e->name, name, strlen(name)) == 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* --ticks N: the polls' ticks are 1, 2, 3... and those <= N are 1..N. */
static void check_ticks(long n, size_t npolls)
{
	int64_t *ticks = calloc(npolls + 1, sizeof *ticks);
	size_t k = 0, upto = 0;
	if (!ticks)
		die("out of memory");
	for (size_t i = 0; i < nev; i++) {
		if (!is_poll(&evs[i]))
			continue;
		size_t v = json_member(&j, json_member(&j, evs[i].tok, "args"), "tick");
		if (v == JSON_NONE || j.tok[v].type != JSON_NUMBER)
			fail("a poll without args.tick: %s", text_of(&evs[i]));
		ticks[k] = (int64_t)json_number(&j, v, 0);
		upto += ticks[k++] <= n;
	}
	qsort(ticks, k, sizeof *ticks, cmp_i64);
	for (size_t i = 0; i < upto; i++)
		if (ticks[i] != (int64_t)i + 1)
			upto = SIZE_MAX;
	if (upto != (size_t)n)
		fail("polls with tick <= %ld: not ticks 1..%ld", n, n);
	for (size_t i = 0; i < k; i++)
		if (ticks[i] != (int64_t)i + 1)
			fail("poll ticks are not 1, 2, 3...");
	free(ticks);
}

/* --long / --no-long THREAD MS: slices but polls of >= MS ms on THREAD. */
static void check_long(bool want, const char *thread, const char *ms_arg)
{
	char *end;
	double ms = strtod(ms_arg, &end);
	if (*end || end == ms_arg || !(ms >= 0))
		fail("bad MS '%s'", ms_arg);
	int64_t min = llround(ms * 1e6);
	bool found = false;
	for (size_t i = 0; i < nev; i++) {
		const struct ev *s = &evs[i];
		const char *name = s->ph == 'X' ? thread_name(s->tid) : NULL;
		if (!name || strncmp(name, thread, strlen(thread)) != 0 || is_poll(s) || s->dur < min)
			continue;
		if (!want)
			fail("a slice of >= %s ms on %s: %s", ms_arg, thread, text_of(s));
		found = true;
		for (size_t k = 0; k < nev; k++) {
			const struct ev *p = &evs[k];
			if (is_poll(p) && p->tid == s->tid && s->ts < end_of(p) && p->ts < end_of(s)) {
				char slice[320];
				snprintf(slice, sizeof slice, "%s", text_of(s));
				fail("a poll inside the long slice %s: %s", slice, text_of(p));
			}
		}
	}
	if (want && !found)
		fail("no slice of >= %s ms on %s", ms_arg, thread);
}

static long count_arg(const char *arg)
{
	unsigned long n;
	if (!arg || !parse_uint(arg, 0, LONG_MAX, &n))
		fail("bad count '%s'", arg ? arg : "");
	return (long)n;
}

int main(int argc, char **argv)
{
	bool cut = false;
	if (argc < 2)
		fail("usage: trace-check FILE [--cut] [CHECK]...");
	for (int a = 2; a < argc; a++)
		cut |= strcmp(argv[a], "--cut") == 0;
	load(argv[1]);
	check_threads();

	struct ev *byth = malloc((nev + 1) * sizeof *byth);
	struct ev **stack = malloc((nev + 1) * sizeof *stack);
	if (!byth || !stack)
		die("out of memory");
	size_t nth = 0;
	for (size_t i = 0; i < nev; i++)
		if (evs[i].ph != 'M')
			byth[nth++] = evs[i];
	qsort(byth, nth, sizeof *byth, by_thread);
	for (size_t i = 0, k; i < nth; i = k) {
		for (k = i; k < nth && byth[k].tid == byth[i].tid; k++)
			;
		check_order(&byth[i], k - i, stack);
	}
	free(byth);
	free(stack);
	bool capped = cut;
	size_t npolls = 0;
	for (size_t i = 0; i < nev; i++) {
		capped |= evs[i].ph == 'i' && strcmp(evs[i].cat, "trace") == 0;
		npolls += is_poll(&evs[i]);
	}
	check_flows(capped);
	check_flow_binding(capped);

	for (int a = 2; a < argc; a++) {
		const char *opt = argv[a];
		bool one = a + 1 < argc, two = a + 2 < argc;
		if (strcmp(opt, "--cut") == 0) {
			continue;
		} else if (strcmp(opt, "--ticks") == 0 && one) {
			check_ticks(count_arg(argv[++a]), npolls);
		} else if ((strcmp(opt, "--long") == 0 || strcmp(opt, "--no-long") == 0) && two) {
			check_long(opt[2] == 'l', argv[a + 1], argv[a + 2]);
			a += 2;
		} else if (strcmp(opt, "--has") == 0 && one) {
			size_t i = 0;
			while (i < nev && !matches(&evs[i], argv[a + 1]))
				i++;
			if (i == nev)
				fail("no event %s", argv[a + 1]);
			a++;
		} else if ((strcmp(opt, "--count") == 0 || strcmp(opt, "--times") == 0) && two) {
			long want = count_arg(argv[a + 2]), got = 0;
			int64_t *ts = malloc((nev + 1) * sizeof *ts);
			if (!ts)
				die("out of memory");
			for (size_t i = 0; i < nev; i++)
				if (matches(&evs[i], argv[a + 1]))
					ts[got++] = evs[i].ts;
			if (opt[2] == 'c' && got != want)
				fail("%ld events %s, expected %ld", got, argv[a + 1], want);
			if (opt[2] == 't') {
				long times = 0;
				qsort(ts, (size_t)got, sizeof *ts, cmp_i64);
				for (long i = 0; i < got; i++)
					times += i == 0 || ts[i] != ts[i - 1];
				if (times > want)
					fail("events %s at %ld different times, expected at most %ld",
					     argv[a + 1], times, want);
			}
			free(ts);
			a += 2;
		} else {
			fail("unknown check %s (or its argument missing)", opt);
		}
	}
	printf("ok: %zu events, %zu threads, %zu polls\n", nev, nthreads, npolls);
	return 0;
}
