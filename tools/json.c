/*
 * tools/json.c — the strict JSON reader of json.h: a recursive-descent check
 * of the whole grammar (RFC 8259, UTF-8 text) that records one token per value.
 */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting deeper than this is refused, so that a hostile file cannot exhaust
 * the stack (a trace nests four deep). */
#define MAX_DEPTH 256

struct parser {
	struct json *j;
	size_t pos;
	int depth;
	char *err;
	size_t errsize;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct parser *ps, const char *fmt, ...)
{
	size_t line = 1, col = 1, n;

	for (size_t i = 0; i < ps->pos && i < ps->j->size; i++) {
		if (ps->j->text[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)ps->j->text[i] & 0xc0) != 0x80) {
			col++;  /* columns count characters, not UTF-8 bytes */
		}
	}
	n = (size_t)snprintf(ps->err, ps->errsize, "line %zu, column %zu: ", line, col);
	if (n < ps->errsize) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errsize - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int peek(const struct parser *ps)
{
	return ps->pos < ps->j->size ? (unsigned char)ps->j->text[ps->pos] : -1;
}

static void skip_space(struct parser *ps)
{
	int c;
	while ((c = peek(ps)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		ps->pos++;
}

/* Appends a token; returns its index, or -1 when out of memory or when the
 * document is too big for 32-bit offsets. */
static long push(struct parser *ps, enum json_type type, size_t start)
{
	struct json *j = ps->j;
	if (j->ntok == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 1024;
		struct json_tok *t = realloc(j->tok, cap * sizeof *t);
		if (!t)
			return fail(ps, "out of memory");
		j->tok = t;
		j->cap = cap;
	}
	if (j->ntok >= UINT32_MAX)
		return fail(ps, "too many values");
	j->tok[j->ntok] = (struct json_tok){ .type = type, .start = (uint32_t)start };
	return (long)j->ntok++;
}

static int hex4(struct parser *ps, unsigned *out)
{
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		int c = peek(ps), d;
		if (c >= '0' && c <= '9') d = c - '0';
		else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
		else return fail(ps, "expected four hex digits after \\u");
		v = v * 16 + (unsigned)d;
		ps->pos++;
	}
	*out = v;
	return 0;
}

/* One UTF-8 sequence starting with lead byte C (already known to be >= 0x80);
 * overlong forms, surrogates and values past U+10FFFF are refused. */
static int utf8_char(struct parser *ps, int c)
{
	const unsigned char *s = (const unsigned char *)ps->j->text;
	size_t n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : 0;
	unsigned cp = (unsigned)c & (0x3fu >> n);

	if (n == 0 || c > 0xf4)
		return fail(ps, "invalid UTF-8 byte 0x%02x", (unsigned)c);
	if (ps->pos + n >= ps->j->size)
		return fail(ps, "truncated UTF-8 sequence");
	for (size_t k = 1; k <= n; k++) {
		if ((s[ps->pos + k] & 0xc0) != 0x80)
			return fail(ps, "invalid UTF-8 sequence");
		cp = cp << 6 | (s[ps->pos + k] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return fail(ps, "invalid UTF-8 sequence");
	ps->pos += n + 1;
	return 0;
}

static int parse_string(struct parser *ps)
{
	size_t start = ++ps->pos;       /* past the opening quote */
	long t = push(ps, JSON_STRING, start);
	if (t < 0)
		return -1;
	for (;;) {
		int c = peek(ps);
		unsigned u;
		if (c < 0)
			return fail(ps, "unterminated string");
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(ps, "control character 0x%02x in a string", (unsigned)c);
		if (c >= 0x80) {
			if (utf8_char(ps, c) < 0)
				return -1;
			continue;
		}
		ps->pos++;
		if (c != '\\')
			continue;
		c = peek(ps);
		if (c >= 0 && strchr("\"\\/bfnrt", c) && c != 0) {
			ps->pos++;
		} else if (c == 'u') {
			ps->pos++;
			if (hex4(ps, &u) < 0)
				return -1;
		} else {
			return fail(ps, "invalid escape in a string");
		}
	}
	ps->j->tok[t].len = (uint32_t)(ps->pos - start);
	ps->j->tok[t].next = (uint32_t)ps->j->ntok;
	ps->pos++;                      /* past the closing quote */
	return 0;
}

static int digits(struct parser *ps)
{
	size_t from = ps->pos;
	while (peek(ps) >= '0' && peek(ps) <= '9')
		ps->pos++;
	return ps->pos > from ? 0 : fail(ps, "expected a digit");
}

static int parse_number(struct parser *ps)
{
	size_t start = ps->pos;
	long t = push(ps, JSON_NUMBER, start);
	if (t < 0)
		return -1;
	if (peek(ps) == '-')
		ps->pos++;
	if (peek(ps) == '0')
		ps->pos++;
	else if (digits(ps) < 0)
		return -1;
	if (peek(ps) == '.') {
		ps->pos++;
		if (digits(ps) < 0)
			return -1;
	}
	if (peek(ps) == 'e' || peek(ps) == 'E') {
		ps->pos++;
		if (peek(ps) == '+' || peek(ps) == '-')
			ps->pos++;
		if (digits(ps) < 0)
			return -1;
	}
	ps->j->tok[t].len = (uint32_t)(ps->pos - start);
	ps->j->tok[t].next = (uint32_t)ps->j->ntok;
	return 0;
}

static int parse_word(struct parser *ps, const char *word, enum json_type type)
{
	size_t n = strlen(word);
	long t;
	if (ps->j->size - ps->pos < n || memcmp(ps->j->text + ps->pos, word, n) != 0)
		return fail(ps, "expected a value");
	if ((t = push(ps, type, ps->pos)) < 0)
		return -1;
	ps->pos += n;
	ps->j->tok[t].len = (uint32_t)n;
	ps->j->tok[t].next = (uint32_t)ps->j->ntok;
	return 0;
}

static int parse_value(struct parser *ps);

/* An array or an object: CLOSE is ']' or '}'. */
static int parse_container(struct parser *ps, enum json_type type, int close)
{
	long t = push(ps, type, ps->pos);
	uint32_t count = 0;

	if (t < 0)
		return -1;
	if (++ps->depth > MAX_DEPTH)
		return fail(ps, "nested deeper than %d", MAX_DEPTH);
	ps->pos++;
	skip_space(ps);
	if (peek(ps) == close) {
		ps->pos++;
	} else {
		for (;;) {
			if (type == JSON_OBJECT) {
				skip_space(ps);
				if (peek(ps) != '"')
					return fail(ps, "expected a string as an object key");
				if (parse_string(ps) < 0)
					return -1;
				skip_space(ps);
				if (peek(ps) != ':')
					return fail(ps, "expected ':' after an object key");
				ps->pos++;
			}
			if (parse_value(ps) < 0)
				return -1;
			count++;
			skip_space(ps);
			if (peek(ps) == ',') {
				ps->pos++;
				continue;
			}
			if (peek(ps) == close) {
				ps->pos++;
				break;
			}
			return fail(ps, "expected ',' or '%c'", close);
		}
	}
	ps->depth--;
	ps->j->tok[t].len = (uint32_t)(ps->pos - ps->j->tok[t].start);
	ps->j->tok[t].next = (uint32_t)ps->j->ntok;
	ps->j->tok[t].count = count;
	return 0;
}

static int parse_value(struct parser *ps)
{
	int c;
	skip_space(ps);
	c = peek(ps);
	switch (c) {
	case '{': return parse_container(ps, JSON_OBJECT, '}');
	case '[': return parse_container(ps, JSON_ARRAY, ']');
	case '"': return parse_string(ps);
	case 't': return parse_word(ps, "true", JSON_TRUE);
	case 'f': return parse_word(ps, "false", JSON_FALSE);
	case 'n': return parse_word(ps, "null", JSON_NULL);
	case -1: return fail(ps, "unexpected end of input");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return parse_number(ps);
		return fail(ps, "expected a value");
	}
}

int json_parse(struct json *j, const char *text, size_t size, char *err, size_t errsize)
{
	struct parser ps = { .j = j, .err = err, .errsize = errsize };

	*j = (struct json){ .text = text, .size = size };
	if (size >= UINT32_MAX)
		return fail(&ps, "input too large");
	if (parse_value(&ps) < 0)
		goto bad;
	skip_space(&ps);
	if (ps.pos != size) {
		fail(&ps, "unexpected text after the document");
		goto bad;
	}
	return 0;
bad:
	json_free(j);
	return -1;
}

void json_free(struct json *j)
{
	free(j->tok);
	j->tok = NULL;
	j->ntok = j->cap = 0;
}

size_t json_member(const struct json *j, size_t obj, const char *key)
{
	if (obj >= j->ntok || j->tok[obj].type != JSON_OBJECT)
		return JSON_NONE;
	size_t k = obj + 1;
	for (uint32_t n = 0; n < j->tok[obj].count; n++) {
		size_t v = k + 1;
		if (json_is(j, k, key))
			return v;
		k = j->tok[v].next;
	}
	return JSON_NONE;
}

double json_number(const struct json *j, size_t i, double fallback)
{
	char buf[64];
	if (i >= j->ntok || j->tok[i].type != JSON_NUMBER || j->tok[i].len >= sizeof buf)
		return fallback;
	memcpy(buf, j->text + j->tok[i].start, j->tok[i].len);
	buf[j->tok[i].len] = '\0';
	return strtod(buf, NULL);
}

/* Appends code point CP as UTF-8 to BUF at *N if it fits in CAP - 1. */
static void put_utf8(char *buf, size_t cap, size_t *n, unsigned cp)
{
	char u[4];
	size_t k;
	if (cp < 0x80) {
		u[0] = (char)cp; k = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6); u[1] = (char)(0x80 | (cp & 0x3f)); k = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12); u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f)); k = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18); u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f)); u[3] = (char)(0x80 | (cp & 0x3f)); k = 4;
	}
	if (*n + k < cap) {
		memcpy(buf + *n, u, k);
		*n += k;
	}
}

