#!/usr/bin/env bats
# steps: 06-
# --trace-events FILE (TRACE.md), what step 06 adds: signals on the loop track; a graceful shutdown closes the file.
# Each recorded run is checked by tools/trace-check: it parses, per thread the
# events come in order and the slices nest, every flow and span has both ends.

load helpers
load trace-helpers

@test "SIGTERM with a /work in flight: the signal, the job and the shutdown, in a closed file" {
	start_server --trace-events "$TRACE"
	connect_fd c
	connect_fd probe
	say "$c" "/work 1000"
	# 1 s: time for a loaded machine to see the job running before it ends.
	wait_for 10 '[ "$(stats_value "$probe" pool_running)" -eq 1 ]'
	kill -TERM "$SERVER_PID"
	wait_for_log 5 "shutting down \(SIGTERM\)"
	hear "$c" 10
	[[ $HEARD == "worked 1000 ms"* ]]
	wait_server_exit 10
	[ "$SERVER_STATUS" -eq 0 ]
	run trace_check --count signal:i:SIGTERM 1 --count pool:X:"/work 1000" 1 --ticks 1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(tail -c 4 "$TRACE")" = $'\n]}' ] || [ "$(tail -c 3 "$TRACE")" = $']}\n' ]
}

@test "a second SIGINT exits at once: the file is still whole, both signals in it" {
	start_server --trace-events "$TRACE"
	connect_fd c
	connect_fd probe
	say "$c" "/work 5000"
	wait_for 10 '[ "$(stats_value "$probe" pool_running)" -eq 1 ]'
	kill -INT "$SERVER_PID"
	wait_for_log 5 "shutting down \(SIGINT\)"
	kill -INT "$SERVER_PID"
	wait_server_exit 10
	[ "$SERVER_STATUS" -eq 130 ]
	run trace_check --cut --count signal:i:SIGINT 2
	echo "$output"
	[ "$status" -eq 0 ]
}
