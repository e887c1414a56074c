/*
 * tools/chart — what holding 10,000 idle connections costs each server, as a
 * bar chart drawn from the kit's own measurements.
 *
 * It reads the "Idle connections" table of bench/results.md (written by
 * `make bench`): one row per server (01, 02, 08, libuv, node), with its thread
 * count and resident memory while every connection was open. It draws two
 * panels side by side, threads and RSS, on linear scales: the point of the
 * picture is how far one bar is from the others. The machine and date lines
 * of the results go into the caption, so the picture says where its numbers
 * come from.
 *
 * Usage: tools/chart bench/results.md [-o FILE.svg] [--width PX]
 */
#define _GNU_SOURCE     /* program_invocation_short_name, for die() */

#include "svg.h"
#include "tool.h"

#include <string.h>

#define MAX_ROWS 16

/* Its own type scale, larger than svg.h's: a slide shows this chart at about
 * its own size (at most 1168 × 490 px of the frame), and every text on it
 * must stay 22 px or more there, to be read from the back of a room. */
#define CHART_TITLE 30
#define CHART_LABEL 24
#define CHART_SMALL 22
#define TABLE_NAME "Idle connections"
#define TABLE ("## " TABLE_NAME)

struct row {
	char server[48];
	double threads, rss_mib;
	double rss_start_mib;   /* RSS just after start; < 0 when not given */
};

struct results {
	struct row rows[MAX_ROWS];
	int nrows;
	char held[32];          /* the "idle conns" column, as written */
	char machine[160], date[160];
};

/* Cell I (from 0) of the Markdown table line LINE, trimmed, into BUF;
 * returns 0, or -1 when the line has fewer cells. */
static int cell(const char *line, int i, char *buf, size_t cap)
{
	const char *s = strchr(line, '|');
	for (; s && i > 0; i--)
		s = strchr(s + 1, '|');
	if (!s)
		return -1;
	const char *end = strchr(++s, '|');
	if (!end)
		return -1;
	while (s < end && *s == ' ')
		s++;
	while (end > s && end[-1] == ' ')
		end--;
	snprintf(buf, cap, "%.*s", (int)(end - s), s);
	return 0;
}

/* A number as the results write it: "10,001", "121.5". */
static int number(const char *s, double *v)
{
	char digits[32], *end;
	size_t n = 0;
	for (; *s && n + 1 < sizeof digits; s++)
		if (*s != ',')
			digits[n++] = *s;
	digits[n] = '\0';
	*v = strtod(digits, &end);
	return n > 0 && *end == '\0' ? 0 : -1;
}

/* The column of the header line LINE named NAME, or -1. */
static int column(const char *line, const char *name)
{
	char buf[64];
	for (int i = 0; cell(line, i, buf, sizeof buf) == 0; i++)
		if (!strcmp(buf, name))
			return i;
	return -1;
}

