#!/usr/bin/env bats
# steps: once
# make bench on a learner's machine: the results go to a file of their own, and
# the reference the slides quote (bench/results.md) stays as it is.

load helpers

@test "make bench (BENCH_QUICK=1) changes no tracked file, and the slides still match the reference" {
	command -v git >/dev/null || skip "git is not installed (apt install git)"
	git -C "$KIT_ROOT" rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout"
	local before
	before=$(git -C "$KIT_ROOT" status --porcelain --untracked-files=no)
	BENCH_QUICK=1 run "$KIT_ROOT/bench/run"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"written to build/bench/quick-"*".md"* ]]
	[[ $output == *"## This machine against the reference"* ]]
	[ "$(git -C "$KIT_ROOT" status --porcelain --untracked-files=no)" = "$before" ]
	run "$KIT_ROOT/tools/check-numbers"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "bench/compare: each figure beside the reference's, and both as multiples of 01's" {
	run "$KIT_ROOT/bench/compare" "$KIT_ROOT/bench/results.md"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"| 02-epoll-echo | 1000 | 138568 | 138568 | 1.84× | 1.84× |"* ]]
	[[ $output == *"| 01-thread-per-conn | 10001 | 10001 | 121.5 | 121.5 | 1.00× | 1.00× |"* ]]
}

@test "bench/compare: a missing file is named, exit 1" {
	run "$KIT_ROOT/bench/compare" "$BATS_TEST_TMPDIR/none.md"
	[ "$status" -eq 1 ]
	[[ $output == *"no such file"*"none.md"* ]]
}
