#!/usr/bin/env bats
# steps: 03-
# The loop library against the behaviours libuv's own test suite checks
# (test/test-timer.c, test-ref.c, test-active.c, test-loop-alive.c,
# test-threadpool.c, test-async.c, test-signal.c, test-spawn.c), one C case
# each in test/unit/libuv-*.c, written for the kit's loop.h. Where the kit
# differs on purpose, the case checks the kit's documented behaviour and its
# comment says what libuv does instead.

load helpers

# libuv_cases NAME N — builds test/unit/NAME.c against this step's library,
# runs every case, and passes when all N print "ok".
libuv_cases() {
	build_unit "$1"
	run timeout 60 "$BATS_TEST_TMPDIR/$1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok ' <<<"$output")" -eq "$2" ]
	[ -z "$(grep '^FAIL' <<<"$output")" ]
}

@test "libuv test-timer.c: order, restart, no early or double calls, unref'd timers" {
	libuv_cases libuv-timer 9
}

@test "libuv test-ref.c, test-active.c, test-loop-alive.c: timers and io watchers" {
	libuv_cases libuv-ref 7
}

@test "libuv test-threadpool.c, test-loop-alive.c: work requests" {
	since 04
	libuv_cases libuv-pool 3
}

@test "libuv test-async.c, test-ref.c: async handles" {
	since 05
	libuv_cases libuv-async 3
}

@test "libuv test-signal.c: signal handles (coalescing differs, on purpose)" {
	since 06
	libuv_cases libuv-signal 5
}

@test "libuv test-spawn.c, test-ref.c: process handles" {
	since 07
	libuv_cases libuv-spawn 7
}
