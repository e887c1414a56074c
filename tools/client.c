/*
 * client — a tiny nc(1) for the kit: stdin to a TCP socket, the socket to stdout.
 *
 * The test suites talk to every step's server through this program, so it must
 * behave the same everywhere, be binary-safe, and never be the reason a test hangs
 * or loses bytes. It is itself a small event loop: one poll() over stdin, the
 * socket and stdout, with one buffer each way. A buffer is refilled only once it
 * has been written out completely, which is backpressure at its simplest: while
 * the server is slow to take our bytes we stop reading stdin, and while stdout is
 * slow to take the server's bytes we stop reading the socket.
 *
 * On stdin EOF it half-closes (shutdown(SHUT_WR)) and keeps printing what the
 * server sends until the server closes too; then it exits 0. A reset from the
 * server counts as its close, and is silent: the suites compare our output.
 *
 * Usage: client [-h HOST] -p PORT [-t MS] [--no-read] [--reset] [--rcvbuf BYTES]
 *   -h HOST    numeric IPv4 address or "localhost" (default 127.0.0.1)
 *   -p PORT    port to connect to
 *   -t MS      give up after MS ms with nothing happening: exit 3
 *   --no-read  never read the socket: a client that sends but never reads
 *   --reset    after stdin EOF, end with a reset (RST) instead of a FIN
 *   --rcvbuf BYTES  a small receive buffer (SO_RCVBUF), so the server's
 *              sends stall early: a slow client on a slow link
 * Exit status: 0 the server closed, 1 cannot connect (or an I/O error), 2 usage,
 * 3 timeout.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "client needs Linux (SOCK_CLOEXEC)"
#endif

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tool.h"

/* ---- constants ---------------------------------------------------------- */

static const char *const prog = "client";

enum {
	BUF_SIZE = 64 * 1024,   /* one read()'s worth in each direction */
	EXIT_IO = 1,
	EXIT_USAGE = 2,
	EXIT_TIMEOUT = 3,
	OPT_NO_READ = 256,      /* long options only: past every char value */
	OPT_RESET,
	OPT_RCVBUF,
	OPT_HELP,
};

/* poll() reports trouble (hangup, error, a closed fd) whatever was asked for.
 * It counts as ready: the read or write that follows finds out what happened. */
static const short TROUBLE = POLLHUP | POLLERR | POLLNVAL;
static const short CAN_READ = POLLIN | POLLHUP | POLLERR | POLLNVAL;
static const short CAN_WRITE = POLLOUT | POLLHUP | POLLERR | POLLNVAL;

/* ---- types -------------------------------------------------------------- */

struct options {
	const char *host;
	long port;              /* 0 until -p is given: it is required */
	long timeout_ms;        /* -1: wait forever */
	bool no_read;
	bool reset;
	long rcvbuf;            /* 0: the kernel's default */
};

/* Bytes read from one fd, waiting to be written to another: data[start, end). */
struct chunk {
	char data[BUF_SIZE];
	size_t start, end;
};

/* Where the conversation stands. `up` flows stdin -> socket, `down` socket ->
 * stdout. Static storage: two 64 KiB buffers are too big for a polite stack. */
struct session {
	int sock;
	struct chunk up, down;
	bool stdin_eof;         /* no more input: half-close once `up` is sent */
	bool sent_fin;          /* shutdown(SHUT_WR) done, or sending abandoned */
	bool sock_eof;          /* the server closed its side */
};

/* ---- helpers ------------------------------------------------------------ */

static struct options opt = { .host = "127.0.0.1", .timeout_ms = -1 };
static struct session sess;

