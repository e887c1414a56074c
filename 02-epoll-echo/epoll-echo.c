/*
 * 02-epoll-echo — the event loop: one thread, one epoll set, every connection.
 *
 * New since 01: no thread per connection. Every socket is non-blocking and sits in
 * one epoll set; the only place the program ever blocks is epoll_wait(), which
 * returns the fds that are ready. Each ready fd gets a little work that cannot
 * block, then the loop goes back to waiting. This is the heart of libuv and Node.
 *
 * What one thread must get right, because nobody else will:
 *  - short writes: what the socket won't take now waits in an out-buffer, and the
 *    loop asks for EPOLLOUT until it drains;
 *  - backpressure: past a high-water mark the server stops reading that client,
 *    so a client that sends and never reads cannot grow the server's memory;
 *  - EMFILE: out of fds, the listener stays readable; a level-triggered loop would
 *    spin at 100% CPU, so we use libuv's reserved-fd trick;
 *  - memory: an idle connection holds no buffer, only its small struct.
 *
 * Protocol: byte echo, as in 01. On EOF, everything pending is sent, then close.
 *
 * --trace-events FILE records the run for Perfetto or Chrome's DevTools: the
 * recorder is trace_events.c, the loop's hooks are in wait_ready() and on_ready().
 *
 * Usage: epoll-echo [--host ADDR] [--port N] [--trace] [--trace-events FILE]
 *                   [--trace-events-max MB]
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "epoll-echo needs Linux (epoll, accept4)"
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "trace_events.h"

/* ---- constants ---------------------------------------------------------- */

static const char *const prog = "epoll-echo";

enum {
	READ_SIZE = 64 * 1024,    /* one read()'s worth, into a buffer shared by all */
	HIGH_WATER = 64 * 1024,   /* stop reading a client with this much unsent... */
	LOW_WATER = 16 * 1024,    /* ...and start again once it drains below this */
	MAX_EVENTS = 1024,        /* events taken per epoll_wait(), as libuv does */
	BACKLOG = 4096,           /* the kernel caps this at net.core.somaxconn */
};

/* ---- types -------------------------------------------------------------- */

struct options {
	const char *host;
	const char *port;
	bool trace;
	const char *trace_events;   /* the file to record the run in, or NULL */
	unsigned long trace_events_max_mb;
};

/* One client. An idle connection is just this struct: `out` is allocated only
 * while there are bytes the socket would not take yet. */
struct conn {
	int fd;
	uint32_t events;        /* what the epoll set is asked for, now */
	bool eof;               /* the client half-closed: flush, then close */
	char *out;              /* unsent bytes: out[out_off .. out_len) */
	size_t out_off, out_len, out_cap;
};

/* ---- helpers ------------------------------------------------------------ */

static struct options opt = { .host = "127.0.0.1", .port = "8000", .trace_events_max_mb = 64 };
static char read_buf[READ_SIZE];
static int epfd;
static int listen_fd;
static int spare_fd = -1;       /* held in reserve for the EMFILE trick */
static struct trace_events *trace_events;      /* recording the run, or NULL */

/* Setup failures only: once the server is serving, errors close one connection. */
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void usage(FILE *to, int status)
{
	fprintf(to,
		"usage: %s [--host ADDR] [--port N] [--trace] [--trace-events FILE]\n"
		"  --host ADDR  address to listen on (default 127.0.0.1)\n"
		"  --port N     port to listen on, 0 for any free port (default 8000)\n"
		"  --trace      narrate every loop iteration on stderr\n"
		"  --trace-events FILE     record the run in FILE, a Chrome Trace Event file\n"
		"  --trace-events-max MB   stop recording before FILE passes MB (default 64)\n"
		"  --help       show this help\n",
		prog);
	exit(status);
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v > max)
		return false;
	*out = v;
	return true;
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "trace", no_argument, NULL, 't' },
		{ "trace-events", required_argument, NULL, 'e' },
		{ "trace-events-max", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	unsigned long n;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'H': opt.host = optarg; break;
		case 'p':
			if (!parse_uint(optarg, 65535, &n)) {
				fprintf(stderr, "%s: bad port '%s'\n", prog, optarg);
				usage(stderr, 2);
			}
			opt.port = optarg;
			break;
		case 't': opt.trace = true; break;
		case 'e': opt.trace_events = optarg; break;
		case 'E':
			if (!parse_uint(optarg, 1 << 20, &n) || n == 0) {
				fprintf(stderr, "%s: bad value for --trace-events-max: '%s'\n", prog, optarg);
				usage(stderr, 2);
			}
			opt.trace_events_max_mb = n;
			break;
		case 'h': usage(stdout, 0); break;
		default: usage(stderr, 2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		usage(stderr, 2);
	}
}

