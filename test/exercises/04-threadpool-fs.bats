#!/usr/bin/env bats
# The checkable exercise of 04-threadpool-fs/README.md: /stat PATH on the pool.
# It answers `stat PATH size=N`, finds the file on a pool thread (never on the
# loop thread), and is confined to --root exactly like /cat.
# Run it: make -C 04-threadpool-fs exercise

load ../helpers

setup() {
	ROOT=$BATS_TEST_TMPDIR/root
	mkdir -p "$ROOT/sub" "$BATS_TEST_TMPDIR/outside"
	echo secret >"$BATS_TEST_TMPDIR/outside/secret"
	echo hello >"$ROOT/sub/hello.txt"
	: >"$ROOT/empty"
	ln -s ../outside/secret "$ROOT/escape"
	ln -s sub/hello.txt "$ROOT/inside-link"
}

@test "/help lists /stat" {
	start_server --root "$ROOT"
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/help"
	[[ " ${output#commands: } " == *" /stat "* ]]
}

@test "/stat PATH answers 'stat PATH size=N'; the connection carries on" {
	start_server --root "$ROOT"
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/stat sub/hello.txt\n/stat empty\n/stat inside-link\nafter'
	[ "$output" = $'stat sub/hello.txt size=6\nstat empty size=0\nstat inside-link size=6\nafter' ]
}

@test "/stat runs on the thread pool: one job per /stat, and it starts the pool" {
	start_server --root "$ROOT"
	local fd
	connect_fd fd
	[ "$(stats_value "$fd" pool_done)" -eq 0 ]
	[ "$(threads_of "$SERVER_PID")" -eq 1 ]
	say "$fd" "/stat sub/hello.txt"
	expect_line "$fd" "stat sub/hello.txt size=6"
	[ "$(stats_value "$fd" pool_done)" -eq 1 ]
	[ "$(threads_of "$SERVER_PID")" -eq 5 ]
}

@test "/stat of a 500 MB file: its size, in one pool job" {
	truncate -s 500M "$ROOT/huge"
	start_server --root "$ROOT"
	local fd
	connect_fd fd
	say "$fd" "/stat huge"
	expect_line "$fd" "stat huge size=524288000"
	[ "$(stats_value "$fd" pool_done)" -eq 1 ]
}

@test "/stat is confined to --root like /cat; errors keep the connection" {
	start_server --root "$ROOT"
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/stat /etc/passwd\n/stat ../outside/secret\n/stat escape\n/stat missing\nstill here'
	echo "$output"
	[ "${lines[0]}" = "error: stat /etc/passwd: absolute paths are not allowed" ]
	[ "${lines[1]}" = "error: stat ../outside/secret: '..' is not allowed" ]
	[ "${lines[2]}" = "error: stat escape: outside the root" ]
	[ "${lines[3]}" = "error: stat missing: No such file or directory" ]
	[ "${lines[4]}" = "still here" ]
}
