/*
 * tools/svg.c — the SVG writing helpers of svg.h.
 */
#include "svg.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

void svg_begin(FILE *f, double w, double h, const char *title, const char *desc)
{
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" font-family=\"'DejaVu Sans', 'Helvetica Neue', "
		"Arial, sans-serif\">\n<title>", w, h, w, h);
	svg_escape(f, title);
	fputs("</title>\n<desc>", f);
	svg_escape(f, desc);
	fprintf(f, "</desc>\n<rect width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", w, h);
}

void svg_end(FILE *f)
{
	fputs("</svg>\n", f);
}

/* The length of the UTF-8 sequence at S that is a character XML 1.0 allows
 * (#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF), or 0:
 * an invalid or cut sequence, a surrogate, U+FFFE, U+FFFF, a C0 control. */
static size_t xml_char(const unsigned char *s)
{
	size_t n = s[0] < 0x80 ? 0 : s[0] >= 0xf0 ? 3 : s[0] >= 0xe0 ? 2 : s[0] >= 0xc2 ? 1 : 9;
	unsigned cp = s[0] & (0x7fu >> n);
	if (n == 0)
		return s[0] >= 0x20 || s[0] == '\t' || s[0] == '\n' || s[0] == '\r';
	if (n > 3 || s[0] > 0xf4)
		return 0;
	for (size_t k = 1; k <= n; k++) {
		if ((s[k] & 0xc0) != 0x80)      /* a NUL ends the loop here too */
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n + 1;
}

void svg_escape(FILE *f, const char *s)
{
	while (*s) {
		size_t n = xml_char((const unsigned char *)s);
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\n': case '\r': fputc(' ', f); break;
		default:
			if (n) {
				fwrite(s, 1, n, f);
				s += n - 1;
			} else if ((unsigned char)*s >= 0x80) {
				fputs("\xef\xbf\xbd", f);     /* U+FFFD, as a browser shows it */
				for (int k = 0; k < 3 && ((unsigned char)s[1] & 0xc0) == 0x80; k++)
					s++;
			}
		}
		s++;
	}
}

char *svg_cut(char *s)
{
	size_t n = strlen(s), k = n;
	while (k > 0 && ((unsigned char)s[k - 1] & 0xc0) == 0x80 && n - k < 3)
		k--;
	/* K is at the last lead byte (or a stray continuation byte): the sequence
	 * from there is whole only if it is as long as its lead byte says. */
	if (k > 0 && (unsigned char)s[k - 1] >= 0xc0) {
		unsigned char c = (unsigned char)s[k - 1];
		size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (n - (k - 1) < want)
			s[k - 1] = '\0';
	}
	return s;
}

void svg_text(FILE *f, double x, double y, int size, const char *anchor, int weight,
	      const char *fill, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	svg_cut(buf);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" fill=\"%s\"", x, y, size, fill);
	if (strcmp(anchor, "start") != 0)
		fprintf(f, " text-anchor=\"%s\"", anchor);
	if (weight != 400)
		fprintf(f, " font-weight=\"%d\"", weight);
	fputc('>', f);
	svg_escape(f, buf);
	fputs("</text>\n", f);
}

double svg_text_width(const char *s, int size)
{
	double n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)  /* characters, not bytes */
			n++;
	return n * size * 0.6;  /* DejaVu Sans averages a little under 0.6 em */
}

double svg_nice_step(double range, int ticks)
{
	double raw = range / (ticks > 0 ? ticks : 1), p;
	if (!(raw > 0))
		return 1;
	p = pow(10, floor(log10(raw)));
	return raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
}

char *svg_thousands(char *buf, size_t cap, long long n)
{
	char digits[32];
	/* The magnitude as unsigned: -LLONG_MIN does not fit in a long long. */
	unsigned long long m = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
	int len = snprintf(digits, sizeof digits, "%llu", m);
	size_t k = 0;

	if (n < 0 && k + 1 < cap)
		buf[k++] = '-';
	for (int i = 0; i < len && k + 1 < cap; i++) {
		buf[k++] = digits[i];
		if ((len - i - 1) % 3 == 0 && i < len - 1 && k + 1 < cap)
			buf[k++] = ',';
	}
	buf[k] = '\0';
	return buf;
}
