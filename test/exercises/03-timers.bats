#!/usr/bin/env bats
# The checkable exercise of 03-timers/README.md: /tick N MS, a repeating timer.
# It sends `tick 1` ... `tick N`, MS ms apart, then `done`; the loop serves
# everyone else meanwhile, and the timer is stopped once it has ticked N times.
# Run it: make -C 03-timers exercise

load ../helpers

@test "/help lists /tick" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/help"
	[[ " ${output#commands: } " == *" /tick "* ]]
}

@test "/tick 3 200: tick 1, tick 2, tick 3, done, none of them early" {
	start_server
	local fd t0 i
	connect_fd fd
	t0=$(now_ms)
	say "$fd" "/tick 3 200"
	for i in 1 2 3; do
		expect_line "$fd" "tick $i"
		[ $(( $(now_ms) - t0 )) -ge $((i * 200 - 10)) ]
	done
	expect_line "$fd" "done"
}

@test "input after /tick waits for its done; then the connection carries on" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/tick 2 50\nafter\n/tick 1 10\nlast'
	[ "$output" = $'tick 1\ntick 2\ndone\nafter\ntick 1\ndone\nlast' ]
}

@test "while one connection ticks, the loop serves the others" {
	start_server
	local a b
	connect_fd a
	connect_fd b
	say "$a" "/tick 2 1000"
	expect_line "$a" "tick 1"
	# A /tick that slept in the loop would hold this echo back for a second.
	say "$b" "between ticks"
	expect_line "$b" "between ticks" 0.8
	expect_line "$a" "tick 2"
	expect_line "$a" "done"
}

@test "the timer is stopped after the last tick" {
	start_server
	local fd
	connect_fd fd
	say "$fd" "/tick 3 20"
	expect_line "$fd" "tick 1"
	expect_line "$fd" "tick 2"
	expect_line "$fd" "tick 3"
	expect_line "$fd" "done"
	[ "$(stats_value "$fd" timers)" -eq 0 ]
	# Nothing more comes from a timer that should be gone.
	say "$fd" "quiet?"
	expect_line "$fd" "quiet?"
}

@test "bad counts and intervals get an error line; the connection stays" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/tick\n/tick 0 100\n/tick x 100\n/tick 3\n/tick 3 0\n/tick 3 abc\nok'
	echo "$output"
	[ "${#lines[@]}" -eq 7 ]
	local i
	for i in 0 1 2 3 4 5; do
		[[ ${lines[$i]} == "error: tick: "* ]]
	done
	[ "${lines[6]}" = "ok" ]
}
