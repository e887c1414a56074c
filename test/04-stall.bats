#!/usr/bin/env bats
# steps: 04-
# A stall you can see: a /block of one connection shows in another's /stats as
# max_busy_ms and utilization, with no timer pending, while lag_ms stays 0.

load helpers

# key LINE KEY — the value of KEY in the /stats LINE.
key() {
	[[ $1 =~ (^|\ )$2=([0-9.]+) ]] || { echo "no $2 in '$1'" >&2; return 1; }
	echo "${BASH_REMATCH[2]}"
}

@test "a 1 s /block shows in another client's max_busy_ms and utilization, not in lag_ms" {
	start_server
	local a b line
	connect_fd a
	connect_fd b
	say "$b" /stats
	hear "$b"
	[ "$(key "$HEARD" max_busy_ms)" -lt 1000 ]
	say "$a" "/block 1000"
	expect_line "$a" "blocked the loop for 1000 ms" 10
	say "$b" /stats
	hear "$b" 10
	line=$HEARD
	echo "$line"
	local busy util up lag
	busy=$(key "$line" max_busy_ms)
	util=$(key "$line" utilization)
	up=$(key "$line" uptime_ms)
	lag=$(key "$line" lag_ms)
	[ "$(key "$line" timers)" -eq 0 ]
	[ "$lag" -eq 0 ]                # no timer was due: the old metric saw nothing
	[ "$busy" -ge 1000 ]
	[ "$busy" -lt 10000 ]
	# busy time = utilization x uptime: at least the 1000 ms of the block
	# (three decimals of utilization are worth up to uptime / 1000 ms).
	local int=${util%.*} frac=${util#*.}
	local busy_total=$(( (10#$int * 1000 + 10#$frac) * up / 1000 + up / 1000 + 1 ))
	echo "busy since start: about $busy_total ms of $up"
	[ "$busy_total" -ge 1000 ]
}