static void usage(FILE *to, int status)
{
	fprintf(to,
		"usage: %s [-h HOST] -p PORT [-t MS] [--no-read] [--reset] [--rcvbuf BYTES]\n"
		"  -h HOST    numeric IPv4 address or localhost (default 127.0.0.1)\n"
		"  -p PORT    port to connect to\n"
		"  -t MS      exit 3 after MS ms with nothing happening (default: never)\n"
		"  --no-read  never read from the socket; after stdin EOF, stay connected\n"
		"  --reset    after stdin EOF, close with a reset (RST) instead of a FIN\n"
		"  --rcvbuf BYTES  ask for a receive buffer of BYTES (SO_RCVBUF)\n"
		"  --help     show this help\n",
		prog);
	exit(status);
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "no-read", no_argument, NULL, OPT_NO_READ },
		{ "reset", no_argument, NULL, OPT_RESET },
		{ "rcvbuf", required_argument, NULL, OPT_RCVBUF },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0, 0, 0, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h:p:t:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': opt.host = optarg; break;
		case 'p':
			if (!parse_long(optarg, 1, 65535, &opt.port)) {
				fprintf(stderr, "%s: bad port '%s'\n", prog, optarg);
				usage(stderr, EXIT_USAGE);
			}
			break;
		case 't':
			if (!parse_long(optarg, 1, 24L * 3600 * 1000, &opt.timeout_ms)) {
				fprintf(stderr, "%s: bad timeout '%s'\n", prog, optarg);
				usage(stderr, EXIT_USAGE);
			}
			break;
		case OPT_NO_READ: opt.no_read = true; break;
		case OPT_RESET: opt.reset = true; break;
		case OPT_RCVBUF:
			if (!parse_long(optarg, 1, 64L * 1024 * 1024, &opt.rcvbuf)) {
				fprintf(stderr, "%s: bad --rcvbuf '%s'\n", prog, optarg);
				usage(stderr, EXIT_USAGE);
			}
			break;
		case OPT_HELP: usage(stdout, 0); break;
		default: usage(stderr, EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		usage(stderr, EXIT_USAGE);
	}
	if (opt.port == 0) {
		fprintf(stderr, "%s: -p PORT is required\n", prog);
		usage(stderr, EXIT_USAGE);
	}
}

static void timed_out(void)
{
	fprintf(stderr, "%s: timeout after %ld ms\n", prog, opt.timeout_ms);
	exit(EXIT_TIMEOUT);
}

/* Connects without blocking, so that -t also covers a server whose listen
 * backlog is full: the kernel would retry the SYN for minutes. */
static int connect_to(const char *host, long port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((in_port_t)port) };
	const char *numeric = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
	if (inet_pton(AF_INET, numeric, &sin.sin_addr) != 1) {
		fprintf(stderr, "%s: bad host '%s' (want a numeric IPv4 address)\n", prog, host);
		usage(stderr, EXIT_USAGE);
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	/* Before connect(): the window offered in the handshake depends on it. */
	int rcvbuf = (int)opt.rcvbuf;
	if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0)
		die("setsockopt SO_RCVBUF: %s", strerror(errno));
	int err = 0;
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		err = errno;
		if (err == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			int n = poll(&p, 1, (int)opt.timeout_ms);
			if (n < 0)
				die("poll: %s", strerror(errno));
			if (n == 0)
				timed_out();
			socklen_t len = sizeof err;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
				err = errno;
		}
	}
	if (err != 0)
		die("cannot connect to %s:%ld: %s", host, port, strerror(err));
	return fd;
}

static bool is_empty(const struct chunk *c)
{
	return c->start == c->end;
}

/* Refills an empty chunk from FD. Returns what read() did: >0, 0 (EOF) or -1. */
static ssize_t fill(struct chunk *c, int fd)
{
	ssize_t n = read(fd, c->data, sizeof c->data);
	c->start = 0;
	c->end = n > 0 ? (size_t)n : 0;
	return n;
}

/* Writes what FD takes now: a short write leaves the rest for the next turn. */
static ssize_t drain(struct chunk *c, int fd)
{
	ssize_t n = write(fd, c->data + c->start, c->end - c->start);
	if (n > 0)
		c->start += (size_t)n;
	return n;
}

