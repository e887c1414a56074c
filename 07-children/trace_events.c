/*
 * trace_events.c — the --trace-events recorder: events into one buffer, the
 * buffer into the file in large writes, and the hooks every loop has (the poll,
 * the phases). Pool threads record too: the buffer has a mutex. Each kind of
 * handle's hooks are in trace_hooks.c.
 *
 * The file is {"displayTimeUnit":"ms","otherData":{...},"traceEvents":[ ... ]}
 * with every event after the first starting ",\n". Each write ends with the
 * closing "\n]}\n", and the next write starts over it: between writes the file
 * is always whole JSON, so even a server killed with SIGKILL leaves one that
 * opens, holding everything up to its last write.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "trace_events.c needs Linux (gettid)"
#endif

#include "trace_events.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/stat.h>

/* ---- constants ---------------------------------------------------------- */

enum {
	BUF_SIZE = 1 << 20,       /* one write's worth at most: large writes */
	EVENT_MAX = 2048,         /* one event's JSON, a long escaped name included */
	NAME_MAX_BYTES = 256,     /* of a name's bytes: enough to recognise it */
	RESERVE = 512,            /* kept free under the cap for the note and "]}" */
};

static const char trailer[] = "\n]}\n";

/* ---- types -------------------------------------------------------------- */

struct trace_events {
	pthread_mutex_t mutex;    /* the loop and the pool threads all record */
	int fd;
	int pid;
	const char *prog;
	uint64_t max_bytes;
	uint64_t written;         /* event bytes in the file, not the trailer after them */
	bool stopped;             /* the cap was reached: nothing more is recorded */
	uint64_t ids;             /* the last flow id given out */
	unsigned threads;         /* pool threads named so far */
	size_t len;
	char buf[BUF_SIZE + sizeof trailer];
};

/* ---- helpers ------------------------------------------------------------ */

uint64_t trace_events_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* gettid() is a system call: ask once per thread. */
static int thread_id(void)
{
	static _Thread_local int tid;
	if (tid == 0)
		tid = (int)gettid();
	return tid;
}

/* A line being built: put*() append to it, and stop at its end (the caller
 * then drops the event). snprintf() would do, at ten times the cost per event. */
struct line {
	char *p, *end;
};

static void put(struct line *l, const char *s)
{
	while (*s != '\0' && l->p < l->end)
		*l->p++ = *s++;
}

static void put_u64(struct line *l, uint64_t v)
{
	char digits[20];
	int n = 0;
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0 && l->p < l->end)
		*l->p++ = digits[--n];
}

/* The µs that Trace Event files count in, with the ns as 3 decimals. */
static void put_us(struct line *l, uint64_t ns)
{
	char frac[5] = { '.', (char)('0' + ns / 100 % 10), (char)('0' + ns / 10 % 10),
			 (char)('0' + ns % 10), '\0' };
	put_u64(l, ns / 1000);
	put(l, frac);
}

/* S as the inside of a JSON string. Bytes past ASCII become '?': a name may
 * come from a client, and a file with invalid UTF-8 would not parse. */
static void put_json(struct line *l, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strnlen(s, NAME_MAX_BYTES);
	for (size_t i = 0; i < n && l->end - l->p > 6; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			*l->p++ = '\\';
			*l->p++ = s[i];
		} else if (ch < 0x20) {
			char u[7] = { '\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15], '\0' };
			put(l, u);
		} else if (ch < 0x80) {
			*l->p++ = s[i];
		} else {
			*l->p++ = '?';
		}
	}
}

/* put_json() into OUT, terminated. */
static void json_string(char *out, size_t size, const char *s)
{
	struct line l = { out, out + size - 1 };
	put_json(&l, s);
	*l.p = '\0';
}

void trace_events_escape(char *out, size_t size, const char *s)
{
	json_string(out, size, s);
}

/* A write failed part-way (a full disk, a file size limit): what did go in
 * overwrote the trailer of the last whole write, and the file ends mid-event.
 * Put that trailer back and cut the file after it. This needs no new space:
 * those bytes were the file's already. */
static void restore_trailer(const struct trace_events *te)
{
	off_t at = (off_t)te->written;
	if (pwrite(te->fd, trailer, sizeof trailer - 1, at) != (ssize_t)(sizeof trailer - 1) ||
	    ftruncate(te->fd, at + (off_t)(sizeof trailer - 1)) != 0)
		fprintf(stderr, "%s: --trace-events: cannot restore the file's end: %s\n",
			te->prog, strerror(errno));
}

/* Writes the buffer and the trailer at the end of the events written so far,
 * over the previous trailer. A failed write stops recording (it is not worth
 * failing the server for), with errno saying why; the file keeps its last
 * whole write. */
