/*
 * test/unit/libuv-ref.c — ref, unref, "active" and "alive" against what libuv's
 * test/test-ref.c, test-active.c and test-loop-alive.c check, for the handles
 * every step from 03 has (timers, io watchers); our own code. Built against
 * each step's loop (03 on) by test/libuv-behaviour.bats. Async handles, pool
 * requests, signal and process handles have their cases in the files for
 * their steps.
 *
 * The kit has no uv_has_ref() or uv_loop_alive(): the ref is the HANDLE_REF
 * flag, and "alive" is seen from loop_run() returning, or not.
 *
 * Usage: libuv-ref [CASE]     Prints "ok CASE" or "FAIL CASE: ..." per case.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "loop.h"
#include "check.h"

static struct loop loop;
static int calls, closes, active_in_close;

static void count_timer(struct timer *t)
{
	(void)t;
	calls++;
}

static void count_io(struct io *w, uint32_t events)
{
	(void)w;
	(void)events;
	calls++;
}

static void on_closed(struct handle *h)
{
	closes++;
	active_in_close += handle_is_active(h);
}

/* test-ref.c "ref": a loop with nothing in it returns at once. */
static void ref_empty_loop(void)
{
	CHECK(loop_init(&loop) == 0);
	CHECK(loop_run(&loop) == 0);
	CHECK(loop.ticks == 0);
	loop_close(&loop);
}

/* has_ref: a new handle is ref'd; unref and ref are a flag, not a count. */
static void has_ref(void)
{
	static struct timer t;
	CHECK(loop_init(&loop) == 0);
	timer_init(&loop, &t, count_timer);
	CHECK(t.h.flags & HANDLE_REF);
	handle_unref(&t.h);
	handle_unref(&t.h);
	CHECK(!(t.h.flags & HANDLE_REF));
	handle_ref(&t.h);
	CHECK(t.h.flags & HANDLE_REF);
	loop_close(&loop);
}

/* timer_ref: a started timer, then unref'd, does not keep the loop alive. */
static void timer_ref(void)
{
	static struct timer t;
	calls = 0;
	CHECK(loop_init(&loop) == 0);
	timer_init(&loop, &t, count_timer);
	timer_start(&t, 1000, 1000);
	handle_unref(&t.h);
	CHECK(loop_run(&loop) == 0);
	CHECK(calls == 0 && loop.ticks == 0);
	loop_close(&loop);
}

/* timer_ref2: unref'd first, then started: starting does not ref it again. */
static void timer_ref2(void)
{
	static struct timer t;
	calls = 0;
	CHECK(loop_init(&loop) == 0);
	timer_init(&loop, &t, count_timer);
	handle_unref(&t.h);
	timer_start(&t, 1000, 1000);
	CHECK(loop_run(&loop) == 0);
	CHECK(calls == 0 && loop.ticks == 0);
	loop_close(&loop);
}

/* tcp_ref, pipe_ref: a watched fd, unref'd, does not keep the loop alive
 * either (ours is a pipe's read end, on an io watcher). */
static void io_ref(void)
{
	static struct io w;
	int fds[2];
	calls = 0;
	CHECK(loop_init(&loop) == 0);
	CHECK(pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
	io_init(&loop, &w, fds[0], count_io);
	CHECK(io_set(&w, EPOLLIN) == 0);
	handle_unref(&w.h);
	CHECK(loop_run(&loop) == 0);
	CHECK(calls == 0);
	handle_close(&w.h, NULL);
	loop_run(&loop);
	close(fds[0]);
	close(fds[1]);
	loop_close(&loop);
}

/* test-active.c: not active after init, active once started, not after a
 * stop, active again after a start, and not once closing (nor in its close
 * callback). */
static void active(void)
{
	static struct timer t;
	closes = active_in_close = 0;
	CHECK(loop_init(&loop) == 0);
	timer_init(&loop, &t, count_timer);
	CHECK(!handle_is_active(&t.h));
	timer_start(&t, 1000, 0);
	CHECK(handle_is_active(&t.h));
	timer_stop(&t);
	CHECK(!handle_is_active(&t.h));
	timer_start(&t, 1000, 0);
	CHECK(handle_is_active(&t.h));
	handle_close(&t.h, on_closed);
	CHECK(!handle_is_active(&t.h));
	CHECK(loop_run(&loop) == 0);
	CHECK(closes == 1 && active_in_close == 0);
	loop_close(&loop);
}

/* test-loop-alive.c: a ref'd active timer keeps the loop alive until it has
 * fired; a handle being closed keeps it alive until its close callback has
 * run. */
static void loop_alive(void)
{
	static struct timer t;
	calls = closes = 0;
	CHECK(loop_init(&loop) == 0);
	timer_init(&loop, &t, count_timer);
	timer_start(&t, 20, 0);
	CHECK(loop_run(&loop) == 0);
	CHECK(calls == 1);
	handle_close(&t.h, on_closed);
	CHECK(loop_run(&loop) == 0);
	CHECK(closes == 1);
	loop_close(&loop);
}

int main(int argc, char **argv)
{
	RUN(ref_empty_loop);
	RUN(has_ref);
	RUN(timer_ref);
	RUN(timer_ref2);
	RUN(io_ref);
	RUN(active);
	RUN(loop_alive);
	return check_failures;
}
