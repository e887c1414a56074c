#!/usr/bin/env bats
# steps: 06-
# Signal handles (unref'd), graceful shutdown, SIGUSR1, and EINTR under a storm.

load helpers

@test "SIGTERM: in-flight /sleep answered, listener refused at once, exit 0" {
	start_server
	local busy idle t0
	busy_conn busy "/sleep 600"
	connect_fd idle
	say "$idle" "hi"
	expect_line "$idle" "hi"
	t0=$(now_ms)
	kill -TERM "$SERVER_PID"
	wait_for_log 5 'shutting down \(SIGTERM\)'
	# The listener is closed at once: a new client is refused...
	run "$CLIENT" -p "$PORT" -t 2000 <<<"too late"
	[ "$status" -eq 1 ]
	[[ $output == *"Connection refused"* ]]
	# ...the idle connection is closed at once...
	expect_closed "$idle" 2
	[ $(( $(now_ms) - t0 )) -lt 500 ]
	# ...and the busy one gets its answer, then is closed.
	expect_line "$busy" "slept 600 ms"
	expect_closed "$busy" 2
	wait_server_exit 5
	[ "$SERVER_STATUS" -eq 0 ]
}

@test "SIGTERM while the client is still sending: its last reply arrives, then EOF, exit 0" {
	start_server
	local data=$BATS_TEST_TMPDIR/data in=$BATS_TEST_TMPDIR/in want=$BATS_TEST_TMPDIR/want
	local got=$BATS_TEST_TMPDIR/got probe
	random_bytes 300000 >"$data"
	{ cat "$data"; printf '\n/sleep 300\n'; head -c 2000000 /dev/zero | tr '\0' y; } >"$in"
	{ cat "$data"; printf '\nslept 300 ms\n'; } >"$want"
	connect_fd probe
	# The reader takes a second before it reads, so that when the server closes,
	# its kernel still holds the echo and the reply: a close() with the client's
	# input unread would turn them into a reset.
	bg bash -c '"$1" -p "$2" -t 10000 <"$3" | { sleep 1; cat; } >"$4"' _ "$CLIENT" "$PORT" "$in" "$got"
	wait_for 5 '[ "$(stats_value "$probe" timers)" -eq 1 ]'
	kill -TERM "$SERVER_PID"
	wait "${BG_PIDS[0]}"
	cmp "$want" "$got"
	wait_server_exit 5
	[ "$SERVER_STATUS" -eq 0 ]
}

@test "SIGINT shuts down the same way; a pool job in flight is answered" {
	start_server
	local fd
	connect_fd fd
	say "$fd" "/work 400"
	# Wait until the job is on the pool, so the signal finds it in flight.
	wait_for 5 '[ "$(threads_of "$SERVER_PID")" -gt 1 ]'
	kill -INT "$SERVER_PID"
	hear "$fd" 5
	[[ $HEARD == "worked 400 ms, queued "* ]]
	wait_server_exit 5
	[ "$SERVER_STATUS" -eq 0 ]
	grep -q 'shutting down (SIGINT)' "$SERVER_ERR"
}

@test "an idle server exits 0 at once on SIGTERM: signal handles keep nothing alive" {
	start_server --stats-interval 50
	kill -TERM "$SERVER_PID"
	wait_server_exit 2
	[ "$SERVER_STATUS" -eq 0 ]
}

@test "--shutdown-timeout force-closes what is left" {
	start_server --shutdown-timeout 300
	local fd t0
	busy_conn fd "/sleep 10000"
	t0=$(now_ms)
	kill -TERM "$SERVER_PID"
	expect_closed "$fd" 5
	local took=$(( $(now_ms) - t0 ))
	echo "closed after $took ms"
	[ "$took" -ge 250 ] && [ "$took" -lt 3000 ]
	wait_server_exit 5
	[ "$SERVER_STATUS" -eq 0 ]
	grep -q 'shutdown timeout: closing 1 connection' "$SERVER_ERR"
}

