#!/usr/bin/env bats
# steps: 07-
# Fault injection beyond the step suites: fork failure.

load helpers

@test "fork failure: /run says why, and the server keeps serving" {
	# RLIMIT_NPROC counts a user's tasks, and root is exempt from it: as root,
	# run the server as an unprivileged user (65534, nobody) instead.
	if [ "$(id -u)" -eq 0 ]; then
		needs setpriv util-linux
		STEP_LAUNCHER="setpriv --reuid=65534 --regid=65534 --clear-groups"
		$STEP_LAUNCHER test -x "$STEP_BIN" ||
			skip "user 65534 cannot run $STEP_BIN from here (a parent directory is private)"
	fi
	# A limit of one task: the server's user has at least the server, so its
	# fork() must fail (the kernel counts the new task before it compares).
	# A limit from counting the user's tasks now would also count the ones
	# that are gone by the fork: this shell's own pipes, as a normal user.
	start_server_after "ulimit -u 1" --allow true
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/run true\n/run true\nstill serving'
	echo "$output"
	[ "${lines[0]}" = "error: run true: Resource temporarily unavailable" ]
	[ "${lines[1]}" = "error: run true: Resource temporarily unavailable" ]
	[ "${lines[2]}" = "still serving" ]
}

@test "a paused child's pipe that hangs up does not make the loop spin" {
	# The child floods stdout (through a grandchild that keeps its stderr
	# closed) until backpressure pauses both pipes; then, told through a
	# FIFO, it closes its stderr: a hangup on a pipe whose watcher asks for
	# nothing. The client stays connected and never reads.
	local bin=$BATS_TEST_TMPDIR/bin go=$BATS_TEST_TMPDIR/go
	mkdir -p "$bin"
	mkfifo "$go"
	printf '#!/bin/sh\nhead -c 100000000 /dev/zero 2>/dev/null &\nread _ <"%s"\nexec 2>&-\nwait\n' \
		"$go" >"$bin/flood"
	chmod +x "$bin/flood"
	start_server_after "export PATH='$bin':\$PATH" --allow flood
	local probe child head ticks
	connect_fd probe
	bg "$CLIENT" -p "$PORT" --no-read -t 30000 < <(echo /run flood; sleep 60)
	wait_for 5 '[ -n "$(cat /proc/"$SERVER_PID"/task/*/children)" ]'
	child=$(cat /proc/"$SERVER_PID"/task/*/children | awk '{ print $1 }')
	wait_for 5 '[ -n "$(cat /proc/$child/task/*/children 2>/dev/null)" ]'
	head=$(cat /proc/$child/task/*/children | awk '{ print $1 }')
	wait_for 20 '[[ $(cat /proc/$head/wchan) == *pipe_w* ]]'
	echo go >"$go"
	ticks=$(loop_ticks_per_s "$probe")
	echo "loop iterations in 1 s after the hangup: $ticks"
	[ "$ticks" -lt 100 ]
	kill "$head" 2>/dev/null || true
}
