#!/usr/bin/env bats
# steps: 02-
# One thread and epoll: what the loop must get right on its own (step 02).

load helpers

@test "one thread holds 2,000 connections" {
	start_server
	run "$LOADGEN" -p "$PORT" -c 2000 -d 1 --hold --pid "$SERVER_PID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"conns=2000 "* ]]
	[[ $output == *" threads=1 "* ]]
}

@test "an idle connection costs well under 1 KiB of server memory" {
	not_under_sanitizer "it measures the server's memory (RSS)"
	start_server
	local before after
	before=$(rss_kb_of "$SERVER_PID")
	run "$LOADGEN" -p "$PORT" -c 2000 -d 1 --hold --pid "$SERVER_PID"
	[ "$status" -eq 0 ]
	after=$(sed -n 's/.*rss_kb=\([0-9]*\).*/\1/p' <<<"$output")
	echo "RSS before ${before} kB, with 2000 idle connections ${after} kB"
	# 2,000 connections × 1 KiB = 2,000 kB; a buffer kept in every
	# connection (4 KiB or more) would fail this.
	[ $((after - before)) -lt 2000 ]
}

@test "--trace prints one tick line per iteration: the wait and what woke it" {
	start_server --trace
	run "$CLIENT" -p "$PORT" -t 5000 <<<"tick tock"
	[ "$output" = "tick tock" ]
	wait_for_log 5 '^tick [0-9]+ .*wait=forever.* fd [0-9]+ readable'
}

@test "a client that sends and never reads cannot grow the server's memory" {
	not_under_sanitizer "it measures the server's memory (RSS)"
	start_server
	local before after
	before=$(rss_kb_of "$SERVER_PID")
	bg "$CLIENT" -p "$PORT" --no-read -t 30000 < <(head -c 200000000 /dev/zero)
	# Meanwhile everyone else is served.
	local i
	for i in 1 2 3; do
		run "$CLIENT" -p "$PORT" -t 5000 <<<"others $i"
		[ "$output" = "others $i" ]
	done
	# Give the flood time to fill every buffer between the two ends; memory
	# is the thing measured here, so this waits on the clock on purpose.
	sleep 1
	after=$(rss_kb_of "$SERVER_PID")
	echo "RSS before ${before} kB, after flooding ${after} kB"
	[ $((after - before)) -lt 1024 ]
	run "$CLIENT" -p "$PORT" -t 5000 <<<"still served"
	[ "$output" = "still served" ]
}

@test "out of fds: no busy loop, connections refused, serving resumes" {
	# Hard and soft limit both 24: the server cannot raise it back.
	start_server_after 'ulimit -n 24'
	local base
	base=$(ls /proc/"$SERVER_PID"/fd | wc -l)

	local fds=() fd i
	for i in $(seq 1 40); do
		connect_fd fd
		fds+=("$fd")
	done
	wait_for_log 5 'out of file descriptors: refused [0-9]+ connection'
	# A level-triggered loop that cannot accept would spin: 100 ticks a second.
	local t0 t1
	t0=$(cpu_ticks "$SERVER_PID")
	sleep 1
	t1=$(cpu_ticks "$SERVER_PID")
	echo "CPU ticks in 1 s while out of fds: $((t1 - t0))"
	[ $((t1 - t0)) -lt 30 ]
	for fd in "${fds[@]}"; do
		exec {fd}>&-
	done
	wait_for 5 '[ "$(ls /proc/"$SERVER_PID"/fd | wc -l)" -le "$base" ]'
	run "$CLIENT" -p "$PORT" -t 5000 <<<"served again"
	[ "$output" = "served again" ]
}
