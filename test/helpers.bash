# test/helpers.bash — what every suite loads: the step under test, its server,
# the kit's tools, and waiting on events (never on the clock).
#
# The step comes from KIT_STEP (set by test/run), e.g. KIT_STEP=02-epoll-echo.

KIT_ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
STEP=${KIT_STEP:?run the suites through test/run or make test}
STEP_NUM=$((10#${STEP%%-*}))
STEP_PROG=${STEP#*-}
BIN_DIR=${KIT_BIN_DIR:-$KIT_ROOT}
STEP_BIN=$BIN_DIR/$STEP/$STEP_PROG
CLIENT=$BIN_DIR/tools/client
LOADGEN=$BIN_DIR/tools/loadgen
SLOWDNS=$BIN_DIR/tools/slowdns

SERVER_PID=
PORT=
BG_PIDS=()

# Skips the test when the step under test is older than NN (the step that
# introduced what the test checks).
since() {
	[ "$STEP_NUM" -ge $((10#$1)) ] || skip "needs step $1 or later"
}

# start_server [ARGS...] — starts the step's program on a free port with ARGS.
# Sets SERVER_PID and PORT; stderr goes to $SERVER_ERR. Waits for the
# `listening on` line itself (through a FIFO), never for a fixed time.
start_server() {
	start_server_after : "$@"
}

# start_server_after 'SHELL CODE' [ARGS...] — the same, running the code first in
# the server's own subshell: e.g. start_server_after 'ulimit -n 24' --trace
start_server_after() {
	local setup=$1
	shift
	SERVER_ERR=$BATS_TEST_TMPDIR/server.err
	local fifo=$BATS_TEST_TMPDIR/server.out
	rm -f "$fifo"
	mkfifo "$fifo"
	(
		# Hand the server only 0, 1 and 2: bats keeps other fds open (fd 3
		# among them, and bats waits for fd 3 to close, so a server holding
		# it would hang the run).
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		eval "$setup"
		exec "$STEP_BIN" --port 0 "$@"
	) >"$fifo" 2>"$SERVER_ERR" &
	SERVER_PID=$!
	exec {SERVER_OUT}<"$fifo"
	local line
	if ! read -r -t 10 line <&"$SERVER_OUT"; then
		echo "server did not start; stderr:" >&2
		cat "$SERVER_ERR" >&2
		return 1
	fi
	[[ $line =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+)$ ]] || {
		echo "unexpected first line: '$line'" >&2
		return 1
	}
	PORT=${BASH_REMATCH[1]}
}

# Runs in the background, remembered for teardown: bg CMD [ARGS...]
bg() {
	"$@" 3>&- &
	BG_PIDS+=($!)
}

# Kills what the test started, by PID, and waits for it.
kill_started() {
	local pid
	for pid in "${BG_PIDS[@]}" $SERVER_PID; do
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	BG_PIDS=()
	SERVER_PID=
	[ -z "${SERVER_OUT:-}" ] || exec {SERVER_OUT}<&-
	SERVER_OUT=
}

teardown() {
	kill_started
}

# wait_for SECONDS CMD [ARGS...] — re-checks CMD until it succeeds, or fails the
# test after SECONDS. For conditions no event announces (a thread count in /proc).
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "timed out waiting for: $*" >&2
			return 1
		fi
		sleep 0.02
	done
}

# wait_for_log SECONDS REGEX — until the server's stderr has a matching line.
wait_for_log() {
	wait_for "$1" grep -qE "$2" "$SERVER_ERR"
}

proc_field() {       # proc_field PID Threads|VmRSS  -> the number
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

threads_of() { proc_field "$1" Threads; }
rss_kb_of() { proc_field "$1" VmRSS; }

# cpu_ticks PID — user+system CPU time used so far, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# Random binary data of N bytes with no '/' in it: from step 03 on a line that
# starts with '/' is a command, and the echo suites must mean the same at every step.
random_bytes() {
	head -c "$(($1 * 2))" /dev/urandom | tr -d '/' | head -c "$1"
}

# echo_check FILE — sends FILE through tools/client and checks the echo is identical.
echo_check() {
	local got=$BATS_TEST_TMPDIR/echo.$BASHPID.$RANDOM
	"$CLIENT" -p "$PORT" -t 10000 <"$1" >"$got" || return 1
	cmp "$1" "$got"
}

# Opens a TCP connection in this shell; its fd number goes to the named variable.
connect_fd() {
	exec {fd_tmp}<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf -v "$1" '%s' "$fd_tmp"
}
