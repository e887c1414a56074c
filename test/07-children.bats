#!/usr/bin/env bats
# steps: 07-
# Process handles: /run, exec failures, SIGCHLD reaping, fds, and cleanup.

load helpers

setup() {
	BIN=$BATS_TEST_TMPDIR/bin
	mkdir -p "$BIN"
	printf '#!/bin/sh\necho one\nsleep 0.6\necho two\n' >"$BIN/tick"
	printf '#!/bin/sh\necho to-stderr >&2\nexit 3\n' >"$BIN/fail3"
	printf 'not a program\n' >"$BIN/notexec"
	chmod +x "$BIN/tick" "$BIN/fail3"
}

# Starts the server with the test's bin directory first in PATH.
start_runner() {
	start_server_after "export PATH='$BIN':\$PATH" "$@"
}

children_of() {     # children_of PID -> their PIDs, one per line
	cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . || true
}

@test "/run: stdout, then the exit line" {
	start_runner --allow echo,false
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/run echo hello   world\n/run false\nafter'
	[ "$output" = $'hello world\nexit 0\nexit 1\nafter' ]
}

@test "/run: stderr is streamed too, and the exit status is the child's" {
	start_runner --allow fail3
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/run fail3"
	[ "$output" = $'to-stderr\nexit 3' ]
}

@test "/run: output without a final newline gets one before the exit line" {
	start_runner --allow printf
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/run printf no-newline"
	[ "$output" = $'no-newline\nexit 0' ]
}

@test "/run: output is streamed as it comes, not at the end" {
	start_runner --allow tick
	local fd t0 t1
	connect_fd fd
	say "$fd" "/run tick"
	t0=$(now_ms)
	expect_line "$fd" "one"
	t1=$(now_ms)
	expect_line "$fd" "two"
	expect_line "$fd" "exit 0"
	echo "first line after $((t1 - t0)) ms"
	[ $((t1 - t0)) -lt 400 ]
}

@test "/run: the child's stdin is /dev/null" {
	start_runner --allow cat
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/run cat"
	[ "$output" = "exit 0" ]
}

@test "/run: a child killed by a signal is reported by name" {
	start_runner --allow sleep
	local fd child
	connect_fd fd
	say "$fd" "/run sleep 30"
	wait_for 5 '[ -n "$(children_of "$SERVER_PID")" ]'
	child=$(children_of "$SERVER_PID")
	kill -KILL "$child"
	expect_line "$fd" "killed by SIGKILL"
}

@test "/run: an exec failure is reported through the error pipe" {
	start_runner --allow no-such-program,notexec
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/run no-such-program\n/run notexec\nstill here'
	[ "${lines[0]}" = "error: run no-such-program: No such file or directory" ]
	[ "${lines[1]}" = "error: run notexec: Permission denied" ]
	[ "${lines[2]}" = "still here" ]
	[ -z "$(children_of "$SERVER_PID")" ]
}

@test "/run: what is not allowed is refused, and so is an empty command" {
	start_runner --allow echo
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/run rm -rf /\n/run echoo x\n/run'
	[ "${lines[0]}" = "error: run rm: not allowed (start the server with --allow rm)" ]
	[ "${lines[1]}" = "error: run echoo: not allowed (start the server with --allow echoo)" ]
	[[ ${lines[2]} == "error: run"*usage* ]]
}

@test "--max-children: one too many is refused" {
	start_runner --allow sleep --max-children 2
	local a b c
	connect_fd a
	connect_fd b
	connect_fd c
	say "$a" "/run sleep 1"
	say "$b" "/run sleep 1"
	wait_for 5 '[ "$(children_of "$SERVER_PID" | wc -l)" -eq 2 ]'
	say "$c" "/run sleep 1"
	expect_line "$c" "error: run sleep: too many children (max 2)"
	expect_line "$a" "exit 0"
	expect_line "$b" "exit 0"
}

