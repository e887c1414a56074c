#!/usr/bin/env bats
# steps: 08-
# /resolve as c-ares answers: TCP when the UDP reply is truncated (and TCP's
# faults), every address however many, CNAME chains of any length, each RCODE
# by its name; and replies that list each address once, whatever the command.

load helpers
load dns-helpers

# resolver [SLOWDNS ARGS...] — slowdns with some names, and the server using it.
resolver() {
	start_dns --answer one.test=10.0.0.1 --answer many.test='10.1.0.1*40' \
		--answer big.test='10.2.0.1*150' "$@"
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 500 --dns-tries 2
}

@test "/resolve: a truncated UDP reply is asked again over TCP: all 40 addresses" {
	resolver
	resolve_all many.test one.test
	[ "${lines[0]}" = "resolve many.test $(addrs_from 10.1.0.1 40)" ]
	[ "${lines[1]}" = "resolve one.test 10.0.0.1" ]
	cat "$BATS_TEST_TMPDIR/dns.err"
	grep -q ' A many.test -> truncated (too big)' "$BATS_TEST_TMPDIR/dns.err"
	# (slowdns logs a reply just after sending it: maybe after the kit answered)
	wait_for 10 "grep -q 'query tcp id=[0-9]* A many.test -> 40 answers' '$BATS_TEST_TMPDIR/dns.err'"
	# one.test fits in a datagram: it never goes over TCP.
	! grep -q 'tcp id=[0-9]* A one.test' "$BATS_TEST_TMPDIR/dns.err"
}

@test "/resolve: 50 fallbacks to TCP at once, from a slow server: all answered, no fd left over" {
	start_dns --delay 300 --answer many.test='10.1.0.1*40'
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 5000
	local fds=() fd i probe before
	connect_fd probe
	stats_value "$probe" conns >/dev/null   # a reply: the probe is accepted by now
	before=$(ls "/proc/$SERVER_PID/fd" | wc -l)
	for i in $(seq 1 50); do
		connect_fd fd
		fds+=("$fd")
	done
	for fd in "${fds[@]}"; do
		say "$fd" "/resolve many.test"
	done
	for fd in "${fds[@]}"; do
		expect_line "$fd" "resolve many.test $(addrs_from 10.1.0.1 40)" 15
	done
	# slowdns logs a reply just after sending it: on a loaded machine, after
	# the kit has answered
	wait_for 10 '[ "$(grep -c "query tcp id=[0-9]* A many.test -> 40 answers" "$BATS_TEST_TMPDIR/dns.err")" -eq 50 ]'
	for fd in "${fds[@]}"; do
		eval "exec $fd>&-"
	done
	wait_for 10 '[ "$(stats_value "$probe" conns)" -eq 1 ]'
	[ "$(stats_value "$probe" dns_inflight)" -eq 0 ]
	wait_for 10 '[ "$(ls "/proc/$SERVER_PID/fd" | wc -l)" -eq "$before" ]'
}

@test "/resolve: 150 addresses, a reply line longer than a command line may be" {
	resolver
	resolve_all big.test
	[ "$output" = "resolve big.test $(addrs_from 10.2.0.1 150)" ]
	[ "${#output}" -gt 1024 ]
}

@test "/resolve: --fault truncate truncates every UDP reply; TCP answers" {
	resolver --fault truncate
	resolve_all one.test
	[ "$output" = "resolve one.test 10.0.0.1" ]
}

@test "/resolve over TCP: no TCP listener is 'connection refused', after every try" {
	resolver --fault tcp-refuse
	resolve_all many.test one.test
	[ "${lines[0]}" = "error: resolve many.test: connection refused" ]
	[ "${lines[1]}" = "resolve one.test 10.0.0.1" ]
	# The switch to TCP is no new try: one UDP query, then --dns-tries 2 connects.
	[ "$(grep -c ' A many.test ' "$BATS_TEST_TMPDIR/dns.err")" -eq 1 ]
}

@test "/resolve over TCP: a server that closes in the length prefix, or before the length's bytes" {
	local fault
	for fault in tcp-cut tcp-short; do
		resolver --fault "$fault"
		resolve_all many.test
		[ "$output" = "error: resolve many.test: connection closed" ]
		# both tries went over TCP, each on its own connection
		[ "$(grep -c 'tcp id=[0-9]* A many.test' "$BATS_TEST_TMPDIR/dns.err")" -eq 2 ]
		kill_started
	done
}

@test "/resolve over TCP: a reply in 1-byte segments is reassembled" {
	# about 1 ms a byte: 669 bytes need more than the 500 ms of resolver()
	start_dns --answer one.test=10.0.0.1 --answer many.test='10.1.0.1*40' \
		--fault truncate --fault tcp-bytes
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 5000 --trace
	resolve_all one.test many.test
	[ "${lines[0]}" = "resolve one.test 10.0.0.1" ]
	[ "${lines[1]}" = "resolve many.test $(addrs_from 10.1.0.1 40)" ]
	# the loop saw the reply grow in pieces, not in one read
	[ "$(grep -c 'dns tcp fd [0-9]*: received [0-9]* of 669 bytes' "$SERVER_ERR")" -gt 10 ]
}

@test "/resolve over TCP: a reply with the wrong id is ignored, the query times out" {
	resolver --fault tcp-wrong-id
	local t0 took
	t0=$(now_ms)
	resolve_all many.test
	took=$(( $(now_ms) - t0 ))
	[ "$output" = "error: resolve many.test: timeout" ]
	# --dns-timeout 500 and --dns-tries 2: about 1000 ms.
	[ "$took" -ge 900 ]
}

