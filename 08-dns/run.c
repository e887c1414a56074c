/*
 * run.c — /run CMD [ARG...]: a child process, its output streamed as it comes.
 *
 * CMD must be on the --allow list; it is looked up in PATH and started without a
 * shell, so no argument is ever interpreted. Its stdin is /dev/null; its stdout
 * and stderr are pipes whose read ends the loop watches like any socket, and
 * every byte goes to the client as soon as it arrives. When the child has ended
 * and both pipes are at EOF, one last line says how: `exit N` or
 * `killed by SIGNAME`. If the client goes away first, the pipes are closed and
 * the child's process group gets SIGTERM: the child and what it started.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "run.c needs Linux (pipe2, epoll)"
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "loop.h"
#include "server.h"

/* ---- constants ---------------------------------------------------------- */

enum {
	READ_SIZE = 64 * 1024,
	/* A command line holds at most MAX_LINE / 2 words ("/run" and one byte
	 * plus a space per word), so argv has room for all of them: none is ever
	 * dropped, and a line too long is refused before it gets here. */
	MAX_ARGS = MAX_LINE / 2,
};

/* ---- types -------------------------------------------------------------- */

struct run {
	struct process proc;
	struct io out, err;     /* read ends of the child's stdout and stderr */
	struct conn *conn;      /* NULL once the client has gone, and the pipes too */
	struct run *prev, *next;        /* every running /run, for shutdown */
	int open_handles;       /* freed when the last one has closed */
	bool exited;
	int exit_status, term_signal;
	bool wrote_any;
	char last;              /* the last byte sent: did the output end a line? */
	char *argv[MAX_ARGS + 1];
	char args[];            /* the words of the command line, NUL-separated */
};

/* ---- helpers ------------------------------------------------------------ */

static char read_buf[READ_SIZE];
static struct run *runs;
unsigned children;

static bool allowed(const char *cmd)
{
	size_t len = strlen(cmd);
	for (const char *p = opt.allow; p != NULL && *p != '\0'; p += strcspn(p, ",")) {
		p += *p == ',';
		if (strncmp(p, cmd, len) == 0 && (p[len] == ',' || p[len] == '\0'))
			return true;
	}
	return false;
}

static void on_run_handle_closed(struct handle *h)
{
	struct run *r = h->data;
	if (--r->open_handles == 0)
		free(r);
}

static void close_pipe(struct io *w)
{
	if (w->h.flags & HANDLE_CLOSING)
		return;
	handle_close(&w->h, on_run_handle_closed);
	close(w->fd);
}

/* The child has ended and both pipes are at EOF: the last line, then done. */
static void run_maybe_finish(struct run *r)
{
	if (!r->exited || !(r->out.h.flags & HANDLE_CLOSING) || !(r->err.h.flags & HANDLE_CLOSING))
		return;
	struct conn *c = r->conn;
	if (c != NULL) {
		if (r->wrote_any && r->last != '\n')
			conn_write(c, "\n", 1);
		if (r->term_signal != 0)
			conn_reply(c, "killed by %s", signal_name(r->term_signal));
		else
			conn_reply(c, "exit %d", r->exit_status);
		c->run = NULL;
		conn_done(c);
	}
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		runs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	handle_close(&r->proc.h, on_run_handle_closed);
}

/* ---- callbacks ---------------------------------------------------------- */

static void run_resume(struct conn *c)
{
	struct run *r = c->run;
	if (!(r->out.h.flags & HANDLE_CLOSING))
		io_set(&r->out, EPOLLIN);
	if (!(r->err.h.flags & HANDLE_CLOSING))
		io_set(&r->err, EPOLLIN);
}

/* One read() per wake-up, as for a connection (conn.c): a child that writes
 * for ever gets its turn each tick and no more. */
static void on_pipe_readable(struct io *w, uint32_t events)
{
	struct run *r = w->h.data;
	(void)events;

	ssize_t n = read(w->fd, read_buf, sizeof read_buf);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {           /* EOF: the child (and any grandchild) closed it */
		close_pipe(w);
		run_maybe_finish(r);
		return;
	}
	struct conn *c = r->conn;
	r->wrote_any = true;
	r->last = read_buf[n - 1];
	if (conn_write(c, read_buf, (size_t)n) != 0) {
		conn_close(c);  /* a reset, say: run_abandon() closes this pipe */
		return;
	}
	if (!conn_drained(c)) {
		/* Backpressure: stop reading; the pipe fills and the child's
		 * write() blocks until the client catches up. */
		io_set(&r->out, 0);
		io_set(&r->err, 0);
		c->on_drain = run_resume;
	}
}

