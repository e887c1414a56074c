#!/usr/bin/env bats
# steps: 03-
# The loop library (handles, ref/unref, the timer heap) and the command protocol.

load helpers

# ---- the loop alone (test/unit/loop.c against this step's loop.c) ----------

@test "timers: earlier deadlines first, equal deadlines in start order" {
	build_unit loop
	run "$BATS_TEST_TMPDIR/loop" order
	[ "$output" = "order=FBCEDA" ]
}

@test "timers never fire early" {
	build_unit loop
	run "$BATS_TEST_TMPDIR/loop" not-early
	[ "$output" = "fired=200 early=0" ]
}

@test "an unref'd repeating timer runs, but does not keep the loop alive" {
	build_unit loop
	run "$BATS_TEST_TMPDIR/loop" unref-only
	[ "$output" = "ticks=0 ticker_fired=0" ]
	run "$BATS_TEST_TMPDIR/loop" unref-exit
	echo "$output"
	[[ $output =~ ticker_fired=([0-9]+)\ done$ ]]
	[ "${BASH_REMATCH[1]}" -ge 3 ]
}

@test "unref is a flag, not a counter" {
	build_unit loop
	run "$BATS_TEST_TMPDIR/loop" ref-flag
	[ "$output" = "fired=1" ]
}

@test "a timer restarted with timeout 0 from its callback fires once per iteration" {
	build_unit loop
	run "$BATS_TEST_TMPDIR/loop" restart-zero
	[ "$output" = "fired=1000 ticks_at_least_fired=1" ]
}

@test "timer_start clamps a deadline past the clock's end: no wrap-around" {
	build_unit loop
	run timeout 10 "$BATS_TEST_TMPDIR/loop" huge-timeout
	[ "$output" = "fired=0" ]
	run timeout 10 "$BATS_TEST_TMPDIR/loop" huge-repeat
	[ "$output" = "fired=2" ]
}

@test "a closing timer cannot be restarted (EINVAL) and never fires again" {
	build_unit loop
	run timeout 10 "$BATS_TEST_TMPDIR/loop" closing
	[ "$output" = "refused=1 closed=1 fired_after_close=0 active=0" ]
}

# ---- io watchers alone (test/unit/io.c) -------------------------------------

@test "a stopped watcher whose fd hangs up does not make the loop spin" {
	build_unit io
	run timeout 10 "$BATS_TEST_TMPDIR/io" stopped-hup
	echo "$output"
	[[ $output =~ ^ticks=([0-9]+)\ calls=0$ ]]
	[ "${BASH_REMATCH[1]}" -lt 10 ]
}

@test "an event from the same batch is masked by the watcher's interest now" {
	build_unit io
	run timeout 10 "$BATS_TEST_TMPDIR/io" stale
	[ "$output" = "calls=1 stale=0" ]
}

@test "io_set on a closing watcher is refused (EINVAL); stopping it is not" {
	build_unit io
	run timeout 10 "$BATS_TEST_TMPDIR/io" closing
	[ "$output" = "refused=1 stop_ok=1 calls=0 active=0" ]
}

# ---- the protocol ------------------------------------------------------------

@test "/help lists the commands" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/help"
	[[ $output == "commands: "* ]]
	local c
	for c in /help /quit /sleep /stats; do
		[[ " ${output#commands: } " == *" $c "* ]]
	done
}

@test "/quit says bye and closes, ignoring what follows" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'before\n/quit\nafter'
	[ "$status" -eq 0 ]
	[ "$output" = $'before\nbye' ]
}

@test "/stats: one line, the step 03 keys first and in order" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/stats"
	[[ $output =~ ^stats\ ticks=[0-9]+\ uptime_ms=[0-9]+\ idle_ms=[0-9]+\ conns=1\ handles=[0-9]+\ refs=[0-9]+\ timers=[0-9]+\ lag_ms=[0-9]+\ max_busy_ms=[0-9]+\ utilization=[01]\.[0-9]{3}($|\ ) ]]
}

@test "unknown commands and bad arguments get one error line, the connection stays" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/nope\n/sleep abc\n/sleep -5\n/sleep 3600001\nok'
	[ "${lines[0]}" = "error: /nope: unknown command (try /help)" ]
	[[ ${lines[1]} == "error: sleep: bad duration 'abc'"* ]]
	[[ ${lines[2]} == "error: sleep: bad duration '-5'"* ]]
	[[ ${lines[3]} == "error: sleep: bad duration '3600001'"* ]]
	[ "${lines[4]}" = "ok" ]
}

@test "a command line over 1024 bytes: an error, then the server closes" {
	start_server
	local long
	long="/$(head -c 1100 /dev/zero | tr '\0' 'x')"
	run "$CLIENT" -p "$PORT" -t 5000 <<<"$long"
	[ "$status" -eq 0 ]
	[ "$output" = "error: command too long (max 1024 bytes)" ]
}

@test "a 1024-byte command line is not too long, with \n or \r\n; 1025 bytes are" {
	start_server
	local arg
	arg=$(head -c 1016 /dev/zero | tr '\0' 'x')   # "/sleep " + 1016 + "1" = 1024 bytes
	run "$CLIENT" -p "$PORT" -t 5000 < <(printf '/sleep %s1\n/sleep %s1\r\n/sleep 1\r\n' "$arg" "$arg")
	[[ ${lines[0]} == "error: sleep: bad duration"* ]]
	[[ ${lines[1]} == "error: sleep: bad duration"* ]]
	[ "${lines[2]}" = "slept 1 ms" ]
	# The '\r' is not counted, but it is the only byte that is not.
	run "$CLIENT" -p "$PORT" -t 5000 < <(printf '/sleep %s12\r\n' "$arg")
	[ "$output" = "error: command too long (max 1024 bytes)" ]
	run "$CLIENT" -p "$PORT" -t 5000 < <(printf '/sleep %s1\r2\n' "$arg")
	[ "$output" = "error: command too long (max 1024 bytes)" ]
}