static void flush_locked(struct trace_events *te)
{
	if (te->stopped)
		te->len = 0;
	if (te->len == 0)
		return;
	memcpy(te->buf + te->len, trailer, sizeof trailer - 1);
	size_t len = te->len + sizeof trailer - 1, off = 0;
	while (off < len) {
		ssize_t n = pwrite(te->fd, te->buf + off, len - off, (off_t)(te->written + off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : ENOSPC;
			fprintf(stderr, "%s: --trace-events: write: %s; recording stopped\n",
				te->prog, strerror(err));
			restore_trailer(te);
			te->stopped = true;
			te->len = 0;
			errno = err;
			return;
		}
		off += (size_t)n;
	}
	te->written += te->len;
	te->len = 0;
}

void trace_events_flush(struct trace_events *te)
{
	if (te == NULL)
		return;
	pthread_mutex_lock(&te->mutex);
	flush_locked(te);
	pthread_mutex_unlock(&te->mutex);
}

static void append(struct trace_events *te, const char *s, size_t len)
{
	if (te->len + len > BUF_SIZE)
		flush_locked(te);
	memcpy(te->buf + te->len, s, len);
	te->len += len;
}

/* EV as one line of the file, into OUT; returns its length, or 0 if it did
 * not fit. */
static size_t format_event(const struct trace_events *te, const struct trace_event *ev,
			   char *out, size_t size)
{
	struct line l = { out, out + size };
	char ph[2] = { ev->ph, '\0' };
	put(&l, ",\n{\"ph\":\"");
	put(&l, ph);
	put(&l, "\",\"cat\":\"");
	put(&l, ev->cat);
	put(&l, "\",\"name\":\"");
	put_json(&l, ev->name);
	put(&l, "\",\"pid\":");
	put_u64(&l, (uint64_t)te->pid);
	put(&l, ",\"tid\":");
	put_u64(&l, (uint64_t)thread_id());
	put(&l, ",\"ts\":");
	put_us(&l, ev->ts);
	if (ev->ph == 'X') {
		put(&l, ",\"dur\":");
		put_us(&l, ev->dur);
	} else if (ev->ph == 'i') {
		put(&l, ",\"s\":\"t\"");     /* on its thread's track */
	} else {
		/* A flow's finish binds to the slice around it ("bp":"e"), as
		 * the completion callback is: the arrow ends on that callback. */
		put(&l, ",\"id\":");
		put_u64(&l, ev->id);
		if (ev->ph == 'f')
			put(&l, ",\"bp\":\"e\"");
	}
	if (ev->args != NULL) {
		put(&l, ",\"args\":{");
		put(&l, ev->args);
		put(&l, "}");
	}
	put(&l, "}");
	return l.p < l.end ? (size_t)(l.p - out) : 0;
}

/* The cap is checked against what the file will hold: written + buffered. */
static void stop_at_cap(struct trace_events *te)
{
	char line[EVENT_MAX], args[64];
	snprintf(args, sizeof args, "\"max_mb\":%llu",
		 (unsigned long long)(te->max_bytes >> 20));
	struct trace_event note = {
		.ph = 'i', .cat = "trace", .ts = trace_events_now(), .args = args,
		.name = "--trace-events-max reached: recording stopped",
	};
	size_t len = format_event(te, &note, line, sizeof line);
	append(te, line, len);
	flush_locked(te);
	te->stopped = true;
	fprintf(stderr, "%s: --trace-events: the file reached --trace-events-max %llu MB;"
		" recording stopped\n", te->prog, (unsigned long long)(te->max_bytes >> 20));
}

void trace_events_add(struct trace_events *te, const struct trace_event *ev)
{
	char line[EVENT_MAX];
	size_t len = format_event(te, ev, line, sizeof line);
	pthread_mutex_lock(&te->mutex);
	if (te->stopped)
		;
	else if (te->written + te->len + len + RESERVE > te->max_bytes)
		stop_at_cap(te);
	else
		append(te, line, len);
	pthread_mutex_unlock(&te->mutex);
}

unsigned trace_events_thread_number(struct trace_events *te)
{
	pthread_mutex_lock(&te->mutex);
	unsigned n = ++te->threads;
	pthread_mutex_unlock(&te->mutex);
	return n;
}

uint64_t trace_events_id(struct trace_events *te)
{
	pthread_mutex_lock(&te->mutex);
	uint64_t id = ++te->ids;
	pthread_mutex_unlock(&te->mutex);
	return id;
}

void trace_events_name_thread(struct trace_events *te, const char *name)
{
	char line[EVENT_MAX], s[NAME_MAX_BYTES * 6 + 8];
	json_string(s, sizeof s, name);
	int n = snprintf(line, sizeof line,
		",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%d,"
		"\"args\":{\"name\":\"%s\"}}", te->pid, thread_id(), s);
	pthread_mutex_lock(&te->mutex);
	if (n > 0 && (size_t)n < sizeof line)
		append(te, line, (size_t)n);
	pthread_mutex_unlock(&te->mutex);
}

/* PATH created or truncated, for writing. Only a regular file will do: the
 * events go in at offsets (pwrite()), and opening a FIFO that has no reader
 * would block for good, before the server even listens. O_NONBLOCK makes that
 * open fail at once (ENXIO) instead, and the flag is cleared once the file is
 * known to be regular. Returns the fd, or -1 with errno set: ENODEV for a
 * FIFO, a device or a socket. */
static int open_regular(const char *path)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == ENXIO)     /* a FIFO nobody reads, or a socket */
			errno = ENODEV;
		return -1;
	}
	int err = 0;
	if (fstat(fd, &st) != 0)
		err = errno;
	else if (!S_ISREG(st.st_mode))
		err = ENODEV;
	else if (ftruncate(fd, 0) != 0 || fcntl(fd, F_SETFL, 0) != 0)
		err = errno;
	if (err != 0) {
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

struct trace_events *trace_events_open(const char *path, uint64_t max_bytes,
				       const char *prog, const char *step)
{
	int fd = open_regular(path);
	if (fd < 0)
		return NULL;
	struct trace_events *te = malloc(sizeof *te);
	if (te == NULL) {
		close(fd);
		return NULL;
	}
	te->fd = fd;
	pthread_mutex_init(&te->mutex, NULL);
	te->pid = (int)getpid();
	te->prog = prog;
	te->max_bytes = max_bytes;
	te->written = 0;
	te->stopped = false;
	te->len = 0;
	te->ids = 0;
	te->threads = 0;

	char head[512];
	int n = snprintf(head, sizeof head,
		"{\"displayTimeUnit\":\"ms\",\"otherData\":{\"step\":\"%s\",\"clock\":\"CLOCK_MONOTONIC\"},"
		"\"traceEvents\":[\n"
		"{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"tid\":%d,"
		"\"args\":{\"name\":\"%s\"}}", step, te->pid, thread_id(), step);
	append(te, head, (size_t)n);
	trace_events_name_thread(te, "loop");
	flush_locked(te);
	if (te->stopped) {             /* not even the head fits: say so now */
		int err = errno;
		close(fd);
		pthread_mutex_destroy(&te->mutex);
		free(te);
		errno = err;
		return NULL;
	}
	return te;
}

void trace_events_close(struct trace_events *te)
{
	if (te == NULL)
		return;
	trace_events_flush(te);
	close(te->fd);
	pthread_mutex_destroy(&te->mutex);
	free(te);
}

/* ---- the loop's hooks --------------------------------------------------- */

void trace_slice(struct trace_events *te, const char *cat, const char *name,
		 uint64_t start, const char *args)
{
	struct trace_event ev = { .ph = 'X', .cat = cat, .name = name, .ts = start,
				  .dur = trace_events_now() - start, .args = args };
	trace_events_add(te, &ev);
}

/* Writing just before the loop may sleep costs a busy loop nothing (its polls
 * do not wait) and leaves the file whole up to here if the process is killed. */
uint64_t trace_poll_start(struct trace_events *te, int timeout)
{
	if (timeout != 0)
		trace_events_flush(te);
	return trace_events_now();
}

void trace_poll(struct trace_events *te, uint64_t start, unsigned long tick,
		int timeout, const char *why, int n)
{
	char name[96], woke[32], args[128];
	if (timeout < 0)
		snprintf(name, sizeof name, "poll wait=forever (%s)", why);
	else
		snprintf(name, sizeof name, "poll wait=%dms (%s)", timeout, why);
	if (n < 0)
		snprintf(woke, sizeof woke, "interrupted (EINTR)");
	else if (n == 0)
		snprintf(woke, sizeof woke, "timeout");
	else
		snprintf(woke, sizeof woke, "%d fd%s", n, n == 1 ? "" : "s");
	snprintf(args, sizeof args, "\"tick\":%lu,\"timeout_ms\":%d,\"woke\":\"%s\"",
		 tick, timeout, woke);
	trace_slice(te, "loop", name, start, args);
}

const char *trace_events_name(uint32_t events)
{
	if (events & (EPOLLERR | EPOLLHUP))
		return "hung up";
	if ((events & EPOLLIN) && (events & EPOLLOUT))
		return "readable+writable";
	return events & EPOLLIN ? "readable" : events & EPOLLOUT ? "writable" : "half-closed";
}
