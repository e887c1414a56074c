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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct handle;
struct io;
struct timer;
struct trace_events;
struct work;

typedef void (*close_cb)(struct handle *h);
typedef void (*io_cb)(struct io *w, uint32_t events);
typedef void (*timer_cb)(struct timer *t);

enum handle_type { HANDLE_IO, HANDLE_TIMER };

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
	struct io wakeup;        /* eventfd: the pool says "jobs are done" */
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

void timer_init(struct loop *l, struct timer *t, timer_cb cb);
/* Fires CB after TIMEOUT ms, then every REPEAT ms if REPEAT > 0; a deadline
 * past the clock's end is clamped to its end (never fires). Restarting a
 * started timer moves it. Returns 0, or -1 with errno EINVAL: T is closing, or
 * has no callback. */
int timer_start(struct timer *t, uint64_t timeout, uint64_t repeat);
void timer_stop(struct timer *t);

/* For the library's own files (timer.c), not for programs. */
void handle_init(struct loop *l, struct handle *h, enum handle_type type);
void handle_start(struct handle *h);
void handle_stop(struct handle *h);

#endif
