/*
 * test/unit/spawn.c — process_spawn()'s stdio. Built against each step's loop
 * (07 on) by test/07-children.bats.
 *
 * This program's own fds 1 and 2 are pointed at two pipes, "one" and "two";
 * the child, sh -c 'echo to-stdout; echo to-stderr >&2', is given them as
 *   swap      stdio {devnull, 2, 1}: its stdout is our 2, its stderr our 1
 *   cloexec   stdio {devnull, 1, 2}, with close-on-exec set on our 1 and 2:
 *             fds already in place must still reach the child
 * Prints what came out of each pipe, e.g. one=[to-stderr] two=[to-stdout].
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"

static struct loop loop;
static struct process proc;
static int exit_status = -1;

static void on_exit_cb(struct process *p, int status, int term_signal)
{
	(void)term_signal;
	exit_status = status;
	handle_close(&p->h, NULL);
}

/* Reads a pipe to its end; the newlines become spaces. */
static void slurp(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	for (char *c = buf; *c != '\0'; c++)
		if (*c == '\n')
			*c = ' ';
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	int one[2], two[2];
	int saved_out = fcntl(1, F_DUPFD_CLOEXEC, 3), saved_err = fcntl(2, F_DUPFD_CLOEXEC, 3);
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	char *args[] = { "sh", "-c", "echo to-stdout; echo to-stderr >&2", NULL };
	int swap[3] = { devnull, 2, 1 }, in_place[3] = { devnull, 1, 2 };
	const int *stdio;

	if (strcmp(what, "swap") == 0)
		stdio = swap;
	else if (strcmp(what, "cloexec") == 0)
		stdio = in_place;
	else {
		fprintf(stderr, "usage: spawn swap|cloexec\n");
		return 2;
	}
	if (saved_out < 0 || saved_err < 0 || devnull < 0 || loop_init(&loop) != 0 ||
	    pipe2(one, O_CLOEXEC) != 0 || pipe2(two, O_CLOEXEC) != 0)
		return 1;
	dup2(one[1], 1);
	dup2(two[1], 2);
	close(one[1]);
	close(two[1]);
	if (strcmp(what, "cloexec") == 0) {
		fcntl(1, F_SETFD, FD_CLOEXEC);
		fcntl(2, F_SETFD, FD_CLOEXEC);
	}
	int spawned = process_spawn(&loop, &proc, "sh", args, stdio, on_exit_cb);
	/* Our 1 and 2 back: the pipes' last write ends are now the child's. */
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	if (spawned != 0) {
		perror("process_spawn");
		return 1;
	}
	loop_run(&loop);
	char got_one[128], got_two[128];
	slurp(one[0], got_one, sizeof got_one);
	slurp(two[0], got_two, sizeof got_two);
	printf("one=[%s] two=[%s] exit=%d\n", got_one, got_two, exit_status);
	loop_close(&loop);
	return 0;
}
