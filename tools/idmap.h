/*
 * tools/idmap.h — a hash table from 64-bit keys (thread ids, span ids) to
 * indexes, so that tools/timeline's reader finds each event's thread and span
 * in constant time however many came before. Open addressing, linear probing,
 * grown to stay at most half full.
 */
#ifndef IDMAP_H
#define IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap {
	uint64_t *keys;
	size_t *vals;           /* IDMAP_NONE: a free slot */
	size_t cap, used;
};

#define IDMAP_NONE ((size_t)-1)

/* The value stored for KEY, or IDMAP_NONE. */
size_t idmap_get(const struct idmap *m, uint64_t key);

/* Stores VAL (not IDMAP_NONE) for KEY, replacing what was there. Returns 0,
 * or -1 when out of memory. */
int idmap_put(struct idmap *m, uint64_t key, size_t val);

void idmap_free(struct idmap *m);

#endif
