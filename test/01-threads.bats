#!/usr/bin/env bats
# steps: 01
# Thread per connection: the cost the rest of the kit removes.

load helpers

@test "one thread per connection, and they end with their connections" {
	start_server
	[ "$(threads_of "$SERVER_PID")" -eq 1 ]
	local fds=() fd i
	for i in $(seq 1 20); do
		connect_fd fd
		fds+=("$fd")
	done
	wait_for 5 '[ "$(threads_of "$SERVER_PID")" -eq 21 ]'
	for fd in "${fds[@]}"; do
		exec {fd}>&-
	done
	wait_for 5 '[ "$(threads_of "$SERVER_PID")" -eq 1 ]'
}

@test "--trace narrates each thread with the live count" {
	start_server --trace
	run "$CLIENT" -p "$PORT" -t 5000 <<<"x"
	wait_for_log 5 '^thread finished for fd [0-9]+ \(live threads: 0\)$'
	grep -qE '^thread started for fd [0-9]+ \(live threads: 1\)$' "$SERVER_ERR"
}

@test "when no thread can be started, that client is turned away and the server lives on" {
	# ASan and TSan reserve terabytes of address space for their shadow
	# memory at startup: under `ulimit -v` the program cannot even start.
	not_under_sanitizer "it limits the address space (ulimit -v)"
	# 200 MB of address space holds only a few 8 MiB thread stacks.
	start_server_after 'ulimit -v 200000'
	local fds=() fd i
	for i in $(seq 1 40); do
		connect_fd fd
		fds+=("$fd")
	done
	wait_for_log 5 'cannot start a thread for fd [0-9]+: .* \(connection closed\)'
	for fd in "${fds[@]}"; do
		exec {fd}>&-
	done
	wait_for 5 '[ "$(threads_of "$SERVER_PID")" -eq 1 ]'
	run "$CLIENT" -p "$PORT" -t 5000 <<<"served again"
	[ "$output" = "served again" ]
}
