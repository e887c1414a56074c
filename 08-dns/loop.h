/*
 * loop.h — a small libuv: the event loop, its handles and its timers.
 *
 * The vocabulary is libuv's. A *handle* is long-lived (a socket watcher, a timer)
 * and can be ref'd or unref'd; a *request* is one-shot (a job on the thread
 * pool, pool.h). The loop runs while an active, ref'd handle or a pending request
 * exists, then loop_run() returns, and the program can end.
 *
 * Everything here runs on the loop's own thread. Callbacks are called from
 * loop_run(); none of them may block.
 */
#ifndef LOOP_H
#define LOOP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct loop;
struct handle;
struct io;
struct timer;
struct trace_events;
struct async;
struct signal_handle;
struct process;
struct work;

typedef void (*close_cb)(struct handle *h);
typedef void (*io_cb)(struct io *w, uint32_t events);
typedef void (*timer_cb)(struct timer *t);
typedef void (*async_cb)(struct async *a);
typedef void (*signal_cb)(struct signal_handle *s, int signum);
typedef void (*process_exit_cb)(struct process *p, int exit_status, int term_signal);

enum handle_type { HANDLE_IO, HANDLE_TIMER, HANDLE_ASYNC, HANDLE_SIGNAL, HANDLE_PROCESS };

enum handle_flags {
	HANDLE_ACTIVE = 1 << 0,  /* started: it may call its callback */
	HANDLE_REF = 1 << 1,     /* when active, keeps the loop alive (the default) */
	HANDLE_CLOSING = 1 << 2, /* handle_close() called; its close_cb is pending */
};

/* What every handle starts with: what the loop needs to count and close it. */
struct handle {
	struct loop *loop;
	enum handle_type type;
	unsigned flags;
	close_cb on_close;
	struct handle *next_closing;
	void *data;              /* the user's: the loop never touches it */
};

/* Watches one fd with epoll (level-triggered, as libuv). */
struct io {
	struct handle h;
	int fd;
	uint32_t events;         /* EPOLLIN/EPOLLOUT asked for now; 0 = stopped */
	bool in_epoll;
	const char *what;        /* what the fd is ("conn"), for --trace-events */
	io_cb cb;
};

struct timer {
	struct handle h;
	uint64_t due;            /* loop time (ms) at which it fires */
	uint64_t repeat;         /* 0: one-shot */
	uint64_t seq;            /* start order, so equal deadlines fire in order */
	size_t heap_index;
	timer_cb cb;
};

/* Wakes the loop from another thread or a signal handler (async.c). */
struct async {
	struct handle h;
	async_cb cb;
	atomic_int pending;      /* raised by async_send(), lowered by the loop */
	struct async *next;      /* the loop's list of async handles */
	atomic_ulong traced_sends;  /* --trace-events: sends recorded so far... */
	unsigned long traced_woken; /* ...and how many of them a wake-up handled */
};

/* Calls back on the loop thread when a signal arrives (signal.c). Like libuv's,
 * a started signal handle is ref'd; Node unrefs its own, and so do we. */
struct signal_handle {
	struct handle h;
	int signum;
	signal_cb cb;
	struct signal_handle *next;  /* the loop's list of signal handles */
};

/* A child process, active (and ref'd) until it has ended and been reaped. */
struct process {
	struct handle h;
	pid_t pid;
	process_exit_cb cb;
	struct process *next;        /* the loop's list of running children */
	char what[64];               /* "child PID ARGV0", for --trace-events */
};

struct loop {
	int epfd;
	bool trace;              /* narrate each iteration on stderr */
	struct trace_events *trace_events; /* recording the run, or NULL */
	uint64_t now;            /* ms, CLOCK_MONOTONIC, read once per iteration */
	uint64_t start_ms;
	unsigned long ticks;     /* iterations so far */
	uint64_t lag_ms;         /* how late the most recent timer fired */
	/* How busy the loop is, in µs since loop_init(), as Node measures it:
	 * the time blocked in epoll_wait() is idle, all the rest is busy. */
	uint64_t start_us;
	uint64_t idle_us;        /* time spent blocked in epoll_wait() */
	uint64_t woke_us;        /* when epoll_wait() last returned */
	uint64_t max_busy_us;    /* the longest time between two epoll_wait()s */
	unsigned active_handles;
	unsigned active_refs;    /* active handles that are also ref'd */
	struct timer **heap;     /* min-heap on (due, seq) */
	size_t heap_len, heap_cap;
	uint64_t timer_seq;
	struct handle *closing;  /* handles whose close_cb runs this iteration */
	unsigned active_reqs;    /* requests in flight (pool jobs) */
	struct io async_io;      /* the self-pipe's read end, in the epoll set */
	int async_wfd;           /* ...and its write end, for async_send() */
	struct async *asyncs;
	atomic_ulong async_sends; /* async_send() calls, from any thread */
	unsigned long wakeups;   /* times the self-pipe woke the loop */
	struct async pool_async; /* the pool says "jobs are done" */
	struct io signal_io;     /* the signal pipe's read end */
	struct signal_handle *signal_handles;
	unsigned long signals;   /* signals delivered to the loop so far */
	struct signal_handle sigchld; /* internal, unref'd: children ending */
	struct process *processes;
	pthread_mutex_t done_mutex;
	struct work *done_head, *done_tail;  /* finished jobs, for the loop thread */
};

