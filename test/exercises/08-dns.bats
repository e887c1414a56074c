#!/usr/bin/env bats
# The checkable exercise of 08-dns/README.md: a small /resolve cache.
# A second /resolve of a name within 10 s is answered from memory, without a
# query: tools/slowdns -v logs one line per query it answers, so the test
# counts them. Run it: make -C 08-dns exercise

load ../helpers

# start_dns [SLOWDNS ARGS...] — a slowdns on a free loopback port; sets DNS_PORT.
start_dns() {
	local fifo=$BATS_TEST_TMPDIR/dns.out
	rm -f "$fifo"
	mkfifo "$fifo"
	"$SLOWDNS" -p 0 -v "$@" >"$fifo" 2>"$BATS_TEST_TMPDIR/dns.err" 3>&- &
	BG_PIDS+=($!)
	local line
	read -r -t 10 line <"$fifo"
	DNS_PORT=${line##*:}
	[ -n "$DNS_PORT" ]
}

queries_for() {     # queries_for NAME -> how many A queries slowdns answered
	grep -c " A $1 " "$BATS_TEST_TMPDIR/dns.err" || true
}

@test "asked twice, a name costs one query; the answer is the same" {
	start_dns --answer one.test=10.0.0.1 --answer two.test=10.0.0.2 --answer two.test=10.0.0.3
	start_server --dns-server "127.0.0.1:$DNS_PORT"
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/resolve one.test\n/resolve one.test\n/resolve two.test\n/resolve two.test\nafter'
	echo "$output"
	[ "${lines[0]}" = "resolve one.test 10.0.0.1" ]
	[ "${lines[1]}" = "resolve one.test 10.0.0.1" ]
	[ "${lines[2]}" = "resolve two.test 10.0.0.2 10.0.0.3" ]
	[ "${lines[3]}" = "resolve two.test 10.0.0.2 10.0.0.3" ]
	[ "${lines[4]}" = "after" ]
	cat "$BATS_TEST_TMPDIR/dns.err"
	[ "$(queries_for one.test)" -eq 1 ]
	[ "$(queries_for two.test)" -eq 1 ]
}

@test "the cache is the server's: another client's /resolve is answered from it" {
	start_dns --answer one.test=10.0.0.1
	start_server --dns-server "127.0.0.1:$DNS_PORT"
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/resolve one.test"
	[ "$output" = "resolve one.test 10.0.0.1" ]
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/resolve one.test"
	[ "$output" = "resolve one.test 10.0.0.1" ]
	[ "$(queries_for one.test)" -eq 1 ]
}

@test "a cached answer comes at once, even from a slow server, and holds no query" {
	start_dns --delay 800 --answer one.test=10.0.0.1
	start_server --dns-server "127.0.0.1:$DNS_PORT"
	local fd t0 first second
	connect_fd fd
	t0=$(now_ms)
	say "$fd" "/resolve one.test"
	expect_line "$fd" "resolve one.test 10.0.0.1" 5
	first=$(( $(now_ms) - t0 ))
	t0=$(now_ms)
	say "$fd" "/resolve one.test"
	expect_line "$fd" "resolve one.test 10.0.0.1" 5
	second=$(( $(now_ms) - t0 ))
	echo "first $first ms, second $second ms"
	[ "$first" -ge 700 ]
	[ "$second" -lt 400 ]
	[ "$(stats_value "$fd" dns_inflight)" -eq 0 ]
	[ "$(queries_for one.test)" -eq 1 ]
}
