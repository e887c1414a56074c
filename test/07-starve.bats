#!/usr/bin/env bats
# steps: 07-
# Bounded work per callback: a child that writes to its stdout for ever gets
# its turn each tick and no more; another client's /stats and /sleep still
# answer at once.

load helpers

@test "/run yes, read as fast as it comes, does not hold up another client" {
	start_server --allow yes
	local r c before after busy
	connect_fd c
	before=$(stats_value "$c" ticks)
	connect_fd r
	say "$r" "/run yes"
	bg cat >/dev/null <&"$r"
	exec {r}>&-
	wait_for 10 '[ "$(stats_value "$c" children)" -eq 1 ]'
	worst_reply "$c" "/sleep 100" "slept 100 ms"
	after=$(stats_value "$c" ticks)
	busy=$(stats_value "$c" max_busy_ms)
	echo "worst /sleep 100: $WORST ms; ticks meanwhile: $((after - before)); max_busy_ms=$busy"
	[ $((after - before)) -gt 50 ]  # the child's output was served meanwhile
	[ "$WORST" -lt 600 ]
	[ "$busy" -lt 300 ]
}