/* Sets up L (an epoll set). Returns 0, or -1 with errno set. */
int loop_init(struct loop *l);
/* Runs until no active ref'd handle and no request is left. Returns 0. */
int loop_run(struct loop *l);
/* The loop's cached time in ms: the same for every callback of one phase. */
uint64_t loop_now(const struct loop *l);
/* CLOCK_MONOTONIC in ms, read now (not cached): for measuring, not scheduling. */
uint64_t loop_clock_ms(void);
/* ms spent blocked in epoll_wait() since loop_init(). */
uint64_t loop_idle_ms(const struct loop *l);
/* The longest time, in ms, the loop has spent between two epoll_wait()s since
 * loop_init(), the stretch running now included: the worst stall so far, seen
 * whether or not a timer was due during it. Never reset, like the max of
 * Node's perf_hooks.monitorEventLoopDelay() (unless reset()). */
uint64_t loop_max_busy_ms(const struct loop *l);
/* busy / (busy + idle) since loop_init(), from 0 to 1: Node's
 * performance.eventLoopUtilization(). */
double loop_utilization(const struct loop *l);
/* Frees what loop_init() took, and stops and joins the pool's threads. Call
 * after loop_run() has returned. */
void loop_close(struct loop *l);

void handle_ref(struct handle *h);
void handle_unref(struct handle *h);
bool handle_is_active(const struct handle *h);
/* Stops H and calls CB (may be NULL) on the next close phase, not now: the
 * caller may still be inside H's own callback. Free H's memory in CB. */
void handle_close(struct handle *h, close_cb cb);

/* Watches FD (non-blocking, owned by the caller) with callback CB. */
void io_init(struct loop *l, struct io *w, int fd, io_cb cb);
/* Asks epoll for EVENTS (EPOLLIN, EPOLLOUT or both); 0 stops watching, and
 * the fd leaves the epoll set. W's callback gets only what W asks for at that
 * moment, plus EPOLLERR and EPOLLHUP. Returns 0, or -1 with errno set (EINVAL:
 * W is closing and EVENTS is not 0). */
int io_set(struct io *w, uint32_t events);

/* An async handle is active (and ref'd) from init until handle_close(). CB may
 * be NULL, as in libuv: a send then only wakes the loop. */
void async_init(struct loop *l, struct async *a, async_cb cb);
/* Makes the loop call A's callback soon, on the loop thread. Safe from any
 * thread and from a signal handler; many sends before the loop looks coalesce
 * into one callback. */
void async_send(struct async *a);

void signal_init(struct loop *l, struct signal_handle *s);
/* Calls CB on the loop thread whenever SIGNUM arrives. Returns 0, or -1 with
 * errno set: EINVAL when S is closing, or what sigaction() said. */
int signal_start(struct signal_handle *s, int signum, signal_cb cb);
void signal_stop(struct signal_handle *s);
/* "SIGTERM" for SIGTERM, and so on. */
const char *signal_name(int signum);

/* Runs FILE (looked up in PATH) with ARGV, its fds 0, 1, 2 set to STDIO, in a
 * process group of its own; CB runs on the loop thread once it has ended.
 * Returns 0, or -1 with errno set: fork() failed, or the exec did (ENOENT,
 * EACCES...), and then no child is left over. */
int process_spawn(struct loop *l, struct process *p, const char *file, char *const argv[],
		  const int stdio[3], process_exit_cb cb);
/* Sends SIGNUM to P's child, if it has not been reaped yet. */
int process_kill(struct process *p, int signum);
/* Sends SIGNUM to P's whole process group: the child and whatever it started
 * that stayed in its group. Still works once the child has been reaped, while
 * any of the others remains. Returns 0, or -1 with errno set (ESRCH). */
int process_kill_group(struct process *p, int signum);

void timer_init(struct loop *l, struct timer *t, timer_cb cb);
/* Fires CB after TIMEOUT ms, then every REPEAT ms if REPEAT > 0; a deadline
 * past the clock's end is clamped to its end (never fires). Restarting a
 * started timer moves it. Returns 0, or -1 with errno EINVAL: T is closing, or
 * has no callback. */
int timer_start(struct timer *t, uint64_t timeout, uint64_t repeat);
void timer_stop(struct timer *t);

/* For the library's own files (timer.c, async.c, signal.c, process.c,
 * pool.c), not for programs. */
void handle_init(struct loop *l, struct handle *h, enum handle_type type);
void handle_start(struct handle *h);
void handle_stop(struct handle *h);
int async_loop_init(struct loop *l);
void async_loop_close(struct loop *l);
void async_remove(struct async *a);
int signal_loop_init(struct loop *l);
void signal_loop_close(struct loop *l);
void signal_remove(struct signal_handle *s);
void process_remove(struct process *p);

#endif
