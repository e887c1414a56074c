/*
 * tools/svg.h — what the picture tools (timeline, chart) share: writing a
 * self-contained SVG, its text escaped, in one type scale and one palette.
 *
 * Sizes are in SVG user units at the picture's own width (1280 by default:
 * a slide), so "15" is 15 px on a 1280×720 slide. Nothing here is below 14.
 */
#ifndef SVG_H
#define SVG_H

#include <stdio.h>

/* The type scale. */
#define SVG_TITLE 26
#define SVG_SUBTITLE 16
#define SVG_LABEL 15
#define SVG_SMALL 14

/* The least a picture for a slide may use: a slide shows a picture at most
 * about 1180 px wide and 530 high, so a picture drawn 1160 wide keeps 22 px
 * text 22 px or more, readable from the back of a room. */
#define SVG_READABLE 22

/* The palette: Okabe and Ito's, which stays distinct for colour-blind readers,
 * on a white ground with slate greys for the frame. */
#define SVG_INK     "#1f2933"   /* titles, labels */
#define SVG_MUTED   "#52606d"   /* subtitles, axis */
#define SVG_GRID    "#e4e7eb"
#define SVG_LANE    "#f5f7fa"
#define SVG_BLUE    "#0072b2"
#define SVG_ORANGE  "#e69f00"
#define SVG_GREEN   "#009e73"
#define SVG_VERMIL  "#d55e00"
#define SVG_PINK    "#cc79a7"
#define SVG_SKY     "#56b4e9"
#define SVG_PURPLE  "#6a51a3"
#define SVG_RED     "#c0392b"

/* Starts an SVG document of W × H on F: the XML header, a white ground, the
 * font, a <title> (TITLE) for browser tabs and a <desc> (DESC, what the picture
 * shows in words) for screen readers, both escaped. */
void svg_begin(FILE *f, double w, double h, const char *title, const char *desc);
void svg_end(FILE *f);

/* Writes S with XML's special characters escaped, so that the document stays
 * well-formed whatever S holds: C0 controls (but tab) dropped, a line break as
 * a space, and what XML forbids or is not UTF-8 (a stray byte, U+FFFE, U+FFFF)
 * as U+FFFD. A browser refuses a whole SVG for one such character. */
void svg_escape(FILE *f, const char *s);

/* Ends S on a character boundary: drops a UTF-8 sequence cut at its end, as
 * snprintf() cuts a string that does not fit. Returns S. */
char *svg_cut(char *s);

/* A line of text at (X, Y): ANCHOR is "start", "middle" or "end"; WEIGHT 400
 * or 600; FILL a colour. The text is printf's FMT, escaped. */
__attribute__((format(printf, 8, 9)))
void svg_text(FILE *f, double x, double y, int size, const char *anchor, int weight,
	      const char *fill, const char *fmt, ...);

/* About how wide S is in a sans-serif font at SIZE (for fitting labels). */
double svg_text_width(const char *s, int size);

/* A "nice" axis step (1, 2 or 5 × 10^k) that cuts RANGE into at most about
 * TICKS parts. */
double svg_nice_step(double range, int ticks);

/* N with thousands separators ("10,001"), into BUF; returns BUF. */
char *svg_thousands(char *buf, size_t cap, long long n);

#endif
