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

@test "/run: every argument a command line can hold is passed, up to the 1024-byte limit" {
	start_runner --allow echo
	local many words
	many=$(seq 1 100 | tr '\n' ' ')
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/run echo $many"
	[ "${lines[0]}" = "${many% }" ]
	[ "${lines[1]}" = "exit 0" ]
	# "/run echo" and 507 times " x" is 1023 bytes; one more byte makes it the
	# longest line there is, and one more again is too long.
	words=$(printf ' x%.0s' $(seq 1 507))
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/run echo${words}y"
	[ "$(wc -w <<<"${lines[0]}")" -eq 507 ]
	[[ ${lines[0]} == *" xy" ]]
	[ "${lines[1]}" = "exit 0" ]
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/run echo${words}yz"
	[ "$output" = "error: command too long (max 1024 bytes)" ]
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

# loop_idle — over a second the server uses (almost) no CPU: nothing spins.
loop_idle() {
	local t0 t1
	t0=$(cpu_ticks "$SERVER_PID")
	sleep 1         # CPU over an interval is what is measured
	t1=$(cpu_ticks "$SERVER_PID")
	echo "CPU over 1 s: $((t1 - t0)) ticks"
	[ $((t1 - t0)) -lt 10 ]
}

# marked GRANDCHILD_MARK — the live processes whose environment carries MARK.
marked() {
	grep -lsa "KIT_MARK=$1" /proc/[0-9]*/environ | cut -d/ -f3 || true
}

# A /run script that leaves a grandchild holding its output pipe, and exits:
# behind [--ignore-term] — the grandchild (a sleep) carries KIT_MARK=$MARK.
write_behind() {
	MARK=$BATS_TEST_TMPDIR/mark
	{
		echo '#!/bin/sh'
		[ "${1:-}" = --ignore-term ] && echo "trap '' TERM"
		echo "KIT_MARK='$MARK' sleep 30 &"
		echo 'echo started'
	} >"$BIN/behind"
	chmod +x "$BIN/behind"
}

@test "a child abandoned while its output is paused: its pipes close, nothing is left" {
	start_runner --allow yes
	local probe base child
	connect_fd probe
	# A reply on the probe: the server has accepted it, so its fd is in the base.
	[ "$(stats_value "$probe" conns)" -eq 1 ]
	base=$(fd_count "$SERVER_PID")
	stalled_clients 1 "/run yes"
	wait_for 5 '[ -n "$(children_of "$SERVER_PID")" ]'
	child=$(children_of "$SERVER_PID")
	# The client reads nothing: the server stops reading the pipes, and yes
	# blocks in write() (the kernel says pipe_write, or pipe_wait on older ones).
	wait_for 10 '[[ $(cat /proc/$child/wchan) == *pipe_w* ]]'
	vanish_all
	wait_for 10 '[ "$(fd_count "$SERVER_PID")" -le "$base" ]'
	wait_for 5 '[ -z "$(children_of "$SERVER_PID")" ]'
	[ ! -e "/proc/$child" ]
	[ "$(stats_value "$probe" children)" -eq 0 ]
	[ "$(stats_value "$probe" conns)" -eq 1 ]
	loop_idle
}

@test "a client that half-closes during /run yes, then vanishes: its child is ended" {
	start_runner --allow yes
	local probe base child client
	connect_fd probe
	# A reply on the probe: the server has accepted it, so its fd is in the base.
	[ "$(stats_value "$probe" conns)" -eq 1 ]
	base=$(fd_count "$SERVER_PID")
	# It reads (the output flows, nothing waits for the socket) after its FIN.
	bg "$CLIENT" -p "$PORT" -t 30000 <<<"/run yes" >/dev/null
	client=${BG_PIDS[-1]}
	wait_for 5 '[ -n "$(children_of "$SERVER_PID")" ]'
	child=$(children_of "$SERVER_PID")
	kill -9 "$client"       # gone: its kernel answers the next bytes with a reset
	wait_for 10 '! [ -e "/proc/$child" ]'
	wait_for 10 '[ "$(fd_count "$SERVER_PID")" -le "$base" ]'
	[ -z "$(children_of "$SERVER_PID")" ]
	[ "$(stats_value "$probe" conns)" -eq 1 ]
	loop_idle
}

@test "each child leads its own process group" {
	start_runner --allow sleep
	local fd child
	connect_fd fd
	say "$fd" "/run sleep 30"
	wait_for 5 '[ -n "$(children_of "$SERVER_PID")" ]'
	child=$(children_of "$SERVER_PID")
	[ "$(proc_stat "$child" 5)" -eq "$child" ]
}

@test "a client that vanishes while a grandchild holds the pipe: all of it ends" {
	write_behind
	start_runner --allow behind
	local probe base
	connect_fd probe
	# A reply on the probe: the server has accepted it, so its fd is in the base.
	[ "$(stats_value "$probe" conns)" -eq 1 ]
	base=$(fd_count "$SERVER_PID")
	resettable_client "/run behind"
	wait_for 5 '[ -n "$(marked "$MARK")" ]'
	vanish
	wait_for 10 '[ -z "$(marked "$MARK")" ]'
	wait_for 10 '[ "$(fd_count "$SERVER_PID")" -le "$base" ]'
	[ -z "$(children_of "$SERVER_PID")" ]
	[ "$(stats_value "$probe" conns)" -eq 1 ]
	loop_idle
}

@test "shutdown with a grandchild holding the pipe: its group is told, exit 0" {
	write_behind
	start_runner --allow behind
	local fd
	connect_fd fd
	say "$fd" "/run behind"
	expect_line "$fd" "started"
	wait_for 5 '[ -n "$(marked "$MARK")" ]'
	kill -TERM "$SERVER_PID"
	expect_line "$fd" "exit 0"
	wait_server_exit 5
	[ "$SERVER_STATUS" -eq 0 ]
	wait_for 5 '[ -z "$(marked "$MARK")" ]'
}

@test "--shutdown-timeout bounds a shutdown whose grandchild ignores SIGTERM" {
	write_behind --ignore-term
	start_runner --allow behind --shutdown-timeout 1000
	local fd t0 t1
	connect_fd fd
	say "$fd" "/run behind"
	expect_line "$fd" "started"
	wait_for 5 '[ -n "$(marked "$MARK")" ]'
	t0=$(now_ms)
	kill -TERM "$SERVER_PID"
	wait_server_exit 6
	t1=$(now_ms)
	echo "exited $((t1 - t0)) ms after SIGTERM, status $SERVER_STATUS"
	[ $((t1 - t0)) -lt 4000 ]
	[ "$SERVER_STATUS" -eq 0 ]
	grep -q "shutdown timeout" "$SERVER_ERR"
	wait_for 5 '[ -z "$(marked "$MARK")" ]'
}
