#!/usr/bin/env bats
# steps: 05-
# libuv's behaviours, step 05: async handles.
# The loop library against the behaviours libuv's own test suite checks, one C
# case each in test/unit/libuv-*.c, written for the kit's loop.h. Where the kit
# differs on purpose, the case checks the kit's documented behaviour and its
# comment says what libuv does instead.

load helpers

@test "libuv test-async.c, test-ref.c: async handles" {
	libuv_cases libuv-async 3
}
