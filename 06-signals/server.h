/*
 * server.h — what the server's files share: its options, its connections,
 * and the calls a command makes to answer on its connection.
 *
 * server.c is the program (options, the listener, main); conn.c is one
 * connection's byte stream, input.c what its bytes mean; commands.c is the protocol's commands, and cat.c
 * the one that streams a file from the thread pool.
 */
#ifndef SERVER_H
#define SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "pool.h"

enum { MAX_LINE = 1024 };       /* longest command line, in bytes */

struct options {
	const char *host;
	const char *port;
	bool trace;
	const char *trace_events;   /* the file to record the run in, or NULL */
	unsigned long trace_events_max_mb;
	uint64_t idle_timeout_ms;   /* 0: off */
	uint64_t stats_interval_ms; /* 0: off */
	const char *root;           /* /cat serves files below this directory */
	uint64_t shutdown_timeout_ms; /* then a graceful shutdown force-closes */
};

/* Where a connection's input stands in the stream of data and commands. */
enum input_state {
	AT_LINE_START,          /* a '/' here starts a command */
	IN_DATA,                /* echoing, up to the next '\n' */
	IN_COMMAND,             /* reading a command line into `line` */
};

struct conn;

/* Every pool job a command starts begins with this. If the client goes away
 * while the job runs, `conn` becomes NULL and the job only cleans up. A
 * request that waits on the socket instead, with no job in flight, sets
 * `abandon`: conn_close() calls it, as nothing else would free the request. */
struct request {
	struct work work;
	struct conn *conn;
	void (*abandon)(struct request *r);
};

/* One client. An idle connection is just this struct: the buffers below are
 * allocated only while they hold something. */
struct conn {
	struct io io;           /* first member: the loop hands callbacks &io */
	struct timer timer;     /* /sleep's, or the idle timeout's: never both */
	enum input_state state;
	bool busy;              /* a command is in flight: stop reading */
	bool eof;               /* the client half-closed: finish, flush, close */
	bool quitting;          /* close once the out-buffer is flushed */
	bool rdhup;             /* EPOLLRDHUP seen: stop asking for it */
	bool lingering;         /* shut down for writing: drop input, then close */
	bool closed;            /* conn_close() done; memory freed after this tick */
	uint64_t sleep_ms;      /* the /sleep in flight */
	struct request *req;    /* the pool job in flight, if any */
	void (*on_drain)(struct conn *c);   /* once the out-buffer runs low */
	struct conn *prev, *next;           /* every connection, for shutdown */
	char *line;             /* the command line read so far */
	size_t line_len;
	char *in;               /* input held back while busy: in[in_off..in_len) */
	size_t in_off, in_len;
	char *out;              /* unsent bytes: out[out_off..out_len) */
	size_t out_off, out_len, out_cap;
};

extern const char *const prog;
extern struct options opt;
extern struct loop loop;
extern unsigned long conn_count;
extern bool shutting_down;      /* finish what is in flight, accept nothing new */
extern int root_fd;             /* --root, opened once */
extern const char *root_path;   /* ...and its real path, without symlinks */

/* Serves the accepted socket FD (non-blocking) as a new connection. */
void conn_start(int fd);
/* Shutdown: closes every idle connection now, the others once their command
 * has answered and the answer is sent. */
void conn_shutdown_all(void);
/* Shutdown timeout: closes every connection, whatever it is doing. */
void conn_close_all(void);
/* Sends LEN bytes on C, keeping what the socket won't take yet.
 * Returns 0, or -1 when C is broken. */
int conn_write(struct conn *c, const char *buf, size_t len);
/* True when C's out-buffer is low enough to queue more (a /cat chunk). */
bool conn_drained(const struct conn *c);
/* Closes C at once, whatever is pending (a /cat whose file shrank). */
void conn_close(struct conn *c);
/* True when C's out-buffer is over its high-water mark: feed it no more. */
bool conn_full(const struct conn *c);
/* Queues a reply line (printf-style; the '\n' is added) on C. */
void conn_reply(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Marks C busy: no more input is read from it until conn_done(). */
void conn_busy(struct conn *c);
/* The command in flight on C has replied: carry on with C's input. */
void conn_done(struct conn *c);
/* Replies and then closes C once everything queued has been sent. */
void conn_quit(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The `stats ...` line (PROTOCOL.md), without its '\n', into BUF. */
void stats_line(char *buf, size_t size);

/* The protocol on the bytes C reads (input.c). conn_feed() echoes data and
 * runs command lines from BUF, stopping early while C is busy, over its
 * high-water mark or quitting, and returns how many bytes it used; conn_hold()
 * keeps the rest (-1: out of memory) and conn_feed_held() takes it up again
 * when C can. conn_run_line() runs the command line read so far. */
size_t conn_feed(struct conn *c, const char *buf, size_t len);
int conn_hold(struct conn *c, const char *buf, size_t len);
void conn_feed_held(struct conn *c);
void conn_run_line(struct conn *c);

/* Runs the command LINE (starting with '/', no '\n') on C. */
void command_run(struct conn *c, char *line);
/* /cat PATH (cat.c). */
void command_cat(struct conn *c, const char *path);
/* C's timer fired while C was busy with a command. */
void command_timer(struct conn *c);

#endif