@test "data is echoed as it comes: no newline needed, '/' inside a line is data" {
	start_server
	local fd
	connect_fd fd
	printf 'no newline yet' >&"$fd"
	local got
	IFS= read -r -N 14 -t 5 got <&"$fd"
	[ "$got" = "no newline yet" ]
	printf ' a/b /c\n' >&"$fd"
	expect_line "$fd" " a/b /c"
}

@test "a megabyte of binary data with no newline is echoed intact" {
	start_server
	{ printf 'x'; head -c 1000000 /dev/urandom | tr -d '\n'; } >"$BATS_TEST_TMPDIR/noline"
	echo_check "$BATS_TEST_TMPDIR/noline"
}

@test "replies keep request order: input after a /sleep waits for its reply" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/sleep 200\nafter\n/sleep 0\nlast'
	[ "$output" = $'slept 200 ms\nafter\nslept 0 ms\nlast' ]
}

@test "/sleep does not fire early, and the loop serves others meanwhile" {
	start_server
	local a b t0 t1
	connect_fd a
	connect_fd b
	t0=$(now_ms)
	say "$a" "/sleep 800"
	say "$b" "meanwhile"
	expect_line "$b" "meanwhile"
	t1=$(now_ms)
	[ $((t1 - t0)) -lt 700 ]
	expect_line "$a" "slept 800 ms"
	t1=$(now_ms)
	[ $((t1 - t0)) -ge 800 ]
}

@test "many timers at once fire in deadline order across connections" {
	start_server
	local fds=() fd i ms
	for ms in 600 200 400; do
		connect_fd fd
		fds+=("$fd")
		say "$fd" "/sleep $ms"
	done
	local out=$BATS_TEST_TMPDIR/order readers=()
	for i in 0 1 2; do
		( hear "${fds[$i]}" 5 && echo "$(now_ms) $HEARD" >>"$out" ) &
		readers+=($!)
	done
	wait "${readers[@]}"
	run sort -n "$out"
	[ "${lines[0]#* }" = "slept 200 ms" ]
	[ "${lines[1]#* }" = "slept 400 ms" ]
	[ "${lines[2]#* }" = "slept 600 ms" ]
}

@test "EOF during a /sleep: the reply is still sent, then the server closes" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 < <(printf '/sleep 100\n')
	[ "$status" -eq 0 ]
	[ "$output" = "slept 100 ms" ]
	# A last command with no newline before EOF still runs.
	run "$CLIENT" -p "$PORT" -t 5000 < <(printf '/sleep 50')
	[ "$output" = "slept 50 ms" ]
}

@test "a client that resets during a /sleep is closed at once, not after it" {
	start_server
	local probe
	connect_fd probe
	resettable_client "/sleep 60000"
	wait_for 5 '[ "$(stats_value "$probe" timers)" -eq 1 ]'
	vanish
	wait_for 5 '[ "$(stats_value "$probe" conns)" -eq 1 ]'
	[ "$(stats_value "$probe" timers)" -eq 0 ]
}

@test "a client that half-closes, then resets during a /sleep is closed at once too" {
	start_server --trace
	local probe w client fifo=$BATS_TEST_TMPDIR/half.fifo
	connect_fd probe
	mkfifo "$fifo"
	exec {w}<>"$fifo"
	# --no-read: the echo of "hello" stays unread, so the client's end is a reset.
	bg "$CLIENT" -p "$PORT" --no-read -t 60000 <"$fifo" {w}>&-
	client=${BG_PIDS[-1]}
	printf 'hello\n/sleep 60000\n' >&"$w"
	wait_for 5 '[ "$(stats_value "$probe" timers)" -eq 1 ]'
	exec {w}>&-                     # stdin EOF: the client half-closes (a FIN)
	wait_for_log 5 'half-closed'    # the server has seen the FIN on its own...
	kill -9 "$client"               # ...and only then the reset
	wait_for 5 '[ "$(stats_value "$probe" conns)" -eq 1 ]'
	[ "$(stats_value "$probe" timers)" -eq 0 ]
}

@test "--idle-timeout closes quiet connections, not busy ones" {
	start_server --idle-timeout 300
	local quiet busy t0
	# Before the connect: the server starts the idle timer when it accepts,
	# which may be long after connect_fd returns on a loaded machine.
	t0=$(now_ms)
	connect_fd quiet
	connect_fd busy
	say "$busy" "/sleep 700"
	expect_closed "$quiet" 5
	[ $(( $(now_ms) - t0 )) -ge 290 ]
	expect_line "$busy" "slept 700 ms"
	say "$busy" "still open"
	expect_line "$busy" "still open"
}

@test "--stats-interval prints the stats line to stderr, again and again" {
	start_server --stats-interval 100
	wait_for 5 '[ "$(grep -c "^stats ticks=" "$SERVER_ERR")" -ge 3 ]'
}

@test "--trace shows how long the loop will wait, and why" {
	start_server --trace
	local fd
	connect_fd fd
	say "$fd" "/sleep 300"
	expect_line "$fd" "slept 300 ms"
	grep -qE '^tick [0-9]+ wait=forever \(no timers\) woke: fd [0-9]+ readable' "$SERVER_ERR"
	grep -qE '^tick [0-9]+ wait=(29[0-9]|300)ms \(next timer\) woke: timeout' "$SERVER_ERR"
}

@test "bad option values are usage errors" {
	run "$STEP_BIN" --idle-timeout abc
	[ "$status" -eq 2 ]
	run "$STEP_BIN" --stats-interval -1
	[ "$status" -eq 2 ]
}
