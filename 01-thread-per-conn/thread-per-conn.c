/*
 * 01-thread-per-conn — one thread per connection: the server the talk starts from.
 *
 * The slide's pseudo-C, made real: accept() in a loop, and for every connection a
 * thread that blocks in read() and write() until the client goes away. It is the
 * simplest correct echo server there is, and every connection costs a whole thread:
 * 8 MiB of reserved stack, a kernel stack, a scheduler entry. Step 02 serves the same
 * protocol with one thread and epoll.
 *
 * Protocol: every byte received is sent back, in order. When the client half-closes,
 * everything has already been written back (writes block), so the thread closes.
 *
 * Usage: thread-per-conn [--host ADDR] [--port N] [--trace]
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "thread-per-conn needs Linux (accept4, SOCK_CLOEXEC)"
#endif

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

/* ---- constants ---------------------------------------------------------- */

static const char *const prog = "thread-per-conn";

enum {
	BUF_SIZE = 16 * 1024,   /* one read()'s worth, on the thread's own stack */
	BACKLOG = 4096,         /* the kernel caps this at net.core.somaxconn */
};

/* ---- types -------------------------------------------------------------- */

struct options {
	const char *host;
	const char *port;
	bool trace;
};

/* ---- helpers ------------------------------------------------------------ */

static struct options opt = { .host = "127.0.0.1", .port = "8000" };
static atomic_int live_threads;

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
		"usage: %s [--host ADDR] [--port N] [--trace]\n"
		"  --host ADDR  address to listen on (default 127.0.0.1)\n"
		"  --port N     port to listen on, 0 for any free port (default 8000)\n"
		"  --trace      narrate every thread started and finished on stderr\n"
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

/* Binds and listens on HOST:PORT, prints the `listening on` line, returns the fd. */
static int listen_on(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai;
	int err = getaddrinfo(host, port, &hints, &ai);
	if (err != 0)
		die("cannot listen on %s:%s: %s", host, port, gai_strerror(err));

	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
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

/* Writes all LEN bytes, however many write() calls that takes: a write to a
 * socket may send fewer bytes than asked (a "short write") when the kernel's
 * send buffer fills up. Returns 0, or -1 with errno set. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- the connection's thread -------------------------------------------- */

/* Blocks in read() and write() for one connection, for as long as it lives. */
static void *serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[BUF_SIZE];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)             /* 0: the client half-closed; <0: reset, etc. */
			break;
		if (write_all(fd, buf, (size_t)n) != 0)
			break;
	}
	close(fd);
	int live = atomic_fetch_sub(&live_threads, 1) - 1;
	if (opt.trace)
		fprintf(stderr, "thread finished for fd %d (live threads: %d)\n", fd, live);
	return NULL;
}

/* Starts a detached thread for FD; on failure closes just that connection. */
static void start_thread(int fd)
{
	pthread_attr_t attr;
	pthread_t tid;

	/* Counted and told before it starts: the thread may finish (and say so)
	 * before pthread_create() has even returned here. */
	int live = atomic_fetch_add(&live_threads, 1) + 1;
	if (opt.trace)
		fprintf(stderr, "thread started for fd %d (live threads: %d)\n", fd, live);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int err = pthread_create(&tid, &attr, serve, (void *)(intptr_t)fd);
	pthread_attr_destroy(&attr);
	if (err != 0) {
		/* EAGAIN: out of threads, memory for stacks, or RLIMIT_NPROC. The
		 * server survives; this one client is turned away. */
		atomic_fetch_sub(&live_threads, 1);
		fprintf(stderr, "%s: cannot start a thread for fd %d: %s (connection closed)\n",
			prog, fd, strerror(err));
		close(fd);
	}
}

/* ---- the accept loop ---------------------------------------------------- */

static void accept_loop(int listen_fd)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			start_thread(fd);
			continue;
		}
		switch (errno) {
		case EINTR:
		case ECONNABORTED:      /* the client gave up before we got to it */
			continue;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM: {
			/* Out of fds or memory: the pending connection stays queued.
			 * This thread may simply wait for others to finish; step 02,
			 * which must never block, needs a better answer. */
			fprintf(stderr, "%s: accept: %s (retrying in 100 ms)\n", prog, strerror(errno));
			struct timespec pause = { 0, 100 * 1000 * 1000 };
			nanosleep(&pause, NULL);
			continue;
		}
		default:
			die("accept: %s", strerror(errno));
		}
	}
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	/* A peer that resets while we write would otherwise kill the whole process. */
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();

	int listen_fd = listen_on(opt.host, opt.port);
	accept_loop(listen_fd);
	return 0;
}
