#!/usr/bin/env bats
# steps: 02-
# Fault injection beyond the step suites: churn, slow and huge input, fork
# failure. Nothing lost, nothing leaked, everyone else served.

load helpers

fd_count() { ls /proc/"$1"/fd | wc -l; }

@test "20,000 connect/echo/close cycles: no fd and no memory growth" {
	not_under_sanitizer "it measures the server's memory (RSS)"
	${CC:-cc} -std=c11 -O2 -o "$BATS_TEST_TMPDIR/churn" "$KIT_ROOT/test/unit/churn.c"
	start_server
	"$BATS_TEST_TMPDIR/churn" "$PORT" 2000 >/dev/null      # warm up the allocator
	local fds0 rss0 fds1 rss1
	fds0=$(fd_count "$SERVER_PID") rss0=$(rss_kb_of "$SERVER_PID")
	run "$BATS_TEST_TMPDIR/churn" "$PORT" 20000
	[ "$output" = "cycles=20000 failures=0" ]
	wait_for 5 '[ "$(fd_count "$SERVER_PID")" -le "$fds0" ]'
	rss1=$(rss_kb_of "$SERVER_PID")
	echo "RSS $rss0 kB before, $rss1 kB after 20,000 connections"
	[ $((rss1 - rss0)) -lt 512 ]
}

@test "a command sent one byte at a time is still one command" {
	since 03
	start_server
	local fd line=$'/sleep 10\n' i
	connect_fd fd
	for ((i = 0; i < ${#line}; i++)); do
		printf '%s' "${line:i:1}" >&"$fd"
		sleep 0.01     # pace the bytes so that each arrives on its own
	done
	expect_line "$fd" "slept 10 ms"
	printf 'd' >&"$fd"; sleep 0.01; printf 'ata\n' >&"$fd"
	expect_line "$fd" "data"
}

@test "100 MB without a single newline is echoed, in bounded memory" {
	since 03
	not_under_sanitizer "it moves 100 MB through an instrumented build"
	start_server
	local rss0 rss1
	rss0=$(rss_kb_of "$SERVER_PID")
	run bash -c 'head -c 100000000 /dev/zero | tr "\0" x | "$1" -p "$2" -t 30000 | tr -d x | wc -c' \
		_ "$CLIENT" "$PORT"
	[ "$output" -eq 0 ]
	run bash -c 'head -c 100000000 /dev/zero | tr "\0" x | "$1" -p "$2" -t 30000 | wc -c' \
		_ "$CLIENT" "$PORT"
	[ "$output" -eq 100000000 ]
	rss1=$(rss_kb_of "$SERVER_PID")
	echo "RSS $rss0 kB before, $rss1 kB after"
	[ $((rss1 - rss0)) -lt 2048 ]
}

@test "fork failure: /run says why, and the server keeps serving" {
	since 07
	# RLIMIT_NPROC counts a user's tasks, and root is exempt from it: as root,
	# run the server as an unprivileged user (65534, nobody) instead.
	if [ "$(id -u)" -eq 0 ]; then
		command -v setpriv >/dev/null || skip "setpriv (util-linux) is needed to drop root"
		STEP_LAUNCHER="setpriv --reuid=65534 --regid=65534 --clear-groups"
		$STEP_LAUNCHER test -x "$STEP_BIN" ||
			skip "user 65534 cannot run $STEP_BIN from here (a parent directory is private)"
	fi
	# Room for the server's own task and no other: its fork() must fail.
	local uid=$(( $(id -u) == 0 ? 65534 : $(id -u) ))
	start_server_after "ulimit -u \$(( \$(ps -L -u $uid --no-headers | wc -l) + 1 ))" --allow true
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/run true\n/run true\nstill serving'
	echo "$output"
	[ "${lines[0]}" = "error: run true: Resource temporarily unavailable" ]
	[ "${lines[1]}" = "error: run true: Resource temporarily unavailable" ]
	[ "${lines[2]}" = "still serving" ]
}
