#!/usr/bin/env bats
# steps: 05-
# Async handles and the self-pipe: wake-ups from other threads, coalesced.

load helpers

@test "100,000 sends from another thread: far fewer callbacks, none lost" {
	build_unit async
	run timeout 20 "$BATS_TEST_TMPDIR/async" 100000
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output =~ ^sends=100001\ callbacks=([0-9]+)\ wakeups=([0-9]+)$ ]]
	local callbacks=${BASH_REMATCH[1]} wakeups=${BASH_REMATCH[2]}
	[ "$callbacks" -ge 1 ]
	[ "$callbacks" -lt 10000 ]
	[ "$wakeups" -le "$callbacks" ]
}

@test "an async handle with no callback: a send wakes the loop, and nothing crashes" {
	build_unit async
	run timeout 20 "$BATS_TEST_TMPDIR/async" null-cb
	[ "$status" -eq 0 ]
	[ "$output" = "other_callbacks=1" ]
}

@test "/stats: async_sends and wakeups follow the pool keys" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/work 1\n/stats'
	[[ ${lines[1]} =~ \ pool_done=1\ async_sends=1\ wakeups=1($|\ ) ]]
}

@test "pool completions that finish together share wake-ups" {
	start_server_after 'export UV_THREADPOOL_SIZE=64'
	local fds=() fd i probe
	for i in $(seq 1 64); do
		connect_fd fd
		fds+=("$fd")
	done
	connect_fd probe
	for fd in "${fds[@]}"; do
		say "$fd" "/work 2000"
	done
	# Once all 64 run, hold the loop thread (step 04's /block) until they
	# have finished: their completions find the loop busy and must share
	# wake-ups, however slow or loaded the machine is. (2 s each: time for a
	# loaded machine to start the last before the first ends.)
	wait_for 10 '[ "$(stats_value "$probe" pool_running)" -eq 64 ]'
	say "$probe" "/block 3000"
	expect_line "$probe" "blocked the loop for 3000 ms" 10
	for fd in "${fds[@]}"; do
		hear "$fd" 10
		[[ $HEARD == "worked 2000 ms"* ]]
	done
	local sends wakeups
	sends=$(stats_value "$probe" async_sends)
	wakeups=$(stats_value "$probe" wakeups)
	echo "async_sends=$sends wakeups=$wakeups"
	[ "$sends" -eq 64 ]
	[ "$wakeups" -lt "$sends" ]
}

@test "the self-pipe is in the fd table: pipe ends, no eventfd" {
	start_server
	local links
	links=$(for fd in /proc/"$SERVER_PID"/fd/*; do readlink "$fd"; done)
	echo "$links"
	[ "$(grep -c '^pipe:' <<<"$links")" -ge 2 ]
	! grep -q 'eventfd' <<<"$links"
}
