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
	run trace_check --long loop 100
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

@test "/work 100: a slice of >= 100 ms on a pool thread, none on the loop thread" {
	since 04
	start_server --trace-events "$TRACE"
	connect_fd c
	say "$c" "/work 100"
	hear "$c"
	[[ $HEARD == "worked 100 ms, queued "* ]]
	exec {c}>&-
	end_run
	run trace_check --long pool 100 --no-long loop 100 --count pool:X:"/work 100" 1 \
		--count loop:X:"done /work 100" 1 --count pool:s:job 1 --count pool:t:job 1
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '"name":"thread_name".*"args":{"name":"pool-[0-9]*"}' "$TRACE"
}

@test "/cat: each chunk a job, with its arrow from submit to worker to completion" {
	since 04
	mkdir -p "$BATS_TEST_TMPDIR/root"
	head -c 200000 /dev/zero >"$BATS_TEST_TMPDIR/root/file"
	start_server --trace-events "$TRACE" --root "$BATS_TEST_TMPDIR/root"
	"$CLIENT" -p "$PORT" -t 10000 <<<"/cat file" >/dev/null
	end_run
	run trace_check --count pool:X:"/cat open" 1 --has pool:X:"/cat chunk" \
		--has loop:X:"done /cat chunk"
	echo "$output"
	[ "$status" -eq 0 ]
	# Every job's flow starts once and finishes once (trace-check checks
	# that); as many starts as jobs.
	jobs=$(grep -c '"cat":"pool","name":"/cat' "$TRACE")
	flows=$(grep -c '"ph":"s","cat":"pool"' "$TRACE")
	[ "$jobs" -eq "$flows" ]
}