static void read_results(const char *path, struct results *r)
{
	FILE *f = fopen(path, "r");
	char line[1024], buf[64];
	int in_table = 0, c_server = -1, c_held = -1, c_threads = -1, c_rss = -1, c_start = -1;

	if (!f)
		die("%s: %s", path, strerror(errno));
	*r = (struct results){ 0 };
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "- Machine: ", 11))
			snprintf(r->machine, sizeof r->machine, "%.150s", line + 11);
		else if (!strncmp(line, "- Date: ", 8))
			snprintf(r->date, sizeof r->date, "%.16s", line + 8);  /* date and time */
		if (!strcmp(line, TABLE)) {
			in_table = 1;
			continue;
		}
		if (!in_table || line[0] != '|') {
			if (in_table && r->nrows)
				break;  /* the table has ended */
			continue;
		}
		if (c_server < 0) {     /* the header */
			c_server = column(line, "server");
			c_held = column(line, "idle conns");
			c_threads = column(line, "threads");
			c_rss = column(line, "RSS MiB");
			c_start = column(line, "RSS before MiB");
			if (c_server < 0 || c_threads < 0 || c_rss < 0)
				die("%s: the \"%s\" table has no server, threads or RSS MiB column",
				    path, TABLE_NAME);
			continue;
		}
		if (strstr(line, "---"))
			continue;       /* the |---|---:| line */
		if (r->nrows == MAX_ROWS)
			die("%s: more than %d servers in the table", path, MAX_ROWS);
		struct row *w = &r->rows[r->nrows];
		if (cell(line, c_server, w->server, sizeof w->server) < 0 ||
		    cell(line, c_threads, buf, sizeof buf) < 0 || number(buf, &w->threads) < 0 ||
		    cell(line, c_rss, buf, sizeof buf) < 0 || number(buf, &w->rss_mib) < 0)
			die("%s: cannot read the table row '%s'", path, line);
		/* The name goes into SVG attributes as it is. */
		if (w->server[strcspn(w->server, "<>&\"'")])
			die("%s: a server named '%s'", path, w->server);
		w->rss_start_mib = -1;
		if (c_start >= 0 && (cell(line, c_start, buf, sizeof buf) < 0 ||
				     number(buf, &w->rss_start_mib) < 0))
			die("%s: cannot read the table row '%s'", path, line);
		if (c_held >= 0 && !r->held[0])
			cell(line, c_held, r->held, sizeof r->held);
		r->nrows++;
	}
	fclose(f);
	if (!r->nrows)
		die("%s: no \"%s\" table with rows", path, TABLE_NAME);
}

/* Whether SERVER is one of the kit's own steps ("01-thread-per-conn"). */
static int is_step(const char *server)
{
	return server[0] >= '0' && server[0] <= '9' && server[1] >= '0' && server[1] <= '9';
}

/* One panel: a heading and a bar per row, scaled to the largest value. */
static void panel(FILE *f, const struct results *r, int metric, double x, double w,
		  double top, double row_h, const char *heading)
{
	double max = 0;
	char num[32];
	for (int i = 0; i < r->nrows; i++) {
		double v = metric ? r->rows[i].rss_mib : r->rows[i].threads;
		max = v > max ? v : max;
	}
	svg_text(f, x, top - 14, CHART_LABEL, "start", 600, SVG_INK, "%s", heading);
	double bar_w = w - 140;         /* room after the longest bar for its value */
	for (int i = 0; i < r->nrows; i++) {
		const struct row *row = &r->rows[i];
		double v = metric ? row->rss_mib : row->threads;
		double len = max > 0 ? v / max * bar_w : 0, y = top + i * row_h + row_h * 0.18;
		if (len < 3)
			len = 3;        /* a sliver still shows where the bar is */
		fprintf(f,
			"<rect class=\"bar\" data-server=\"%s\" data-metric=\"%s\" "
			"data-value=\"%g\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			"fill=\"%s\"/>\n",
			row->server, metric ? "rss_mib" : "threads", v, x, y, len, row_h * 0.64,
			is_step(row->server) ? SVG_BLUE : "#9aa5b1");
		/* The memory a server had before any client: the runtime, not the
		 * connections. It is drawn paler inside the bar. */
		if (metric && row->rss_start_mib > 0 && max > 0)
			fprintf(f,
				"<rect class=\"start\" data-server=\"%s\" data-value=\"%g\" "
				"x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				"fill=\"#ffffff\" fill-opacity=\"0.45\"/>\n",
				row->server, row->rss_start_mib, x, y,
				row->rss_start_mib / max * bar_w, row_h * 0.64);
		if (metric)
			snprintf(num, sizeof num, "%.1f MiB", v);
		else
			svg_thousands(num, sizeof num, (long long)v);
		svg_text(f, x + len + 8, y + row_h * 0.32 + 8, CHART_LABEL, "start", 600,
			 SVG_INK, "%s", num);
	}
}

static void usage(FILE *to, int status)
{
	fprintf(to, "usage: chart bench/results.md [-o FILE.svg] [--width PX]\n"
		"Draws the results' \"%s\" table as bars: threads and RSS per server.\n",
		TABLE_NAME);
	exit(status);
}

