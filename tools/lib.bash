# tools/lib.bash — what the kit's scripts (demo, dns-starvation) share: start a
# program and wait for its `listening on` line, hold connections in the shell,
# ask commands and read replies. Sourced, not run.
#
# Every wait is on an event (a line arriving) with a timeout, never on the clock.

KIT=${KIT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
LIB_WORK=${LIB_WORK:-$(mktemp -d)}
LIB_PIDS=()

# Kills what was started and removes the scratch directory; call it on EXIT.
lib_cleanup() {
	[ ${#LIB_PIDS[@]} -eq 0 ] || kill "${LIB_PIDS[@]}" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$LIB_WORK"
}

now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# start PROGRAM [ARGS...] — starts it in the background (stderr to
# $LIB_WORK/stderr), waits for `listening on HOST:PORT`, sets PORT and PID.
start() {
	local fifo=$LIB_WORK/ready.$RANDOM line
	mkfifo "$fifo"
	"$@" >"$fifo" 2>>"$LIB_WORK/stderr" &
	PID=$!
	LIB_PIDS+=("$PID")
	if ! read -r -t 10 line <"$fifo"; then
		echo "${0##*/}: $1 did not start" >&2
		return 1
	fi
	PORT=${line##*:}
}

# stop — ends the last program started (SIGKILL: no goodbyes needed).
stop() {
	kill -9 "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	return 0
}

# open VAR — a connection to 127.0.0.1:$PORT; its fd number in VAR.
open() {
	local lib_fd     # not `fd`: that would hide a caller's variable of that name
	exec {lib_fd}<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf -v "$1" '%s' "$lib_fd"
}

# ask FD LINE — sends LINE; answer FD [SECONDS] — prints the next reply line.
ask() { printf '%s\n' "$2" >&"$1"; }
answer() {
	local l
	IFS= read -r -t "${2:-30}" l <&"$1" && printf '%s\n' "$l"
}

# stats_of FD KEY — the value of KEY in the server's /stats line.
stats_of() {
	ask "$1" /stats
	answer "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# wait_stat FD KEY N — until /stats says KEY >= N (10 s at most).
wait_stat() {
	local deadline=$((SECONDS + 10))
	until [ "$(stats_of "$1" "$2")" -ge "$3" ]; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "${0##*/}: $2 never reached $3" >&2; return 1; }
	done
}

# proc PID Threads|VmRSS — a number from /proc/PID/status.
proc() {
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

# trace_opts NAME PROGRAM — sets TRACE_OPTS to the options that record
# PROGRAM's run as $LIB_TRACES/NAME.json (--trace-events, steps 02-08), or to
# nothing when LIB_TRACES is unset or PROGRAM has no such option.
trace_opts() {
	TRACE_OPTS=()
	[ -n "${LIB_TRACES:-}" ] || return 0
	if "$2" --help 2>&1 | grep -q -- --trace-events; then
		mkdir -p "$LIB_TRACES"
		TRACE_OPTS=(--trace-events "$LIB_TRACES/$1.json")
	fi
}

# trace_sync FD — asks for /stats on FD and reads the reply: the server must
# then have finished every earlier tick and gone back to epoll_wait(), which is
# when a --trace-events file is written. A server stopped right after the reply
# to its last command may die before it gets there, and lose that tick.
trace_sync() {
	ask "$1" /stats
	answer "$1" >/dev/null
}

# draw_trace NAME TITLE [OPTION...] — draws $LIB_TRACES/NAME.json as NAME.svg
# beside it (tools/timeline, with OPTIONs such as --mark MS:TEXT); prints the
# SVG's path, or nothing when there is no trace.
draw_trace() {
	local name=$1 title=$2
	shift 2
	[ -n "${LIB_TRACES:-}" ] && [ -s "$LIB_TRACES/$name.json" ] || return 0
	"$KIT/tools/timeline" "$LIB_TRACES/$name.json" --title "$title" "$@" \
		-o "$LIB_TRACES/$name.svg" && echo "${LIB_TRACES#"$KIT"/}/$name.svg"
}

# trace_ms NAME REGEX [queued] — when the first event of $LIB_TRACES/NAME.json
# whose line matches REGEX began, in ms after the file's first event (what
# tools/timeline --mark takes); with "queued", when it was queued. Each event
# is one line of the file (TRACE.md).
trace_ms() {
	[ -n "${LIB_TRACES:-}" ] && [ -s "$LIB_TRACES/$1.json" ] || return 0
	awk -v re="$2" -v queued="${3:-}" '
	match($0, /"ts":[0-9.]+/) {
		ts = substr($0, RSTART + 5, RLENGTH - 5) + 0
		if (min == "" || ts < min) min = ts
		if (at == "" && $0 ~ re) {
			at = ts
			if (queued != "" && match($0, /"queued_ms":[0-9.]+/))
				at -= substr($0, RSTART + 12, RLENGTH - 12) * 1000
		}
	}
	END { if (at != "") printf "%.0f\n", (at - min) / 1000 }' "$LIB_TRACES/$1.json"
}