@test "the shutdown timeout with a pool job still running: exit 1, said why" {
	start_server --shutdown-timeout 200
	local fd
	connect_fd fd
	say "$fd" "/work 5000"
	wait_for 5 '[ "$(threads_of "$SERVER_PID")" -gt 1 ]'
	kill -TERM "$SERVER_PID"
	wait_server_exit 5
	[ "$SERVER_STATUS" -eq 1 ]
	grep -q 'pool job still running' "$SERVER_ERR"
}

@test "a second SIGTERM or SIGINT exits at once with 128+signo" {
	start_server
	local fd
	busy_conn fd "/sleep 10000"
	kill -TERM "$SERVER_PID"
	wait_for_log 5 'shutting down'
	kill -INT "$SERVER_PID"
	wait_server_exit 2
	[ "$SERVER_STATUS" -eq 130 ]

	start_server
	busy_conn fd "/sleep 10000"
	kill -INT "$SERVER_PID"
	wait_for_log 5 'shutting down'
	kill -TERM "$SERVER_PID"
	wait_server_exit 2
	[ "$SERVER_STATUS" -eq 143 ]
}

@test "SIGUSR1 prints the stats line to stderr; /stats counts signals" {
	start_server
	kill -USR1 "$SERVER_PID"
	wait_for_log 5 '^stats ticks=.* signals=1($| )'
	kill -USR1 "$SERVER_PID"
	wait_for_log 5 '^stats ticks=.* signals=2($| )'
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/stats"
	[[ $output =~ \ async_sends=[0-9]+\ wakeups=[0-9]+\ signals=2($|\ ) ]]
}

@test "a storm of signals while serving: every byte intact, every reply right" {
	head -c 3000000 /dev/urandom >"$BATS_TEST_TMPDIR/file"
	start_server --root "$BATS_TEST_TMPDIR"
	random_bytes 6000000 >"$BATS_TEST_TMPDIR/big"
	"$CLIENT" -p "$PORT" -t 20000 <"$BATS_TEST_TMPDIR/big" >"$BATS_TEST_TMPDIR/echo" 3>&- &
	local echoer=$!
	"$CLIENT" -p "$PORT" -t 20000 <<<$'/cat file\n/work 200\n/sleep 200' >"$BATS_TEST_TMPDIR/cmds" 3>&- &
	local commander=$!
	local i
	for i in $(seq 1 300); do
		kill -USR1 "$SERVER_PID"
	done
	wait "$echoer"
	wait "$commander"
	cmp "$BATS_TEST_TMPDIR/big" "$BATS_TEST_TMPDIR/echo"
	head -c 3000013 "$BATS_TEST_TMPDIR/cmds" | tail -c 3000000 | cmp - "$BATS_TEST_TMPDIR/file"
	run tail -c +3000014 "$BATS_TEST_TMPDIR/cmds"
	[[ ${lines[0]} == "worked 200 ms, queued "*" ms" ]]
	[ "${lines[1]}" = "slept 200 ms" ]
	kill -0 "$SERVER_PID"
}

# From outside, a storm cannot fill the signal pipe: the kernel coalesces a
# signal that is already pending, and 300,000 kill()s during a /block ran the
# handler only some 2,000 times. raise() runs it every time, so the loop
# library alone is what can be given more signals than the pipe holds.
@test "70,000 SIGUSR1s while the loop is busy, then SIGTERM: the SIGTERM is not lost" {
	build_unit signal
	run timeout 20 "$BATS_TEST_TMPDIR/signal" storm
	[ "$output" = "usr1_callbacks_at_least_one=1 term_callbacks=1" ]
}

@test "a signal left unread by a closed loop still reaches the next loop" {
	build_unit signal
	run timeout 20 "$BATS_TEST_TMPDIR/signal" new-loop
	[ "$output" = "usr1_callbacks=1 term_callbacks=1" ]
}

@test "a closing signal handle cannot be restarted (EINVAL)" {
	build_unit signal
	run timeout 10 "$BATS_TEST_TMPDIR/signal" closing
	[ "$output" = "refused=1 active=0" ]
}

@test "bad --shutdown-timeout is a usage error" {
	run "$STEP_BIN" --shutdown-timeout soon
	[ "$status" -eq 2 ]
}
