#!/usr/bin/env bats
# steps: 04-
# The thread pool: started lazily, FIFO, UV_THREADPOOL_SIZE, completions back on
# the loop thread; /work, /block and /cat with its confinement to --root.

load helpers

setup() {
	ROOT=$BATS_TEST_TMPDIR/root
	mkdir -p "$ROOT/sub" "$BATS_TEST_TMPDIR/outside"
	echo secret >"$BATS_TEST_TMPDIR/outside/secret"
	echo hello >"$ROOT/sub/hello.txt"
	: >"$ROOT/empty"
	ln -s ../outside/secret "$ROOT/escape"
	ln -s sub/hello.txt "$ROOT/inside-link"
	mkfifo "$ROOT/fifo"
}

@test "the pool starts on first use: one thread before, 1 + 4 after" {
	start_server --root "$ROOT"
	local fd
	connect_fd fd
	say "$fd" "hello"
	expect_line "$fd" "hello"
	[ "$(threads_of "$SERVER_PID")" -eq 1 ]
	[ "$(stats_value "$fd" pool_threads)" -eq 0 ]
	say "$fd" "/work 0"
	hear "$fd"
	[[ $HEARD =~ ^worked\ 0\ ms,\ queued\ [0-9]+\ ms$ ]]
	[ "$(threads_of "$SERVER_PID")" -eq 5 ]
	[ "$(stats_value "$fd" pool_threads)" -eq 4 ]
}

@test "/stats: the pool keys follow step 03's" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/work 10\n/stats'
	[[ ${lines[1]} =~ \ utilization=[01]\.[0-9]{3}\ pool_threads=4\ pool_queued=0\ pool_running=0\ pool_done=1($|\ ) ]]
}

# Starts N connections each asking /work MS at once; prints their queued times.
queued_times() {
	local n=$1 ms=$2 fds=() fd i
	for i in $(seq 1 "$n"); do
		connect_fd fd
		fds+=("$fd")
	done
	for fd in "${fds[@]}"; do
		say "$fd" "/work $ms"
	done
	for fd in "${fds[@]}"; do
		hear "$fd" 10
		[[ $HEARD =~ ^worked\ $ms\ ms,\ queued\ ([0-9]+)\ ms$ ]] || { echo "bad: $HEARD" >&2; return 1; }
		echo "${BASH_REMATCH[1]}"
	done
}

@test "UV_THREADPOOL_SIZE=2: four /work jobs, two wait for a thread" {
	start_server_after 'export UV_THREADPOOL_SIZE=2'
	run queued_times 4 400
	echo "queued: ${lines[*]}"
	[ "$status" -eq 0 ]
	local waited=0 q
	for q in "${lines[@]}"; do
		[ "$q" -ge 300 ] && waited=$((waited + 1))
	done
	[ "$waited" -eq 2 ]
	[ "$(threads_of "$SERVER_PID")" -eq 3 ]
}

@test "UV_THREADPOOL_SIZE=8: the same four jobs never wait" {
	start_server_after 'export UV_THREADPOOL_SIZE=8'
	run queued_times 4 400
	echo "queued: ${lines[*]}"
	[ "$status" -eq 0 ]
	local q
	for q in "${lines[@]}"; do
		[ "$q" -lt 200 ]
	done
	[ "$(threads_of "$SERVER_PID")" -eq 9 ]
}

@test "UV_THREADPOOL_SIZE=0 means one thread, as in libuv (atoi, then 0 becomes 1)" {
	start_server_after 'export UV_THREADPOOL_SIZE=0'
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/work 1"
	[[ $output == "worked 1 ms, queued "*" ms" ]]
	[ "$(threads_of "$SERVER_PID")" -eq 2 ]
}

@test "UV_THREADPOOL_SIZE is read as libuv reads it: the leading number, 0 -> 1, over 1024 -> 1024" {
	build_unit pool
	local value want
	while read -r value want; do
		run env UV_THREADPOOL_SIZE="$value" timeout 20 "$BATS_TEST_TMPDIR/pool" size
		echo "UV_THREADPOOL_SIZE='$value': $output"
		[ "$output" = "threads=$want" ]
	done <<-'CASES'
		3 3
		8threads 8
		lots 1
		0 1
		1024 1024
		5000 1024
		-2 1024
	CASES
	run env -u UV_THREADPOOL_SIZE timeout 20 "$BATS_TEST_TMPDIR/pool" size
	[ "$output" = "threads=4" ]
}

