/*
 * test/unit/libuv-timer.c — the kit's timers against the behaviours libuv's own
 * test/test-timer.c checks, one case each (our code, not libuv's). Built
 * against each step's loop (03 on) by test/libuv-behaviour.bats.
 *
 * Not here, because the kit has no such thing: UV_RUN_ONCE and UV_RUN_NOWAIT
 * (timer_run_once, timer_no_double_call_nowait: loop_run() only runs until
 * the loop is not alive), uv_stop(), uv_timer_again() and uv_timer_get_due_in().
 * The huge timeout and repeat (timer_huge_timeout, timer_huge_repeat) and
 * timer_is_closing have their own tests in test/03-timers.bats.
 *
 * Usage: libuv-timer [CASE]     Prints "ok CASE" or "FAIL CASE: ..." per case.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <time.h>

#include "loop.h"
#include "check.h"

static struct loop loop;
static int once_calls, once_active, once_closes, close_active;
static int repeat_calls, repeat_active, repeat_closes;
static int calls, first_call;
static unsigned long last_tick;
static int same_tick;

static void never_cb(struct timer *t)
{
	(void)t;
	calls = -1000;          /* a callback that ran when it must not */
}

static void on_once_closed(struct handle *h)
{
	once_closes++;
	close_active += handle_is_active(h);
}

/* test-timer.c's once_cb: a one-shot timer is no longer active in its own
 * callback. */
static void once_cb(struct timer *t)
{
	once_calls++;
	once_active += handle_is_active(&t->h);
	handle_close(&t->h, on_once_closed);
}

static void on_repeat_closed(struct handle *h)
{
	(void)h;
	repeat_closes++;
}

/* ...and a repeating one still is. */
static void repeat_cb(struct timer *t)
{
	repeat_calls++;
	repeat_active += handle_is_active(&t->h);
	if (repeat_calls == 5)
		handle_close(&t->h, on_repeat_closed);
}

/* test-timer.c's "timer": ten one-shot timers 0..450 ms apart, a repeating one
 * closed after its fifth call, and a stopped, unref'd one that never fires.
 * The loop returns once they are all done, and no earlier than 500 ms. */
static void timer(void)
{
	static struct timer once[10], repeat, never;
	CHECK(loop_init(&loop) == 0);
	uint64_t start = loop_now(&loop);
	for (int i = 0; i < 10; i++) {
		timer_init(&loop, &once[i], once_cb);
		CHECK(timer_start(&once[i], (uint64_t)i * 50, 0) == 0);
	}
	timer_init(&loop, &repeat, repeat_cb);
	CHECK(timer_start(&repeat, 100, 100) == 0);
	timer_init(&loop, &never, never_cb);
	CHECK(timer_start(&never, 100, 100) == 0);
	timer_stop(&never);
	handle_unref(&never.h);
	CHECK(loop_run(&loop) == 0);
	CHECK(once_calls == 10 && once_closes == 10);
	CHECK(once_active == 0 && close_active == 0);
	CHECK(repeat_calls == 5 && repeat_closes == 1 && repeat_active == 5);
	CHECK(calls == 0);
	CHECK(loop_now(&loop) - start >= 500);
	loop_close(&loop);
}

static void count_cb(struct timer *t)
{
	(void)t;
	calls++;
}

/* timer_start_twice: a second start replaces the first; one call. */
static void timer_start_twice(void)
{
	static struct timer t;
	calls = 0;
	CHECK(loop_init(&loop) == 0);
	timer_init(&loop, &t, count_cb);
	CHECK(timer_start(&t, 86400 * 1000, 0) == 0);
	CHECK(timer_start(&t, 10, 0) == 0);
	CHECK(loop_run(&loop) == 0);
	CHECK(calls == 1);
	loop_close(&loop);
}

/* timer_init: a timer that was never started is not active, and its repeat
 * is 0. */
static void timer_init_inactive(void)
{
	static struct timer t;
	CHECK(loop_init(&loop) == 0);
	timer_init(&loop, &t, count_cb);
	CHECK(!handle_is_active(&t.h));
	CHECK(t.repeat == 0);
	loop_close(&loop);
}

static void order_cb(struct timer *t)
{
	if (first_call == 0)
		first_call = *(int *)t->h.data;
	calls++;
}

/* timer_order: two timers with the same timeout fire in the order they were
 * started, whichever that is. */
