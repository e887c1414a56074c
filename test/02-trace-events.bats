#!/usr/bin/env bats
# steps: 02-
# --trace-events FILE: the run as a Chrome Trace Event file (TRACE.md). Each
# recorded run is checked by test/trace-check.py: it parses, per thread the
# events come in order and the slices nest, every flow and span has both ends.

load helpers

setup() {
	TRACE=$BATS_TEST_TMPDIR/trace.json
}

# echo_lines TEXT — echo_check on a file holding TEXT.
echo_lines() {
	local f=$BATS_TEST_TMPDIR/lines.$RANDOM
	printf "$1" >"$f"
	echo_check "$f"
}

# trace_check [CHECK]... — test/trace-check.py on $TRACE.
trace_check() {
	python3 "$KIT_ROOT/test/trace-check.py" "$TRACE" "$@"
}

# The server's loop thread is asleep in epoll_wait(). The recorder writes what
# it buffered just before the loop sleeps: from here a kill loses nothing.
loop_asleep() {
	grep -q epoll "/proc/$SERVER_PID/wchan"
}

# end_run — SIGTERM. Until step 06 nothing handles it and the server dies where
# it sleeps (its file is whole JSON between writes); from 06 on it is a graceful
# shutdown that writes the rest.
end_run() {
	[ "$STEP_NUM" -ge 6 ] || wait_for 5 loop_asleep
	kill -TERM "$SERVER_PID"
	wait_server_exit 10
}

@test "an echo run recorded: valid JSON, polls and io slices on the loop thread" {
	start_server --trace-events "$TRACE"
	echo_lines 'one\ntwo\n'
	echo_lines 'three\n'
	end_run
	run trace_check --has loop:X:"poll wait=" --has io:X:"io fd" --has io:X:"io fd "
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '"name":"thread_name".*"args":{"name":"loop"}' "$TRACE"
	grep -q '"name":"io fd [0-9]* (listener)"' "$TRACE"
	grep -q '"name":"io fd [0-9]* (conn)"' "$TRACE"
}

@test "without --trace-events nothing is recorded" {
	cd "$BATS_TEST_TMPDIR"
	start_server
	echo_lines 'one\n'
	[ -z "$(find . -name '*.json')" ]
}

@test "--trace-events to a file that cannot be written: exit 1, the reason said" {
	run "$STEP_BIN" --port 0 --trace-events "$BATS_TEST_TMPDIR/no/such/dir/t.json"
	[ "$status" -eq 1 ]
	[[ $output == *"cannot write"*"No such file or directory"* ]]
}

@test "--trace-events-max: recording stops with a note, the file stays valid" {
	start_server --trace-events "$TRACE" --trace-events-max 1
	run "$LOADGEN" -p "$PORT" -c 1 -s 16 -n 6000
	[ "$status" -eq 0 ]
	grep -q -- "--trace-events-max 1 MB; recording stopped" "$SERVER_ERR"
	end_run
	run trace_check --count trace:i:"--trace-events-max reached" 1
	echo "$output"
	[ "$status" -eq 0 ]
	size=$(stat -c %s "$TRACE")
	[ "$size" -le $((1 << 20)) ]
	[ "$size" -gt $((1 << 19)) ]
}

@test "the polls recorded are the ticks /stats counts" {
	since 03
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
	grep -q '"name":"poll wait=20ms (next timer)"' "$TRACE"
}

@test "/block 100: a slice of >= 100 ms on the loop thread, with no poll inside" {
	since 04
	start_server --trace-events "$TRACE"
	connect_fd c
	say "$c" "/block 100"
	expect_line "$c" "blocked the loop for 100 ms"
	exec {c}>&-
	end_run
	# /block counts whole ms on the loop's clock, so it may spin 99.x ms.
	run trace_check --long loop 99
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "SIGKILL mid-run: the file is whole JSON up to the loop's last sleep" {
	start_server --trace-events "$TRACE"
	echo_lines 'one\n'
	wait_for 5 loop_asleep
	kill -KILL "$SERVER_PID"
	wait_server_exit 10
	run trace_check --has io:X:"io fd"
	echo "$output"
	[ "$status" -eq 0 ]
}
