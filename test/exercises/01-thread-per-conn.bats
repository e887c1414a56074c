#!/usr/bin/env bats
# The checkable exercise of 01-thread-per-conn/README.md: --max-threads N.
# While N connection threads are alive, a new client hears `busy: N threads` and
# is closed; the clients already served carry on. Run it: make -C 01-thread-per-conn exercise

load ../helpers

@test "--max-threads is in --help, and a bad value is a usage error" {
	run "$STEP_BIN" --help
	[ "$status" -eq 0 ]
	[[ $output == *"--max-threads"* ]]
	run "$STEP_BIN" --max-threads lots
	[ "$status" -eq 2 ]
}

@test "with --max-threads 2, a third client hears 'busy: 2 threads' and is closed" {
	start_server --max-threads 2
	local a b c
	connect_fd a
	say "$a" "one"
	expect_line "$a" "one"
	connect_fd b
	say "$b" "two"
	expect_line "$b" "two"
	connect_fd c
	expect_line "$c" "busy: 2 threads"
	expect_closed "$c"
	# The two clients being served never noticed.
	say "$a" "still here"
	expect_line "$a" "still here"
	say "$b" "me too"
	expect_line "$b" "me too"
	# No thread was started for the client that was turned away.
	[ "$(threads_of "$SERVER_PID")" -eq 3 ]
}

@test "when a served client leaves, the next one is served again" {
	start_server --max-threads 2
	local a b c d
	connect_fd a
	say "$a" "first"
	expect_line "$a" "first"
	connect_fd b
	say "$b" "second"
	expect_line "$b" "second"
	connect_fd c
	expect_line "$c" "busy: 2 threads"
	exec {a}>&-
	wait_for 5 '[ "$(threads_of "$SERVER_PID")" -eq 2 ]'
	connect_fd d
	say "$d" "next"
	expect_line "$d" "next"
}
