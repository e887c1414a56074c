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
	local probe timers ticks
	connect_fd probe
	timers=$(stats_value "$probe" timers)
	fin_then_reset $'hello\n/sleep 3000\n'
	wait_for 5 '[ "$(stats_value "$probe" timers)" -eq $((timers + 1)) ]'
	printf 'reset\n' >&"$FIN_RESET_W"
	wait "${BG_PIDS[-1]}"
	wait_for 10 '[ "$(stats_value "$probe" conns)" -eq 1 ]'
	ticks=$(loop_ticks_per_s "$probe")
	echo "loop iterations in 1 s after the reset: $ticks"
	[ "$ticks" -lt 100 ]
}

# ---- backpressure holds for commands, not only for echo --------------------

# commands_file FILE BLOCKS — BLOCKS times four /stats and a numbered echo line,
# so that the replies' order can be checked (`line N`); then /quit.
commands_file() {
	awk -v n="$2" 'BEGIN { for (i = 1; i <= n; i++)
		printf "/stats\n/stats\n/stats\n/stats\nline %d\n", i
		print "/quit" }' >"$1"
}

# stalled_on_unread_replies — holds once some client connection has replies it
# has not read and the server has used no CPU for 300 ms: it has done all it will
# do before that client reads. (The window is a measure, not a wait for an event:
# "nothing more happens" announces itself with no event.)
stalled_on_unread_replies() {
	tcp_sockets | awk -v port="$PORT" '$5 == port && $7 > 0 { found = 1 } END { exit !found }' ||
		return 1
	local cpu0
	cpu0=$(cpu_ticks "$SERVER_PID")
	sleep 0.3
	[ "$(cpu_ticks "$SERVER_PID")" -eq "$cpu0" ]
}

# kernel_bytes — what the kernel holds of the replies to the client connection
# that has some unread: its receive queue plus the server side's send queue
# (/proc/net/tcp, as tcp_sockets reads it).
kernel_bytes() {
	tcp_sockets | awk -v port="$PORT" '
		$1 == "ESTAB" && $5 == port && $7 > 0 { client = $3; recvq = $7 }
		$1 == "ESTAB" && $3 == port { sendq[$5] = $6 }
		END { if (client == "") exit 1; print recvq + sendq[client] }'
}

@test "commands from a client that does not read wait for it: run when it reads, all, in order" {
	start_server
	local in=$BATS_TEST_TMPDIR/cmds out=$BATS_TEST_TMPDIR/replies before kernel held
	commands_file "$in" 20000   # 100,000 commands in 640 KiB: ~8 MB of replies,
	connect_fd probe            # more than the kernel's socket buffers hold
	connect_fd c
	bg cat "$in" >&"$c"
	wait_for 20 stalled_on_unread_replies
	before=$(stats_value "$probe" ticks)
	kernel=$(kernel_bytes)
	timeout 60 cat <&"$c" >"$out"
	# Every reply arrived, in request order: four stats lines, then `line N`.
	run awk '
		NR == 100001 { if ($0 != "bye") { print "last line: " $0; exit 1 }; next }
		NR % 5 == 0 { if ($0 != "line " NR / 5) { print "line " NR ": " $0; exit 1 }; next }
		!/^stats ticks=[0-9]+ / { print "line " NR ": " $0; exit 1 }
		END { if (NR != 100001) { print NR " lines"; exit 1 } }' "$out"
	echo "$output"
	[ "$status" -eq 0 ]
	# What the server had queued for the client before it read: the replies run
	# before tick $before, less what the kernel held. The bound is 64 KiB (the
	# high-water mark) plus one reply; without it, up to one read's worth of
	# commands (64 KiB of /stats: 9,362 replies, 800 KB) more.
	held=$(awk -v t="$before" '/^stats/ { split($2, k, "="); if (k[2] + 0 >= t) exit }
		{ n += length($0) + 1 } END { print n }' "$out")
	held=$((held - kernel))
	echo "queued by the server for a client that did not read: $held bytes"
	[ "$held" -lt $((96 * 1024)) ]
}

@test "ten clients that send commands and never read: the server's memory stays bounded" {
	not_under_sanitizer "it measures the server's memory (RSS)"
	start_server
	local in=$BATS_TEST_TMPDIR/cmds rss0 rss1 i
	commands_file "$in" 20000
	connect_fd probe
	rss0=$(rss_kb_of "$SERVER_PID")
	for i in 1 2 3 4 5 6 7 8 9 10; do
		bg "$CLIENT" -p "$PORT" --no-read -t 30000 <"$in"
	done
	wait_for 10 '[ "$(stats_value "$probe" conns)" -eq 11 ]'
	wait_for 20 stalled_on_unread_replies
	# Each may cost the server its out-buffer's high-water mark (64 KiB) plus
	# one read of input held back (64 KiB): 1,280 KiB for ten. Without the
	# bound, up to one read's worth of replies more each (800 KB).
	rss1=$(rss_kb_of "$SERVER_PID")
	echo "RSS $rss0 kB before, $rss1 kB with ten clients that do not read"
	[ $((rss1 - rss0)) -lt 1536 ]
}

# ---- the server closes first: the last replies still arrive -----------------

# slow_reader IN OUT — tools/client sends IN, and what it receives goes to OUT
# through a reader that waits half a second first: meanwhile the client's socket
# buffer fills, so when the server closes, its kernel still holds replies to
# send. A close() with the client's input unread would turn them into a reset.
slow_reader() {
	"$CLIENT" -p "$PORT" -t 10000 <"$1" | { sleep 0.5; cat; } >"$2"
}

@test "command too long while the client keeps sending: the echo before it and the error arrive, then EOF" {
	start_server
	local data=$BATS_TEST_TMPDIR/data in=$BATS_TEST_TMPDIR/in want=$BATS_TEST_TMPDIR/want got=$BATS_TEST_TMPDIR/got
	random_bytes 300000 >"$data"
	{ cat "$data"; printf '\n/'; head -c 32768 /dev/zero | tr '\0' x
	  head -c 1000000 /dev/zero | tr '\0' y; } >"$in"
	{ cat "$data"; printf '\nerror: command too long (max 1024 bytes)\n'; } >"$want"
	slow_reader "$in" "$got"
	cmp "$want" "$got"
}

@test "/quit with more input behind it: everything before it and bye arrive, then EOF" {
	start_server
	local data=$BATS_TEST_TMPDIR/data in=$BATS_TEST_TMPDIR/in want=$BATS_TEST_TMPDIR/want got=$BATS_TEST_TMPDIR/got
	random_bytes 300000 >"$data"
	{ cat "$data"; printf '\n/quit\n'; head -c 1000000 /dev/zero | tr '\0' y; } >"$in"
	{ cat "$data"; printf '\nbye\n'; } >"$want"
	slow_reader "$in" "$got"
	cmp "$want" "$got"
}

@test "a lingering close is bounded: a client that keeps sending is closed after about 2 s" {
	start_server
	local probe c t0 took
	connect_fd probe
	connect_fd c
	say "$c" /quit
	expect_line "$c" bye
	t0=$(now_ms)
	bg yes >&"$c"                   # and it never stops sending
	wait_for 10 '[ "$(stats_value "$probe" conns)" -eq 1 ]'
	took=$(( $(now_ms) - t0 ))
	echo "closed after $took ms"
	[ "$took" -ge 1000 ] && [ "$took" -lt 6000 ]
}
