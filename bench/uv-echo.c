/*
 * uv-echo — a byte-echo server written the usual libuv way, for `make bench`.
 *
 * The yardstick the kit's own servers are measured against: the same protocol
 * as 02-epoll-echo (every byte sent back, in order), written the way libuv's
 * examples and its own test/echo-server.c write it, with no tuning:
 * uv_read_start() with an alloc_cb that mallocs a fresh buffer for every read,
 * one uv_write() per read whose callback frees that buffer, uv_shutdown() on
 * EOF. So an idle connection holds no buffer, only its uv_tcp_t: the
 * "few hundred bytes per connection" the talk credits Node with.
 *
 * Like the kit's servers it ignores SIGPIPE (libuv does not; Node does). It
 * leaves the fd limit alone: libuv does not raise it, so bench/run raises it
 * in the shell that starts this server, as a user of libuv would.
 *
 * Usage: uv-echo [--host ADDR] [--port N]    (prints `listening on HOST:PORT`)
 */
#define _GNU_SOURCE

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <uv.h>

/* ---- constants ---------------------------------------------------------- */

static const char *const prog = "uv-echo";

enum { BACKLOG = 4096 };        /* the kernel caps this at net.core.somaxconn */

/* ---- types -------------------------------------------------------------- */

struct options {
	const char *host;
	unsigned long port;
};

/* A write request carries the buffer it sends, so its callback can free both. */
struct echo_write {
	uv_write_t req;
	uv_buf_t buf;
};

/* ---- helpers ------------------------------------------------------------ */

static struct options opt = { .host = "127.0.0.1", .port = 8000 };
static uv_tcp_t listener;

static void usage(FILE *to, int status)
{
	fprintf(to,
		"usage: %s [--host ADDR] [--port N]\n"
		"  --host ADDR  address to listen on (default 127.0.0.1)\n"
		"  --port N     port to listen on, 0 for any free port (default 8000)\n"
		"  --help       show this help\n",
		prog);
	exit(status);
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'H': opt.host = optarg; break;
		case 'p':
			errno = 0;
			opt.port = strtoul(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || errno != 0
			    || opt.port > 65535) {
				fprintf(stderr, "%s: bad port '%s'\n", prog, optarg);
				usage(stderr, 2);
			}
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

/* Setup failures only, with libuv's name for the error. */
static void check(int err, const char *what)
{
	if (err == 0)
		return;
	fprintf(stderr, "%s: cannot listen on %s:%lu: %s: %s\n", prog, opt.host, opt.port,
		what, uv_strerror(err));
	exit(1);
}

/* Prints the `listening on` line with the real port (--port 0 picks one). */
static void announce(void)
{
	struct sockaddr_storage ss;
	int len = sizeof ss;
	char name[64];
	int port;
	uv_tcp_getsockname(&listener, (struct sockaddr *)&ss, &len);
	if (ss.ss_family == AF_INET6) {
		uv_ip6_name((struct sockaddr_in6 *)&ss, name, sizeof name);
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		uv_ip4_name((struct sockaddr_in *)&ss, name, sizeof name);
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	printf("listening on %s:%d\n", name, port);
	fflush(stdout);
}

/* ---- callbacks ---------------------------------------------------------- */

static void on_close(uv_handle_t *h)
{
	free(h);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	(void)status;
	uv_close((uv_handle_t *)req->handle, on_close);
	free(req);
}

/* The libuv idiom: a fresh buffer of the suggested size (64 KiB) per read. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	buf->base = malloc(suggested);
	buf->len = buf->base != NULL ? suggested : 0;
}

static void on_written(uv_write_t *req, int status)
{
	struct echo_write *w = (struct echo_write *)req;
	if (status != 0 && !uv_is_closing((uv_handle_t *)req->handle))
		uv_close((uv_handle_t *)req->handle, on_close);
	free(w->buf.base);
	free(w);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	if (nread > 0) {
		/* The read buffer becomes the write buffer: no copy. */
		struct echo_write *w = malloc(sizeof *w);
		if (w == NULL) {
			free(buf->base);
			uv_close((uv_handle_t *)s, on_close);
			return;
		}
		w->buf = uv_buf_init(buf->base, (unsigned)nread);
		if (uv_write(&w->req, s, &w->buf, 1, on_written) != 0) {
			free(buf->base);
			free(w);
			uv_close((uv_handle_t *)s, on_close);
		}
		return;
	}
	free(buf->base);        /* nread 0 (EAGAIN) or an error: the buffer is unused */
	if (nread == UV_EOF) {
		/* The client half-closed: our writes so far go out first, then FIN. */
		uv_shutdown_t *req = malloc(sizeof *req);
		if (req != NULL && uv_shutdown(req, s, on_shutdown) == 0)
			return;
		free(req);
	}
	if (nread < 0 && !uv_is_closing((uv_handle_t *)s))
		uv_close((uv_handle_t *)s, on_close);
}

static void on_connection(uv_stream_t *server, int status)
{
	if (status != 0) {
		fprintf(stderr, "%s: accept: %s\n", prog, uv_strerror(status));
		return;
	}
	uv_tcp_t *client = malloc(sizeof *client);
	if (client == NULL)
		return;
	uv_tcp_init(server->loop, client);
	if (uv_accept(server, (uv_stream_t *)client) != 0
	    || uv_read_start((uv_stream_t *)client, on_alloc, on_read) != 0)
		uv_close((uv_handle_t *)client, on_close);
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	/* A peer that resets while we write would otherwise kill the process. */
	signal(SIGPIPE, SIG_IGN);

	uv_loop_t *loop = uv_default_loop();
	struct sockaddr_storage addr;
	if (uv_ip4_addr(opt.host, (int)opt.port, (struct sockaddr_in *)&addr) != 0)
		check(uv_ip6_addr(opt.host, (int)opt.port, (struct sockaddr_in6 *)&addr),
		      "bad address");
	check(uv_tcp_init(loop, &listener), "uv_tcp_init");
	check(uv_tcp_bind(&listener, (const struct sockaddr *)&addr, 0), "bind");
	check(uv_listen((uv_stream_t *)&listener, BACKLOG, on_connection), "listen");
	announce();
	return uv_run(loop, UV_RUN_DEFAULT);
}
