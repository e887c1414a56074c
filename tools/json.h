/*
 * tools/json.h — a small, strict JSON reader for the tools (RFC 8259).
 *
 * json_parse() checks a whole document and indexes it as one flat array of
 * tokens, in document order; nothing is copied. A container's members follow
 * it, and each token knows where the value after it (and after everything
 * inside it) starts, so walking skips whole subtrees in one step. Every read
 * is bounded by the text's length: a malformed file is an error message with
 * a line and column, never a read past the end.
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING,
                 JSON_ARRAY, JSON_OBJECT };

struct json_tok {
	enum json_type type;
	uint32_t start, len;    /* the token's text; a string's without quotes */
	uint32_t next;          /* index of the token after this whole value */
	uint32_t count;         /* members of an object, elements of an array */
};

struct json {
	const char *text;
	size_t size;
	struct json_tok *tok;   /* tok[0] is the document's top value */
	size_t ntok, cap;
};

/* "No such token": what json_member() returns for a missing key. */
#define JSON_NONE ((size_t)-1)

/* Parses TEXT[0..SIZE) into J. Returns 0, or -1 with a message such as
 * "line 3, column 7: expected ':' after an object key" in ERR (ERRSIZE bytes,
 * NUL-terminated). TEXT must outlive J; json_free() releases J's tokens. */
int json_parse(struct json *j, const char *text, size_t size, char *err, size_t errsize);
void json_free(struct json *j);

/* The value of member KEY of object token OBJ, or JSON_NONE (also when OBJ is
 * JSON_NONE or not an object). Members of an object at I are walked as:
 * key = I + 1, value = key + 1, next key = tok[value].next. */
size_t json_member(const struct json *j, size_t obj, const char *key);

/* Token I as a number, or FALLBACK when it is missing or not a number. */
double json_number(const struct json *j, size_t i, double fallback);

/* Token I (a string) decoded into BUF (CAP > 0 bytes, truncated on a UTF-8
 * boundary, NUL-terminated); returns the length written. Not a string: "". */
size_t json_string(const struct json *j, size_t i, char *buf, size_t cap);

/* Whether token I is the string S (after decoding escapes). */
int json_is(const struct json *j, size_t i, const char *s);

#endif
