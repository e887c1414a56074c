#!/usr/bin/env bats
# steps: 07-
# --trace-events FILE (TRACE.md), what step 07 adds: each child from spawn to reap.
# Each recorded run is checked by tools/trace-check: it parses, per thread the
# events come in order and the slices nest, every flow and span has both ends.

load helpers
load trace-helpers

@test "each child from spawn to reap: an async span, ending with its exit or its signal" {
	start_server --trace-events "$TRACE" --allow true,false,sleep
	connect_fd c
	say "$c" "/run true"
	expect_line "$c" "exit 0"
	say "$c" "/run false"
	expect_line "$c" "exit 1"
	exec {c}>&-
	connect_fd probe
	resettable_client "/run sleep 30"
	wait_for 10 '[ "$(stats_value "$probe" children)" -eq 1 ]'
	vanish                          # a reset: the server terminates its child
	wait_for 10 '[ "$(stats_value "$probe" children)" -eq 0 ]'
	exec {probe}>&-
	end_run
	run trace_check --count process:b:"child " 3 --count process:e:"child " 3
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '"ph":"e","cat":"process","name":"child [0-9]* true".*"args":{"exit":0}' "$TRACE"
	grep -q '"ph":"e","cat":"process","name":"child [0-9]* false".*"args":{"exit":1}' "$TRACE"
	grep -q '"ph":"e","cat":"process","name":"child [0-9]* sleep".*"args":{"signal":"SIGTERM"}' "$TRACE"
}
