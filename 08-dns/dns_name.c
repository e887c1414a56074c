/*
 * dns_name.c - DNS names: a run of labels, each a length byte and that many
 * bytes, ending in a zero byte (the root); to save space a name may instead
 * end in a two-byte pointer to a name earlier in the message ("compression").
 * Every name here comes from the network: each length and pointer is checked
 * before it is used, and no name walk reads more than 255 bytes and
 * MAX_JUMPS pointers, whatever the message.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "dns_name.c needs Linux"
#endif

#include "dns_name.h"

#include <string.h>

/*
 * Length bytes are at most 63, below 'A', so case folding leaves them alone
 * and one loop can compare two wire names whole.
 */
bool dns_names_equal(const struct name *a, const struct name *b)
{
	if (a->len != b->len)
		return false;
	for (size_t i = 0; i < a->len; i++)
		if (ascii_lower(a->wire[i]) != ascii_lower(b->wire[i]))
			return false;
	return true;
}

static bool is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Turns dotted TEXT into wire form; -1 if it is not a valid hostname. */
int dns_encode_name(const char *text, struct name *out)
{
	size_t len = strlen(text), start = 0;
	if (len > 0 && text[len - 1] == '.')
		len--;                          /* "example.test." is fine too */
	if (len == 0 || len > MAX_TEXT_NAME)
		return -1;
	out->len = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '.') {
			if (!is_host_char(text[i]))
				return -1;
			continue;
		}
		size_t n = i - start;           /* a label ends here */
		if (n == 0 || n > MAX_LABEL)
			return -1;
		out->wire[out->len] = (unsigned char)n;
		memcpy(out->wire + out->len + 1, text + start, n);
		out->len += 1 + n;
		start = i + 1;
	}
	out->wire[out->len++] = 0;          /* the root label */
	return 0;
}

/*
 * Reads the possibly compressed name at *POS into OUT and moves *POS past
 * the name's bytes there. Returns -1 if the name is malformed.
 *
 * A pointer (a byte with the top two bits set, plus the next byte) means
 * "the rest of this name is at offset X". Aimed badly, pointers could send
 * us round in a circle, so each one must point strictly before the place
 * where the labels being read began. Every jump then lands further back
 * than the last, which guarantees the walk ends; MAX_JUMPS and the 255-byte
 * limit on names are a second line of defence.
 */
int dns_read_name(const unsigned char *msg, size_t len, size_t *pos,
                  struct name *out)
{
	size_t p = *pos, end = 0;
	size_t run_start = p;           /* where the labels being read began */
	int jumps = 0;
	out->len = 0;
	for (;;) {
		/* The labels up to a pointer or the root, checked, then copied at
		 * once: one memcpy() for a run of labels, not one for each. */
		size_t from = p;
		unsigned b;
		while (p < len && (b = msg[p]) <= MAX_LABEL && b != 0 &&
		       p + 1 + b - from + out->len <= MAX_WIRE_NAME)
			p += 1 + b;
		if (p >= len || p - from + out->len + 1 > MAX_WIRE_NAME)
			return -1;
		b = msg[p];
		if (b == 0 || (b & 0xC0) != 0xC0) {
			if (b != 0)
				return -1;      /* 01 and 10: unused label types; or too long */
			memcpy(out->wire + out->len, msg + from, p + 1 - from);
			out->len += p + 1 - from;
			p++;
			break;
		}
		if (p + 1 >= len)
			return -1;
		size_t target = (b & 0x3F) << 8 | msg[p + 1];
		if (target >= run_start || ++jumps > MAX_JUMPS)
			return -1;
		memcpy(out->wire + out->len, msg + from, p - from);
		out->len += p - from;
		if (jumps == 1)
			end = p + 2;            /* the name's bytes stop here */
		p = run_start = target;
	}
	*pos = jumps > 0 ? end : p;
	return 0;
}

/* Where the labels of the name at P go on: P, or where its pointers lead. */
static size_t skip_pointers(const unsigned char *msg, size_t p)
{
	while ((msg[p] & 0xC0) == 0xC0)
		p = (size_t)(msg[p] & 0x3F) << 8 | msg[p + 1];
	return p;
}

/*
 * True if the names at offsets P and Q of the message are the same name,
 * compared in place: both were read whole by read_name() from these very
 * offsets, so their pointers are known to be sound and to end, and this
 * walk, which follows the same ones, reads at most 255 bytes of each. Two
 * names that meet at one offset are equal from there on: a compressed
 * chain is compared in a few steps, however long its names.
 */
bool dns_same_name(const unsigned char *msg, size_t p, size_t q)
{
	for (;;) {
		p = skip_pointers(msg, p);
		q = skip_pointers(msg, q);
		if (p == q)
			return true;
		unsigned n = msg[p];
		if (n != msg[q])
			return false;
		for (unsigned i = 1; i <= n; i++)
			if (ascii_lower(msg[p + i]) != ascii_lower(msg[q + i]))
				return false;
		if (n == 0)
			return true;
		p += 1 + n;
		q += 1 + n;
	}
}

/* The 8 bytes of X with ASCII 'A'..'Z' made lower case, all at once: a byte's
 * top bit is set where it is at least 'A', not above 'Z', and ASCII. */
static uint64_t lower8(uint64_t x)
{
	const uint64_t high = 0x8080808080808080u;
	uint64_t low7 = x & ~high;
	uint64_t at_least_a = low7 + 0x3F3F3F3F3F3F3F3Fu;   /* 'A' + 0x3F = 0x80 */
	uint64_t above_z = low7 + 0x2525252525252525u;      /* 'Z' + 1 + 0x25 = 0x80 */
	return x | (at_least_a & ~above_z & ~x & high) >> 2;
}

/* A hash of the case-folded wire name, 8 bytes at a time: equal names, equal
 * hashes. Unequal names with equal hashes are caught (dns_same_name) and
 * refused, so it need not be a cryptographic one. */
uint64_t dns_hash_name(const struct name *n)
{
	uint64_t h = n->len;
	for (size_t i = 0; i < n->len; i += 8) {
		uint64_t w = 0;
		memcpy(&w, n->wire + i, n->len - i < 8 ? n->len - i : 8);
		h = ((h << 5 | h >> 59) ^ lower8(w)) * 0x9E3779B97F4A7C15u;
	}
	return h ^ h >> 29;
}
