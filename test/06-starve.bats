#!/usr/bin/env bats
# steps: 06-
# Bounded work per callback: an fd that never runs dry (a signal or async
# callback that sets itself off again) gets its turn and no more; the loop's
# timers still fire on time.

load helpers

@test "a signal callback that raises its signal again does not starve a timer" {
	libuv_cases starve 2
}