static bool transient(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/* A server that closes with our bytes still unread sends a reset, not a FIN:
 * it is closing all the same, so this is no error. */
static bool server_gone(int err)
{
	return err == ECONNRESET || err == EPIPE;
}

/* ---- callbacks: what the loop does for each ready fd --------------------- */

static void on_stdin_readable(void)
{
	ssize_t n = fill(&sess.up, STDIN_FILENO);
	if (n == 0)
		sess.stdin_eof = true;
	else if (n < 0 && !transient(errno))
		die("read stdin: %s", strerror(errno));
}

static void on_socket_writable(void)
{
	if (drain(&sess.up, sess.sock) >= 0 || transient(errno))
		return;
	if (!server_gone(errno))
		die("send: %s", strerror(errno));
	/* Stop sending, and let the reading side print the server's last words
	 * before it sees the close. With --no-read there is no reading side. */
	sess.up.start = sess.up.end = 0;
	sess.stdin_eof = sess.sent_fin = true;
	sess.sock_eof = opt.no_read;
}

static void on_socket_readable(void)
{
	ssize_t n = fill(&sess.down, sess.sock);
	if (n == 0 || (n < 0 && server_gone(errno)))
		sess.sock_eof = true;
	else if (n < 0 && !transient(errno))
		die("recv: %s", strerror(errno));
}

static void on_stdout_writable(void)
{
	if (drain(&sess.down, STDOUT_FILENO) < 0 && !transient(errno))
		die("write stdout: %s", strerror(errno));
}

/* With --no-read the socket is polled for nothing, yet poll() still reports a
 * hangup (both directions closed) or an error (a reset): the server is gone. */
static void on_socket_hangup(void)
{
	sess.sock_eof = true;
}

/* SO_LINGER {on, 0 s}: close() discards anything unsent and sends an RST. */
static void close_with_reset(void)
{
	struct linger hard = { .l_onoff = 1, .l_linger = 0 };
	if (setsockopt(sess.sock, SOL_SOCKET, SO_LINGER, &hard, sizeof hard) != 0)
		die("setsockopt SO_LINGER: %s", strerror(errno));
	close(sess.sock);
}

/* Stdout may be blocking (it is shared with whoever started us), so the last
 * bytes are written out the simple way before exiting. */
static void flush_stdout(void)
{
	while (!is_empty(&sess.down))
		if (drain(&sess.down, STDOUT_FILENO) < 0 && !transient(errno))
			die("write stdout: %s", strerror(errno));
}

/* ---- the loop ----------------------------------------------------------- */

/* Half-closes once stdin is done and sent. Returns true when the run is over. */
static bool advance_shutdown(void)
{
	if (sess.stdin_eof && is_empty(&sess.up) && !sess.sent_fin) {
		if (opt.reset) {
			flush_stdout();
			close_with_reset();
			return true;
		}
		if (shutdown(sess.sock, SHUT_WR) != 0)
			die("shutdown: %s", strerror(errno));
		sess.sent_fin = true;
	}
	return sess.sock_eof && is_empty(&sess.down);
}

static void loop_run(void)
{
	while (!advance_shutdown()) {
		/* An fd of -1 is skipped by poll(): we ask only for what we can use. */
		bool want_stdin = !sess.stdin_eof && is_empty(&sess.up);
		bool want_sock_in = !opt.no_read && !sess.sock_eof && is_empty(&sess.down);
		short sock_events = (short)((is_empty(&sess.up) ? 0 : POLLOUT)
					    | (want_sock_in ? POLLIN : 0));
		struct pollfd fds[3] = {
			{ .fd = want_stdin ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = sock_events || opt.no_read ? sess.sock : -1, .events = sock_events },
			{ .fd = is_empty(&sess.down) ? -1 : STDOUT_FILENO, .events = POLLOUT },
		};

		int n = poll(fds, 3, (int)opt.timeout_ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (n == 0)
			timed_out();
		if (fds[0].revents & CAN_READ)
			on_stdin_readable();
		if ((fds[1].revents & CAN_WRITE) && !is_empty(&sess.up))
			on_socket_writable();
		if ((fds[1].revents & CAN_READ) && want_sock_in)
			on_socket_readable();
		else if ((fds[1].revents & TROUBLE) && opt.no_read)
			on_socket_hangup();
		if (fds[2].revents & CAN_WRITE)
			on_stdout_writable();
	}
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	/* A server that resets while we write would otherwise kill us silently:
	 * we want write() to say EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);

	sess.sock = connect_to(opt.host, opt.port);
	loop_run();
	return 0;
}
