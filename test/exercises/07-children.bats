#!/usr/bin/env bats
# The checkable exercise of 07-children/README.md: --run-timeout MS.
# A /run child still running MS ms after it started gets SIGKILL (a timer per
# /run), and its client hears `killed by SIGKILL`; a child that ends in time is
# left alone, and its timer goes with it. Run it: make -C 07-children exercise

load ../helpers

setup() {
	BIN=$BATS_TEST_TMPDIR/bin
	mkdir -p "$BIN"
	# Ignores SIGTERM, then becomes `sleep` (exec: no grandchild holds the pipes).
	printf '#!/bin/sh\ntrap "" TERM\necho started\nexec sleep 30\n' >"$BIN/stubborn"
	chmod +x "$BIN/stubborn"
}

start_runner() {    # the server, with the test's bin directory first in PATH
	start_server_after "export PATH='$BIN':\$PATH" "$@"
}

children_of() {     # children_of PID -> their PIDs, one per line
	cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . || true
}

@test "--run-timeout is in --help; a bad value is a usage error" {
	run "$STEP_BIN" --help
	[ "$status" -eq 0 ]
	[[ $output == *"--run-timeout MS"* ]]
	run "$STEP_BIN" --run-timeout soon
	[ "$status" -eq 2 ]
}

@test "a child still running after --run-timeout is killed: 'killed by SIGKILL'" {
	start_runner --allow sleep --run-timeout 300
	local fd t0 took
	connect_fd fd
	t0=$(now_ms)
	say "$fd" "/run sleep 30"
	expect_line "$fd" "killed by SIGKILL" 5
	took=$(( $(now_ms) - t0 ))
	echo "killed after $took ms"
	[ "$took" -ge 250 ] && [ "$took" -lt 3000 ]
	say "$fd" "still here"
	expect_line "$fd" "still here"
	[ -z "$(children_of "$SERVER_PID")" ]
}

@test "a child that ignores SIGTERM is killed all the same" {
	start_runner --allow stubborn --run-timeout 300
	local fd
	connect_fd fd
	say "$fd" "/run stubborn"
	expect_line "$fd" "started"
	expect_line "$fd" "killed by SIGKILL" 5
}

@test "a child that ends in time is left alone, and its timer goes with it" {
	start_runner --allow sleep,true --run-timeout 1500
	local fd
	connect_fd fd
	say "$fd" "/run sleep 0.2"
	expect_line "$fd" "exit 0" 5
	say "$fd" "/run true"
	expect_line "$fd" "exit 0" 5
	[ "$(stats_value "$fd" timers)" -eq 0 ]
}

@test "each /run has its own deadline" {
	start_runner --allow sleep --run-timeout 700
	local a b
	connect_fd a
	connect_fd b
	say "$a" "/run sleep 30"
	wait_for 5 '[ "$(children_of "$SERVER_PID" | wc -l)" -eq 1 ]'
	sleep 0.5       # the point is time passing: b starts half a second after a
	say "$b" "/run sleep 0.5"
	# a's deadline comes while b runs; b's own is 700 ms after b started.
	expect_line "$a" "killed by SIGKILL" 5
	expect_line "$b" "exit 0" 5
}
