/*
 * cat.c — /cat PATH: a file streamed to the client, read on the thread pool.
 *
 * A regular file is always "ready" to epoll (it refuses to watch one), yet a
 * read may wait for the disk. So, like Node's fs.createReadStream on libuv, the
 * open and every read run on a pool thread, one 64 KiB chunk at a time, and the
 * next chunk is read only once the socket has taken most of the last one: a
 * 1 GiB file never sits in memory, and a slow client slows the reads.
 *
 * PATH must stay below --root: no absolute paths, no '..', and no symlink out.
 * The file is confined before it is opened, so a link to a device or a FIFO
 * outside the root is refused without the side effects of opening it.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "cat.c needs Linux (/proc/self/fd)"
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "loop.h"
#include "pool.h"
#include "server.h"

/* ---- constants ---------------------------------------------------------- */

enum { CHUNK = 64 * 1024 };

/* ---- types -------------------------------------------------------------- */

struct cat {
	struct request req;     /* first: the pool hands back &req.work */
	int fd;
	int err;                /* errno of the open, or 0 */
	const char *why;        /* ...or our own reason for refusing */
	off_t size;             /* fixed at open: a growing file sends no more */
	off_t offset;           /* bytes sent so far */
	char *chunk;
	ssize_t chunk_len;      /* read and not yet sent; <= 0: the read failed */
	bool in_flight;         /* a pool job runs: its done callback frees us */
	char path[];            /* as the client wrote it, for error lines */
};

/* ---- helpers ------------------------------------------------------------ */

static void cat_free(struct cat *k)
{
	if (k->fd >= 0)
		close(k->fd);   /* a regular file's close doesn't wait for the disk */
	free(k->chunk);
	free(k);
}

/* The checks that need no file system: they can answer at once. */
static const char *path_refusal(const char *path)
{
	if (*path == '\0')
		return "usage: /cat PATH";
	if (*path == '/')
		return "absolute paths are not allowed";
	for (const char *p = path; *p != '\0'; p += strcspn(p, "/"), p += *p == '/') {
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			return "'..' is not allowed";
	}
	return NULL;
}

/* The client has gone (conn_close()). A job in flight frees K once it is
 * done; between jobs, waiting for the socket, nothing else would: free it now. */
static void cat_abandon(struct request *r)
{
	struct cat *k = (struct cat *)r;
	if (!k->in_flight)
		cat_free(k);
}

/* Is the file FD found below the root? /proc/self/fd/N names it with every
 * symlink resolved, so a link that leads out is caught, and there is no window
 * for the link to change between the check and the open: the file is reopened
 * through the fd, not through its path. */
static bool inside_root(int fd)
{
	char link[64], real[PATH_MAX];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, real, sizeof real - 1);
	if (n < 0)
		return false;
	real[n] = '\0';
	size_t len = strlen(root_path);
	return strncmp(real, root_path, len) == 0 && (len == 1 || real[len] == '/');
}

/* Finds PATH below the root as an O_PATH fd: a handle that reads nothing, so
 * finding a tty, a device or a FIFO has none of the side effects opening one
 * has. Linux 5.6+ confines the lookup itself: with RESOLVE_BENEATH a symlink
 * or a magic link leading out fails with EXDEV or ELOOP. glibc has no wrapper
 * for openat2, hence syscall(). An older kernel says ENOSYS (a container's
 * seccomp filter that predates it may say EPERM): then the file found is
 * checked afterwards. Returns the fd, or -1 with errno set (EXDEV: outside). */
static int find_beneath(const char *path)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return fd;
	fd = openat(root_fd, path, O_PATH | O_CLOEXEC);
	if (fd >= 0 && !inside_root(fd)) {
		close(fd);
		errno = EXDEV;
		return -1;
	}
	return fd;
}

/* Opens for reading the very file PATH_FD found (whatever its path names by
 * now). O_NOCTTY, belt and braces: only a regular file gets this far. */
static int reopen_for_reading(int path_fd)
{
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", path_fd);
	return open(link, O_RDONLY | O_NOCTTY | O_CLOEXEC);
}

/* A file whose size says 0 may have content all the same: /proc and sysfs
 * make theirs up as it is read. So it is read to its end now, up to one chunk,
 * and the header's SIZE is what was read; a longer one is refused rather than
 * announced as something it is not. */
static void read_sizeless(struct cat *k)
{
	size_t got = 0;
	if ((k->chunk = malloc(CHUNK + 1)) == NULL) {
		k->err = ENOMEM;
		return;
	}
	for (;;) {
		ssize_t n = read(k->fd, k->chunk + got, CHUNK + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			k->err = errno;
			return;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > CHUNK) {
			k->why = "size unknown and over 65536 bytes";
			return;
		}
	}
	k->size = (off_t)got;
	k->chunk_len = (ssize_t)got;
}

