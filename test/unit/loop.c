/*
 * test/unit/loop.c — checks of the loop library alone, without a server.
 * Built against each step's loop (03 on) by test/03-timers.bats.
 *
 * Usage: loop CASE    (order | not-early | unref-exit | unref-only | ref-flag |
 *                      restart-zero | huge-timeout | huge-repeat | closing)
 * Prints what it saw; the suite compares it with what the slide promises.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop.h"

static struct loop loop;
static char order[64];
static int fired, early;
static uint64_t started_real;

static uint64_t real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_named(struct timer *t)
{
	strncat(order, t->h.data, sizeof order - strlen(order) - 1);
}

static void on_check_early(struct timer *t)
{
	uint64_t timeout = (uint64_t)(uintptr_t)t->h.data;
	if (real_ms() - started_real < timeout)
		early++;
	fired++;
}

static void on_count(struct timer *t)
{
	(void)t;
	fired++;
}

static void on_restart_zero(struct timer *t)
{
	if (++fired < 1000)
		timer_start(t, 0, 0);
}

static void on_stop_all(struct timer *t)
{
	struct timer *others = t->h.data;
	timer_stop(&others[0]);
	timer_stop(&others[1]);
}

/* Closes its timer, then tries to start it again: refused, and never fires. */
static int restart_refused = -1, fired_after_close;
static bool closed;

static void on_closed(struct handle *h)
{
	(void)h;
	closed = true;
}

static void on_fire_after_close(struct timer *t)
{
	(void)t;
	if (closed)
		fired_after_close++;
}

static void on_close_then_restart(struct timer *t)
{
	struct timer *victim = t->h.data;
	handle_close(&victim->h, on_closed);
	errno = 0;
	restart_refused = timer_start(victim, 0, 0) == -1 && errno == EINVAL;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (loop_init(&loop) != 0)
		return 1;

	if (strcmp(what, "order") == 0) {
		/* Equal deadlines fire in start order; earlier deadlines first. */
		static struct timer t[6];
		static const char *names[] = { "A", "B", "C", "D", "E", "F" };
		static const uint64_t ms[] = { 30, 10, 10, 20, 10, 0 };
		for (int i = 0; i < 6; i++) {
			timer_init(&loop, &t[i], on_named);
			t[i].h.data = (void *)names[i];
			timer_start(&t[i], ms[i], 0);
		}
		loop_run(&loop);
		printf("order=%s\n", order);
	} else if (strcmp(what, "not-early") == 0) {
		static struct timer t[200];
		/* A timer counts from the loop's cached "now" (libuv's uv_now), set
		 * by loop_init() and maybe a millisecond behind the clock by now:
		 * measure from there, or every timer could look 1 ms early. */
		started_real = loop_now(&loop);
		for (int i = 0; i < 200; i++) {
			timer_init(&loop, &t[i], on_check_early);
			t[i].h.data = (void *)(uintptr_t)(1 + (i * 37) % 150);
			timer_start(&t[i], 1 + (i * 37) % 150, 0);
		}
		loop_run(&loop);
		printf("fired=%d early=%d\n", fired, early);
	} else if (strcmp(what, "unref-exit") == 0) {
		/* An unref'd repeating timer runs while something ref'd keeps the
		 * loop alive, and does not keep it alive on its own. */
		static struct timer ticker, last;
		timer_init(&loop, &ticker, on_count);
		timer_start(&ticker, 10, 10);
		handle_unref(&ticker.h);
		timer_init(&loop, &last, on_named);
		last.h.data = "done";
		timer_start(&last, 100, 0);
		started_real = real_ms();
		loop_run(&loop);
		printf("returned_after_ms=%llu ticker_fired=%d %s\n",
		       (unsigned long long)(real_ms() - started_real), fired, order);
	} else if (strcmp(what, "unref-only") == 0) {
		static struct timer ticker;
		timer_init(&loop, &ticker, on_count);
		timer_start(&ticker, 10, 10);
		handle_unref(&ticker.h);
		loop_run(&loop);
		printf("ticks=%lu ticker_fired=%d\n", loop.ticks, fired);
	} else if (strcmp(what, "ref-flag") == 0) {
		/* unref is a flag, not a counter: unref twice, ref once, ref'd. */
		static struct timer t;
		timer_init(&loop, &t, on_count);
		timer_start(&t, 20, 0);
		handle_unref(&t.h);
		handle_unref(&t.h);
		handle_ref(&t.h);
		loop_run(&loop);
		printf("fired=%d\n", fired);
	} else if (strcmp(what, "restart-zero") == 0) {
		/* A callback restarting its own timer with timeout 0 must let the
		 * loop go round (poll I/O) between firings. */
		static struct timer t;
		timer_init(&loop, &t, on_restart_zero);
		timer_start(&t, 0, 0);
		loop_run(&loop);
		printf("fired=%d ticks_at_least_fired=%d\n", fired, loop.ticks >= (unsigned long)fired);
	} else if (strcmp(what, "huge-timeout") == 0 || strcmp(what, "huge-repeat") == 0) {
		/* now + timeout must not wrap into the past: a timeout of
		 * UINT64_MAX never fires, and a repeat of UINT64_MAX fires once. */
		static struct timer t[2], stopper;
		bool repeat = strcmp(what, "huge-repeat") == 0;
		timer_init(&loop, &t[0], on_count);
		timer_init(&loop, &t[1], on_count);
		timer_start(&t[0], repeat ? 0 : UINT64_MAX, repeat ? UINT64_MAX : 0);
		timer_start(&t[1], repeat ? 1 : UINT64_MAX - 1, repeat ? UINT64_MAX - 1 : 0);
		timer_init(&loop, &stopper, on_stop_all);
		stopper.h.data = t;
		timer_start(&stopper, 50, 0);
		loop_run(&loop);
		printf("fired=%d\n", fired);
	} else if (strcmp(what, "closing") == 0) {
		/* A timer being closed cannot be started again (libuv: EINVAL). */
		static struct timer victim, closer;
		timer_init(&loop, &victim, on_fire_after_close);
		timer_start(&victim, 1000, 0);
		timer_init(&loop, &closer, on_close_then_restart);
		closer.h.data = &victim;
		timer_start(&closer, 1, 0);
		loop_run(&loop);
		printf("refused=%d closed=%d fired_after_close=%d active=%d\n", restart_refused,
		       closed, fired_after_close, handle_is_active(&victim.h));
	} else {
		fprintf(stderr, "usage: loop order|not-early|unref-exit|unref-only|ref-flag|"
			"restart-zero|huge-timeout|huge-repeat|closing\n");
		return 2;
	}
	loop_close(&loop);
	return 0;
}
