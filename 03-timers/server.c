/*
 * 03-timers — time, and the loop becomes a library.
 *
 * New since 02: the loop moves into loop.c/loop.h, a small libuv with handles
 * (io watchers, timers) that can be ref'd and unref'd, and loop_run() returns when
 * nothing active and ref'd is left. Timers live in a min-heap, and epoll_wait()
 * sleeps exactly until the next one is due. The echo grows a command protocol:
 * a line starting with '/' is a command (commands.c), and /sleep MS answers
 * after a timer while the loop keeps serving everyone else.
 *
 * This file is the program on top: its options, the listener and main(). Each
 * connection's byte stream is in conn.c, and input.c splits it into echoed
 * data and commands.
 *
 * Usage: timers [--host ADDR] [--port N] [--trace] [--trace-events FILE]
 *               [--trace-events-max MB] [--idle-timeout MS] [--stats-interval MS]
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "timers needs Linux (epoll, accept4)"
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

#include "loop.h"
#include "server.h"
#include "trace_events.h"

/* ---- constants ---------------------------------------------------------- */

const char *const prog = "timers";

enum {
	BACKLOG = 4096,           /* the kernel caps this at net.core.somaxconn */
};

/* ---- types -------------------------------------------------------------- */

struct options opt = { .host = "127.0.0.1", .port = "8000", .trace_events_max_mb = 64 };
struct loop loop;
unsigned long conn_count;

/* ---- helpers ------------------------------------------------------------ */

static struct io listener;
static struct timer stats_timer;
static int spare_fd = -1;       /* held in reserve for the EMFILE trick */

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
		"usage: %s [OPTION]...\n"
		"  --host ADDR          address to listen on (default 127.0.0.1)\n"
		"  --port N             port to listen on, 0 for any free port (default 8000)\n"
		"  --trace              narrate every loop iteration on stderr\n"
		"  --trace-events FILE  record the run in FILE, a Chrome Trace Event file\n"
		"  --trace-events-max MB  stop recording before FILE passes MB (default 64)\n"
		"  --idle-timeout MS    close a connection idle for MS ms (default: never)\n"
		"  --stats-interval MS  print the /stats line to stderr every MS ms\n"
		"  --help               show this help\n",
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

static uint64_t parse_ms(const char *name, const char *s)
{
	unsigned long n;
	if (!parse_uint(s, 86400000, &n)) {
		fprintf(stderr, "%s: bad value for --%s: '%s'\n", prog, name, s);
		usage(stderr, 2);
	}
	return n;
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "trace", no_argument, NULL, 't' },
		{ "trace-events", required_argument, NULL, 'e' },
		{ "trace-events-max", required_argument, NULL, 'E' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "stats-interval", required_argument, NULL, 's' },
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
		case 'i': opt.idle_timeout_ms = parse_ms("idle-timeout", optarg); break;
		case 's': opt.stats_interval_ms = parse_ms("stats-interval", optarg); break;
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

/* ---- callbacks ---------------------------------------------------------- */

/* Accepts everything queued (until EAGAIN), each socket non-blocking from birth. */
static void on_listener_io(struct io *w, uint32_t events)
{
	(void)events;
	for (;;) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			conn_start(fd);
			continue;
		}
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
			while ((fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
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
}

static void on_stats_timer(struct timer *t)
{
	char line[512];
	(void)t;
	stats_line(line, sizeof line);
	fprintf(stderr, "%s\n", line);
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
	if (loop_init(&loop) != 0)
		die("epoll_create1: %s", strerror(errno));
	loop.trace = opt.trace;
	if (opt.trace_events != NULL) {
		loop.trace_events = trace_events_open(opt.trace_events,
			(uint64_t)opt.trace_events_max_mb << 20, prog, "03-timers");
		if (loop.trace_events == NULL)
			die("cannot write %s: %s", opt.trace_events,
			    errno == ENODEV ? "not a regular file" : strerror(errno));
	}
	io_init(&loop, &listener, listen_on(opt.host, opt.port), on_listener_io);
	listener.what = "listener";
	if (io_set(&listener, EPOLLIN) != 0)
		die("epoll_ctl: %s", strerror(errno));
	if (opt.stats_interval_ms > 0) {
		/* Unref'd: printing stats is no reason to keep the program alive. */
		timer_init(&loop, &stats_timer, on_stats_timer);
		timer_start(&stats_timer, opt.stats_interval_ms, opt.stats_interval_ms);
		handle_unref(&stats_timer.h);
	}

	loop_run(&loop);
	trace_events_close(loop.trace_events);
	loop_close(&loop);
	return 0;
}
