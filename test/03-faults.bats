#!/usr/bin/env bats
# steps: 03-
# Fault injection beyond the step suites: slow and huge input to the command protocol.

load helpers

@test "a command sent one byte at a time is still one command" {
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

# fin_then_reset TEXT — a client that sends TEXT, half-closes (FIN), and later,
# when the test writes a line to $FIN_RESET_W, closes with the server's reply
# unread, which the kernel turns into a reset (RST). Perl, because a bash
# /dev/tcp socket cannot be half-closed.
fin_then_reset() {
	local fifo=$BATS_TEST_TMPDIR/fin-reset.fifo
	rm -f "$fifo"
	mkfifo "$fifo"
	exec {FIN_RESET_W}<>"$fifo"
	bg perl -MSocket -e '
		socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
		connect($s, pack_sockaddr_in($ARGV[0], inet_aton("127.0.0.1")))
			or die "connect: $!";
		syswrite($s, $ARGV[1]) == length($ARGV[1]) or die "write: $!";
		shutdown($s, 1) or die "shutdown: $!";
		my $go = <STDIN>;
		close($s);' "$PORT" "$1" <"$fifo" {FIN_RESET_W}>&-
}

@test "a reset after a half-close, while /sleep runs, does not make the loop spin" {
	start_server
	local probe handles timers ticks
	connect_fd probe
	handles=$(stats_value "$probe" handles)
	timers=$(stats_value "$probe" timers)
	fin_then_reset $'hello\n/sleep 3000\n'
	# The /sleep's timer runs and the FIN has been seen: the connection's
	# watcher asks for nothing now (one handle more than before, not two).
	wait_for 5 '[ "$(stats_value "$probe" timers)" -eq $((timers + 1)) ] &&
		[ "$(stats_value "$probe" handles)" -eq $((handles + 1)) ]'
	printf 'reset\n' >&"$FIN_RESET_W"
	wait "${BG_PIDS[-1]}"
	ticks=$(loop_ticks_per_s "$probe")
	echo "loop iterations in 1 s after the reset: $ticks"
	[ "$ticks" -lt 100 ]
	# The reset is noticed when the /sleep ends, and the connection goes.
	wait_for 10 '[ "$(stats_value "$probe" conns)" -eq 1 ]'
}