@test "pool_submit with no work function is refused (EINVAL); no done callback is allowed" {
	build_unit pool
	run timeout 20 "$BATS_TEST_TMPDIR/pool" null-work
	[ "$output" = "refused=1 threads=0" ]
	run timeout 20 "$BATS_TEST_TMPDIR/pool" null-done
	[ "$output" = "ran=1" ]
}

@test "loop_close stops and joins the pool's threads" {
	build_unit pool
	run env -u UV_THREADPOOL_SIZE timeout 20 "$BATS_TEST_TMPDIR/pool" shutdown
	[ "$output" = "joined=4" ]
}

@test "/block stalls every other connection; /work stalls none" {
	start_server
	local a b t0 t1
	connect_fd a
	connect_fd b
	say "$a" "/work 800"
	t0=$(now_ms)
	say "$b" "during work"
	expect_line "$b" "during work"
	t1=$(now_ms)
	echo "echo during /work took $((t1 - t0)) ms"
	[ $((t1 - t0)) -lt 500 ]
	hear "$a" 5
	[[ $HEARD == "worked 800 ms, queued "* ]]

	say "$a" "/block 800"
	expect_line "$a" "blocked the loop for 800 ms" &
	local blocker=$!
	t0=$(now_ms)
	say "$b" "during block"
	expect_line "$b" "during block"
	t1=$(now_ms)
	wait "$blocker"
	echo "echo during /block took $((t1 - t0)) ms"
	[ $((t1 - t0)) -ge 500 ]
}

@test "bad /work and /block durations" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/work x\n/work 60001\n/block -1\n/block 10001'
	[[ ${lines[0]} == "error: work: bad duration 'x'"* ]]
	[[ ${lines[1]} == "error: work: bad duration '60001'"* ]]
	[[ ${lines[2]} == "error: block: bad duration '-1'"* ]]
	[[ ${lines[3]} == "error: block: bad duration '10001'"* ]]
}

@test "/cat of a multi-megabyte binary file: header, then the exact bytes" {
	head -c 5000000 /dev/urandom >"$ROOT/big.bin"
	start_server --root "$ROOT"
	"$CLIENT" -p "$PORT" -t 30000 <<<"/cat big.bin" >"$BATS_TEST_TMPDIR/got"
	[ "$(head -n 1 "$BATS_TEST_TMPDIR/got")" = "file 5000000" ]
	tail -c +14 "$BATS_TEST_TMPDIR/got" | cmp - "$ROOT/big.bin"
}

@test "/cat: small, empty, through a symlink inside the root, then more commands" {
	start_server --root "$ROOT"
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/cat sub/hello.txt\n/cat empty\n/cat inside-link\nafter'
	[ "$output" = $'file 6\nhello\nfile 0\nfile 6\nhello\nafter' ]
}

@test "/cat refuses what is outside --root or not a file; the connection stays" {
	start_server --root "$ROOT"
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/cat /etc/passwd\n/cat ../outside/secret\n/cat sub/../../outside/secret\n/cat escape\n/cat sub\n/cat missing\n/cat fifo\n/cat\nstill here'
	echo "$output"
	[ "${lines[0]}" = "error: cat /etc/passwd: absolute paths are not allowed" ]
	[ "${lines[1]}" = "error: cat ../outside/secret: '..' is not allowed" ]
	[ "${lines[2]}" = "error: cat sub/../../outside/secret: '..' is not allowed" ]
	[ "${lines[3]}" = "error: cat escape: outside the root" ]
	[ "${lines[4]}" = "error: cat sub: Is a directory" ]
	[ "${lines[5]}" = "error: cat missing: No such file or directory" ]
	[ "${lines[6]}" = "error: cat fifo: not a regular file" ]
	[[ ${lines[7]} == "error: cat"*usage* ]]
	[ "${lines[8]}" = "still here" ]
}

