#!/usr/bin/env bats
# steps: once
# make demo: the tour of all eight steps matches every claim it prints.

load helpers

@test "make demo: every observation matches its slide, in under two minutes" {
	local t0=$SECONDS
	run "$KIT_ROOT/tools/demo"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output =~ ([0-9]+)\ observations\ matched\ the\ slides,\ 0\ did\ not ]]
	[ "${BASH_REMATCH[1]}" -ge 8 ]
	[ $((SECONDS - t0)) -lt 120 ]
}
