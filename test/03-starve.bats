#!/usr/bin/env bats
# steps: 03-
# Bounded work per callback: a client that floods the server with input (and
# reads its echo) gets its turn and no more; another client's timer still
# fires on time, and /stats's max_busy_ms says no tick took long.

load helpers

# flood — a connection that sends empty lines for ever and reads the echo.
flood() {
	local f
	connect_fd f
	bg yes '' >&"$f"
	bg cat >/dev/null <&"$f"
	exec {f}>&-
}

@test "a client flooding short lines does not hold up another client's /sleep 100" {
	start_server
	local c before after busy
	connect_fd c
	before=$(stats_value "$c" ticks)
	flood
	worst_reply "$c" "/sleep 100" "slept 100 ms"
	after=$(stats_value "$c" ticks)
	busy=$(stats_value "$c" max_busy_ms)
	echo "worst /sleep 100: $WORST ms; ticks meanwhile: $((after - before)); max_busy_ms=$busy"
	[ $((after - before)) -gt 50 ]  # the flood was served meanwhile, tick by tick
	[ "$WORST" -lt 600 ]
	[ "$busy" -lt 300 ]
}