int main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	double width = 1160;
	unsigned long px;
	struct results r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(argv[i], "--width") && i + 1 < argc) {
			uint_arg(argv[++i], "--width", 640, 8000, &px, usage);
			width = (double)px;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout, 0);
		} else if (argv[i][0] != '-' && !in) {
			in = argv[i];
		} else {
			usage(stderr, 2);
		}
	}
	if (!in)
		usage(stderr, 2);
	read_results(in, &r);

	double left = 300, gap = 50, row_h = 52, top = 136;
	double panel_w = (width - left - gap - 10) / 2, height = top + r.nrows * row_h + 88;
	char title[128];
	snprintf(title, sizeof title, "Holding %s idle connections: threads and memory",
		 r.held[0] ? r.held : "the idle connections");
	FILE *f = out ? fopen(out, "w") : stdout;
	if (!f)
		die("%s: %s", out, strerror(errno));
	/* In words, with every number, for screen readers. */
	char desc[1024];
	size_t n = (size_t)snprintf(desc, sizeof desc, "Bar chart from bench/results.md: "
				    "the threads and resident memory (RSS) of each server "
				    "holding %s idle connections.", r.held[0] ? r.held : "its");
	for (int i = 0; i < r.nrows && n < sizeof desc; i++)
		n += (size_t)snprintf(desc + n, sizeof desc - n, "%s %s: %.0f thread%s, %.1f MiB",
				      i ? ";" : "", r.rows[i].server, r.rows[i].threads,
				      r.rows[i].threads == 1 ? "" : "s", r.rows[i].rss_mib);
	if (n < sizeof desc)
		snprintf(desc + n, sizeof desc - n, ".");
	svg_begin(f, width, height, title, desc);
	svg_text(f, 20, 38, CHART_TITLE, "start", 600, SVG_INK, "%s", title);
	svg_text(f, 20, 74, CHART_SMALL, "start", 400, SVG_MUTED,
		 "while each server held every connection open, after one round trip each");
	for (int i = 0; i < r.nrows; i++)
		svg_text(f, left - 16, top + i * row_h + row_h * 0.5 + 8, CHART_LABEL, "end",
			 is_step(r.rows[i].server) ? 600 : 400, SVG_INK, "%s", r.rows[i].server);
	panel(f, &r, 0, left, panel_w, top, row_h, "threads");
	panel(f, &r, 1, left + panel_w + gap, panel_w, top, row_h, "resident memory (RSS)");

	double ly = top + r.nrows * row_h + 36;
	fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"20\" height=\"20\" fill=\"%s\"/>\n",
		20.0, ly - 17, SVG_BLUE);
	svg_text(f, 48, ly, CHART_SMALL, "start", 400, SVG_INK, "the kit's steps");
	fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"20\" height=\"20\" fill=\"#9aa5b1\"/>\n",
		230.0, ly - 17);
	svg_text(f, 258, ly, CHART_SMALL, "start", 400, SVG_INK, "libuv and Node");
	fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"20\" height=\"20\" fill=\"%s\"/>"
		"<rect x=\"%.0f\" y=\"%.0f\" width=\"10\" height=\"20\" fill=\"#ffffff\" "
		"fill-opacity=\"0.45\"/>\n", 460.0, ly - 17, SVG_BLUE, 460.0, ly - 17);
	svg_text(f, 488, ly, CHART_SMALL, "start", 400, SVG_INK,
		 "paler: the memory at start, before any client");
	/* Where the numbers come from; the data file is named in the <desc>. */
	svg_text(f, 20, ly + 36, CHART_SMALL, "start", 400, SVG_MUTED, "make bench, %s%s%s%s",
		 r.machine, r.date[0] ? ", " : "", r.date, r.date[0] ? " UTC" : "");
	svg_end(f);
	if (fflush(f) != 0 || ferror(f) || (out && fclose(f) != 0))
		die("%s: %s", out ? out : "standard output", strerror(errno));
	return 0;
}