/* Node raises the soft fd limit to the hard one at startup; so do we, so that
 * thousands of connections work without `ulimit -n` first. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			fprintf(stderr, "%s: cannot raise the fd limit: %s\n", prog, strerror(errno));
	}
}

/* Binds and listens on HOST:PORT, prints the `listening on` line, returns the fd.
 * The listener is non-blocking: accept() must say EAGAIN, never wait. */
static int listen_on(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai;
	int err = getaddrinfo(host, port, &hints, &ai);
	if (err != 0)
		die("cannot listen on %s:%s: %s", host, port, gai_strerror(err));

	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	/* Lets a restarted server bind while old connections sit in TIME_WAIT. It
	 * does not let two servers listen on one port: that is still EADDRINUSE. */
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, BACKLOG) != 0)
		die("cannot listen on %s:%s: %s", host, port, strerror(errno));
	freeaddrinfo(ai);

	/* Port 0 means "any free port": ask which one we got. */
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char name[NI_MAXHOST], port_str[NI_MAXSERV];
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0
	    || getnameinfo((struct sockaddr *)&ss, len, name, sizeof name, port_str,
			   sizeof port_str, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		die("getsockname: %s", strerror(errno));
	printf("listening on %s:%s\n", name, port_str);
	fflush(stdout);
	return fd;
}

/* ---- connections -------------------------------------------------------- */

static size_t pending(const struct conn *c)
{
	return c->out_len - c->out_off;
}

static void conn_close(struct conn *c)
{
	close(c->fd);           /* closing the fd also removes it from the epoll set */
	free(c->out);
	free(c);
}

/* Asks epoll for what C needs now: input unless it is backpressured or at EOF,
 * output while bytes are pending. epoll_ctl() only when that changes. */
static int conn_update(struct conn *c)
{
	uint32_t want = 0;
	if (!c->eof && pending(c) < HIGH_WATER)
		want |= EPOLLIN;
	if (pending(c) > 0)
		want |= EPOLLOUT;
	/* Hysteresis: once stopped, stay stopped until below the low-water mark. */
	if ((want & EPOLLIN) && !(c->events & EPOLLIN) && pending(c) >= LOW_WATER)
		want &= ~(uint32_t)EPOLLIN;
	if (want == c->events)
		return 0;
	struct epoll_event ev = { .events = want, .data.ptr = c };
	c->events = want;
	return epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Sends as much of BUF as the socket takes now; keeps the rest in the out-buffer.
 * Returns 0, or -1 when the connection is broken. */
static int conn_write(struct conn *c, const char *buf, size_t len)
{
	if (pending(c) == 0) {
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
	}
	if (len == 0)
		return 0;
	/* Slide the unsent bytes to the front, so the buffer never outgrows
	 * what is really pending (at most HIGH_WATER plus one read). */
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_len + len;
		char *grown = realloc(c->out, cap);
		if (grown == NULL)
			return -1;
		c->out = grown;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	return 0;
}

/* EPOLLOUT: the socket has room again. Send what is pending; free the buffer
 * once it is empty, so an idle connection holds no memory but its struct. */
static int conn_flush(struct conn *c)
{
	while (pending(c) > 0) {
		ssize_t n = send(c->fd, c->out + c->out_off, pending(c), MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_off = c->out_len = c->out_cap = 0;
	return 0;
}

/* EPOLLIN: one read() per wake-up, so one busy client cannot starve the rest. */
static int conn_read(struct conn *c)
{
	ssize_t n = read(c->fd, read_buf, sizeof read_buf);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0) {
		c->eof = true;
		return 0;
	}
	return conn_write(c, read_buf, (size_t)n);
}

/* ---- callbacks: what the loop does for each ready fd --------------------- */

/* Accepts everything queued (until EAGAIN), each socket non-blocking from birth. */
static void on_listener_readable(void)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				/* The listener stays readable while a connection waits, and a
				 * level-triggered loop would call us again at once, forever.
				 * libuv's answer: give back the spare fd, accept the waiting
				 * connections and close them, then take the spare again. */
				int refused = 0;
				close(spare_fd);
				while ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
					close(fd);
					refused++;
				}
				spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
				if (refused > 0)        /* 0: the client had already gone */
					fprintf(stderr, "%s: out of file descriptors: refused %d connection%s\n",
						prog, refused, refused == 1 ? "" : "s");
				return;
			}
			fprintf(stderr, "%s: accept: %s\n", prog, strerror(errno));
			return;
		}
		struct conn *c = calloc(1, sizeof *c);
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		if (c == NULL || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			fprintf(stderr, "%s: cannot serve fd %d: %s\n", prog, fd, strerror(errno));
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->events = EPOLLIN;
	}
}

