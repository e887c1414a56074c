# test/trace-helpers.bash — what the --trace-events suites share (loaded after
# helpers.bash): the file a run records, the checker, and ending a run.

setup() {
	TRACE=$BATS_TEST_TMPDIR/trace.json
}

# echo_lines TEXT — echo_check on a file holding TEXT.
echo_lines() {
	local f=$BATS_TEST_TMPDIR/lines.$RANDOM
	printf "$1" >"$f"
	echo_check "$f"
}

# trace_check [CHECK]... — tools/trace-check on $TRACE.
trace_check() {
	"$BIN_DIR/tools/trace-check" "$TRACE" "$@"
}

# The server's loop thread is asleep in epoll_wait(). The recorder writes what
# it buffered just before the loop sleeps: from here a kill loses nothing.
loop_asleep() {
	grep -q epoll "/proc/$SERVER_PID/wchan"
}

# end_run — SIGTERM. Until step 06 nothing handles it and the server dies where
# it sleeps (its file is whole JSON between writes); from 06 on it is a graceful
# shutdown that writes the rest.
end_run() {
	[ "$STEP_NUM" -ge 6 ] || wait_for 5 loop_asleep
	kill -TERM "$SERVER_PID"
	wait_server_exit 10
}

# trace_dns_server [SLOWDNS ARGS...] — tools/slowdns on a free port; sets DNS_PORT.
trace_dns_server() {
	local fifo=$BATS_TEST_TMPDIR/dns.out line
	mkfifo "$fifo"
	"$SLOWDNS" -p 0 "$@" >"$fifo" 2>/dev/null 3>&- &
	BG_PIDS+=($!)
	read -r -t 10 line <"$fifo"
	DNS_PORT=${line##*:}
	[ -n "$DNS_PORT" ]
}
