/*
 * loop.c — the event loop: handles, io watchers, and loop_run().
 *
 * loop_run() is the slide's phase list, one call per phase:
 *   update time → run due timers → compute the poll timeout → poll and dispatch
 *   I/O → run close callbacks
 * and it goes round while an active, ref'd handle or a request in flight is left.
 * (libuv ≥ 1.45 runs the timers after the poll instead of before it: the cycle
 * is the same, only where it starts moved.)
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "loop.c needs Linux (epoll)"
#endif

#include "loop.h"
#include "trace_events.h"
#include "pool.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>

/* ---- constants ---------------------------------------------------------- */

enum { MAX_EVENTS = 1024 };     /* events taken per epoll_wait(), as libuv does */

/* ---- time --------------------------------------------------------------- */

/* CLOCK_MONOTONIC never jumps when someone sets the wall clock. */
static uint64_t clock_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t loop_clock_ms(void)
{
	return clock_us() / 1000;
}

static void update_time(struct loop *l)
{
	l->now = loop_clock_ms();
}

uint64_t loop_now(const struct loop *l)
{
	return l->now;
}

/* ---- load: how busy the loop is ----------------------------------------- */

/* A timer's lag sees a stall only when a timer was due during it; these see
 * every one. They count in µs: most ticks last less than a millisecond. */
uint64_t loop_idle_ms(const struct loop *l)
{
	return l->idle_us / 1000;
}

uint64_t loop_max_busy_ms(const struct loop *l)
{
	uint64_t busy_now = clock_us() - l->woke_us;
	return (busy_now > l->max_busy_us ? busy_now : l->max_busy_us) / 1000;
}

double loop_utilization(const struct loop *l)
{
	uint64_t total = clock_us() - l->start_us;
	return total == 0 ? 0 : (double)(total - l->idle_us) / (double)total;
}

/* ---- handles ------------------------------------------------------------ */

void handle_init(struct loop *l, struct handle *h, enum handle_type type)
{
	memset(h, 0, sizeof *h);
	h->loop = l;
	h->type = type;
	h->flags = HANDLE_REF;
}

/* Activity and refs are counted as they change, so "is the loop alive?"
 * is one comparison, not a walk over every handle. */
void handle_start(struct handle *h)
{
	if (h->flags & HANDLE_ACTIVE)
		return;
	h->flags |= HANDLE_ACTIVE;
	h->loop->active_handles++;
	if (h->flags & HANDLE_REF)
		h->loop->active_refs++;
}

void handle_stop(struct handle *h)
{
	if (!(h->flags & HANDLE_ACTIVE))
		return;
	h->flags &= ~(unsigned)HANDLE_ACTIVE;
	h->loop->active_handles--;
	if (h->flags & HANDLE_REF)
		h->loop->active_refs--;
}

/* A flag, not a counter, as in libuv: unref twice, ref once, and it is ref'd. */
void handle_ref(struct handle *h)
{
	if (h->flags & HANDLE_REF)
		return;
	h->flags |= HANDLE_REF;
	if (h->flags & HANDLE_ACTIVE)
		h->loop->active_refs++;
}

void handle_unref(struct handle *h)
{
	if (!(h->flags & HANDLE_REF))
		return;
	h->flags &= ~(unsigned)HANDLE_REF;
	if (h->flags & HANDLE_ACTIVE)
		h->loop->active_refs--;
}

bool handle_is_active(const struct handle *h)
{
	return h->flags & HANDLE_ACTIVE;
}

/* ---- io watchers -------------------------------------------------------- */

/* A stopped watcher leaves the epoll set. Left in with an empty mask, its fd
 * would still report EPOLLERR and EPOLLHUP (epoll always does), and being
 * level-triggered, at once again on every epoll_wait(): a loop spinning at
 * 100% CPU on a watcher that asked for nothing. (libuv removes it too, lazily,
 * the next time epoll reports the fd.) */
