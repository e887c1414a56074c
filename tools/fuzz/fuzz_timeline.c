/*
 * tools/fuzz/fuzz_timeline.c — tools/timeline's reader and picture under
 * libFuzzer: any bytes, as a trace file, read and drawn. A crash, a sanitizer
 * report, an input slower than -timeout, or an SVG with a byte that XML
 * forbids (not UTF-8, a C0 control, U+FFFE, U+FFFF) is a finding.
 *
 *   make -C tools fuzz        (clang; FUZZ_SECONDS, default 30)
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream() */

#include "../lanes.h"
#include "../trace.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether S[0..N) is UTF-8 with only characters XML allows. */
static int xml_bytes(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], cp;
		size_t k = c < 0x80 ? 0 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : 9;
		if (k == 9 || c > 0xf4 || i + k >= n + (k == 0))
			return 0;
		cp = c & (0x7fu >> k);
		for (size_t m = 1; m <= k; m++) {
			if ((s[i + m] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + m] & 0x3f);
		}
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
		    (k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff || cp > 0x10ffff)
			return 0;
		i += k + 1;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lanes_opts o = { .width = 1160, .height = 520, .from_ms = 0, .to_ms = -1 };
	struct lanes_mark mark = { 0, "a callout" };
	struct trace t;
	char err[512], *svg = NULL;
	size_t svg_size = 0;
	unsigned h = 0;

	/* The picture's options from the input, so that sizes and windows vary
	 * while the seeds stay whole JSON. */
	for (size_t i = 0; i < size; i++)
		h = h * 31 + data[i];
	o.width = 640 + h % 1400;
	o.height = 240 + (h >> 11) % 1000;
	if (h & 1u << 22)
		o.from_ms = (h >> 23) % 200;
	if (h & 1u << 30)
		o.to_ms = o.from_ms + 1 + (h >> 24) % 500;
	if (h & 1u << 5) {
		mark.at_ms = (h >> 6) % 2000;
		o.marks = &mark;
		o.nmarks = 1;
	}

	if (trace_parse(&t, (const char *)data, size, "fuzz", err, sizeof err) < 0) {
		if (!memchr(err, '\0', sizeof err))
			abort();
		return 0;
	}
	FILE *out = open_memstream(&svg, &svg_size);
	if (!out)
		abort();
	if (lanes_draw(out, &t, &o) < 0)
		abort();        /* out of memory on a small input: a bug */
	fclose(out);
	if (!xml_bytes((const unsigned char *)svg, svg_size))
		abort();
	free(svg);
	trace_free(&t);
	return 0;
}
