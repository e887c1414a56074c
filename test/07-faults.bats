#!/usr/bin/env bats
# steps: 07-
# Fault injection beyond the step suites: fork failure.

load helpers

@test "fork failure: /run says why, and the server keeps serving" {
	# RLIMIT_NPROC counts a user's tasks, and root is exempt from it: as root,
	# run the server as an unprivileged user (65534, nobody) instead.
	if [ "$(id -u)" -eq 0 ]; then
		command -v setpriv >/dev/null || skip "setpriv (util-linux) is needed to drop root"
		STEP_LAUNCHER="setpriv --reuid=65534 --regid=65534 --clear-groups"
		$STEP_LAUNCHER test -x "$STEP_BIN" ||
			skip "user 65534 cannot run $STEP_BIN from here (a parent directory is private)"
	fi
	# Room for the server's own task and no other: its fork() must fail.
	local uid=$(( $(id -u) == 0 ? 65534 : $(id -u) ))
	start_server_after "ulimit -u \$(( \$(ps -L -u $uid --no-headers | wc -l) + 1 ))" --allow true
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/run true\n/run true\nstill serving'
	echo "$output"
	[ "${lines[0]}" = "error: run true: Resource temporarily unavailable" ]
	[ "${lines[1]}" = "error: run true: Resource temporarily unavailable" ]
	[ "${lines[2]}" = "still serving" ]
}

@test "/run yes to a client that never reads, then resets: the loop does not spin" {
	start_server --allow yes
	local probe refs ticks
	connect_fd probe
	refs=$(stats_value "$probe" refs)
	bg "$CLIENT" -p "$PORT" --no-read -t 30000 <<<"/run yes"
	# Held back: the child's pipes are paused (their watchers ask for nothing);
	# what is left to keep the loop alive is the connection's watcher (output
	# pending) and the child.
	wait_for 10 '[ "$(stats_value "$probe" refs)" -eq $((refs + 2)) ] &&
		[ -n "$(cat /proc/"$SERVER_PID"/task/*/children)" ]'
	# The client goes with the output unread: a reset.
	kill -9 "${BG_PIDS[-1]}"
	wait "${BG_PIDS[-1]}" || true
	wait_for 10 '[ "$(stats_value "$probe" conns)" -eq 1 ]'
	ticks=$(loop_ticks_per_s "$probe")
	echo "loop iterations in 1 s after the reset: $ticks"
	[ "$ticks" -lt 100 ]
}