/* ---- pool jobs: they run on a pool thread and touch only their struct cat - */

static void cat_open_work(struct work *w)
{
	struct cat *k = (struct cat *)w;
	struct stat st;

	int path_fd = find_beneath(k->path);
	if (path_fd < 0) {
		if (errno == EXDEV)
			k->why = "outside the root";
		else
			k->err = errno;
		return;
	}
	if (fstat(path_fd, &st) != 0)
		k->err = errno;
	else if (S_ISDIR(st.st_mode))
		k->err = EISDIR;
	else if (!S_ISREG(st.st_mode))
		k->why = "not a regular file";          /* refused unopened */
	else if ((k->fd = reopen_for_reading(path_fd)) < 0)
		k->err = errno;
	else if (st.st_size == 0)
		read_sizeless(k);
	else
		k->size = st.st_size;
	close(path_fd);
}

static void cat_read_work(struct work *w)
{
	struct cat *k = (struct cat *)w;
	off_t left = k->size - k->offset;
	size_t want = left < CHUNK ? (size_t)left : CHUNK;

	if (k->chunk == NULL && (k->chunk = malloc(CHUNK)) == NULL) {
		k->chunk_len = -1;
		return;
	}
	do
		k->chunk_len = pread(k->fd, k->chunk, want, k->offset);
	while (k->chunk_len < 0 && errno == EINTR);
}

/* ---- back on the loop thread -------------------------------------------- */

static void cat_read_done(struct work *w);

static void cat_finish(struct cat *k, struct conn *c)
{
	c->req = NULL;
	cat_free(k);
	conn_done(c);
}

/* Reads the next chunk; the connection stays busy meanwhile. */
static void cat_next(struct conn *c)
{
	struct cat *k = (struct cat *)c->req;
	k->in_flight = true;
	k->req.work.what = "/cat chunk";
	if (pool_submit(&loop, &k->req.work, cat_read_work, cat_read_done) != 0) {
		c->req = NULL;
		cat_free(k);
		conn_close(c);  /* the header promised SIZE bytes we cannot send */
	}
}

/* A chunk has been read: send it, then read the next once the socket takes it. */
static void cat_send(struct cat *k, struct conn *c)
{
	if (k->chunk_len <= 0) {
		/* The file shrank (or the disk failed) after we promised SIZE
		 * bytes: closing is the only honest answer, a short body. */
		c->req = NULL;
		cat_free(k);
		conn_close(c);
		return;
	}
	if (conn_write(c, k->chunk, (size_t)k->chunk_len) != 0) {
		c->req = NULL;
		cat_free(k);
		conn_close(c);
		return;
	}
	k->offset += k->chunk_len;
	if (k->offset >= k->size)
		cat_finish(k, c);
	else if (conn_drained(c))
		cat_next(c);
	else
		c->on_drain = cat_next;         /* backpressure: wait for the socket */
}

static void cat_read_done(struct work *w)
{
	struct cat *k = (struct cat *)w;
	struct conn *c = k->req.conn;
	k->in_flight = false;
	if (c == NULL) {                /* the client went away meanwhile */
		cat_free(k);
		return;
	}
	cat_send(k, c);
}

static void cat_open_done(struct work *w)
{
	struct cat *k = (struct cat *)w;
	struct conn *c = k->req.conn;
	k->in_flight = false;
	if (c == NULL) {
		cat_free(k);
		return;
	}
	if (k->err != 0 || k->why != NULL) {
		conn_reply(c, "error: cat %s: %s", k->path, k->why ? k->why : strerror(k->err));
		cat_finish(k, c);
		return;
	}
	conn_reply(c, "file %lld", (long long)k->size);
	if (k->size == 0)
		cat_finish(k, c);
	else if (k->chunk_len > 0)
		cat_send(k, c);         /* read already: it had no size (/proc) */
	else
		cat_next(c);
}

/* ---- the command -------------------------------------------------------- */

void command_cat(struct conn *c, const char *path)
{
	const char *why = path_refusal(path);
	if (why != NULL) {
		conn_reply(c, "error: cat %s: %s", path, why);
		return;
	}
	struct cat *k = calloc(1, sizeof *k + strlen(path) + 1);
	if (k == NULL) {
		conn_reply(c, "error: cat %s: out of memory", path);
		return;
	}
	strcpy(k->path, path);
	k->fd = -1;
	k->req.conn = c;
	k->req.abandon = cat_abandon;
	k->in_flight = true;
	k->req.work.what = "/cat open";
	if (pool_submit(&loop, &k->req.work, cat_open_work, cat_open_done) != 0) {
		conn_reply(c, "error: cat %s: cannot start the thread pool: %s", path,
			   strerror(errno));
		free(k);
		return;
	}
	c->req = &k->req;
	conn_busy(c);
}
