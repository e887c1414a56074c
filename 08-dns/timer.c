/*
 * timer.c — timer handles, kept in a binary min-heap ordered by deadline.
 *
 * The heap's top is the next timer due, so the loop knows at once how long it
 * may sleep (poll_timeout()) and which timers to fire (run_timers(), in
 * loop.c). Starting or stopping a timer costs O(log n), as in libuv, which
 * keeps its timers in a heap too (src/heap-inl.h).
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "timer.c needs Linux"
#endif

#include "loop.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* ---- the heap: ordered by (due, seq) ------------------------------------ */

static bool timer_before(const struct timer *a, const struct timer *b)
{
	if (a->due != b->due)
		return a->due < b->due;
	return a->seq < b->seq;
}

static void heap_swap(struct loop *l, size_t i, size_t j)
{
	struct timer *t = l->heap[i];
	l->heap[i] = l->heap[j];
	l->heap[j] = t;
	l->heap[i]->heap_index = i;
	l->heap[j]->heap_index = j;
}

static void heap_up(struct loop *l, size_t i)
{
	while (i > 0 && timer_before(l->heap[i], l->heap[(i - 1) / 2])) {
		heap_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct loop *l, size_t i)
{
	for (;;) {
		size_t least = i, left = 2 * i + 1, right = left + 1;
		if (left < l->heap_len && timer_before(l->heap[left], l->heap[least]))
			least = left;
		if (right < l->heap_len && timer_before(l->heap[right], l->heap[least]))
			least = right;
		if (least == i)
			return;
		heap_swap(l, i, least);
		i = least;
	}
}

static void heap_remove(struct loop *l, struct timer *t)
{
	size_t i = t->heap_index;
	l->heap_len--;
	if (i == l->heap_len)
		return;
	l->heap[i] = l->heap[l->heap_len];
	l->heap[i]->heap_index = i;
	heap_down(l, i);
	heap_up(l, i);
}

/* ---- timer handles ------------------------------------------------------ */

void timer_init(struct loop *l, struct timer *t, timer_cb cb)
{
	handle_init(l, &t->h, HANDLE_TIMER);
	t->cb = cb;
}

int timer_start(struct timer *t, uint64_t timeout, uint64_t repeat)
{
	struct loop *l = t->h.loop;
	if (t->h.flags & HANDLE_CLOSING || t->cb == NULL) {
		errno = EINVAL;         /* as libuv: it could fire after its close */
		return -1;
	}
	timer_stop(t);
	if (l->heap_len == l->heap_cap) {
		size_t cap = l->heap_cap ? 2 * l->heap_cap : 64;
		struct timer **grown = realloc(l->heap, cap * sizeof *grown);
		if (grown == NULL)
			abort();        /* a timer that silently never fires is worse */
		l->heap = grown;
		l->heap_cap = cap;
	}
	/* A huge timeout would wrap around to a deadline in the past and fire at
	 * once: clamp it to the end of time instead, as libuv does. */
	t->due = timeout > UINT64_MAX - l->now ? UINT64_MAX : l->now + timeout;
	t->repeat = repeat;
	t->seq = l->timer_seq++;
	t->heap_index = l->heap_len;
	l->heap[l->heap_len++] = t;
	heap_up(l, t->heap_index);
	handle_start(&t->h);
	return 0;
}

void timer_stop(struct timer *t)
{
	if (!handle_is_active(&t->h))
		return;
	heap_remove(t->h.loop, t);
	handle_stop(&t->h);
}