@test "/cat to a client that does not read holds at most a few chunks in memory" {
	not_under_sanitizer "it measures the server's memory (RSS)"
	truncate -s 500M "$ROOT/huge"
	start_server --root "$ROOT"
	local fd before after
	connect_fd fd
	say "$fd" "/work 0"
	hear "$fd"                                      # the pool is up
	before=$(rss_kb_of "$SERVER_PID")
	say "$fd" "/cat huge"
	expect_line "$fd" "file 524288000"
	# Let every buffer between the file and this shell fill up: memory is
	# what is measured, so this waits on the clock on purpose.
	sleep 1
	after=$(rss_kb_of "$SERVER_PID")
	echo "RSS before ${before} kB, while stalled ${after} kB"
	[ $((after - before)) -lt 2048 ]
	local other
	connect_fd other
	say "$other" "/stats"
	hear "$other"
	[[ $HEARD =~ pool_done=([0-9]+) ]]
	echo "pool jobs done: ${BASH_REMATCH[1]}"
	[ "${BASH_REMATCH[1]}" -lt 400 ]    # 500 MB would be 8,000 chunks
}

@test "a file that shrinks during /cat: a short body, then the server closes" {
	head -c 50000000 /dev/zero >"$ROOT/shrinks"
	start_server --root "$ROOT"
	local fd
	connect_fd fd
	say "$fd" "/cat shrinks"
	expect_line "$fd" "file 50000000"
	truncate -s 100000 "$ROOT/shrinks"
	local got
	got=$(timeout 10 cat <&"$fd" | wc -c)
	echo "received $got of 50000000 bytes"
	[ "$got" -lt 50000000 ]
	run "$CLIENT" -p "$PORT" -t 5000 <<<"others still served"
	[ "$output" = "others still served" ]
}

@test "clients that vanish during /work and /cat do not disturb the server" {
	head -c 20000000 /dev/urandom >"$ROOT/blob"
	start_server --root "$ROOT"
	local fd i
	for i in 1 2 3 4 5; do
		connect_fd fd
		say "$fd" "/work 100"
		exec {fd}>&-
		connect_fd fd
		say "$fd" "/cat blob"
		hear "$fd"
		exec {fd}>&-
	done
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/work 150\n/stats'
	[[ ${lines[0]} == "worked 150 ms, queued "* ]]
	[[ ${lines[1]} =~ conns=1\  ]]
}

@test "--root must be a directory" {
	run "$STEP_BIN" --port 0 --root "$ROOT/sub/hello.txt"
	[ "$status" -eq 1 ]
	[[ $output == *"cannot use --root"* ]]
}

@test "/cats abandoned by a reset while they wait for the socket: every fd comes back" {
	head -c 20000000 /dev/zero >"$ROOT/big"
	start_server --root "$ROOT"
	local probe base
	connect_fd probe
	say "$probe" "/work 0"
	hear "$probe"                                   # the pool is up
	base=$(fd_count "$SERVER_PID")
	stalled_clients 5 "/cat big"
	# Each holds its socket and its file; then no pool job is left in flight:
	# all five wait for their client to read.
	wait_for 10 '[ "$(fd_count "$SERVER_PID")" -eq $((base + 10)) ]'
	wait_for 10 '[ "$(stats_value "$probe" pool_running)" -eq 0 ] &&
		     [ "$(stats_value "$probe" pool_queued)" -eq 0 ]'
	vanish_all
	wait_for 10 '[ "$(fd_count "$SERVER_PID")" -le "$base" ]'
	[ "$(stats_value "$probe" conns)" -eq 1 ]
}

# fifo_writer FIFO MARKER — a writer blocked in open() on FIFO until some reader
# opens it (even for a moment); then it creates MARKER. Waits until it blocks.
fifo_writer() {
	bg bash -c 'exec 3>"$1"; : >"$2"' _ "$1" "$2"
	local pid=${BG_PIDS[-1]}
	wait_for 5 '[ "$(cat /proc/$pid/wchan 2>/dev/null)" = wait_for_partner ]'
}

