#!/usr/bin/env bats
# steps: 03
# The soak finds what nobody told it about: against a copy of step 03 with a bug
# put back in (a half-closed busy connection no longer asks epoll for EPOLLERR,
# so a reset that follows goes unseen), tools/soak-check must fail, and say so.
load helpers

@test "the soak fails on a server that misses a reset after a half-close" {
	local bin=$BATS_TEST_TMPDIR/bin src=$BATS_TEST_TMPDIR/src
	mkdir -p "$bin" "$src"
	cp -r "$KIT_ROOT/$STEP" "$src/"
	sed -i 's/want |= c->rdhup ? EPOLLERR : EPOLLRDHUP;/want |= c->rdhup ? 0 : EPOLLRDHUP;/' \
		"$src/$STEP/conn.c"
	# The bug must really be back, or this test would pass for nothing.
	if cmp -s "$KIT_ROOT/$STEP/conn.c" "$src/$STEP/conn.c"; then
		echo "the bug did not go back in: conn.c has changed"
		return 1
	fi
	make -s -C "$src/$STEP" O="$bin/$STEP" >/dev/null
	ln -s "$BIN_DIR/tools" "$bin/tools"
	KIT_BIN_DIR=$bin SOAK_SETTLE=2 run "$KIT_ROOT/tools/soak-check" "$STEP" -d 2 -c 10 \
		--kind halfclose-reset 3>&-
	printf '%s\n' "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"soak-check: FAIL fds: "* ]]
	[[ $output == *"soak-check: FAIL stats: "* ]]
	[[ $output == *"--kind halfclose-reset)"* ]]       # the replay line
}
