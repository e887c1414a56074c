#!/usr/bin/env bats
# steps: 03-
# libuv's behaviours, step 03: timers, io watchers, ref and unref, when the loop is alive.
# The loop library against the behaviours libuv's own test suite checks, one C
# case each in test/unit/libuv-*.c, written for the kit's loop.h. Where the kit
# differs on purpose, the case checks the kit's documented behaviour and its
# comment says what libuv does instead.

load helpers

@test "libuv test-timer.c: order, restart, no early or double calls, unref'd timers" {
	libuv_cases libuv-timer 9
}

@test "libuv test-ref.c, test-active.c, test-loop-alive.c: timers and io watchers" {
	libuv_cases libuv-ref 7
}