@test "8 completions while the loop is blocked: 8 async_sends, their arrows end in one wake-up" {
	since 05
	start_server_after "export UV_THREADPOOL_SIZE=8" --trace-events "$TRACE"
	local fds=() i
	for i in 1 2 3 4 5 6 7 8; do
		connect_fd c
		fds+=("$c")
		say "$c" "/work 300"
	done
	connect_fd probe
	wait_for 10 '[ "$(stats_value "$probe" pool_running)" -eq 8 ]'
	say "$probe" "/block 600"       # all 8 finish while the loop spins
	expect_line "$probe" "blocked the loop for 600 ms" 10
	for c in "${fds[@]}"; do
		hear "$c" 10
		exec {c}>&-
	done
	exec {probe}>&-
	end_run
	run trace_check --count async:i:async_send 8 --count async:s:wakeup 8 \
		--count async:f:wakeup 8 --times async:f:wakeup 1
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "SIGTERM with a /work in flight: the signal, the job and the shutdown, in a closed file" {
	since 06
	start_server --trace-events "$TRACE"
	connect_fd c
	connect_fd probe
	say "$c" "/work 300"
	wait_for 10 '[ "$(stats_value "$probe" pool_running)" -eq 1 ]'
	kill -TERM "$SERVER_PID"
	wait_for_log 5 "shutting down \(SIGTERM\)"
	hear "$c" 10
	[[ $HEARD == "worked 300 ms"* ]]
	wait_server_exit 10
	[ "$SERVER_STATUS" -eq 0 ]
	run trace_check --count signal:i:SIGTERM 1 --count pool:X:"/work 300" 1 --ticks 1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(tail -c 4 "$TRACE")" = $'\n]}' ] || [ "$(tail -c 3 "$TRACE")" = $']}\n' ]
}

@test "a second SIGINT exits at once: the file is still whole, both signals in it" {
	since 06
	start_server --trace-events "$TRACE"
	connect_fd c
	connect_fd probe
	say "$c" "/work 5000"
	wait_for 10 '[ "$(stats_value "$probe" pool_running)" -eq 1 ]'
	kill -INT "$SERVER_PID"
	wait_for_log 5 "shutting down \(SIGINT\)"
	kill -INT "$SERVER_PID"
	wait_server_exit 10
	[ "$SERVER_STATUS" -eq 130 ]
	run trace_check --cut --count signal:i:SIGINT 2
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "each child from spawn to reap: an async span, ending with its exit or its signal" {
	since 07
	start_server --trace-events "$TRACE" --allow true,false,sleep
	connect_fd c
	say "$c" "/run true"
	expect_line "$c" "exit 0"
	say "$c" "/run false"
	expect_line "$c" "exit 1"
	exec {c}>&-
	connect_fd probe
	resettable_client "/run sleep 30"
	wait_for 10 '[ "$(stats_value "$probe" children)" -eq 1 ]'
	vanish                          # a reset: the server terminates its child
	wait_for 10 '[ "$(stats_value "$probe" children)" -eq 0 ]'
	exec {probe}>&-
	end_run
	run trace_check --count process:b:"child " 3 --count process:e:"child " 3
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '"ph":"e","cat":"process","name":"child [0-9]* true".*"args":{"exit":0}' "$TRACE"
	grep -q '"ph":"e","cat":"process","name":"child [0-9]* false".*"args":{"exit":1}' "$TRACE"
	grep -q '"ph":"e","cat":"process","name":"child [0-9]* sleep".*"args":{"signal":"SIGTERM"}' "$TRACE"
}

# trace_dns_server [SLOWDNS ARGS...] — tools/slowdns on a free port; sets DNS_PORT.
trace_dns_server() {
	local fifo=$BATS_TEST_TMPDIR/dns.out line
	mkfifo "$fifo"
	"$SLOWDNS" -p 0 "$@" >"$fifo" 2>/dev/null 3>&- &
	BG_PIDS+=($!)
	read -r -t 10 line <"$fifo"
	DNS_PORT=${line##*:}
	[ -n "$DNS_PORT" ]
}

@test "/resolve: each query an async span from send to answer, its retries instants on it" {
	since 08
	trace_dns_server --answer one.test=10.0.0.1
	start_server --trace-events "$TRACE" --dns-server "127.0.0.1:$DNS_PORT"
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/resolve one.test"
	[ "$output" = "resolve one.test 10.0.0.1" ]
	end_run
	run trace_check --count dns:b:"resolve one.test" 1 --count dns:e:"resolve one.test" 1 \
		--count dns:n: 0
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '"ph":"e","cat":"dns".*"args":{"answer":"ok"}' "$TRACE"
}

@test "/resolve to a server that drops every query: each retry on the span, then the timeout" {
	since 08
	trace_dns_server --fault drop
	start_server --trace-events "$TRACE" --dns-server "127.0.0.1:$DNS_PORT" \
		--dns-timeout 100 --dns-tries 3
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/resolve one.test"
	[ "$output" = "error: resolve one.test: timeout" ]
	end_run
	run trace_check --count dns:b:"resolve one.test" 1 --count dns:n:"try " 2 \
		--count dns:e:"resolve one.test" 1
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '"ph":"e","cat":"dns".*"args":{"answer":"timeout"}' "$TRACE"
}

@test "/lookup: a pool job named for the host; a name a client sent is escaped" {
	since 08
	start_server --trace-events "$TRACE"
	printf '/lookup a"b\\c\x01\xff.invalid\n' | "$CLIENT" -p "$PORT" -t 10000 >/dev/null
	end_run
	run trace_check --count pool:X:'lookup a"b\c' 1
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qF '"name":"lookup a\"b\\c\u0001?.invalid"' "$TRACE"
}

@test "/resolve of an answer too big for UDP: the span shows the try over TCP" {
	since 08
	trace_dns_server --answer many.test='10.1.0.1*40'
	start_server --trace-events "$TRACE" --dns-server "127.0.0.1:$DNS_PORT"
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/resolve many.test"
	[[ $output == "resolve many.test 10.1.0.1 "* ]]
	end_run
	run trace_check --count dns:b:"resolve many.test" 1 --count dns:n:"try 1 over TCP" 1 \
		--count dns:e:"resolve many.test" 1 --has io:X:"io fd"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '"name":"io fd [0-9]* (dns tcp)"' "$TRACE"
}
