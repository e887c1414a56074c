/*
 * 08-dns — the capstone: DNS both ways, the way Node does it.
 *
 * New since 07: /lookup HOST is dns.lookup(), getaddrinfo() on the thread pool
 * (dns.c), marked slow I/O so that, as in libuv since 1.23.1, at most half the
 * threads (rounded up) wait on DNS at once and the file system always keeps
 * some (pool.c). /resolve HOST is dns.resolve4(): a DNS client inside the loop
 * (resolve.c, dns_wire.c), one connected UDP socket and one timer per query,
 * holding no thread at all. Everything else is 07's: timers, the pool, the
 * self-pipe, signals, children. A small libuv, with a small Node on top.
 *
 * This file is the program on top: its options, the listener and main(). Each
 * connection's byte stream is in conn.c, and input.c splits it into echoed
 * data and commands.
 *
 * Usage: dns [--host ADDR] [--port N] [--trace] [--trace-events FILE]
 *            [--trace-events-max MB] [--idle-timeout MS]
 *            [--stats-interval MS] [--root DIR] [--shutdown-timeout MS]
 *            [--allow CMD[,CMD...]] [--max-children N]
 *            [--dns-server ADDR[:PORT]] [--dns-timeout MS] [--dns-tries N]
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "dns needs Linux (epoll, pipe2, accept4, getrandom)"
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "loop.h"
#include "server.h"
#include "trace_events.h"

/* ---- constants ---------------------------------------------------------- */

const char *const prog = "dns";

enum {
	BACKLOG = 4096,           /* the kernel caps this at net.core.somaxconn */
};

/* ---- types -------------------------------------------------------------- */

struct options opt = { .host = "127.0.0.1", .port = "8000", .trace_events_max_mb = 64, .root = ".",
		       .shutdown_timeout_ms = 5000, .allow = "", .max_children = 64 };
struct loop loop;
unsigned long conn_count;
bool shutting_down;
struct resolve_config dns_config = { .timeout_ms = 2000, .tries = 2 };
int root_fd = -1;
const char *root_path;

/* ---- helpers ------------------------------------------------------------ */

static struct io listener;
static struct timer stats_timer;
static struct timer shutdown_timer;
static struct signal_handle sigint, sigterm, sigusr1;
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
		"  --root DIR           /cat serves files below DIR (default .)\n"
		"  --shutdown-timeout MS  after SIGINT/SIGTERM, force-close what is left\n"
		"                       after MS ms (default 5000)\n"
		"  --allow CMD[,CMD...] commands /run may start (default: none)\n"
		"  --max-children N     children running at once (default 64)\n"
		"  --dns-server ADDR[:PORT]  where /resolve asks (default: the first\n"
		"                       nameserver in /etc/resolv.conf, else 127.0.0.1:53)\n"
		"  --dns-timeout MS     /resolve: wait per try (default 2000)\n"
		"  --dns-tries N        /resolve: sends before giving up (default 2)\n"
		"  --help               show this help\n"
		"environment:\n"
		"  UV_THREADPOOL_SIZE   pool threads, 1 to 1024 (default 4)\n",
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
		{ "root", required_argument, NULL, 'r' },
		{ "shutdown-timeout", required_argument, NULL, 'T' },
		{ "allow", required_argument, NULL, 'a' },
		{ "max-children", required_argument, NULL, 'm' },
		{ "dns-server", required_argument, NULL, 'd' },
		{ "dns-timeout", required_argument, NULL, 'D' },
		{ "dns-tries", required_argument, NULL, 'y' },
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
		case 'r': opt.root = optarg; break;
		case 'T': opt.shutdown_timeout_ms = parse_ms("shutdown-timeout", optarg); break;
		case 'a': opt.allow = optarg; break;
		case 'm':
			if (!parse_uint(optarg, 100000, &n) || n == 0) {
				fprintf(stderr, "%s: bad value for --max-children: '%s'\n", prog, optarg);
				usage(stderr, 2);
			}
			opt.max_children = (unsigned)n;
			break;
		case 'd': opt.dns_server = optarg; break;
		case 'D': dns_config.timeout_ms = parse_ms("dns-timeout", optarg); break;
		case 'y':
			if (!parse_uint(optarg, 10, &n) || n == 0) {
				fprintf(stderr, "%s: bad value for --dns-tries: '%s' (1 to 10)\n", prog, optarg);
				usage(stderr, 2);
			}
			dns_config.tries = (unsigned)n;
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