static void on_conn_event(struct conn *c, uint32_t events)
{
	int err = 0;
	/* EPOLLERR or EPOLLHUP: reset or both directions closed. Nothing to save. */
	if (events & (EPOLLERR | EPOLLHUP))
		err = -1;
	if (!err && (events & EPOLLOUT))
		err = conn_flush(c);
	if (!err && (events & EPOLLIN))
		err = conn_read(c);
	if (!err && c->eof && pending(c) == 0)
		err = -1;       /* echoed everything the client sent: done */
	if (!err)
		err = conn_update(c);
	if (err)
		conn_close(c);
}

/* ---- the loop ----------------------------------------------------------- */

static const char *event_name(uint32_t events)
{
	if (events & (EPOLLERR | EPOLLHUP))
		return "hung up";
	if ((events & EPOLLIN) && (events & EPOLLOUT))
		return "readable+writable";
	return events & EPOLLIN ? "readable" : "writable";
}

static void trace_tick(unsigned long tick, const struct epoll_event *evs, int n)
{
	fprintf(stderr, "tick %lu wait=forever (no timers) woke: ", tick);
	if (n == 1)
		fprintf(stderr, "fd %d %s\n", evs[0].data.ptr == NULL ? listen_fd
			: ((struct conn *)evs[0].data.ptr)->fd, event_name(evs[0].events));
	else
		fprintf(stderr, "%d events\n", n);
}

/* Blocks until some fd is ready and fills EVENTS: epoll_wait(), told apart
 * from the loop so that --trace and --trace-events watch it from here. Returns
 * how many are ready, 0 when a signal interrupted the wait. */
static int wait_ready(struct epoll_event *events, unsigned long tick)
{
	uint64_t traced = trace_events ? trace_poll_start(trace_events, -1) : 0;
	int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
	if (traced != 0)
		trace_poll(trace_events, traced, tick, -1, "no timers", n);
	if (n < 0) {
		if (errno == EINTR)
			return 0;       /* a signal arrived: just wait again */
		die("epoll_wait: %s", strerror(errno));
	}
	if (opt.trace)
		trace_tick(tick, events, n);
	return n;
}

static void dispatch(const struct epoll_event *ev)
{
	if (ev->data.ptr == NULL)
		on_listener_readable();
	else
		on_conn_event(ev->data.ptr, ev->events);
}

/* dispatch() inside a slice named for the fd, for --trace-events. */
static void dispatch_traced(const struct epoll_event *ev)
{
	char name[64];
	const struct conn *c = ev->data.ptr;
	snprintf(name, sizeof name, "io fd %d (%s)", c == NULL ? listen_fd : c->fd,
		 c == NULL ? "listener" : "conn");
	uint64_t start = trace_events_now();
	dispatch(ev);           /* may free c */
	trace_slice(trace_events, "io", name, start, NULL);
}

/* What the loop does for one ready fd: the listener's entry has no pointer,
 * every connection's points at its struct conn. */
static void on_ready(const struct epoll_event *ev)
{
	if (trace_events)
		dispatch_traced(ev);
	else
		dispatch(ev);
}

static void loop_run(void)
{
	static struct epoll_event events[MAX_EVENTS];

	for (unsigned long tick = 1;; tick++) {
		/* Block until something is ready: the only wait in the program. */
		int n = wait_ready(events, tick);
		/* Dispatch: a little non-blocking work for each ready fd. */
		for (int i = 0; i < n; i++)
			on_ready(&events[i]);
	}
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	/* A peer that resets while we write would otherwise kill the whole process. */
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();

	spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (spare_fd < 0)
		die("open /dev/null: %s", strerror(errno));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1: %s", strerror(errno));
	if (opt.trace_events != NULL) {
		trace_events = trace_events_open(opt.trace_events,
			(uint64_t)opt.trace_events_max_mb << 20, prog, "02-epoll-echo");
		if (trace_events == NULL)
			die("cannot write %s: %s", opt.trace_events,
			    errno == ENODEV ? "not a regular file" : strerror(errno));
	}
	listen_fd = listen_on(opt.host, opt.port);
	/* The listener is the one fd whose data.ptr is NULL. */
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev) != 0)
		die("epoll_ctl: %s", strerror(errno));

	loop_run();
	return 0;
}
