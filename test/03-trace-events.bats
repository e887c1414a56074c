#!/usr/bin/env bats
# steps: 03-
# --trace-events FILE (TRACE.md), what step 03 adds: one poll slice per tick, timers and close phases.
# Each recorded run is checked by tools/trace-check: it parses, per thread the
# events come in order and the slices nest, every flow and span has both ends.

load helpers
load trace-helpers

@test "the polls recorded are the ticks /stats counts" {
	start_server --trace-events "$TRACE"
	connect_fd c
	say "$c" "/sleep 20"
	expect_line "$c" "slept 20 ms"
	echo_lines 'x\n'
	ticks=$(stats_value "$c" ticks)
	exec {c}>&-
	end_run
	run trace_check --ticks "$ticks" --has loop:X:timers --has loop:X:"close callbacks"
	echo "$output"
	[ "$status" -eq 0 ]
	# The poll before the timer is named for it (its wait may be under 20 ms:
	# time passes between starting the timer and computing the timeout).
	grep -qE '"name":"poll wait=[0-9]+ms \(next timer\)"' "$TRACE"
}

@test "an io slice carries the command its callback ran: args.cmd, escaped, cut at 64 bytes between characters" {
	start_server --trace-events "$TRACE"
	connect_fd c
	say "$c" "/sleep 20"
	expect_line "$c" "slept 20 ms"
	# 9 bytes, then two-byte characters: byte 64 falls inside the 28th.
	say "$c" "/nosuch\" $(printf 'é%.0s' {1..40})"
	hear "$c"
	exec {c}>&-
	end_run
	run trace_check
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '"name":"io fd [0-9]* (conn)".*"args":{"events":"readable","cmd":"/sleep 20"}' "$TRACE"
	grep -q "\"cmd\":\"/nosuch\\\\\\\" $(printf '?%.0s' {1..54})\"}" "$TRACE"
}
