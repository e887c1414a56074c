/*
 * test/unit/signal.c — signal handles alone. Built against each step's loop
 * (06 on) by test/06-signals.bats.
 *
 * Usage: signal CASE
 *   storm     70,000 SIGUSR1s arrive while the loop is busy in a callback (more
 *             than the signal pipe's 65,536 bytes), then one SIGTERM: prints
 *             how many callbacks each got. The SIGTERM must not be lost.
 *   closing   signal_start() on a closing handle: prints whether it was refused
 *   new-loop  a signal left unread when a loop is closed must not silence that
 *             signal for the next loop: prints the next loop's callbacks
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "loop.h"

enum { STORM = 70000 };

static struct loop loop;
static struct signal_handle usr1, term;
static struct timer storm, give_up;
static int usr1_calls, term_calls;

static void on_usr1(struct signal_handle *s, int signum)
{
	(void)s;
	(void)signum;
	usr1_calls++;
}

static void close_all(void)
{
	handle_close(&usr1.h, NULL);
	handle_close(&term.h, NULL);
	handle_close(&storm.h, NULL);
	handle_close(&give_up.h, NULL);
}

static void on_term(struct signal_handle *s, int signum)
{
	(void)s;
	(void)signum;
	term_calls++;
	close_all();
}

/* raise() runs the handler before it returns, each time: STORM handler calls
 * while the loop, inside this callback, reads none of what they write. */
static void on_storm(struct timer *t)
{
	(void)t;
	for (int i = 0; i < STORM; i++)
		raise(SIGUSR1);
	raise(SIGTERM);
}

static void on_give_up(struct timer *t)
{
	(void)t;
	close_all();
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (loop_init(&loop) != 0)
		return 1;
	signal_init(&loop, &usr1);
	signal_init(&loop, &term);
	timer_init(&loop, &storm, on_storm);
	timer_init(&loop, &give_up, on_give_up);
	if (strcmp(what, "storm") == 0) {
		if (signal_start(&usr1, SIGUSR1, on_usr1) != 0 ||
		    signal_start(&term, SIGTERM, on_term) != 0)
			return 1;
		timer_start(&storm, 0, 0);
		timer_start(&give_up, 5000, 0);     /* a lost SIGTERM ends it here */
		loop_run(&loop);
		printf("usr1_callbacks_at_least_one=%d term_callbacks=%d\n", usr1_calls >= 1,
		       term_calls);
	} else if (strcmp(what, "closing") == 0) {
		if (signal_start(&usr1, SIGUSR1, on_usr1) != 0)
			return 1;
		handle_close(&usr1.h, NULL);
		errno = 0;
		int refused = signal_start(&usr1, SIGUSR1, on_usr1) == -1 && errno == EINVAL;
		loop_run(&loop);
		printf("refused=%d active=%d\n", refused, handle_is_active(&usr1.h));
	} else if (strcmp(what, "new-loop") == 0) {
		if (signal_start(&usr1, SIGUSR1, on_usr1) != 0)
			return 1;
		raise(SIGUSR1);         /* never read: this loop does not run */
		loop_close(&loop);
		if (loop_init(&loop) != 0)
			return 1;
		signal_init(&loop, &usr1);
		signal_init(&loop, &term);
		timer_init(&loop, &give_up, on_give_up);
		timer_init(&loop, &storm, on_storm);
		if (signal_start(&usr1, SIGUSR1, on_usr1) != 0 ||
		    signal_start(&term, SIGTERM, on_term) != 0)
			return 1;
		usr1_calls = 0;
		raise(SIGUSR1);
		raise(SIGTERM);
		timer_start(&give_up, 5000, 0);
		loop_run(&loop);
		printf("usr1_callbacks=%d term_callbacks=%d\n", usr1_calls, term_calls);
	} else {
		fprintf(stderr, "usage: signal storm|closing|new-loop\n");
		return 2;
	}
	loop_close(&loop);
	return 0;
}