static int io_stop(struct io *w)
{
	int r = 0;
	if (w->in_epoll)
		r = epoll_ctl(w->h.loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->in_epoll = false;
	w->events = 0;
	handle_stop(&w->h);
	return r;
}

void io_init(struct loop *l, struct io *w, int fd, io_cb cb)
{
	handle_init(l, &w->h, HANDLE_IO);
	w->fd = fd;
	w->events = 0;
	w->in_epoll = false;
	w->what = "fd";
	w->cb = cb;
}

int io_set(struct io *w, uint32_t events)
{
	if (events == 0)
		return io_stop(w);
	if (w->h.flags & HANDLE_CLOSING) {
		errno = EINVAL;         /* as libuv: no restarting what is closing */
		return -1;
	}
	if (events == w->events && w->in_epoll)
		return 0;
	/* data.ptr finds the watcher again when epoll says the fd is ready. */
	struct epoll_event ev = { .events = events, .data.ptr = w };
	int op = w->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(w->h.loop->epfd, op, w->fd, &ev) != 0)
		return -1;
	w->in_epoll = true;
	w->events = events;
	handle_start(&w->h);
	return 0;
}

/* ---- timers: run here; the handles and their heap are in timer.c -------- */

/* Fires every timer that is due. A timer started during this pass (even with
 * timeout 0) waits for the next iteration, so a callback that restarts its own
 * timer cannot keep the loop here forever. */
static inline void fire_timers(struct loop *l)
{
	uint64_t started_before = l->timer_seq;

	while (l->heap_len > 0) {
		struct timer *t = l->heap[0];
		if (t->due > l->now || t->seq >= started_before)
			break;
		l->lag_ms = l->now - t->due;
		timer_stop(t);
		if (t->repeat > 0)
			timer_start(t, t->repeat, t->repeat);   /* now + repeat: no catch-up */
		t->cb(t);
	}
}

/* The timers phase: fire_timers(), inside a slice while recording. Off, it
 * costs one branch: fire_timers() is inline, or a compiler that sees its
 * address taken may leave it a call, every tick. */
static void run_timers(struct loop *l)
{
	if (l->trace_events)
		trace_timers(l, fire_timers);
	else
		fire_timers(l);
}

/* ---- the loop ----------------------------------------------------------- */

int loop_init(struct loop *l)
{
	memset(l, 0, sizeof *l);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -1;
	update_time(l);
	l->start_ms = l->now;
	l->start_us = l->woke_us = clock_us();
	if (async_loop_init(l) != 0 || signal_loop_init(l) != 0)
		return -1;
	return pool_loop_init(l);
}

void loop_close(struct loop *l)
{
	pool_loop_close(l);      /* first: its workers may still wake the loop */
	async_loop_close(l);
	signal_loop_close(l);
	close(l->epfd);
	free(l->heap);
	l->heap = NULL;
}

/* Every handle type starts with struct handle, so the cast below is safe. */
void handle_close(struct handle *h, close_cb cb)
{
	if (h->flags & HANDLE_CLOSING)
		return;
	switch (h->type) {
	case HANDLE_IO:
		io_stop((struct io *)h);
		break;
	case HANDLE_TIMER:
		timer_stop((struct timer *)h);
		break;
	case HANDLE_ASYNC:
		async_remove((struct async *)h);
		break;
	case HANDLE_SIGNAL:
		signal_remove((struct signal_handle *)h);
		break;
	}
	h->flags |= HANDLE_CLOSING;
	h->on_close = cb;
	h->next_closing = h->loop->closing;
	h->loop->closing = h;
}

static bool loop_alive(const struct loop *l)
{
	return l->active_refs > 0 || l->active_reqs > 0 || l->closing != NULL;
}

/* How long epoll_wait() may block: until the next timer is due; forever with
 * none. The clock is in whole ms, truncated, so the real "now" is at or past
 * l->now and waiting (due - now) ms can never end before the deadline: no
 * early wake-up, no spinning on a timer that is almost due. */
