/*
 * server.h — what the server's files share: its options, its connections,
 * and the calls a command makes to answer on its connection.
 *
 * server.c is the program (options, the listener, main); conn.c is one
 * connection's byte stream, input.c what its bytes mean; commands.c is the protocol's commands.
 */
#ifndef SERVER_H
#define SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

enum { MAX_LINE = 1024 };       /* longest command line, in bytes */

struct options {
	const char *host;
	const char *port;
	bool trace;
	const char *trace_events;   /* the file to record the run in, or NULL */
	unsigned long trace_events_max_mb;
	uint64_t idle_timeout_ms;   /* 0: off */
	uint64_t stats_interval_ms; /* 0: off */
};

/* Where a connection's input stands in the stream of data and commands. */
enum input_state {
	AT_LINE_START,          /* a '/' here starts a command */
	IN_DATA,                /* echoing, up to the next '\n' */
	IN_COMMAND,             /* reading a command line into `line` */
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
	uint64_t sleep_ms;      /* the /sleep in flight */
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

/* Serves the accepted socket FD (non-blocking) as a new connection. */
void conn_start(int fd);
/* Sends LEN bytes on C, keeping what the socket won't take yet.
 * Returns 0, or -1 when C is broken. */
int conn_write(struct conn *c, const char *buf, size_t len);
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
/* C's timer fired while C was busy with a command. */
void command_timer(struct conn *c);

#endif
