#!/usr/bin/env bats
# steps: 04-
# libuv's behaviours, step 04: work requests on the pool.
# The loop library against the behaviours libuv's own test suite checks, one C
# case each in test/unit/libuv-*.c, written for the kit's loop.h. Where the kit
# differs on purpose, the case checks the kit's documented behaviour and its
# comment says what libuv does instead.

load helpers

@test "libuv test-threadpool.c, test-loop-alive.c: work requests" {
	libuv_cases libuv-pool 3
}
