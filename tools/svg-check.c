/*
 * tools/svg-check — checks SVG files as the kit's pictures must be: well-formed
 * XML, titled for a screen reader, and loading nothing from outside the file.
 *
 * Well-formed: valid UTF-8 with no character that XML 1.0 forbids; tags
 * balanced and one root; attributes quoted, each once per tag; every & an
 * entity (the five XML predefines, or a character reference of an allowed
 * character); no DOCTYPE (whose entities could come from elsewhere).
 * Then the picture: the root is <svg> in the SVG namespace with a viewBox, it
 * has a <title> child with words in it and a <desc> child, and every href
 * (xlink:href too) points into the file itself ("#...").
 *
 * Usage: svg-check FILE...
 * Prints `FILE: line N: what is wrong` for each bad file and exits 1, or
 * `svg-check: N files ok` and exits 0.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

#define MAX_DEPTH 256
#define SVG_NS "http://www.w3.org/2000/svg"

struct doc {
	const char *s;
	size_t n, pos;
	char why[300];          /* the first thing wrong, "" while all is well */
	int depth;
	bool title_words, desc, svg_ns, viewbox;
};

__attribute__((format(printf, 2, 3)))
static bool bad(struct doc *d, const char *fmt, ...)
{
	if (d->why[0])
		return false;
	int line = 1, k = 0;
	for (size_t i = 0; i < d->pos && i < d->n; i++)
		line += d->s[i] == '\n';
	if (d->pos != SIZE_MAX)         /* SIZE_MAX: about the whole picture */
		k = snprintf(d->why, sizeof d->why, "line %d: ", line);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->why + k, sizeof d->why - (size_t)k, fmt, ap);
	va_end(ap);
	return false;
}