@test "100 children at once: every exit reported, no zombie left (SIGCHLDs coalesce)" {
	start_runner --allow true --max-children 200
	local fds=() fd i
	for i in $(seq 1 100); do
		connect_fd fd
		fds+=("$fd")
	done
	for fd in "${fds[@]}"; do
		say "$fd" "/run true"
	done
	for fd in "${fds[@]}"; do
		expect_line "$fd" "exit 0" 10
	done
	[ -z "$(children_of "$SERVER_PID")" ]
	[ "$(stats_value "${fds[0]}" children)" -eq 0 ]
	echo "signals seen: $(stats_value "${fds[0]}" signals)"
}

@test "the child inherits no server fd: only 0, 1 and 2" {
	start_runner --allow ls --root "$BATS_TEST_TMPDIR"
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/work 1\n/run ls /proc/self/fd'
	echo "$output"
	# ls itself opens fd 3 to read the directory it lists.
	[ "$(printf '%s\n' "${lines[@]:1}" | tr '\n' ' ')" = "0 1 2 3 exit 0 " ]
}

@test "a client that vanishes (a reset) gets its child terminated" {
	start_runner --allow sleep
	local child
	resettable_client "/run sleep 30"
	wait_for 5 '[ -n "$(children_of "$SERVER_PID")" ]'
	child=$(children_of "$SERVER_PID")
	vanish
	wait_for 5 '! [ -e /proc/$child ]'
	[ -z "$(children_of "$SERVER_PID")" ]
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/stats"
	[[ $output =~ \ conns=1\  ]]
	[[ $output =~ \ children=0($|\ ) ]]
}

@test "a client that only half-closes still gets the whole output" {
	start_runner --allow tick
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/run tick"
	[ "$output" = $'one\ntwo\nexit 0' ]
}

@test "a child's output to a client that never reads is held back, not buffered" {
	not_under_sanitizer "it measures the server's memory (RSS)"
	start_runner --allow yes
	local before after
	before=$(rss_kb_of "$SERVER_PID")
	bg "$CLIENT" -p "$PORT" --no-read -t 30000 <<<"/run yes"
	wait_for 5 '[ -n "$(children_of "$SERVER_PID")" ]'
	sleep 1         # memory is what is measured: let every buffer fill
	after=$(rss_kb_of "$SERVER_PID")
	echo "RSS before ${before} kB, after ${after} kB"
	[ $((after - before)) -lt 2048 ]
	run "$CLIENT" -p "$PORT" -t 5000 <<<"others served"
	[ "$output" = "others served" ]
}

@test "shutdown with a running child: it is terminated, its client told, exit 0" {
	start_runner --allow sleep
	local fd
	connect_fd fd
	say "$fd" "/run sleep 30"
	wait_for 5 '[ -n "$(children_of "$SERVER_PID")" ]'
	kill -TERM "$SERVER_PID"
	expect_line "$fd" "killed by SIGTERM"
	expect_closed "$fd"
	wait_server_exit 5
	[ "$SERVER_STATUS" -eq 0 ]
}

@test "/stats ends with children, counting the running ones" {
	start_runner --allow sleep
	local a b
	connect_fd a
	connect_fd b
	say "$a" "/run sleep 2"
	wait_for 5 '[ -n "$(children_of "$SERVER_PID")" ]'
	say "$b" "/stats"
	hear "$b"
	[[ $HEARD =~ \ signals=[0-9]+\ children=1($|\ ) ]]
}

@test "process_spawn: stdio {devnull, 2, 1} swaps the child's stdout and stderr" {
	build_unit spawn
	run timeout 20 "$BATS_TEST_TMPDIR/spawn" swap
	[ "$output" = "one=[to-stderr] two=[to-stdout] exit=0" ]
}

@test "process_spawn: an fd already in its place reaches the child despite close-on-exec" {
	build_unit spawn
	run timeout 20 "$BATS_TEST_TMPDIR/spawn" cloexec
	[ "$output" = "one=[to-stdout] two=[to-stderr] exit=0" ]
}
