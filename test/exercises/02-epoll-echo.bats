#!/usr/bin/env bats
# The checkable exercise of 02-epoll-echo/README.md: --max-conns N.
# While N clients are connected, the loop still accepts each new one, sends it
# `busy: N connections` and closes it at once; everyone else is served as before.
# Run it: make -C 02-epoll-echo exercise

load ../helpers

fds_of() {      # fds_of PID — how many fds the process has open
	ls "/proc/$1/fd" | wc -l
}

@test "--max-conns is in --help, and a bad value is a usage error" {
	run "$STEP_BIN" --help
	[ "$status" -eq 0 ]
	[[ $output == *"--max-conns"* ]]
	run "$STEP_BIN" --max-conns many
	[ "$status" -eq 2 ]
}

@test "with --max-conns 2, a third client hears 'busy: 2 connections' and is closed" {
	start_server --max-conns 2
	local a b c
	connect_fd a
	connect_fd b
	say "$a" "one"
	expect_line "$a" "one"
	say "$b" "two"
	expect_line "$b" "two"
	connect_fd c
	expect_line "$c" "busy: 2 connections"
	expect_closed "$c"
	say "$a" "still here"
	expect_line "$a" "still here"
	say "$b" "me too"
	expect_line "$b" "me too"
}

@test "turned-away clients cost nothing: every one of them is closed" {
	start_server --max-conns 2
	local base a b fd i
	base=$(fds_of "$SERVER_PID")
	connect_fd a
	connect_fd b
	say "$b" "served"
	expect_line "$b" "served"
	for i in $(seq 1 30); do
		connect_fd fd
		expect_line "$fd" "busy: 2 connections"
		expect_closed "$fd"
		exec {fd}>&-
	done
	# The listener, epoll, the spare fd and the two clients: nothing more.
	[ "$(fds_of "$SERVER_PID")" -eq $((base + 2)) ]
	say "$a" "after 30 refusals"
	expect_line "$a" "after 30 refusals"
}

@test "when a served client leaves, the next one is served again" {
	start_server --max-conns 2
	local base a b c d
	base=$(fds_of "$SERVER_PID")
	connect_fd a
	connect_fd b
	say "$b" "two"
	expect_line "$b" "two"
	connect_fd c
	expect_line "$c" "busy: 2 connections"
	exec {a}>&-
	# Nothing announces that the server has seen a's EOF; its open fds do.
	wait_for 5 '[ "$(fds_of "$SERVER_PID")" -eq $((base + 1)) ]'
	connect_fd d
	say "$d" "next"
	expect_line "$d" "next"
}
