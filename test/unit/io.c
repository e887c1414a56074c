/*
 * test/unit/io.c — io watchers alone: what a stopped or changed watcher is
 * told. Built against each step's loop (03 on) by test/03-timers.bats.
 *
 * Usage: io CASE
 *   stopped-hup   a stopped watcher whose pipe hangs up must not make the loop
 *                 spin: prints the iterations over 200 ms
 *   stale         two watchers ready in one batch; the first callback to run
 *                 switches the other to EPOLLOUT: prints how many callbacks
 *                 were handed an EPOLLIN their watcher no longer asked for
 *   closing       io_set() on a closing watcher: prints whether it was refused
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/epoll.h>

#include "loop.h"

static struct loop loop;
static struct io watchers[2];
static int calls, stale;

static void on_never(struct io *w, uint32_t events)
{
	(void)w;
	(void)events;
	calls++;
}

static void on_end(struct timer *t)
{
	(void)t;
	io_set(&watchers[0], 0);
	io_set(&watchers[1], 0);
}

/* Whichever runs first turns the other one to EPOLLOUT, which a pipe's read
 * end never is: an EPOLLIN reaching the second is the stale event. */
static void on_ready(struct io *w, uint32_t events)
{
	struct io *other = w == &watchers[0] ? &watchers[1] : &watchers[0];
	calls++;
	if ((events & EPOLLIN) && !(w->events & EPOLLIN))
		stale++;
	if (calls == 1)
		io_set(other, EPOLLOUT);
	io_set(w, 0);
}

static int pipe_with_data(int fds[2])
{
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
		return -1;
	return write(fds[1], "x", 1) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	static struct timer end;
	int a[2], b[2];

	if (loop_init(&loop) != 0 || pipe_with_data(a) != 0 || pipe_with_data(b) != 0)
		return 1;
	timer_init(&loop, &end, on_end);
	if (strcmp(what, "stopped-hup") == 0) {
		/* Watched, then stopped, then the writer goes: epoll reports
		 * EPOLLHUP on the fd whatever it was asked for. */
		io_init(&loop, &watchers[0], a[0], on_never);
		io_init(&loop, &watchers[1], b[0], on_never);
		io_set(&watchers[0], EPOLLIN);
		io_set(&watchers[0], 0);
		close(a[1]);
		timer_start(&end, 200, 0);
		unsigned long before = loop.ticks;
		loop_run(&loop);
		printf("ticks=%lu calls=%d\n", loop.ticks - before, calls);
	} else if (strcmp(what, "stale") == 0) {
		io_init(&loop, &watchers[0], a[0], on_ready);
		io_init(&loop, &watchers[1], b[0], on_ready);
		io_set(&watchers[0], EPOLLIN);
		io_set(&watchers[1], EPOLLIN);
		timer_start(&end, 100, 0);
		loop_run(&loop);
		printf("calls=%d stale=%d\n", calls, stale);
	} else if (strcmp(what, "closing") == 0) {
		io_init(&loop, &watchers[0], a[0], on_never);
		io_set(&watchers[0], EPOLLIN);
		handle_close(&watchers[0].h, NULL);
		errno = 0;
		int refused = io_set(&watchers[0], EPOLLIN) == -1 && errno == EINVAL;
		int stop_ok = io_set(&watchers[0], 0) == 0;
		timer_start(&end, 100, 0);
		loop_run(&loop);
		printf("refused=%d stop_ok=%d calls=%d active=%d\n", refused, stop_ok, calls,
		       handle_is_active(&watchers[0].h));
	} else {
		fprintf(stderr, "usage: io stopped-hup|stale|closing\n");
		return 2;
	}
	loop_close(&loop);
	return 0;
}
