#!/usr/bin/env bats
# The checkable exercise of 05-self-pipe/README.md: /burst N.
# A plain thread of its own (not the pool) calls async_send() N times on a new
# async handle; once it is done, the client hears `burst N sends, C callbacks`,
# where C < N shows the sends coalescing. Run it: make -C 05-self-pipe exercise

load ../helpers

@test "/help lists /burst" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/help"
	[[ " ${output#commands: } " == *" /burst "* ]]
}

@test "/burst 1: one send, one callback; the connection carries on" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/burst 1\nafter'
	[ "$output" = $'burst 1 sends, 1 callbacks\nafter' ]
}

@test "/burst 100000: every send counted, far fewer callbacks" {
	start_server
	local fd before after callbacks
	connect_fd fd
	before=$(stats_value "$fd" async_sends)
	say "$fd" "/burst 100000"
	hear "$fd" 20
	echo "heard: $HEARD"
	[[ $HEARD =~ ^burst\ 100000\ sends,\ ([0-9]+)\ callbacks$ ]]
	callbacks=${BASH_REMATCH[1]}
	[ "$callbacks" -ge 1 ]
	[ "$callbacks" -lt 100000 ]
	after=$(stats_value "$fd" async_sends)
	[ $((after - before)) -eq 100000 ]
}

@test "/burst uses a thread of its own, not the pool, and it is gone afterwards" {
	start_server
	local fd
	connect_fd fd
	say "$fd" "/burst 1000"
	hear "$fd" 20
	[[ $HEARD == "burst 1000 sends, "*" callbacks" ]]
	[ "$(stats_value "$fd" pool_threads)" -eq 0 ]
	wait_for 5 '[ "$(threads_of "$SERVER_PID")" -eq 1 ]'
}

@test "/burst with a bad count is an error; the connection stays open" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/burst 0\n/burst many\n/burst\nstill here'
	echo "$output"
	[[ ${lines[0]} == "error: burst: "* ]]
	[[ ${lines[1]} == "error: burst: "* ]]
	[[ ${lines[2]} == "error: burst: "* ]]
	[ "${lines[3]}" = "still here" ]
}
