#!/usr/bin/env bats
# steps: 05-
# --trace-events FILE (TRACE.md), what step 05 adds: async sends and the one wake-up that handles them.
# Each recorded run is checked by tools/trace-check: it parses, per thread the
# events come in order and the slices nest, every flow and span has both ends.

load helpers
load trace-helpers

@test "8 completions while the loop is blocked: 8 async_sends, their arrows end in one wake-up" {
	start_server_after "export UV_THREADPOOL_SIZE=8" --trace-events "$TRACE"
	local fds=() i
	for i in 1 2 3 4 5 6 7 8; do
		connect_fd c
		fds+=("$c")
		say "$c" "/work 2000"
	done
	connect_fd probe
	# All 8 run for 2 s: long enough for a loaded machine to start the last
	# and see them all running before the first ends; then the loop is held
	# past their end, so all 8 finish while it is blocked.
	wait_for 10 '[ "$(stats_value "$probe" pool_running)" -eq 8 ]'
	say "$probe" "/block 2600"
	expect_line "$probe" "blocked the loop for 2600 ms" 10
	for c in "${fds[@]}"; do
		hear "$c" 10
		exec {c}>&-
	done
	exec {probe}>&-
	end_run
	run trace_check --count async:i:async_send 8 --count async:s:wakeup 8 \
		--count async:f:wakeup 8 --times async:f:wakeup 1
	echo "$output"
	[ "$status" -eq 0 ]
}
