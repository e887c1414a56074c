/*
 * test/unit/libuv-signal.c — signal handles against what libuv's own
 * test/test-signal.c checks (our code). Built against each step's loop (06 on)
 * by test/libuv-behaviour.bats.
 *
 * Where the kit differs from libuv, on purpose, the case says so and checks
 * the kit's documented behaviour:
 * - libuv calls a handle once per signal caught; the kit coalesces signals of
 *   one number that arrive before the loop looks (signal.c), as the kernel
 *   itself does for a signal already pending.
 * - The kit has no one-shot signal handles (we_get_signal_one_shot,
 *   we_get_signals_mixed are not here).
 *
 * Usage: libuv-signal [CASE]     Prints "ok CASE" or "FAIL CASE: ..." per case.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>

#include "loop.h"
#include "check.h"

static struct loop loop;
static struct signal_handle handles[4];
static struct timer timer;
static int calls[4], wrong_signum, raises;

static void on_signal_cb(struct signal_handle *s, int signum)
{
	int i = (int)(s - handles);
	calls[i]++;
	if (signum != s->signum)
		wrong_signum++;
}

static void reset(void)
{
	for (int i = 0; i < 4; i++)
		calls[i] = 0;
	wrong_signum = raises = 0;
}

/* Raises SIGUSR1 once per firing, three times, then stops every handle. */
static void on_raise(struct timer *t)
{
	if (raises++ < 3) {
		raise(SIGUSR1);
		return;
	}
	timer_stop(t);
	for (int i = 0; i < 4; i++)
		signal_stop(&handles[i]);
}

/* we_get_signal: a started handle gets each signal, with its number, on the
 * loop thread; a started signal handle keeps the loop alive (it is ref'd, as
 * libuv's) until it is stopped. */
static void we_get_signal(void)
{
	reset();
	CHECK(loop_init(&loop) == 0);
	signal_init(&loop, &handles[0]);
	CHECK(signal_start(&handles[0], SIGUSR1, on_signal_cb) == 0);
	timer_init(&loop, &timer, on_raise);
	timer_start(&timer, 5, 5);
	CHECK(loop_run(&loop) == 0);
	CHECK(calls[0] == 3 && wrong_signum == 0);
	handle_close(&handles[0].h, NULL);
	handle_close(&timer.h, NULL);
	loop_run(&loop);
	loop_close(&loop);
}

/* we_get_signals: several handles on one signal are all called, and handles
 * on another signal are not. */
static void we_get_signals(void)
{
	reset();
	CHECK(loop_init(&loop) == 0);
	for (int i = 0; i < 4; i++) {
		signal_init(&loop, &handles[i]);
		CHECK(signal_start(&handles[i], i < 3 ? SIGUSR1 : SIGUSR2, on_signal_cb) == 0);
	}
	timer_init(&loop, &timer, on_raise);
	timer_start(&timer, 5, 5);
	CHECK(loop_run(&loop) == 0);
	CHECK(calls[0] == 3 && calls[1] == 3 && calls[2] == 3 && calls[3] == 0);
	CHECK(wrong_signum == 0);
	for (int i = 0; i < 4; i++)
		handle_close(&handles[i].h, NULL);
	handle_close(&timer.h, NULL);
	loop_run(&loop);
	loop_close(&loop);
}

/* Stopping the last handle of a signal gives it back its default action, as
 * libuv's uv__signal_unregister_handler() does. */
static void stop_restores_default(void)
{
	struct sigaction now;
	CHECK(loop_init(&loop) == 0);
	signal_init(&loop, &handles[0]);
	signal_init(&loop, &handles[1]);
	CHECK(signal_start(&handles[0], SIGUSR1, on_signal_cb) == 0);
	CHECK(signal_start(&handles[1], SIGUSR1, on_signal_cb) == 0);
	signal_stop(&handles[0]);
	CHECK(sigaction(SIGUSR1, NULL, &now) == 0 && now.sa_handler != SIG_DFL);
	signal_stop(&handles[1]);
	CHECK(sigaction(SIGUSR1, NULL, &now) == 0 && now.sa_handler == SIG_DFL);
	handle_close(&handles[0].h, NULL);
	handle_close(&handles[1].h, NULL);
	loop_run(&loop);
	loop_close(&loop);
}

/* kill_invalid_signum (for uv_signal_start): a signal number that is none is
 * EINVAL. */
static void invalid_signum(void)
{
	CHECK(loop_init(&loop) == 0);
	signal_init(&loop, &handles[0]);
	errno = 0;
	CHECK(signal_start(&handles[0], 0, on_signal_cb) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(signal_start(&handles[0], NSIG + 1, on_signal_cb) == -1 && errno == EINVAL);
	CHECK(!handle_is_active(&handles[0].h));
	handle_close(&handles[0].h, NULL);
	loop_run(&loop);
	loop_close(&loop);
}

static void on_raise_twice(struct timer *t)
{
	raise(SIGUSR1);
	raise(SIGUSR1);
	handle_close(&t->h, NULL);
}

static void on_later(struct timer *t)
{
	signal_stop(&handles[0]);
	handle_close(&t->h, NULL);
}

/* Differs from libuv on purpose: two SIGUSR1s before the loop reads them make
 * one callback here (libuv's we_get_signals counts one per signal). */
static void coalesced(void)
{
	static struct timer later;
	reset();
	CHECK(loop_init(&loop) == 0);
	signal_init(&loop, &handles[0]);
	CHECK(signal_start(&handles[0], SIGUSR1, on_signal_cb) == 0);
	timer_init(&loop, &timer, on_raise_twice);
	timer_start(&timer, 1, 0);
	timer_init(&loop, &later, on_later);
	timer_start(&later, 50, 0);
	CHECK(loop_run(&loop) == 0);
	CHECK(calls[0] == 1);
	handle_close(&handles[0].h, NULL);
	loop_run(&loop);
	loop_close(&loop);
}

int main(int argc, char **argv)
{
	RUN(we_get_signal);
	RUN(we_get_signals);
	RUN(stop_restores_default);
	RUN(invalid_signum);
	RUN(coalesced);
	return check_failures;
}