@test "/resolve over TCP: the timeout and the tries apply to a server that never answers" {
	resolver --fault tcp-drop
	local t0 took
	t0=$(now_ms)
	resolve_all many.test
	took=$(( $(now_ms) - t0 ))
	[ "$output" = "error: resolve many.test: timeout" ]
	[ "$took" -ge 900 ] && [ "$took" -lt 5000 ]
	[ "$(grep -c 'tcp id=[0-9]* many.test -> dropped' "$BATS_TEST_TMPDIR/dns.err")" -eq 2 ]
}

@test "/resolve: nobody on the server's UDP port (ICMP port unreachable): 'connection refused'" {
	start_dns --answer one.test=10.0.0.1
	kill_started            # the port is free again: nothing listens there now
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 500 --dns-tries 2
	resolve_all one.test
	[ "$output" = "error: resolve one.test: connection refused" ]
}

@test "/resolve: a CNAME chain of 12 is followed; a CNAME loop is a bad response" {
	local args=() i
	for i in $(seq 1 12); do
		args+=(--answer "c$i.test=@c$((i + 1)).test")
	done
	start_dns "${args[@]}" --answer c13.test=10.3.0.13 \
		--answer loop1.test=@loop2.test --answer loop2.test=@loop1.test
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 500
	resolve_all c1.test c12.test loop1.test
	[ "${lines[0]}" = "resolve c1.test 10.3.0.13" ]
	[ "${lines[1]}" = "resolve c12.test 10.3.0.13" ]
	[ "${lines[2]}" = "error: resolve loop1.test: bad response" ]
}

@test "/resolve: REFUSED, FORMERR and NOTIMP by name; SERVFAIL, REFUSED, NOTIMP tried again" {
	local fault want
	for fault in refused:REFUSED formerr:FORMERR notimp:NOTIMP servfail:SERVFAIL; do
		want=${fault#*:}
		resolver --fault "${fault%%:*}"
		resolve_all one.test
		[ "$output" = "error: resolve one.test: $want" ]
		# c-ares asks again after SERVFAIL, NOTIMP and REFUSED, not after FORMERR
		local sent=2
		[ "$want" != FORMERR ] || sent=1
		wait_for 10 '[ "$(grep -c " A one.test " "$BATS_TEST_TMPDIR/dns.err")" -ge "$sent" ]'
		[ "$(grep -c ' A one.test ' "$BATS_TEST_TMPDIR/dns.err")" -eq "$sent" ]
		kill_started
	done
}

@test "/resolve: a CNAME to a name with no A record is a success with no address, as in c-ares" {
	start_dns --answer dangling.test=@nowhere.test
	start_server --dns-server "127.0.0.1:$DNS_PORT"
	resolve_all dangling.test
	[ "$output" = "resolve dangling.test" ]
}

@test "/resolve of an address-like name, /lookup of an address: the address is listed" {
	start_dns --answer 10.0.0.1=10.0.0.1
	start_server --dns-server "127.0.0.1:$DNS_PORT"
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/resolve 10.0.0.1\n/lookup 127.0.0.1'
	echo "$output"
	[ "${lines[0]}" = "resolve 10.0.0.1 10.0.0.1" ]
	[ "${lines[1]}" = "lookup 127.0.0.1 127.0.0.1" ]
}

@test "/resolve --trace narrates the fallback: truncated, TCP connect in progress, connected, answer" {
	start_dns --answer many.test='10.1.0.1*40'
	start_server --dns-server "127.0.0.1:$DNS_PORT" --trace
	resolve_all many.test
	[[ $output == "resolve many.test 10.1.0.1 "* ]]
	local t
	t=$(grep -v '^tick' "$SERVER_ERR")
	echo "$t"
	grep -q 'resolve many.test id=[0-9]*: try 1 of 2 over UDP' <<<"$t"
	grep -q 'truncated (TC): asking again over TCP' <<<"$t"
	grep -q 'try 1 of 2 over TCP' <<<"$t"
	grep -q 'dns tcp fd [0-9]*: connect: in progress' <<<"$t"
	grep -q 'dns tcp fd [0-9]*: connected' <<<"$t"
	grep -q 'answer: 40 addresses' <<<"$t"
}

@test "slowdns agrees with dig: +notcp sees TC and no records, +tcp all of them" {
	needs dig dnsutils
	start_dns --answer many.test='10.1.0.1*40' --answer c1.test=@c2.test --answer c2.test=10.0.0.2
	run dig +notcp +ignore +time=2 +tries=1 @127.0.0.1 -p "$DNS_PORT" many.test A
	echo "$output"
	[[ $output == *"flags: qr aa tc rd ra;"*"ANSWER: 0,"* ]]
	run dig +tcp +short +time=2 +tries=1 @127.0.0.1 -p "$DNS_PORT" many.test A
	[ "$(tr '\n' ' ' <<<"$output")" = "$(addrs_from 10.1.0.1 40) " ]
	run dig +tcp +short +time=2 +tries=1 @127.0.0.1 -p "$DNS_PORT" c1.test A
	[ "$output" = $'c2.test.\n10.0.0.2' ]
	kill_started
	start_dns --answer one.test=10.0.0.1 --fault refused
	run dig +notcp +time=2 +tries=1 @127.0.0.1 -p "$DNS_PORT" one.test A
	[[ $output == *"status: REFUSED"* ]]
	run dig +tcp +time=2 +tries=1 @127.0.0.1 -p "$DNS_PORT" one.test A
	[[ $output == *"status: REFUSED"* ]]
}