/* Parses ADDR[:PORT] (IPv4) into SA. Returns 0, or -1 if it is not one. */
static int parse_server(const char *s, struct sockaddr_in *sa)
{
	char host[INET_ADDRSTRLEN];
	unsigned long port = 53;
	const char *colon = strchr(s, ':');
	size_t len = colon ? (size_t)(colon - s) : strlen(s);

	if (len >= sizeof host || (colon && !parse_uint(colon + 1, 65535, &port)))
		return -1;
	memcpy(host, s, len);
	host[len] = '\0';
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* Where /resolve asks: --dns-server, else the first IPv4 nameserver of
 * /etc/resolv.conf (as c-ares does), else 127.0.0.1:53. */
static void choose_dns_server(void)
{
	if (opt.dns_server != NULL) {
		if (parse_server(opt.dns_server, &dns_config.server) != 0) {
			fprintf(stderr, "%s: bad --dns-server '%s' (want ADDR[:PORT], IPv4)\n",
				prog, opt.dns_server);
			usage(stderr, 2);
		}
		return;
	}
	parse_server("127.0.0.1", &dns_config.server);
	FILE *f = fopen("/etc/resolv.conf", "re");
	if (f == NULL)
		return;
	char line[256], addr[64];
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, " nameserver %63s", addr) == 1
		    && parse_server(addr, &dns_config.server) == 0)
			break;
	}
	fclose(f);
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

static void print_stats(void)
{
	char line[512];
	stats_line(line, sizeof line);
	fprintf(stderr, "%s\n", line);
}

static void on_stats_timer(struct timer *t)
{
	(void)t;
	print_stats();
}

static void on_sigusr1(struct signal_handle *s, int signum)
{
	(void)s;
	(void)signum;
	print_stats();
}

/* The graceful shutdown took too long: close everything. A pool job cannot be
 * interrupted mid-way; if one is still running, waiting for it is no longer
 * graceful, so exit. */
static void on_shutdown_timeout(struct timer *t)
{
	(void)t;
	fprintf(stderr, "%s: shutdown timeout: closing %lu connection%s\n", prog,
		conn_count, conn_count == 1 ? "" : "s");
	run_signal_all(SIGKILL);        /* a group that ignored SIGTERM, while all are listed */
	conn_close_all();               /* ...and the pipes its members held */
	if (loop.active_reqs > 0) {
		fprintf(stderr, "%s: %u pool job%s still running: exiting now\n", prog,
			loop.active_reqs, loop.active_reqs == 1 ? "" : "s");
		exit(1);
	}
}

/* SIGINT or SIGTERM. The first starts a graceful shutdown; nothing here calls
 * exit(): once the last connection closes, nothing ref'd is left and
 * loop_run() returns. A second one means "now". */
static void on_shutdown_signal(struct signal_handle *s, int signum)
{
	(void)s;
	if (shutting_down) {
		fprintf(stderr, "%s: second %s: exiting now\n", prog, signal_name(signum));
		exit(128 + signum);
	}
	fprintf(stderr, "%s: shutting down (%s)\n", prog, signal_name(signum));
	shutting_down = true;
	handle_close(&listener.h, NULL);
	close(listener.fd);             /* new connections are refused from now on */
	run_signal_all(SIGTERM);        /* children end; their clients hear how */
	timer_init(&loop, &shutdown_timer, on_shutdown_timeout);
	timer_start(&shutdown_timer, opt.shutdown_timeout_ms, 0);
	handle_unref(&shutdown_timer.h);        /* a deadline, not a reason to live */
	conn_shutdown_all();
}

/* Signal handles are unref'd, as Node's are: they listen, they don't keep the
 * program alive. */
static void watch_signal(struct signal_handle *s, int signum, signal_cb cb)
{
	signal_init(&loop, s);
	if (signal_start(s, signum, cb) != 0)
		die("sigaction %s: %s", signal_name(signum), strerror(errno));
	handle_unref(&s->h);
}

/* exit() on a second signal, or at the shutdown timeout, skips main()'s
 * trace_events_close(): write what was recorded, so the file stays whole. */
static void flush_trace_events(void)
{
	trace_events_flush(loop.trace_events);
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	choose_dns_server();
	/* A peer that resets while we write would otherwise kill the whole process. */
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();

	spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (spare_fd < 0)
		die("open /dev/null: %s", strerror(errno));
	root_fd = open(opt.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0 || (root_path = realpath(opt.root, NULL)) == NULL)
		die("cannot use --root %s: %s", opt.root, strerror(errno));
	if (loop_init(&loop) != 0)
		die("cannot start the loop: %s", strerror(errno));
	loop.trace = opt.trace;
	if (opt.trace_events != NULL) {
		loop.trace_events = trace_events_open(opt.trace_events,
			(uint64_t)opt.trace_events_max_mb << 20, prog, "08-dns");
		if (loop.trace_events == NULL)
			die("cannot write %s: %s", opt.trace_events,
			    errno == ENODEV ? "not a regular file" : strerror(errno));
		atexit(flush_trace_events);
	}
	/* Before the `listening on` line: from then on a signal must find us ready. */
	watch_signal(&sigint, SIGINT, on_shutdown_signal);
	watch_signal(&sigterm, SIGTERM, on_shutdown_signal);
	watch_signal(&sigusr1, SIGUSR1, on_sigusr1);
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
	/* The recorder goes last: a pool thread that has just handed back its
	 * job may still be recording the send that wakes the loop. */
	loop_close(&loop);
	trace_events_close(loop.trace_events);
	loop.trace_events = NULL;       /* for flush_trace_events() */
	return 0;
}