static int poll_timeout(const struct loop *l, const char **why)
{
	if (!loop_alive(l) || l->closing != NULL) {
		*why = "closing handles";
		return 0;
	}
	if (l->heap_len == 0) {
		*why = "no timers";
		return -1;
	}
	*why = "next timer";
	uint64_t due = l->heap[0]->due;
	if (due <= l->now)
		return 0;
	/* A timer weeks away would overflow int, and a negative timeout means
	 * "forever": clamp, as libuv does, and simply wake up early once. */
	return due - l->now > INT_MAX ? INT_MAX : (int)(due - l->now);
}

static void trace_tick(const struct loop *l, int timeout, const char *why,
		       const struct epoll_event *evs, int n)
{
	char wait[32];
	if (timeout < 0)
		snprintf(wait, sizeof wait, "forever");
	else
		snprintf(wait, sizeof wait, "%dms", timeout);
	fprintf(stderr, "tick %lu wait=%s (%s) woke: ", l->ticks, wait, why);
	if (n < 0)
		fprintf(stderr, "interrupted (EINTR)\n");
	else if (n == 0)
		fprintf(stderr, "timeout\n");
	else if (n == 1)
		fprintf(stderr, "fd %d %s\n", ((struct io *)evs[0].data.ptr)->fd,
			evs[0].events & (EPOLLERR | EPOLLHUP) ? "hung up"
			: evs[0].events & EPOLLIN ? "readable"
			: evs[0].events & EPOLLOUT ? "writable" : "half-closed");
	else
		fprintf(stderr, "%d events\n", n);
}

static void poll_io(struct loop *l, int timeout, const char *why)
{
	static struct epoll_event events[MAX_EVENTS];

	uint64_t traced = l->trace_events ? trace_poll_start(l->trace_events, timeout) : 0;
	uint64_t before = clock_us();
	if (before - l->woke_us > l->max_busy_us)
		l->max_busy_us = before - l->woke_us;
	int n = epoll_wait(l->epfd, events, MAX_EVENTS, timeout);
	if (n < 0 && errno != EINTR) {
		fprintf(stderr, "epoll_wait: %s\n", strerror(errno));
		abort();        /* only a bug (a bad epfd) gets here */
	}
	/* The wait may have been long: refresh the clock before any callback
	 * starts a timer, or that timer would fire early. */
	update_time(l);
	l->woke_us = clock_us();
	l->idle_us += l->woke_us - before;
	if (l->trace)
		trace_tick(l, timeout, why, events, n);
	if (traced != 0)
		trace_poll(l->trace_events, traced, l->ticks, timeout, why, n);
	if (n < 0)
		return;         /* a signal interrupted the wait: just go round */

	for (int i = 0; i < n; i++) {
		struct io *w = events[i].data.ptr;
		/* An earlier callback in this batch may have stopped or changed this
		 * watcher (a SIGTERM callback that put its connection into shutdown):
		 * pass on only what it asks for *now*, plus trouble, as libuv does. */
		uint32_t ready = events[i].events & (w->events | EPOLLERR | EPOLLHUP);
		if (w->events == 0 || ready == 0)
			continue;
		if (l->trace_events)
			trace_io(w, ready);
		else
			w->cb(w, ready);
	}
}

static void run_closing(struct loop *l)
{
	struct handle *h = l->closing;
	uint64_t traced = l->trace_events && h != NULL ? trace_events_now() : 0;
	l->closing = NULL;
	while (h != NULL) {
		struct handle *next = h->next_closing;
		if (h->on_close != NULL)
			h->on_close(h);
		h = next;
	}
	if (traced != 0)
		trace_slice(l->trace_events, "loop", "close callbacks", traced, NULL);
}

int loop_run(struct loop *l)
{
	while (loop_alive(l)) {
		const char *why;
		l->ticks++;
		update_time(l);                         /* 1. update time */
		run_timers(l);                          /* 2. run due timers */
		int timeout = poll_timeout(l, &why);    /* 3. how long may we block? */
		poll_io(l, timeout, why);               /* 4. poll, dispatch I/O */
		run_closing(l);                         /* 5. close callbacks */
	}
	return 0;
}
