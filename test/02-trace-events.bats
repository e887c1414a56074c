#!/usr/bin/env bats
# steps: 02-
# --trace-events FILE (TRACE.md), what step 02 adds: polls and I/O callbacks, the size cap, a full disk, SIGKILL.
# Each recorded run is checked by tools/trace-check: it parses, per thread the
# events come in order and the slices nest, every flow and span has both ends.

load helpers
load trace-helpers

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

@test "without --trace-events nothing is recorded: the server has no file open" {
	start_server
	echo_lines 'one\n'
	# Past stdin, stdout and stderr: sockets, epoll, pipes, a directory; no file.
	[ -z "$(find "/proc/$SERVER_PID/fd" -name '[0-9]*' ! -name '[012]' -xtype f)" ]
	kill_started    # or the second start_server leaves this one running for good
	start_server --trace-events "$TRACE"
	[ -n "$(find "/proc/$SERVER_PID/fd" -lname "$TRACE")" ]
}

@test "--trace-events to a file that cannot be written: exit 1, the reason said" {
	run "$STEP_BIN" --port 0 --trace-events "$BATS_TEST_TMPDIR/no/such/dir/t.json"
	[ "$status" -eq 1 ]
	[[ $output == *"cannot write"*"No such file or directory"* ]]
}

@test "--trace-events to a FIFO nobody reads: exit 1 at once, never a hang" {
	mkfifo "$BATS_TEST_TMPDIR/t.fifo"
	# An open() that waits for a reader would wait for good: timeout says so (124).
	run timeout 10 "$STEP_BIN" --port 0 --trace-events "$BATS_TEST_TMPDIR/t.fifo"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"cannot write $BATS_TEST_TMPDIR/t.fifo: not a regular file"* ]]
}

@test "--trace-events to a device: refused, not written to" {
	run timeout 10 "$STEP_BIN" --port 0 --trace-events /dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"cannot write /dev/null: not a regular file"* ]]
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

@test "a full disk mid-write: recording stops, the file is cut back to whole JSON" {
	# A file size limit is a full disk that needs no mount: the write that
	# crosses it goes in part-way (then EFBIG), as one on a full disk does.
	start_server_after "trap '' XFSZ; ulimit -f 100" --trace-events "$TRACE"
	run "$LOADGEN" -p "$PORT" -c 1 -s 16 -n 3000
	[ "$status" -eq 0 ]
	wait_for_log 5 "write: File too large; recording stopped"
	end_run
	run trace_check --has io:X:"io fd"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(stat -c %s "$TRACE")" -le $((100 * 1024)) ]
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
