/*
 * input.c — what a connection's bytes mean: the protocol's input side.
 *
 * Data is echoed as it comes; a line starting with '/' is a command, read up to
 * its '\n' and run. Input the connection cannot take yet waits in `in`: while a
 * command is in flight (replies keep request order) and while the out-buffer is
 * over its high-water mark (a client that sends commands and never reads gets
 * only that much of them run). conn.c reads the socket and calls in here.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "input.c needs Linux"
#endif

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "server.h"

/* ---- helpers ------------------------------------------------------------ */

/* Runs the command line read so far; the line buffer is freed after it. */
void conn_run_line(struct conn *c)
{
	/* A '\r' before the '\n' comes from telnet-style clients: ignore it. */
	if (c->line_len > 0 && c->line[c->line_len - 1] == '\r')
		c->line_len--;
	c->line[c->line_len] = '\0';
	command_run(c, c->line);
	free(c->line);
	c->line = NULL;
	c->line_len = 0;
	c->state = AT_LINE_START;
}

/* Appends N bytes to the command line being read. -1: longer than MAX_LINE.
 * The limit does not count a '\r' just before the '\n': the line may hold one
 * byte more while that byte is a '\r', which conn_run_line() drops. */
static int line_append(struct conn *c, const char *p, size_t n)
{
	if (c->line == NULL && (c->line = malloc(MAX_LINE + 2)) == NULL)
		return -1;
	if (c->line_len + n > MAX_LINE + 1)
		return -1;
	memcpy(c->line + c->line_len, p, n);
	c->line_len += n;
	if (c->line_len == MAX_LINE + 1 && c->line[MAX_LINE] != '\r')
		return -1;
	return 0;
}

/* The protocol: echo data as it comes, take lines starting with '/' as commands.
 * Stops early when a command is in flight (replies must keep request order),
 * when the out-buffer is over its high-water mark (or a client that sends many
 * commands in one go and never reads would have them all run and buffered), or
 * the connection is quitting. Returns how many bytes of BUF it used. */
size_t conn_feed(struct conn *c, const char *buf, size_t len)
{
	size_t i = 0;
	while (i < len && !c->busy && !c->quitting && !conn_full(c)) {
		if (c->state == AT_LINE_START)
			c->state = buf[i] == '/' ? IN_COMMAND : IN_DATA;
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;
		if (c->state == IN_COMMAND) {
			if (line_append(c, buf + i, n) != 0) {
				conn_quit(c, "error: command too long (max %d bytes)", MAX_LINE);
				return len;
			}
			i += n;
			if (nl) {
				i++;
				conn_run_line(c);
			}
		} else {
			/* The data lines that follow, up to the next command, go
			 * in the same write: one send() per line made a read of
			 * 64 KiB of "y\n" cost 32,768 of them, and the loop half
			 * a second, in one callback. */
			size_t end = nl ? (size_t)(nl - buf) + 1 : len;
			while (nl != NULL && end < len && buf[end] != '/') {
				nl = memchr(buf + end, '\n', len - end);
				end = nl ? (size_t)(nl - buf) + 1 : len;
			}
			if (conn_write(c, buf + i, end - i) != 0)
				c->quitting = true;
			i = end;
			if (nl)
				c->state = AT_LINE_START;
		}
	}
	return i;
}

/* Keeps what conn_feed() could not take yet: conn_feed_held() takes it up again
 * once the command in flight is done or the out-buffer has drained. */
int conn_hold(struct conn *c, const char *buf, size_t len)
{
	char *copy = malloc(len);
	if (copy == NULL)
		return -1;
	memcpy(copy, buf, len);
	c->in = copy;
	c->in_off = 0;
	c->in_len = len;
	return 0;
}

/* Feeds the input held back in `in` as far as C takes it now. */
void conn_feed_held(struct conn *c)
{
	if (c->in == NULL)
		return;
	c->in_off += conn_feed(c, c->in + c->in_off, c->in_len - c->in_off);
	if (c->in_off == c->in_len) {
		free(c->in);
		c->in = NULL;
	}
}
