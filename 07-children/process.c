/*
 * process.c — process handles: start a program, hear when it ends.
 *
 * Starting: fork(), then in the child put the given fds on 0, 1 and 2, reset
 * the signal dispositions and mask, and execvp(). Each child leads a process
 * group of its own, as a shell puts each job in one: `sh -c 'sleep 60 &'`
 * leaves a grandchild holding the child's output pipe, and signalling the group
 * reaches it too. Every other fd of ours is close-on-exec, so the child sees
 * only 0, 1 and 2. Did the exec work? The child holds the write end of an
 * "error pipe", itself close-on-exec: a successful exec closes it (the parent
 * reads EOF); a failed one writes errno into it first. So process_spawn() can
 * say "No such file or directory" itself.
 *
 * Ending: the kernel sends SIGCHLD, which arrives through signal.c on an
 * internal, unref'd signal handle. SIGCHLDs coalesce (two children ending
 * together may raise one signal), so on each one we ask every child we started
 * with waitpid(pid, WNOHANG), as libuv does. A child is reaped the moment it is
 * seen to have ended: no zombies.
 */
#define _GNU_SOURCE
#ifndef __linux__
#error "process.c needs Linux (pipe2)"
#endif

#include "loop.h"
#include "trace_events.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

/* ---- the child: between fork() and exec() -------------------------------- */

/* The parent may have other threads (the pool), and fork() copies only this
 * one: a lock another thread held stays locked forever in the child. So only
 * async-signal-safe calls here, and no malloc. (execvp()'s PATH search is the
 * one stretch: glibc's allocates nothing, and libuv searches PATH here too.) */
static void child(const char *file, char *const argv[], const int stdio[3], int error_fd)
{
	struct sigaction dfl;
	sigset_t none;

	setpgid(0, 0);          /* the parent does it too: whoever runs first */
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	/* Our handlers would be reset by exec anyway, but an ignored signal
	 * (SIGPIPE!) would stay ignored in the child: reset them all. */
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* dup2() in place, one fd after another, would clobber a source still
	 * needed: {devnull, 2, 1} would copy 2 onto 1, then the new 1 onto 2.
	 * So a source below its target (one that an earlier dup2() may have
	 * replaced) is first moved above 2, as libuv does. */
	int from[3];
	for (int fd = 0; fd < 3; fd++) {
		from[fd] = stdio[fd];
		if (from[fd] < fd && (from[fd] = fcntl(from[fd], F_DUPFD_CLOEXEC, 3)) < 0)
			goto fail;
	}
	for (int fd = 0; fd < 3; fd++) {
		/* dup2() gives a copy without close-on-exec: exactly what we want.
		 * An fd already in its place is not copied, so its close-on-exec
		 * flag (every fd of ours has it) must be cleared by hand. */
		if (from[fd] == fd ? fcntl(fd, F_SETFD, 0) < 0 : dup2(from[fd], fd) < 0)
			goto fail;
	}
	execvp(file, argv);
fail:;
	int err = errno;
	while (write(error_fd, &err, sizeof err) < 0 && errno == EINTR)
		;
	_exit(127);
}

/* ---- the loop's side ---------------------------------------------------- */

/* P's end as its callback takes it, exit status and signal apart, as libuv's
 * exit_cb; recording, the child's span ends here. */
static void report_exit(struct process *p, int status)
{
	if (p->h.loop->trace_events)
		trace_reaped(p, status);
	p->cb(p, WIFEXITED(status) ? WEXITSTATUS(status) : 0,
	      WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void on_sigchld(struct signal_handle *s, int signum)
{
	struct loop *l = s->h.loop;
	(void)signum;

	struct process *p = l->processes;
	while (p != NULL) {
		struct process *next = p->next;
		int status;
		pid_t r;
		do
			r = waitpid(p->pid, &status, WNOHANG);
		while (r < 0 && errno == EINTR);
		if (r == p->pid) {
			process_remove(p);
			report_exit(p, status);
		}
		p = next;
	}
}

/* ---- process handles ---------------------------------------------------- */

int process_spawn(struct loop *l, struct process *p, const char *file, char *const argv[],
		  const int stdio[3], process_exit_cb cb)
{
	int errpipe[2];

	/* SIGCHLD must be watched before the first child can end. Unref'd: a
	 * running child keeps the loop alive through its own handle instead. */
	if (!handle_is_active(&l->sigchld.h)) {
		signal_init(l, &l->sigchld);
		if (signal_start(&l->sigchld, SIGCHLD, on_sigchld) != 0)
			return -1;
		handle_unref(&l->sigchld.h);
	}
	if (pipe2(errpipe, O_CLOEXEC) != 0)
		return -1;
	/* Block every signal across fork(): until child() has reset them, a
	 * signal would run *our* handler in the child, which writes to the
	 * signal pipe it still shares with us. (libuv does the same.) */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid == 0)
		child(file, argv, stdio, errpipe[1]);   /* unblocks them after */
	int fork_errno = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		close(errpipe[0]);
		close(errpipe[1]);
		errno = fork_errno;
		return -1;
	}
	/* So the group exists as soon as we return, even if the child has not
	 * run yet. (EACCES: it has exec'd already, having done it itself.) */
	setpgid(pid, pid);

	close(errpipe[1]);
	int child_errno;
	ssize_t n;
	/* Blocks only until the exec happens or fails: a moment, as in libuv. */
	do
		n = read(errpipe[0], &child_errno, sizeof child_errno);
	while (n < 0 && errno == EINTR);
	close(errpipe[0]);
	if (n == (ssize_t)sizeof child_errno) {
		/* The exec failed and the child has _exit()ed: reap it now. */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = child_errno;
		return -1;
	}

	handle_init(l, &p->h, HANDLE_PROCESS);
	p->pid = pid;
	p->cb = cb;
	p->next = l->processes;
	l->processes = p;
	handle_start(&p->h);    /* a running child keeps the loop alive */
	if (l->trace_events)
		trace_spawned(p, argv[0]);
	return 0;
}

int process_kill(struct process *p, int signum)
{
	if (!handle_is_active(&p->h)) {
		errno = ESRCH;  /* already reaped: its pid may belong to another */
		return -1;
	}
	return kill(p->pid, signum);
}

/* The group's id is the child's pid, and the kernel hands out no pid that still
 * names a group: so once the child is reaped, the group can still be signalled
 * while any member lives. Once it is empty too, the id is free for reuse like
 * any pid: signal a group only while some of it may remain (run.c: while the
 * child's pipes are open). */
int process_kill_group(struct process *p, int signum)
{
	return kill(-p->pid, signum);
}

/* The child was reaped, or handle_close() was called: off the list. */
void process_remove(struct process *p)
{
	struct process **q = &p->h.loop->processes;
	while (*q != NULL && *q != p)
		q = &(*q)->next;
	if (*q == p)
		*q = p->next;
	handle_stop(&p->h);
}
