#!/usr/bin/env bats
# steps: 07-
# libuv's behaviours, step 07: process handles.
# The loop library against the behaviours libuv's own test suite checks, one C
# case each in test/unit/libuv-*.c, written for the kit's loop.h. Where the kit
# differs on purpose, the case checks the kit's documented behaviour and its
# comment says what libuv does instead.

load helpers

@test "libuv test-spawn.c, test-ref.c: process handles" {
	libuv_cases libuv-spawn 7
}
