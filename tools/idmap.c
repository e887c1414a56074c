/*
 * tools/idmap.c — the hash table of idmap.h.
 */
#include "idmap.h"

#include <stdlib.h>

/* The finalizer of MurmurHash3: ids that differ in one bit land far apart. */
static size_t slot_of(const struct idmap *m, uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdu;
	k ^= k >> 33;
	return (size_t)k & (m->cap - 1);
}

size_t idmap_get(const struct idmap *m, uint64_t key)
{
	if (!m->cap)
		return IDMAP_NONE;
	for (size_t i = slot_of(m, key); m->vals[i] != IDMAP_NONE; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == key)
			return m->vals[i];
	return IDMAP_NONE;
}

static int grow(struct idmap *m)
{
	struct idmap n = { .cap = m->cap ? m->cap * 2 : 1024, .used = m->used };
	n.keys = malloc(n.cap * sizeof *n.keys);
	n.vals = malloc(n.cap * sizeof *n.vals);
	if (!n.keys || !n.vals) {
		idmap_free(&n);
		return -1;
	}
	for (size_t i = 0; i < n.cap; i++)
		n.vals[i] = IDMAP_NONE;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->vals[i] == IDMAP_NONE)
			continue;
		size_t k = slot_of(&n, m->keys[i]);
		while (n.vals[k] != IDMAP_NONE)
			k = (k + 1) & (n.cap - 1);
		n.keys[k] = m->keys[i];
		n.vals[k] = m->vals[i];
	}
	struct idmap old = *m;
	*m = n;
	free(old.keys);
	free(old.vals);
	return 0;
}

int idmap_put(struct idmap *m, uint64_t key, size_t val)
{
	if (m->used + 1 > m->cap / 2 && grow(m) < 0)
		return -1;
	size_t i = slot_of(m, key);
	for (; m->vals[i] != IDMAP_NONE; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return 0;
		}
	m->keys[i] = key;
	m->vals[i] = val;
	m->used++;
	return 0;
}

void idmap_free(struct idmap *m)
{
	free(m->keys);
	free(m->vals);
	*m = (struct idmap){ 0 };
}
