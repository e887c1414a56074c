#!/usr/bin/env bats
# steps: 02-
# Bounded work per callback: two clients that flood the server (and read their
# echo) each get their turn and no more; a third client is answered at once.

load helpers

# flood FILE — a connection that sends bytes for ever and keeps the first
# 4 MB of its echo in FILE.
flood() {
	local f
	connect_fd f
	bg yes 'flood flood flood' >&"$f"
	bg head -c 4000000 >"$1" <&"$f"
	exec {f}>&-
}

size() { stat -c %s "$1"; }

@test "two flooding clients are both served, and a third answered at once" {
	start_server
	local c
	flood "$BATS_TEST_TMPDIR/a.echo"
	flood "$BATS_TEST_TMPDIR/b.echo"
	connect_fd c
	worst_reply "$c" "ping %d" "ping %d"
	echo "worst echo: $WORST ms"
	[ "$WORST" -lt 500 ]
	wait_for 30 '[ "$(size "$BATS_TEST_TMPDIR/a.echo")" -eq 4000000 ] &&
		     [ "$(size "$BATS_TEST_TMPDIR/b.echo")" -eq 4000000 ]'
}
