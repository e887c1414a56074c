/*
 * test/unit/starve.c — a callback's fd that never runs dry must not starve the
 * loop: its callback gets its turn, and a timer still fires on time. Built
 * against each step's loop (06 on) by test/06-starve.bats.
 *
 * The writer that never stops is the callback itself: a SIGUSR1 handle whose
 * callback raises SIGUSR1 again (an async handle that sends itself again), so
 * there is always a new byte in the pipe by the time the loop could read it.
 * Each case gives up after GIVE_UP_MS, so a starved loop ends too: its timer
 * then fires that late instead of never.
 *
 * Usage: starve [CASE]     Prints "ok CASE" or "FAIL CASE: ..." per case.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>

#include "loop.h"
#include "check.h"

enum { TIMER_MS = 100, GIVE_UP_MS = 3000, LATE_MS = 1000 };

static struct loop loop;
static struct signal_handle usr1;
static struct async again;
static struct timer timer;
static uint64_t started, fired_after;
static unsigned long calls;

static bool keep_going(void)
{
	return fired_after == 0 && loop_clock_ms() - started < GIVE_UP_MS;
}

static void on_usr1(struct signal_handle *s, int signum)
{
	(void)s;
	calls++;
	if (keep_going())
		raise(signum);
}

static void on_again(struct async *a)
{
	calls++;
	if (keep_going())
		async_send(a);
}

static void on_timer(struct timer *t)
{
	(void)t;
	fired_after = loop_clock_ms() - started;
	handle_close(&usr1.h, NULL);
	handle_close(&again.h, NULL);
	handle_close(&timer.h, NULL);
}

static void setup(void)
{
	loop_init(&loop);
	signal_init(&loop, &usr1);
	async_init(&loop, &again, on_again);
	timer_init(&loop, &timer, on_timer);
	calls = 0;
	fired_after = 0;
	started = loop_now(&loop);     /* the timer counts from the loop's time */
	timer_start(&timer, TIMER_MS, 0);
}

static void report(void)
{
	printf("# %s: %lu callbacks, the %d ms timer fired after %llu ms\n", check_case,
	       calls, TIMER_MS, (unsigned long long)fired_after);
}

static void signal_that_raises_itself(void)
{
	setup();
	CHECK(signal_start(&usr1, SIGUSR1, on_usr1) == 0);
	raise(SIGUSR1);
	loop_run(&loop);
	loop_close(&loop);
	report();
	CHECK(calls > 1);
	CHECK(fired_after >= TIMER_MS && fired_after < LATE_MS);
}

static void async_that_sends_itself(void)
{
	setup();
	async_send(&again);
	loop_run(&loop);
	loop_close(&loop);
	report();
	CHECK(calls > 1);
	CHECK(fired_after >= TIMER_MS && fired_after < LATE_MS);
}

int main(int argc, char **argv)
{
	RUN(signal_that_raises_itself);
	RUN(async_that_sends_itself);
	return check_failures;
}
