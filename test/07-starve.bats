#!/usr/bin/env bats
# steps: 07-
# Bounded work per callback: a child that writes to its stdout for ever gets
# its turn each tick and no more; another client's /stats and /sleep still
# answer at once.

load helpers

@test "/run yes, read as fast as it comes, does not hold up another client" {
	start_server --allow yes
	local r c t0 t1 worst=0 before after busy
	connect_fd c
	before=$(stats_value "$c" ticks)
	connect_fd r
	say "$r" "/run yes"
	bg cat >/dev/null <&"$r"
	exec {r}>&-
	wait_for 10 '[ "$(stats_value "$c" children)" -eq 1 ]'
	for i in 1 2 3 4 5; do
		t0=$(now_ms)
		say "$c" "/sleep 100"
		expect_line "$c" "slept 100 ms" 20
		t1=$(now_ms)
		[ $((t1 - t0)) -le "$worst" ] || worst=$((t1 - t0))
	done
	after=$(stats_value "$c" ticks)
	busy=$(stats_value "$c" max_busy_ms)
	echo "worst /sleep 100: $worst ms; ticks meanwhile: $((after - before)); max_busy_ms=$busy"
	[ $((after - before)) -gt 50 ]  # the child's output was served meanwhile
	[ "$worst" -lt 600 ]
	[ "$busy" -lt 300 ]
}
