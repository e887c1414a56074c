#!/usr/bin/env bats
# steps: 03-
# A stall you can see: /stats's max_busy_ms (the longest time between two
# epoll_wait()s) and utilization (busy / (busy + idle)) work with no timer due,
# where lag_ms, a timer's lateness, sees nothing. Step 04 adds /block to stall with.

load helpers

# stats_line FD — asks /stats on FD; the line goes to $HEARD.
stats_line() {
	say "$1" /stats
	hear "$1"
}

# key LINE KEY — the value of KEY in the /stats LINE.
key() {
	[[ $1 =~ (^|\ )$2=([0-9.]+) ]] || { echo "no $2 in '$1'" >&2; return 1; }
	echo "${BASH_REMATCH[2]}"
}

# permille 0.123 -> 123
permille() {
	local int=${1%.*} frac=${1#*.}
	echo $((10#$int * 1000 + 10#$frac))
}

@test "/stats: max_busy_ms and utilization, at rest and after a wait" {
	start_server
	local c first second
	connect_fd c
	stats_line "$c"
	first=$HEARD
	say "$c" "/sleep 300"
	expect_line "$c" "slept 300 ms" 10
	stats_line "$c"
	second=$HEARD
	echo "$first"
	echo "$second"
	local u1 u2 b1 b2 up idle
	u1=$(key "$first" utilization)
	u2=$(key "$second" utilization)
	b1=$(key "$first" max_busy_ms)
	b2=$(key "$second" max_busy_ms)
	up=$(key "$second" uptime_ms)
	idle=$(key "$second" idle_ms)
	[[ $u1 =~ ^[01]\.[0-9]{3}$ ]] && [[ $u2 =~ ^[01]\.[0-9]{3}$ ]]
	[ "$(permille "$u2")" -le 1000 ]
	# Waiting 300 ms for a timer is idle time: a quiet loop is mostly idle
	# (generous, for a shared machine: a descheduled loop counts as busy).
	[ "$(permille "$u2")" -lt 500 ]
	# Since start, never reset: the max can only grow.
	[ "$b2" -ge "$b1" ]
	# Nothing here takes long: no tick near the 300 ms the timer took.
	[ "$b2" -lt 250 ]
	[ "$idle" -le "$up" ]
}
