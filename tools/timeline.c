/*
 * tools/timeline — draws a `--trace-events` file as one self-contained SVG.
 *
 * One lane for the loop thread (waiting in epoll_wait() pale, running solid,
 * a tick mark at every pass), one per pool thread (its jobs, and above each
 * the time it waited in the queue), lanes for child processes and DNS queries
 * when the run had them, flow lines from the loop to the pool and back, signal
 * markers, callouts (--mark), a time axis in ms and a legend of what is on
 * the picture. The picture is sized for a slide's picture (1160×520 at most,
 * every text 22 px: readable from the back of a room); work too short to see
 * is merged and shaded by how busy it was (band.h), so the file stays small at
 * any length.
 *
 * Usage: tools/timeline FILE.json [-o FILE.svg] [--from MS] [--to MS]
 *                      [--title TEXT] [--width PX] [--height PX]
 *                      [--mark MS:TEXT]...
 */
#define _GNU_SOURCE     /* program_invocation_short_name, for die() */

#include "svg.h"
#include "tool.h"
#include "lanes.h"
#include "trace.h"

#include <string.h>

static void usage(FILE *to, int status)
{
	fprintf(to,
		"usage: timeline FILE.json [-o FILE.svg] [OPTION]...\n"
		"Draws a --trace-events file (Chrome Trace Event format) as an SVG.\n"
		"  -o FILE       write the SVG there (default: standard output)\n"
		"  --from MS     start the picture MS ms after the first event\n"
		"  --to MS       end it MS ms after the first event (default: the last)\n"
		"  --title TEXT  the heading (default: the step's name)\n"
		"  --width PX    the picture's width (default 1160: a slide's picture)\n"
		"  --height PX   the most it may use (default 520); past it pool lanes\n"
		"                shrink, then idle ones go, then threads share lanes\n"
		"  --mark MS:TEXT  a callout at MS ms after the first event (up to 8)\n");
	exit(status);
}

/* A time in ms for --from or --to: fractions of a ms are allowed (a window of
 * 0.5 ms shows single ticks), so this is not tool.h's uint_arg(). */
static double ms_arg(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v >= lo && v <= hi))
		die("%s: '%s' is not a number from %g to %g", opt, s, lo, hi);
	return v;
}

/* A size in px for --width or --height: MIN to 8000. */
static double px_arg(const char *s, const char *opt, unsigned long min)
{
	unsigned long px;
	uint_arg(s, opt, min, 8000, &px, usage);
	return (double)px;
}

int main(int argc, char **argv)
{
	struct lanes_opts o = { .width = 1160, .height = 520, .from_ms = 0, .to_ms = -1 };
	struct lanes_mark marks[8];
	const char *in = NULL, *out = NULL;
	struct trace t;
	char err[512];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			usage(stdout, 0);
		if (a[0] != '-' || !a[1]) {
			if (in)
				usage(stderr, 2);
			in = a;
			continue;
		}
		if (i + 1 >= argc)
			usage(stderr, 2);
		const char *v = argv[++i];
		if (!strcmp(a, "-o"))
			out = v;
		else if (!strcmp(a, "--from"))
			o.from_ms = ms_arg(a, v, 0, 1e9);
		else if (!strcmp(a, "--to"))
			o.to_ms = ms_arg(a, v, 0, 1e9);
		else if (!strcmp(a, "--title"))
			o.title = v;
		else if (!strcmp(a, "--width"))
			o.width = px_arg(v, a, 640);
		else if (!strcmp(a, "--height"))
			o.height = px_arg(v, a, 240);
		else if (!strcmp(a, "--mark")) {
			const char *colon = strchr(v, ':');
			char ms[32];
			if (!colon || colon == v || (size_t)(colon - v) >= sizeof ms || !colon[1])
				die("--mark: '%s' is not MS:TEXT", v);
			if (o.nmarks == sizeof marks / sizeof marks[0])
				die("--mark: at most %zu", sizeof marks / sizeof marks[0]);
			memcpy(ms, v, (size_t)(colon - v));
			ms[colon - v] = '\0';
			marks[o.nmarks++] = (struct lanes_mark){ ms_arg(a, ms, 0, 1e9), colon + 1 };
			o.marks = marks;
		}
		else
			usage(stderr, 2);
	}
	if (!in)
		usage(stderr, 2);
	if (o.to_ms >= 0 && o.to_ms <= o.from_ms)
		die("--to %g must be after --from %g", o.to_ms, o.from_ms);
	if (trace_read(&t, in, err, sizeof err) < 0)
		die("%s", err);

	FILE *f = out ? fopen(out, "w") : stdout;
	if (!f)
		die("%s: %s", out, strerror(errno));
	if (lanes_draw(f, &t, &o) < 0) {
		if (out)
			remove(out);
		die("%s: out of memory", in);
	}
	if (fflush(f) != 0 || ferror(f) || (out && fclose(f) != 0)) {
		if (out)
			remove(out);
		die("%s: %s", out ? out : "standard output", strerror(errno));
	}
	trace_free(&t);
	return 0;
}