static void on_child_exit(struct process *p, int exit_status, int term_signal)
{
	struct run *r = (struct run *)p;
	r->exited = true;
	r->exit_status = exit_status;
	r->term_signal = term_signal;
	children--;
	run_maybe_finish(r);
}

/* ---- starting a child --------------------------------------------------- */

/* Makes a pipe: the read end non-blocking (the loop polls it), the write end
 * blocking (the child writes to it as to any file). Both close-on-exec; the
 * child gets its end through dup2(). */
static int make_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	return fcntl(fds[0], F_SETFL, O_NONBLOCK);
}

static int run_start(struct run *r)
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int rc = -1;

	if (devnull >= 0 && make_pipe(out) == 0 && make_pipe(err) == 0) {
		int stdio[3] = { devnull, out[1], err[1] };
		rc = process_spawn(&loop, &r->proc, r->argv[0], r->argv, stdio, on_child_exit);
	}
	int saved = errno;
	/* The child has its copies now; ours would hide its EOF from us. */
	if (devnull >= 0)
		close(devnull);
	if (out[1] >= 0)
		close(out[1]);
	if (err[1] >= 0)
		close(err[1]);
	if (rc != 0) {
		if (out[0] >= 0)
			close(out[0]);
		if (err[0] >= 0)
			close(err[0]);
		errno = saved;
		return -1;
	}
	io_init(&loop, &r->out, out[0], on_pipe_readable);
	io_init(&loop, &r->err, err[0], on_pipe_readable);
	r->out.what = "child stdout";
	r->err.what = "child stderr";
	r->proc.h.data = r->out.h.data = r->err.h.data = r;
	r->open_handles = 3;
	io_set(&r->out, EPOLLIN);
	io_set(&r->err, EPOLLIN);
	return 0;
}

/* ---- the command, and the connection's side ----------------------------- */

void command_run_child(struct conn *c, const char *args)
{
	struct run *r = calloc(1, sizeof *r + strlen(args) + 1);
	if (r == NULL) {
		conn_reply(c, "error: run: out of memory");
		return;
	}
	strcpy(r->args, args);
	int argc = 0;
	char *rest;
	for (char *w = strtok_r(r->args, " ", &rest); w != NULL && argc < MAX_ARGS;
	     w = strtok_r(NULL, " ", &rest))
		r->argv[argc++] = w;
	const char *cmd = argc > 0 ? r->argv[0] : "";

	if (argc == 0)
		conn_reply(c, "error: run: usage: /run CMD [ARG...]");
	else if (!allowed(cmd))
		conn_reply(c, "error: run %s: not allowed (start the server with --allow %s)", cmd, cmd);
	else if (children >= opt.max_children)
		conn_reply(c, "error: run %s: too many children (max %u)", cmd, opt.max_children);
	else if (run_start(r) != 0)
		conn_reply(c, "error: run %s: %s", cmd, strerror(errno));
	else {
		children++;
		r->conn = c;
		r->next = runs;
		if (runs != NULL)
			runs->prev = r;
		runs = r;
		c->run = r;
		conn_busy(c);
		return;
	}
	free(r);
}

/* The client has gone. Its child's group is told to stop; nobody wants the
 * output any more, so the pipes close now: a paused pipe would otherwise never
 * be read to its EOF, and a grandchild holding one (`sleep 60 &`) could keep
 * the run alive for good. A child still writing gets SIGPIPE, as in a shell
 * pipeline whose reader left. The child is reaped when it ends. */
void run_abandon(struct run *r)
{
	r->conn = NULL;
	process_kill_group(&r->proc, SIGTERM);
	close_pipe(&r->out);
	close_pipe(&r->err);
	run_maybe_finish(r);    /* the child may have ended already */
}

/* Shutdown: SIGTERM asks every child's group to stop (their clients hear
 * `killed by SIGTERM`); at the shutdown timeout, SIGKILL insists. A run whose
 * child has ended but whose pipes a grandchild holds is still listed, and so
 * its group is signalled too. */
void run_signal_all(int signum)
{
	for (struct run *r = runs; r != NULL; r = r->next)
		process_kill_group(&r->proc, signum);
}
