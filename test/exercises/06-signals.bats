#!/usr/bin/env bats
# The checkable exercise of 06-signals/README.md: SIGHUP toggles --trace.
# Each SIGHUP turns the loop's narration on or off at run time and logs
# `trace on` or `trace off` on stderr, through a signal handle like SIGUSR1's:
# unref'd, so it keeps nothing alive. Run it: make -C 06-signals exercise

load ../helpers

ticks_logged() {    # tick lines on the server's stderr so far
	grep -c '^tick [0-9]' "$SERVER_ERR" || true
}

@test "SIGHUP no longer kills the server: it logs 'trace on'" {
	start_server
	kill -HUP "$SERVER_PID"
	wait_for_log 5 'trace on$'
	kill -0 "$SERVER_PID"
	run "$CLIENT" -p "$PORT" -t 5000 <<<"still here"
	[ "$output" = "still here" ]
}

@test "after one SIGHUP every tick is narrated; after a second, none" {
	start_server
	local fd
	connect_fd fd
	say "$fd" "quiet"
	expect_line "$fd" "quiet"
	[ "$(ticks_logged)" -eq 0 ]

	kill -HUP "$SERVER_PID"
	wait_for_log 5 'trace on$'
	say "$fd" "narrated"
	expect_line "$fd" "narrated"
	wait_for_log 5 '^tick [0-9]+ wait=.* woke: '

	kill -HUP "$SERVER_PID"
	wait_for_log 5 'trace off$'
	local before
	before=$(ticks_logged)
	say "$fd" "quiet again"
	expect_line "$fd" "quiet again"
	say "$fd" "/stats"
	hear "$fd"
	[[ $HEARD == "stats "* ]]
	[ "$(ticks_logged)" -eq "$before" ]
}

@test "started with --trace, a SIGHUP turns it off" {
	start_server --trace
	local fd
	connect_fd fd
	say "$fd" "hi"
	expect_line "$fd" "hi"
	wait_for_log 5 '^tick [0-9]'
	kill -HUP "$SERVER_PID"
	wait_for_log 5 'trace off$'
	local before
	before=$(ticks_logged)
	say "$fd" "bye"
	expect_line "$fd" "bye"
	[ "$(ticks_logged)" -eq "$before" ]
}

@test "SIGHUP is counted in /stats, and its handle keeps nothing alive" {
	start_server
	kill -HUP "$SERVER_PID"
	wait_for_log 5 'trace on$'
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/stats"
	[[ $output =~ \ signals=1($|\ ) ]]
	# An idle server still exits at once on SIGTERM: an unref'd handle.
	kill -TERM "$SERVER_PID"
	wait_server_exit 3
	[ "$SERVER_STATUS" -eq 0 ]
}