@test "/cat refuses a link to a FIFO without opening it, inside the root or out" {
	mkfifo "$BATS_TEST_TMPDIR/outside/fifo"
	ln -s ../outside/fifo "$ROOT/to-fifo"
	fifo_writer "$BATS_TEST_TMPDIR/outside/fifo" "$BATS_TEST_TMPDIR/opened-outside"
	fifo_writer "$ROOT/fifo" "$BATS_TEST_TMPDIR/opened-inside"
	start_server --root "$ROOT"
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/cat to-fifo\n/cat fifo'
	[ "${lines[0]}" = "error: cat to-fifo: outside the root" ]
	[ "${lines[1]}" = "error: cat fifo: not a regular file" ]
	# An open() would have released the writers at once: give them a second.
	if wait_for 1 '[ -e "$BATS_TEST_TMPDIR/opened-outside" ] ||
		       [ -e "$BATS_TEST_TMPDIR/opened-inside" ]' 2>/dev/null; then
		ls "$BATS_TEST_TMPDIR"/opened-*
		echo "the server opened a FIFO"
		return 1
	fi
	# The witness works: a reader's open() does release a writer.
	exec {r}<"$ROOT/fifo"
	wait_for 5 '[ -e "$BATS_TEST_TMPDIR/opened-inside" ]'
	exec {r}<&-
}

@test "/cat: a symlink that goes up and stays inside the root works; one out does not" {
	ln -s ../inside-link "$ROOT/sub/back"
	ln -s "$BATS_TEST_TMPDIR/outside/secret" "$ROOT/absolute-out"
	start_server --root "$ROOT"
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/cat sub/back\n/cat absolute-out'
	[ "${lines[0]}" = "file 6" ]
	[ "${lines[1]}" = "hello" ]
	[ "${lines[2]}" = "error: cat absolute-out: outside the root" ]
}

@test "/cat of a /proc file, whose size says 0: the header counts the bytes sent" {
	start_server --root /proc/self
	local got=$BATS_TEST_TMPDIR/got n
	"$CLIENT" -p "$PORT" -t 5000 <<<"/cat status" >"$got"
	[[ $(head -n 1 "$got") =~ ^file\ ([0-9]+)$ ]]
	n=${BASH_REMATCH[1]}
	echo "header: file $n"
	[ "$n" -gt 0 ]
	[ "$(tail -n +2 "$got" | wc -c)" -eq "$n" ]
	[[ $(sed -n 2p "$got") == Name:* ]]
}

@test "/cat of a sizeless file longer than 64 KiB is refused, not announced empty" {
	[ "$(head -c 70000 /proc/kallsyms 2>/dev/null | wc -c)" -eq 70000 ] ||
		skip "no readable /proc/kallsyms over 64 KiB here"
	start_server --root /proc
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/cat kallsyms\nstill here'
	[ "${lines[0]}" = "error: cat kallsyms: size unknown and over 65536 bytes" ]
	[ "${lines[1]}" = "still here" ]
}

@test "/cat without openat2 (as before Linux 5.6): the O_PATH fallback confines the same" {
	not_under_sanitizer "LD_PRELOAD would come before the sanitizer's runtime"
	${CC:-cc} -std=c11 -Wall -Wextra -Werror -shared -fPIC -o "$BATS_TEST_TMPDIR/no_openat2.so" \
		"$KIT_ROOT/test/unit/no_openat2.c" -ldl
	mkfifo "$BATS_TEST_TMPDIR/outside/fifo"
	ln -s ../outside/fifo "$ROOT/to-fifo"
	ln -s ../inside-link "$ROOT/sub/back"
	fifo_writer "$BATS_TEST_TMPDIR/outside/fifo" "$BATS_TEST_TMPDIR/opened-outside"
	fifo_writer "$ROOT/fifo" "$BATS_TEST_TMPDIR/opened-inside"
	start_server_after "export LD_PRELOAD='$BATS_TEST_TMPDIR/no_openat2.so' \
		NO_OPENAT2_LOG='$BATS_TEST_TMPDIR/enosys'" --root "$ROOT"
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/cat sub/back\n/cat escape\n/cat to-fifo\n/cat fifo\n/cat sub'
	echo "$output"
	[ "${lines[0]}" = "file 6" ]
	[ "${lines[1]}" = "hello" ]
	[ "${lines[2]}" = "error: cat escape: outside the root" ]
	[ "${lines[3]}" = "error: cat to-fifo: outside the root" ]
	[ "${lines[4]}" = "error: cat fifo: not a regular file" ]
	[ "${lines[5]}" = "error: cat sub: Is a directory" ]
	[ -s "$BATS_TEST_TMPDIR/enosys" ]       # the shim was in effect
	if wait_for 1 '[ -e "$BATS_TEST_TMPDIR/opened-outside" ] ||
		       [ -e "$BATS_TEST_TMPDIR/opened-inside" ]' 2>/dev/null; then
		echo "the server opened a FIFO"
		return 1
	fi
}
