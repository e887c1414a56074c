/*
 * signal.c — signal handles: Unix signals delivered as loop callbacks.
 *
 * A signal handler may interrupt the program anywhere, even inside malloc(),
 * so it may call only async-signal-safe functions, and must leave errno alone.
 * Ours does the least it can: it writes the signal's number to a pipe whose
 * read end is in the epoll set. The loop reads the numbers back and calls the
 * handles watching them, on the loop thread, where anything is allowed. This is
 * libuv's design too (libuv keeps one such pipe per loop; we have one loop).
 * Unlike libuv, which writes one message per signal caught, we coalesce: many
 * signals of one number before the loop looks make one callback, as the kernel
 * itself does for a signal that is already pending.
 *
 * Handlers use SA_RESTART, so most blocking calls resume after a signal; the
 * ones that don't (epoll_wait() always fails with EINTR) are retried where they
 * are made.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "signal.c needs Linux (pipe2)"
#endif

#include "loop.h"
#include "trace_events.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

/* ---- the handler: runs on whatever thread the kernel picks ---------------- */

/* Signal handlers are process-wide, so the pipe is too. */
static int signal_wfd = -1;

/* One flag per signal number, raised by the handler, lowered by the loop (the
 * pattern of async.c): only the handler that raises it writes a byte, so the
 * pipe holds at most one byte per signal number and can never fill up. A storm
 * of SIGUSR1s then costs one byte, and the SIGTERM after it still gets in. */
static atomic_int pending[NSIG];

static void on_signal(int signum)
{
	int saved = errno;
	unsigned char n = (unsigned char)signum;
	if (!atomic_exchange(&pending[signum], 1)) {
		while (write(signal_wfd, &n, 1) < 0 && errno == EINTR)
			;
	}
	errno = saved;
}

/* ---- the loop's side ---------------------------------------------------- */

/* One read() per callback, never a drain until EAGAIN: a signal arriving
 * during the callbacks (or raised by one) writes a new byte, so a drain could
 * last as long as the signals keep coming, and no timer would fire meanwhile.
 * libuv bounds its reads the same way (at most 32 in uv__read(), "Prevent loop
 * starvation when the data comes in as fast as (or faster than) we can read
 * it"). The pipe is level-triggered: a byte left in it is read next tick. */
static void on_signal_pipe(struct io *w, uint32_t events)
{
	struct loop *l = w->h.loop;
	unsigned char buf[64];
	(void)events;

	ssize_t n = read(w->fd, buf, sizeof buf);
	for (ssize_t i = 0; i < n; i++) {
		/* Lowered before the callbacks run: a signal arriving during
		 * them raises it again and writes a new byte. */
		atomic_store(&pending[buf[i]], 0);
		l->signals++;
		if (l->trace_events)    /* here, never in the handler */
			trace_signal(l, buf[i]);
		/* As in async.c: a callback may close a handle; the walk goes
		 * on through its kept `next`. */
		struct signal_handle *s = l->signal_handles;
		while (s != NULL) {
			struct signal_handle *next = s->next;
			if (s->signum == buf[i] && handle_is_active(&s->h))
				s->cb(s, s->signum);
			s = next;
		}
	}
}

int signal_loop_init(struct loop *l)
{
	int fds[2];
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
		return -1;
	signal_wfd = fds[1];
	/* A new pipe holds no byte, so no flag may stay up: one raised for an
	 * earlier loop's pipe would silence that signal for good. */
	for (int i = 0; i < NSIG; i++)
		atomic_store(&pending[i], 0);
	io_init(l, &l->signal_io, fds[0], on_signal_pipe);
	l->signal_io.what = "signal pipe";
	if (io_set(&l->signal_io, EPOLLIN) != 0)
		return -1;
	handle_unref(&l->signal_io.h);   /* the handles decide, by their own refs */
	return 0;
}

void signal_loop_close(struct loop *l)
{
	close(l->signal_io.fd);
	close(signal_wfd);
	signal_wfd = -1;
}

/* ---- signal handles ----------------------------------------------------- */

static bool watched(const struct loop *l, int signum)
{
	for (const struct signal_handle *s = l->signal_handles; s != NULL; s = s->next)
		if (s->signum == signum && handle_is_active(&s->h))
			return true;
	return false;
}

void signal_init(struct loop *l, struct signal_handle *s)
{
	handle_init(l, &s->h, HANDLE_SIGNAL);
	s->next = l->signal_handles;
	l->signal_handles = s;
}

int signal_start(struct signal_handle *s, int signum, signal_cb cb)
{
	struct loop *l = s->h.loop;
	if (s->h.flags & HANDLE_CLOSING) {
		errno = EINVAL;         /* as libuv: no restarting what is closing */
		return -1;
	}
	signal_stop(s);
	if (!watched(l, signum)) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sa.sa_flags = SA_RESTART;
		sigfillset(&sa.sa_mask);     /* no other signal interrupts the handler */
		if (sigaction(signum, &sa, NULL) != 0)
			return -1;
	}
	s->signum = signum;
	s->cb = cb;
	handle_start(&s->h);
	return 0;
}

void signal_stop(struct signal_handle *s)
{
	if (!handle_is_active(&s->h))
		return;
	handle_stop(&s->h);
	if (!watched(s->h.loop, s->signum))
		signal(s->signum, SIG_DFL);     /* the last watcher: back to default */
}

const char *signal_name(int signum)
{
	static const char *const names[] = {
		[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
		[SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
		[SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE", [SIGKILL] = "SIGKILL",
		[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
		[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
		[SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP",
		[SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU",
		[SIGURG] = "SIGURG", [SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ",
		[SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF", [SIGWINCH] = "SIGWINCH",
		[SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR", [SIGSYS] = "SIGSYS",
	};
	if (signum > 0 && (size_t)signum < sizeof names / sizeof names[0] && names[signum])
		return names[signum];
	return "a signal";
}

/* Called by handle_close(): the handle leaves the loop's list. */
void signal_remove(struct signal_handle *s)
{
	signal_stop(s);
	struct signal_handle **p = &s->h.loop->signal_handles;
	while (*p != s) {
		assert(*p != NULL);     /* signal_init() put every handle on the list */
		p = &(*p)->next;
	}
	*p = s->next;
}
