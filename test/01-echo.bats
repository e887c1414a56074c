#!/usr/bin/env bats
# steps: 01-
# The byte echo and the common command line (PROTOCOL.md): every step keeps them.

load helpers

@test "--help prints every option and exits 0" {
	run "$STEP_BIN" --help
	[ "$status" -eq 0 ]
	[[ $output == *"--host"* && $output == *"--port"* && $output == *"--trace"* ]]
}

@test "a bad option or value is a usage error: exit 2" {
	run "$STEP_BIN" --no-such-option
	[ "$status" -eq 2 ]
	[[ $output == *usage:* ]]
	run "$STEP_BIN" --port 70000
	[ "$status" -eq 2 ]
	run "$STEP_BIN" --port abc
	[ "$status" -eq 2 ]
	run "$STEP_BIN" stray-argument
	[ "$status" -eq 2 ]
}

@test "a busy port is a setup failure: one clear line, exit 1" {
	start_server
	run "$STEP_BIN" --port "$PORT"
	[ "$status" -eq 1 ]
	[ "$output" = "$STEP_PROG: cannot listen on 127.0.0.1:$PORT: Address already in use" ]
}

@test "listens on 127.0.0.1 by default and prints the real port" {
	start_server
	[ "$PORT" -gt 0 ]
	tcp_sockets | grep -q "^LISTEN 127.0.0.1 $PORT "
}

@test "echoes a short message" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 <<<"hello, loop"
	[ "$status" -eq 0 ]
	[ "$output" = "hello, loop" ]
}

@test "echoes binary data byte for byte, with no newline at all" {
	start_server
	printf 'a\0b\377\r\n\0' >"$BATS_TEST_TMPDIR/nul"
	echo_check "$BATS_TEST_TMPDIR/nul"
	random_bytes 100000 >"$BATS_TEST_TMPDIR/bin"
	echo_check "$BATS_TEST_TMPDIR/bin"
}

@test "a multi-megabyte transfer comes back intact" {
	start_server
	random_bytes 8000000 >"$BATS_TEST_TMPDIR/big"
	echo_check "$BATS_TEST_TMPDIR/big"
}

@test "many concurrent connections each get their own bytes back" {
	start_server
	local i pids=()
	for i in $(seq 1 40); do
		random_bytes $((1000 + i * 997)) >"$BATS_TEST_TMPDIR/in.$i"
		"$CLIENT" -p "$PORT" -t 10000 <"$BATS_TEST_TMPDIR/in.$i" >"$BATS_TEST_TMPDIR/out.$i" 3>&- &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}"
	done
	for i in $(seq 1 40); do
		cmp "$BATS_TEST_TMPDIR/in.$i" "$BATS_TEST_TMPDIR/out.$i"
	done
}

@test "half-close: everything sent is echoed, then the server closes" {
	start_server
	# The client sends, half-closes at EOF of stdin and reads until the server
	# closes: it exits 0 only if the server does close after the last byte.
	random_bytes 300000 >"$BATS_TEST_TMPDIR/half"
	echo_check "$BATS_TEST_TMPDIR/half"
}

@test "a client reset in mid-transfer closes only that connection" {
	start_server
	random_bytes 2000000 >"$BATS_TEST_TMPDIR/blob"
	local i
	for i in 1 2 3 4 5; do
		"$CLIENT" -p "$PORT" -t 10000 --reset <"$BATS_TEST_TMPDIR/blob" >/dev/null
	done
	kill -0 "$SERVER_PID"
	run "$CLIENT" -p "$PORT" -t 5000 <<<"still here"
	[ "$output" = "still here" ]
}

@test "a client that vanishes while the server writes does not kill it (SIGPIPE)" {
	start_server
	random_bytes 60000 >"$BATS_TEST_TMPDIR/blob"
	local fd i
	for i in 1 2 3 4 5; do
		# 60 kB fits in the socket buffers, so this write returns at once; the
		# close with the echo unread makes the kernel answer the server's
		# writes with a reset: EPIPE, or a SIGPIPE that must not be fatal.
		connect_fd fd
		cat "$BATS_TEST_TMPDIR/blob" >&"$fd"
		exec {fd}>&-
	done
	kill -0 "$SERVER_PID"
	run "$CLIENT" -p "$PORT" -t 5000 <<<"alive"
	[ "$output" = "alive" ]
}

@test "every server fd is close-on-exec" {
	start_server
	local fd flags
	for fd in /proc/"$SERVER_PID"/fdinfo/*; do
		[ "${fd##*/}" -le 2 ] && continue
		flags=$(awk '/^flags:/ { print $2 }' "$fd")
		# O_CLOEXEC is 02000000 (octal) on Linux.
		(( (8#$flags & 8#2000000) != 0 )) || { echo "fd ${fd##*/} lacks O_CLOEXEC"; false; }
	done
}

@test "stop and continue during a transfer: blocking calls that fail with EINTR are retried" {
	start_server
	random_bytes 6000000 >"$BATS_TEST_TMPDIR/big"
	local got=$BATS_TEST_TMPDIR/got
	"$CLIENT" -p "$PORT" -t 20000 <"$BATS_TEST_TMPDIR/big" >"$got" 3>&- &
	local client=$!
	local i
	# After SIGSTOP + SIGCONT, epoll_wait() fails with EINTR even with no handler.
	for i in $(seq 1 30); do
		kill -STOP "$SERVER_PID"
		kill -CONT "$SERVER_PID"
	done
	wait "$client"
	cmp "$BATS_TEST_TMPDIR/big" "$got"
}
