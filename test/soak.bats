#!/usr/bin/env bats
# steps: 03-
# The chaos soak, short: tools/soak's seeded random mix of careful, careless and
# hostile clients against the step's server, then tools/soak-check's verdict on
# what the server was left with (that script lists every check). `make soak`
# runs the same for longer. A failure prints the seed; replay its mix with
#   tools/soak-check STEP -d 3 -c 30 --seed N
load helpers

@test "after a random mix of clients, the server is back where it was" {
	# 3>&-: the soak's server must not hold bats' fd 3, or bats would wait on it.
	run "$KIT_ROOT/tools/soak-check" "$STEP" -d 3 -c 30 3>&-
	printf '%s\n' "$output" | grep -v '^soak:   kind='
	[ "$status" -eq 0 ]
}
