/*
 * test/unit/libuv-spawn.c — process handles against what libuv's own
 * test/test-spawn.c and the process case of test-ref.c check (our code). Built
 * against each step's loop (07 on) by test/libuv-behaviour.bats. The stdio
 * swap (spawn_stdout_and_stderr_to_file_swap) is test/unit/spawn.c's.
 *
 * The kit's process_spawn() has no options (env, cwd, uid, detached), so the
 * cases about them are not here.
 *
 * Usage: libuv-spawn [CASE]     Prints "ok CASE" or "FAIL CASE: ..." per case.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>

#include "loop.h"
#include "check.h"

enum { MANY = 20 };

static struct loop loop;
static struct process procs[MANY];
static int exits, last_status, last_signal;
static int devnull;
static int stdio_null[3];

static void on_exit_close(struct process *p, int exit_status, int term_signal)
{
	exits++;
	last_status = exit_status;
	last_signal = term_signal;
	handle_close(&p->h, NULL);
}

static int setup(void)
{
	exits = last_status = last_signal = 0;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < 3; i++)
		stdio_null[i] = devnull;
	return devnull >= 0 && loop_init(&loop) == 0 ? 0 : -1;
}

static void teardown(void)
{
	loop_close(&loop);
	close(devnull);
}

/* spawn_fails: a program that does not exist is an error from the spawn
 * itself (ENOENT), no exit callback follows; and
 * spawn_fails_check_for_waitpid_cleanup: no child is left behind. */
static void spawn_fails(void)
{
	char *argv[] = { "no-such-program-here", NULL };
	CHECK(setup() == 0);
	errno = 0;
	CHECK(process_spawn(&loop, &procs[0], argv[0], argv, stdio_null, on_exit_close) == -1);
	CHECK(errno == ENOENT);
	CHECK(loop_run(&loop) == 0);
	CHECK(exits == 0);
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	teardown();
}

/* spawn_exit_code: the exit status reaches the callback, with no signal. */
static void spawn_exit_code(void)
{
	char *argv[] = { "sh", "-c", "exit 42", NULL };
	CHECK(setup() == 0);
	CHECK(process_spawn(&loop, &procs[0], "sh", argv, stdio_null, on_exit_close) == 0);
	CHECK(handle_is_active(&procs[0].h));
	CHECK(loop_run(&loop) == 0);
	CHECK(exits == 1 && last_status == 42 && last_signal == 0);
	teardown();
}

/* spawn_and_kill: a child killed with SIGTERM reports that signal. */
static void spawn_and_kill(void)
{
	char *argv[] = { "sleep", "100", NULL };
	CHECK(setup() == 0);
	CHECK(process_spawn(&loop, &procs[0], "sleep", argv, stdio_null, on_exit_close) == 0);
	CHECK(process_kill(&procs[0], SIGTERM) == 0);
	CHECK(loop_run(&loop) == 0);
	CHECK(exits == 1 && last_signal == SIGTERM);
	teardown();
}

/* kill: once the child has been reaped, killing it is ESRCH (its pid may
 * belong to another process by now); an invalid signal is EINVAL. */
static void kill_after_exit(void)
{
	char *argv[] = { "true", NULL };
	CHECK(setup() == 0);
	CHECK(process_spawn(&loop, &procs[0], "true", argv, stdio_null, on_exit_close) == 0);
	errno = 0;
	CHECK(process_kill(&procs[0], -1) == -1 && errno == EINVAL);
	CHECK(loop_run(&loop) == 0);
	errno = 0;
	CHECK(process_kill(&procs[0], SIGTERM) == -1 && errno == ESRCH);
	teardown();
}

/* test-ref.c process_ref: an unref'd running child does not keep the loop
 * alive. */
static void process_ref(void)
{
	char *argv[] = { "sleep", "100", NULL };
	CHECK(setup() == 0);
	CHECK(process_spawn(&loop, &procs[0], "sleep", argv, stdio_null, on_exit_close) == 0);
	handle_unref(&procs[0].h);
	CHECK(loop_run(&loop) == 0);
	CHECK(exits == 0);
	handle_ref(&procs[0].h);
	process_kill(&procs[0], SIGKILL);
	CHECK(loop_run(&loop) == 0);
	CHECK(exits == 1 && last_signal == SIGKILL);
	teardown();
}

/* spawn_exercise_sigchld_issue: children that end together (their SIGCHLDs
 * coalesce) are all reaped, and every exit callback runs. */
static void many_children(void)
{
	char *argv[] = { "true", NULL };
	CHECK(setup() == 0);
	for (int i = 0; i < MANY; i++)
		CHECK(process_spawn(&loop, &procs[i], "true", argv, stdio_null, on_exit_close) == 0);
	CHECK(loop_run(&loop) == 0);
	CHECK(exits == MANY);
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	teardown();
}

/* spawn_same_stdout_stderr: one fd given as both stdout and stderr gets both. */
static void same_stdout_stderr(void)
{
	char *argv[] = { "sh", "-c", "echo out; echo err >&2", NULL };
	int fds[2];
	char buf[64];
	ssize_t n, len = 0;
	CHECK(setup() == 0);
	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	int stdio[3] = { devnull, fds[1], fds[1] };
	CHECK(process_spawn(&loop, &procs[0], "sh", argv, stdio, on_exit_close) == 0);
	close(fds[1]);
	CHECK(loop_run(&loop) == 0);
	while ((n = read(fds[0], buf + len, sizeof buf - 1 - (size_t)len)) > 0)
		len += n;
	buf[len] = '\0';
	close(fds[0]);
	CHECK(strcmp(buf, "out\nerr\n") == 0);
	teardown();
}

int main(int argc, char **argv)
{
	RUN(spawn_fails);
	RUN(spawn_exit_code);
	RUN(spawn_and_kill);
	RUN(kill_after_exit);
	RUN(process_ref);
	RUN(many_children);
	RUN(same_stdout_stderr);
	return check_failures;
}
