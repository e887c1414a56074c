#!/usr/bin/env bats
# steps: 02-
# Fault injection beyond the step suites: connection churn. Nothing lost, nothing leaked.

load helpers

@test "20,000 connect/echo/close cycles: no fd and no memory growth" {
	not_under_sanitizer "it measures the server's memory (RSS)"
	${CC:-cc} -std=c11 -O2 -o "$BATS_TEST_TMPDIR/churn" "$KIT_ROOT/test/unit/churn.c"
	start_server
	"$BATS_TEST_TMPDIR/churn" "$PORT" 2000 >/dev/null      # warm up the allocator
	local fds0 rss0 fds1 rss1
	fds0=$(fd_count "$SERVER_PID") rss0=$(rss_kb_of "$SERVER_PID")
	run "$BATS_TEST_TMPDIR/churn" "$PORT" 20000
	[ "$output" = "cycles=20000 failures=0" ]
	wait_for 5 '[ "$(fd_count "$SERVER_PID")" -le "$fds0" ]'
	rss1=$(rss_kb_of "$SERVER_PID")
	echo "RSS $rss0 kB before, $rss1 kB after 20,000 connections"
	[ $((rss1 - rss0)) -lt 512 ]
}
