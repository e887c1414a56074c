# test/helpers.bash — what every suite loads: the step under test, its server,
# the kit's tools, and waiting on events (never on the clock).
#
# The step comes from KIT_STEP (set by test/run), e.g. KIT_STEP=02-epoll-echo.

KIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STEP=${KIT_STEP:?run the suites through test/run or make test}
STEP_NUM=$((10#${STEP%%-*}))
STEP_PROG=${STEP#*-}
BIN_DIR=${KIT_BIN_DIR:-$KIT_ROOT}
STEP_BIN=$BIN_DIR/$STEP/$STEP_PROG
CLIENT=$BIN_DIR/tools/client
LOADGEN=$BIN_DIR/tools/loadgen
SLOWDNS=$BIN_DIR/tools/slowdns

# sbin too, which a normal user's PATH may lack (dnsmasq, ip live there); not
# under test/without, whose PATH is the one that decides what is installed.
[ -n "${KIT_PATH_ONLY:-}" ] || PATH=$PATH:/usr/sbin:/sbin

SERVER_PID=
PORT=
BG_PIDS=()

# Skips the test when the step under test is older than NN (the step that
# introduced what the test checks).
since() {
	[ "$STEP_NUM" -ge $((10#$1)) ] || skip "needs step $1 or later"
}

# needs COMMAND PACKAGE — skips the test when COMMAND is not installed, naming
# the package that provides it (test/run adds up what such skips need).
needs() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (apt install $2)"
}

# not_under_sanitizer WHY — skips the test when the program is a sanitizer build
# (`make sanitize` sets KIT_SANITIZER=asan or tsan), for a test whose measure the
# sanitizer itself distorts, e.g. memory: the shadow memory and the freed blocks
# that ASan holds back to catch use-after-free, not the server, would be measured.
not_under_sanitizer() {
	[ -z "${KIT_SANITIZER:-}" ] || skip "not under $KIT_SANITIZER: $1"
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
		# STEP_LAUNCHER: a command to run the server through (e.g. setpriv).
		exec ${STEP_LAUNCHER:-} "$STEP_BIN" --port 0 "$@"
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
# Its stdin is this function's (a background command would get /dev/null).
bg() {
	"$@" 3>&- <&0 &
	BG_PIDS+=($!)
}

# Kills what the test started, by PID, and waits for it.
kill_started() {
	local pid
	for pid in "${BG_PIDS[@]}" $SERVER_PID; do
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || true
	done
	BG_PIDS=()
	SERVER_PID=
	[ -z "${SERVER_OUT:-}" ] || exec {SERVER_OUT}<&-
	SERVER_OUT=
}

# Under `make sanitize`, a sanitizer report fails the test it turned up in:
# one on the server's stderr (gcc's UBSan prints there), or a report file in
# $KIT_SANITIZER_REPORTS (where tools/sanitize has ASan and TSan write theirs,
# from any program a test ran) that no earlier test has claimed. The test claims
# it with FILE.test, holding its name and step, which tools/sanitize prints with the
# report. (A program that reports after its test has ended is claimed by the
# next test to end.)
sanitizer_check() {
	[ -n "${KIT_SANITIZER:-}" ] || return 0
	local file status=0
	if [ -f "${SERVER_ERR:-}" ] && grep -qE 'runtime error:|Sanitizer' "$SERVER_ERR"; then
		echo "a sanitizer report on the server's stderr:"
		cat "$SERVER_ERR"
		status=1
	fi
	for file in "${KIT_SANITIZER_REPORTS:-/nonexistent}"/*; do
		[ -f "$file" ] && [[ $file != *.test ]] && [ ! -e "$file.test" ] || continue
		echo "${BATS_TEST_FILENAME##*/}: $BATS_TEST_DESCRIPTION (on $STEP)" >"$file.test"
		# The sanitizer opens the file, then writes: give it a moment to.
		wait_for 2 '[ -s "$file" ]' 2>/dev/null || true
		# A file of nothing but the noise tools/sanitize describes (its
		# real_report, exported) is no finding.
		declare -F real_report >/dev/null && ! real_report "$file" && continue
		echo "a sanitizer report, $file:"
		cat "$file"
		status=1
	done
	return "$status"
}

teardown() {
	kill_started
	sanitizer_check
}

# wait_for SECONDS 'CONDITION' — re-evaluates the shell CONDITION until it holds,
# or fails the test after SECONDS. For what no event announces (a thread count
# in /proc), e.g.  wait_for 5 '[ "$(threads_of "$SERVER_PID")" -eq 21 ]'
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until eval "$*"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "timed out waiting for: $*" >&2
			return 1
		fi
		sleep 0.02
	done
}

# wait_for_log SECONDS REGEX — until the server's stderr has a matching line.
wait_for_log() {
	local pattern=$2
	wait_for "$1" 'grep -qE -- "$pattern" "$SERVER_ERR"' 
}

proc_field() {       # proc_field PID Threads|VmRSS  -> the number
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

# threads_of PID — the program's own threads. ThreadSanitizer adds a thread of
# its own to a process the moment it starts its second one; that one is not
# counted, so the suites' thread counts hold under `make sanitize` too. (A TSan
# build is known by the TSan entry point, __tsan_init, in its executable.)
threads_of() {
	local n
	n=$(proc_field "$1" Threads) || return 1
	if [ "$n" -gt 1 ] && [ "${KIT_SANITIZER:-}" = tsan ] &&
	   grep -qa __tsan_init "/proc/$1/exe"; then
		n=$((n - 1))
	fi
	echo "$n"
}
rss_kb_of() { proc_field "$1" VmRSS; }
fd_count() { ls /proc/"$1"/fd | wc -l; }   # fd_count PID -> open fds

# cpu_ticks PID — user+system CPU time used so far, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# proc_stat PID N — field N of /proc/PID/stat, numbered as in proc(5): 3 the
# state, 4 the parent, 5 the process group, 14 and 15 the CPU ticks.
proc_stat() {
	local s
	s=$(<"/proc/$1/stat") || return 1
	s=${s##*) }             # past the command name, which may hold spaces and ')'
	local -a f=($s)
	echo "${f[$2 - 3]}"
}

# tcp_sockets — the machine's IPv4 TCP sockets, from /proc/net/tcp, one a line:
#   STATE LOCAL_ADDR LOCAL_PORT PEER_ADDR PEER_PORT SEND_Q RECV_Q
# STATE as ss(8) names it (LISTEN, ESTAB; another state: its hex code). The
# queues are bytes not yet acknowledged by the peer, and received but not read.
# (The kernel prints an address as a number in the machine's byte order: this
# reads it as a little-endian machine, x86 or ARM, prints it.)
tcp_sockets() {
	awk 'function hex(s,  i, n) {
		for (i = 1; i <= length(s); i++)
			n = n * 16 + index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1
		return n + 0
	}
	function addr(s) {
		return hex(substr(s, 7, 2)) "." hex(substr(s, 5, 2)) "." hex(substr(s, 3, 2)) "." hex(substr(s, 1, 2))
	}
	NR > 1 {
		split($2, l, ":"); split($3, p, ":"); split($5, q, ":")
		st = $4 == "0A" ? "LISTEN" : $4 == "01" ? "ESTAB" : $4
		print st, addr(l[1]), hex(l[2]), addr(p[1]), hex(p[2]), hex(q[1]), hex(q[2])
	}' /proc/net/tcp
}

# Random binary data of N bytes with no '/' in it: from step 03 on a line that
# starts with '/' is a command, and the echo suites must mean the same at every step.
random_bytes() {
	head -c "$(($1 * 2))" /dev/urandom | tr -d '/' | head -c "$1"
}

# echo_check FILE — sends FILE through tools/client and checks the echo is identical.
echo_check() {
	local got=$BATS_TEST_TMPDIR/echo.$BASHPID.$RANDOM
	"$CLIENT" -p "$PORT" -t 30000 <"$1" >"$got" || return 1
	cmp "$1" "$got"
}

# Opens a TCP connection in this shell; its fd number goes to the named variable.
connect_fd() {
	exec {fd_tmp}<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf -v "$1" '%s' "$fd_tmp"
}

# ---- conversations: one connection held open in this shell ------------------

# say FD TEXT — sends TEXT and a newline on the connection FD.
say() {
	printf '%s\n' "$2" >&"$1"
}

# hear FD [SECONDS] — reads one reply line from FD into $HEARD (no '\n').
# Fails when nothing comes within SECONDS (default 5) or the server closed.
hear() {
	HEARD=
	IFS= read -r -t "${2:-5}" HEARD <&"$1"
}

# expect_line FD TEXT [SECONDS] — the next line on FD is exactly TEXT.
expect_line() {
	hear "$1" "${3:-5}" || { echo "no line (wanted '$2')"; return 1; }
	[ "$HEARD" = "$2" ] || { echo "got '$HEARD', wanted '$2'"; return 1; }
}

# expect_closed FD [SECONDS] — the server closes FD with nothing more to say.
expect_closed() {
	local rest status=0
	IFS= read -r -t "${2:-5}" rest <&"$1" || status=$?
	[ "$status" -ne 0 ] || { echo "expected the server to close, got '$rest'"; return 1; }
	# read fails on EOF and on timeout alike; a timeout leaves a status > 128.
	[ "$status" -le 128 ] || { echo "timed out: the server did not close"; return 1; }
	[ -z "$rest" ] || { echo "expected close, got '$rest' first"; return 1; }
}

# now_ms — a monotonic-enough clock for the generous timing checks in tests.
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# worst_reply FD LINE REPLY — sends LINE five times on FD, each time waiting
# (20 s at most) for REPLY, and sets WORST to the slowest round trip in ms:
# how long a client waited at worst while something else loaded the loop. A
# `%d` in LINE and REPLY becomes the round's number.
worst_reply() {
	local i t0 t1
	WORST=0
	for i in 1 2 3 4 5; do
		t0=$(now_ms)
		say "$1" "${2//%d/$i}"
		expect_line "$1" "${3//%d/$i}" 20 || return 1
		t1=$(now_ms)
		[ $((t1 - t0)) -le "$WORST" ] || WORST=$((t1 - t0))
	done
}

# stats_value FD KEY — asks /stats on FD and prints the value of KEY.
stats_value() {
	say "$1" /stats
	hear "$1" || return 1
	[[ $HEARD =~ (^|\ )$2=([0-9]+) ]] || { echo "no $2 in '$HEARD'" >&2; return 1; }
	echo "${BASH_REMATCH[2]}"
}

# build_unit NAME — compiles test/unit/NAME.c against this step's loop library
# (the step's LIB_SRCS) into $BATS_TEST_TMPDIR/NAME.
build_unit() {
	local lib src
	lib=$(make -s -C "$KIT_ROOT/$STEP" lib-srcs)
	for src in $lib; do
		set -- "$@" "$KIT_ROOT/$STEP/$src"
	done
	${CC:-cc} -std=c11 -Wall -Wextra -Werror -O1 -g ${UNIT_CFLAGS:-} \
		-I"$KIT_ROOT/$STEP" -o "$BATS_TEST_TMPDIR/$1" \
		"$KIT_ROOT/test/unit/$1.c" "${@:2}" -pthread
}

# wait_server_exit SECONDS — waits for the server to end by itself; its exit
# status goes to $SERVER_STATUS. (A dead child stays a zombie until waited for,
# so it is its state in /proc that says it has ended.)
wait_server_exit() {
	wait_for "$1" '! [ -e /proc/$SERVER_PID/stat ] || [ "$(proc_stat "$SERVER_PID" 3)" = Z ]' || return 1
	SERVER_STATUS=0
	wait "$SERVER_PID" || SERVER_STATUS=$?
	SERVER_PID=
}

# A client the test can make vanish abruptly, after the server has its command:
#   resettable_client "/sleep 60000"; ...wait for the command to be in flight...
#   vanish        (the client closes with a reset: RST, not FIN)
resettable_client() {
	local fifo=$BATS_TEST_TMPDIR/reset.fifo
	rm -f "$fifo"
	mkfifo "$fifo"
	exec {RESET_W}<>"$fifo"         # read-write: opening it does not block
	# The client must not inherit the write end, or it never sees EOF.
	bg "$CLIENT" -p "$PORT" --reset -t 20000 <"$fifo" >/dev/null {RESET_W}>&-
	printf '%s\n' "$1" >&"$RESET_W"
}
vanish() {
	exec {RESET_W}>&-               # stdin EOF: the client resets and exits
}

# stalled_clients N 'COMMAND' [CLIENT OPTION...] — N clients that send COMMAND
# with a 4 KiB receive buffer and never read, so the server's replies to them
# stall; the fds that feed their stdin go to the array STALLED_W.
# vanish_all: every one of them closes with a reset.
stalled_clients() {
	local n=$1 cmd=$2 i fifo w
	shift 2
	STALLED_W=()
	for i in $(seq 1 "$n"); do
		fifo=$BATS_TEST_TMPDIR/stalled.$i.fifo
		rm -f "$fifo"
		mkfifo "$fifo"
		exec {w}<>"$fifo"
		(       # a client holding a write end would never see its EOF
			for x in "${STALLED_W[@]}" "$w"; do
				eval "exec $x>&-"
			done
			exec "$CLIENT" -p "$PORT" --no-read --reset --rcvbuf 4096 -t 30000 "$@"
		) <"$fifo" >/dev/null 3>&- &
		BG_PIDS+=($!)
		printf '%s\n' "$cmd" >&"$w"
		STALLED_W+=("$w")
	done
}
vanish_all() {
	local w
	for w in "${STALLED_W[@]}"; do
		exec {w}>&-
	done
	STALLED_W=()
}

# busy_conn VAR "/sleep 600" — a connection whose command is surely in flight
# (the server counts one more timer), its fd number in the named variable.
busy_conn() {
	local probe before
	connect_fd probe
	before=$(stats_value "$probe" timers)
	connect_fd "$1"
	say "${!1}" "$2"
	wait_for 5 '[ "$(stats_value "$probe" timers)" -gt "$before" ]'
	exec {probe}>&-
}

# loop_ticks_per_s FD — how many iterations the idle loop makes in one second,
# as /stats on FD counts them (each /stats costs one or two itself).
loop_ticks_per_s() {
	local before after
	before=$(stats_value "$1" ticks) || return 1
	sleep 1         # the measuring window, not a wait for an event
	after=$(stats_value "$1" ticks) || return 1
	echo $((after - before))
}

# libuv_cases NAME N — (test/NN-libuv.bats) builds test/unit/NAME.c against this step's library,
# runs every case, and passes when all N print "ok".
libuv_cases() {
	build_unit "$1"
	run timeout 60 "$BATS_TEST_TMPDIR/$1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok ' <<<"$output")" -eq "$2" ]
	[ -z "$(grep '^FAIL' <<<"$output")" ]
}