static bool allowed(unsigned long c)
{
	return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
	       (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

/* The whole text: valid UTF-8 (no overlong forms, no surrogates), and only
 * characters that XML allows. */
static bool check_chars(struct doc *d)
{
	const unsigned char *s = (const unsigned char *)d->s;
	for (d->pos = 0; d->pos < d->n;) {
		unsigned c = s[d->pos];
		size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
		unsigned long cp = len == 1 ? c : c & (0x7fu >> len);
		if (len == 0 || c > 0xf4 || d->pos + len > d->n)
			return bad(d, "invalid UTF-8 (byte 0x%02x)", c);
		for (size_t k = 1; k < len; k++) {
			if ((s[d->pos + k] & 0xc0) != 0x80)
				return bad(d, "invalid UTF-8 sequence");
			cp = cp << 6 | (s[d->pos + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return bad(d, "invalid UTF-8 sequence");
		if (!allowed(cp))
			return bad(d, "character U+%04lX, which XML forbids", cp);
		d->pos += len;
	}
	return true;
}

static bool at(const struct doc *d, const char *lit)
{
	size_t k = strlen(lit);
	return d->pos + k <= d->n && memcmp(d->s + d->pos, lit, k) == 0;
}

static void skip_space(struct doc *d)
{
	while (d->pos < d->n && strchr(" \t\r\n", d->s[d->pos]))
		d->pos++;
}

/* An XML name (ASCII letters, digits, and _ : . -); its length, 0 for none. */
static size_t name(struct doc *d)
{
	size_t start = d->pos;
	while (d->pos < d->n) {
		char c = d->s[d->pos];
		bool first = d->pos == start;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
		      (unsigned char)c >= 0x80 ||
		      (!first && ((c >= '0' && c <= '9') || c == '.' || c == '-'))))
			break;
		d->pos++;
	}
	return d->pos - start;
}

/* Past "...END", from the current position; false when END never comes. */
static bool skip_past(struct doc *d, const char *end, const char *what)
{
	const char *p = memmem(d->s + d->pos, d->n - d->pos, end, strlen(end));
	if (!p)
		return bad(d, "unterminated %s", what);
	d->pos = (size_t)(p - d->s) + strlen(end);
	return true;
}

/* An entity or character reference at '&'. */
static bool entity(struct doc *d)
{
	static const char *const named[] = { "amp;", "lt;", "gt;", "quot;", "apos;" };
	d->pos++;
	for (size_t k = 0; k < sizeof named / sizeof *named; k++)
		if (at(d, named[k])) {
			d->pos += strlen(named[k]);
			return true;
		}
	if (!at(d, "#"))
		return bad(d, "a '&' that starts no entity (write &amp;)");
	bool hex = d->s[++d->pos] == 'x';
	char *end;
	unsigned long c = strtoul(d->s + d->pos + hex, &end, hex ? 16 : 10);
	if (end == d->s + d->pos + hex || end >= d->s + d->n || *end != ';' ||
	    !strchr(hex ? "0123456789abcdefABCDEF" : "0123456789", d->s[d->pos + hex]))
		return bad(d, "a bad character reference");
	if (!allowed(c))
		return bad(d, "a reference to character %lu, which XML forbids", c);
	d->pos = (size_t)(end - d->s) + 1;
	return true;
}

/* Character data up to the next '<'; WORDS: whether some is not blank. */
static bool text(struct doc *d, bool *words)
{
	while (d->pos < d->n && d->s[d->pos] != '<') {
		if (at(d, "]]>"))
			return bad(d, "']]>' in text");
		if (d->s[d->pos] == '&') {
			if (!entity(d))
				return false;
			*words = true;
			continue;
		}
		*words |= !strchr(" \t\r\n", d->s[d->pos]);
		d->pos++;
	}
	return true;
}

/* A start tag, after its name (at LEN bytes before pos): its attributes, to
 * '>' or '/>'. *EMPTY: it was '/>'. */
static bool attributes(struct doc *d, bool root, bool *empty)
{
	size_t names[64][2], nnames = 0;
	for (;;) {
		size_t before = d->pos;
		skip_space(d);
		if (at(d, "/>") || at(d, ">")) {
			*empty = d->s[d->pos] == '/';
			d->pos += *empty ? 2 : 1;
			return true;
		}
		size_t start = d->pos, len = name(d);
		if (len == 0)
			return bad(d, "expected an attribute, '>' or '/>'");
		if (before == start)
			return bad(d, "no space before an attribute");
		for (size_t k = 0; k < nnames; k++)
			if (names[k][1] == len && memcmp(d->s + names[k][0], d->s + start, len) == 0)
				return bad(d, "attribute %.*s twice", (int)len, d->s + start);
		if (nnames < 64)
			names[nnames][0] = start, names[nnames++][1] = len;
		skip_space(d);
		if (!at(d, "="))
			return bad(d, "attribute %.*s has no value", (int)len, d->s + start);
		d->pos++;
		skip_space(d);
		char q = '\0';
		if (d->pos < d->n)
			q = d->s[d->pos];
		if (q != '"' && q != '\'')
			return bad(d, "the value of %.*s is not quoted", (int)len, d->s + start);
		size_t vstart = ++d->pos;
		while (d->pos < d->n && d->s[d->pos] != q) {
			if (d->s[d->pos] == '<')
				return bad(d, "a '<' in an attribute value");
			if (d->s[d->pos] == '&' ? !entity(d) : (d->pos++, false))
				return false;
		}
		if (d->pos >= d->n)
			return bad(d, "unterminated attribute value");
		const char *v = d->s + vstart, *a = d->s + start;
		size_t vlen = d->pos++ - vstart;
		if (len >= 4 && memcmp(a + len - 4, "href", 4) == 0 && (vlen == 0 || v[0] != '#'))
			return bad(d, "loads %.*s (an href that leaves the file)", (int)vlen, v);
		if (root && len == 5 && memcmp(a, "xmlns", 5) == 0)
			d->svg_ns = vlen == strlen(SVG_NS) && memcmp(v, SVG_NS, vlen) == 0;
		if (root && len == 7 && memcmp(a, "viewBox", 7) == 0)
			d->viewbox = vlen > 0;
	}
}

/* One element, at its '<'; the depth below the root says whether it is a
 * <title> or <desc> of the picture. */
static bool element(struct doc *d)
{
	size_t nstart = ++d->pos, nlen = name(d);
	bool empty = false, root = d->depth == 0, words = false;
	if (nlen == 0)
		return bad(d, "expected a tag name after '<'");
	if (++d->depth > MAX_DEPTH)
		return bad(d, "nested deeper than %d", MAX_DEPTH);
	const char *tag = d->s + nstart;
	bool top = d->depth == 2;
	bool is_title = top && nlen == 5 && memcmp(tag, "title", 5) == 0;
	if (top && nlen == 4 && memcmp(tag, "desc", 4) == 0)
		d->desc = true;
	if (root && !(nlen == 3 && memcmp(tag, "svg", 3) == 0))
		return bad(d, "the root is <%.*s>, not <svg>", (int)nlen, tag);
	if (!attributes(d, root, &empty))
		return false;
	while (!empty) {
		if (!text(d, &words))
			return false;
		if (d->pos >= d->n)
			return bad(d, "<%.*s> is never closed", (int)nlen, tag);
		if (at(d, "</")) {
			d->pos += 2;
			size_t cstart = d->pos, clen = name(d);
			if (clen != nlen || memcmp(d->s + cstart, tag, nlen) != 0)
				return bad(d, "</%.*s> closes <%.*s>", (int)clen, d->s + cstart, (int)nlen, tag);
			skip_space(d);
			if (!at(d, ">"))
				return bad(d, "expected '>' to end </%.*s>", (int)nlen, tag);
			d->pos++;
			break;
		}
		if (at(d, "<!--")) {
			if (!skip_past(d, "-->", "comment"))
				return false;
		} else if (at(d, "<![CDATA[")) {
			size_t from = d->pos;
			if (!skip_past(d, "]]>", "CDATA section"))
				return false;
			words |= d->pos - from > 12;
		} else if (at(d, "<?")) {
			if (!skip_past(d, "?>", "processing instruction"))
				return false;
		} else if (!element(d)) {
			return false;
		}
	}
	d->title_words |= is_title && words;
	d->depth--;
	return true;
}

/* Whitespace, comments and processing instructions: before and after the root. */
static bool misc(struct doc *d)
{
	for (;;) {
		skip_space(d);
		if (at(d, "<!--")) {
			if (!skip_past(d, "-->", "comment"))
				return false;
		} else if (at(d, "<?")) {
			if (!skip_past(d, "?>", "processing instruction"))
				return false;
		} else if (at(d, "<!")) {
			return bad(d, "a DOCTYPE or declaration (not self-contained)");
		} else {
			return true;
		}
	}
}

static bool check(struct doc *d)
{
	if (!check_chars(d))
		return false;
	d->pos = 0;
	if (!misc(d))
		return false;
	if (!at(d, "<"))
		return bad(d, "no root element");
	if (!element(d) || !misc(d))
		return false;
	if (d->pos < d->n)
		return bad(d, "text after the root element");
	d->pos = SIZE_MAX;
	if (!d->svg_ns)
		return bad(d, "the root is not in the SVG namespace (xmlns=\"" SVG_NS "\")");
	if (!d->viewbox)
		return bad(d, "no viewBox");
	if (!d->title_words)
		return bad(d, "no <title> (with words) in the root");
	if (!d->desc)
		return bad(d, "no <desc> in the root");
	return true;
}

int main(int argc, char **argv)
{
	int failed = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: svg-check FILE...\n");
		return 2;
	}
	for (int a = 1; a < argc; a++) {
		FILE *f = fopen(argv[a], "rb");
		char *buf = NULL;
		size_t size = 0;
		if (!f) {
			printf("%s: cannot open: %s\n", argv[a], strerror(errno));
			failed++;
			continue;
		}
		/* One byte more than the file, a NUL: strtoul() stops there. */
		for (size_t cap = 0, got = 1; got > 0; size += got) {
			if (size + 1 >= cap) {
				char *more = realloc(buf, cap = cap ? cap * 2 : 1 << 16);
				if (!more)
					die("out of memory");
				buf = more;
			}
			got = fread(buf + size, 1, cap - size - 1, f);
		}
		buf[size] = '\0';
		fclose(f);
		struct doc d = { .s = buf, .n = size };
		if (!check(&d)) {
			printf("%s: %s\n", argv[a], d.why);
			failed++;
		}
		free(buf);
	}
	if (failed)
		return 1;
	printf("svg-check: %d file%s ok\n", argc - 1, argc == 2 ? "" : "s");
	return 0;
}