static unsigned hexval(const char *s)
{
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		char c = s[k];
		v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

size_t json_string(const struct json *j, size_t i, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	if (i >= j->ntok || j->tok[i].type != JSON_STRING)
		return 0;
	/* The parser has checked every escape, so they are read here unchecked. */
	const char *s = j->text + j->tok[i].start, *end = s + j->tok[i].len;
	while (s < end && n + 1 < cap) {
		unsigned cp;
		if (*s != '\\') {
			size_t k = 1;   /* copy a whole UTF-8 sequence or none of it */
			while (s + k < end && ((unsigned char)s[k] & 0xc0) == 0x80)
				k++;
			if (n + k >= cap)
				break;
			memcpy(buf + n, s, k);
			n += k;
			s += k;
			continue;
		}
		switch (s[1]) {
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			cp = hexval(s + 2);
			s += 4;
			/* A surrogate pair is one character; a lone half becomes U+FFFD. */
			if (cp >= 0xd800 && cp <= 0xdbff && end - s >= 8 && s[2] == '\\' &&
			    s[3] == 'u') {
				unsigned lo = hexval(s + 4);
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					s += 6;
				}
			}
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			break;
		default: cp = (unsigned char)s[1]; break;
		}
		s += 2;
		put_utf8(buf, cap, &n, cp);
	}
	buf[n] = '\0';
	return n;
}

int json_is(const struct json *j, size_t i, const char *s)
{
	char buf[256];
	size_t n = strlen(s);
	if (i >= j->ntok || j->tok[i].type != JSON_STRING || n >= sizeof buf - 1)
		return 0;
	/* Without escapes the text is the value: compare it in place. */
	if (j->tok[i].len == n && memcmp(j->text + j->tok[i].start, s, n) == 0)
		return 1;
	if (!memchr(j->text + j->tok[i].start, '\\', j->tok[i].len))
		return 0;
	return json_string(j, i, buf, sizeof buf) == n && memcmp(buf, s, n) == 0;
}
