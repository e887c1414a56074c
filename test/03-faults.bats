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
