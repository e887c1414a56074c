#!/usr/bin/env bats
# steps: 06-
# libuv's behaviours, step 06: signal handles.
# The loop library against the behaviours libuv's own test suite checks, one C
# case each in test/unit/libuv-*.c, written for the kit's loop.h. Where the kit
# differs on purpose, the case checks the kit's documented behaviour and its
# comment says what libuv does instead.

load helpers

@test "libuv test-signal.c: signal handles (coalescing differs, on purpose)" {
	libuv_cases libuv-signal 5
}