static void timer_order(void)
{
	static struct timer a, b;
	static int name_a = 'a', name_b = 'b';
	CHECK(loop_init(&loop) == 0);
	timer_init(&loop, &a, order_cb);
	timer_init(&loop, &b, order_cb);
	a.h.data = &name_a;
	b.h.data = &name_b;
	calls = first_call = 0;
	timer_start(&a, 0, 0);
	timer_start(&b, 0, 0);
	loop_run(&loop);
	CHECK(calls == 2 && first_call == 'a');
	calls = first_call = 0;
	timer_start(&b, 0, 0);
	timer_start(&a, 0, 0);
	loop_run(&loop);
	CHECK(calls == 2 && first_call == 'b');
	loop_close(&loop);
}

static void restart_zero_cb(struct timer *t)
{
	if (++calls < 3)
		timer_start(t, 0, 0);
	if (loop.ticks == last_tick)
		same_tick++;
	last_tick = loop.ticks;
}

/* timer_zero_timeout: a timer restarted with timeout 0 from its own callback
 * fires again, but on a later iteration (libuv checks that uv_stop() can end
 * the loop in between; we check that each call has an iteration of its own). */
static void timer_zero_timeout(void)
{
	static struct timer t;
	calls = same_tick = 0;
	last_tick = (unsigned long)-1;
	CHECK(loop_init(&loop) == 0);
	timer_init(&loop, &t, restart_zero_cb);
	timer_start(&t, 0, 0);
	loop_run(&loop);
	CHECK(calls == 3 && same_tick == 0);
	loop_close(&loop);
}

/* timer_null_callback: starting a timer without a callback is EINVAL. (Our
 * timer_init() takes the callback, so that is where NULL is given.) */
static void timer_null_callback(void)
{
	static struct timer t;
	CHECK(loop_init(&loop) == 0);
	timer_init(&loop, &t, NULL);
	errno = 0;
	CHECK(timer_start(&t, 100, 0) == -1 && errno == EINVAL);
	CHECK(!handle_is_active(&t.h));
	loop_close(&loop);
}

static uint64_t expected_due;
static int early;

static void early_check_cb(struct timer *t)
{
	(void)t;
	if (loop_clock_ms() < expected_due)
		early++;
	calls++;
}

/* timer_early_check: the callback never runs before now + timeout. */
static void timer_early_check(void)
{
	static struct timer t;
	calls = early = 0;
	CHECK(loop_init(&loop) == 0);
	expected_due = loop_now(&loop) + 10;
	timer_init(&loop, &t, early_check_cb);
	timer_start(&t, 10, 0);
	loop_run(&loop);
	CHECK(calls == 1 && early == 0);
	loop_close(&loop);
}

static void no_double_cb(struct timer *t)
{
	if (loop.ticks == last_tick)
		same_tick++;
	last_tick = loop.ticks;
	if (++calls == 3)
		timer_stop(t);
}

/* timer_no_double_call_once: a repeating timer that is late (the program
 * slept through two periods) fires once per iteration, not once per missed
 * period: no catch-up. */
static void timer_no_double_call(void)
{
	static struct timer t;
	struct timespec nap = { 0, 30 * 1000000 };
	calls = same_tick = 0;
	last_tick = (unsigned long)-1;
	CHECK(loop_init(&loop) == 0);
	timer_init(&loop, &t, no_double_cb);
	timer_start(&t, 10, 10);
	nanosleep(&nap, NULL);
	loop_run(&loop);
	CHECK(calls == 3 && same_tick == 0);
	loop_close(&loop);
}

/* timer_no_run_on_unref: an unref'd timer, even one due at once, does not keep
 * the loop alive, and loop_run() returns without calling it. */
static void timer_no_run_on_unref(void)
{
	static struct timer t;
	calls = 0;
	CHECK(loop_init(&loop) == 0);
	timer_init(&loop, &t, never_cb);
	timer_start(&t, 0, 0);
	handle_unref(&t.h);
	CHECK(loop_run(&loop) == 0);
	CHECK(calls == 0);
	loop_close(&loop);
}

int main(int argc, char **argv)
{
	RUN(timer);
	RUN(timer_start_twice);
	RUN(timer_init_inactive);
	RUN(timer_order);
	RUN(timer_zero_timeout);
	RUN(timer_null_callback);
	RUN(timer_early_check);
	RUN(timer_no_double_call);
	RUN(timer_no_run_on_unref);
	return check_failures;
}
