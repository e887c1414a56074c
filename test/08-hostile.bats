#!/usr/bin/env bats
# steps: 08-
# /resolve against a hostile DNS server: replies built to cost the parser the
# most a 64 KiB message can, a TCP server that never stops sending, and the
# c-ares rules at the edges (TC over TCP, UDP over 4096 bytes, a reset). No
# reply may stall the loop: another client is served all the while.

load helpers
load dns-helpers

# stats_rtt_ms FD — one /stats round trip on FD, in ms (on stdout).
stats_rtt_ms() {
	local t0
	t0=$(now_ms)
	say "$1" /stats
	hear "$1" 30 || return 1
	[[ $HEARD == "stats "* ]] || return 1
	echo $(( $(now_ms) - t0 ))
}

# while_hostile NAME — asks /resolve NAME on one connection and, once slowdns
# has sent its TCP reply, times another client's /stats: $RTT (ms). The
# /resolve reply is then in $HEARD.
while_hostile() {
	local fd probe
	connect_fd probe
	stats_rtt_ms "$probe" >/dev/null        # the probe is accepted by now
	connect_fd fd
	say "$fd" "/resolve $1"
	wait_for 20 "grep -q 'query tcp id=[0-9]* A $1 -> ' '$BATS_TEST_TMPDIR/dns.err'"
	RTT=$(stats_rtt_ms "$probe")
	echo "another client's /stats while the reply to $1 was read: $RTT ms"
	hear "$fd" 30
}

@test "/resolve: a 64 KiB CNAME maze (3,404 links, 126-label names) is followed; another client waits < 500 ms" {
	start_dns --answer-maze c.test
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 5000
	while_hostile c.test
	[ "$HEARD" = "resolve c.test 10.9.0.1" ]
	grep -q 'A c.test -> maze, 3404 answers, 65505 bytes' "$BATS_TEST_TMPDIR/dns.err"
	# the parser is linear: a few ms; looking each link up among all answers took 20 s
	[ "$RTT" -lt 500 ]
}

@test "/resolve: 880 CNAMEs and 3,132 A records, names of 16 pointer jumps, a few repeated: each address once, quickly" {
	start_dns --answer-flood f.test
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 5000
	while_hostile f.test
	[[ $HEARD == "resolve f.test 10.10."* ]]
	grep -q 'A f.test -> flood, 4027 answers' "$BATS_TEST_TMPDIR/dns.err"
	# 3,132 A records, of which 183 repeat an address: 2,949 addresses
	[ "$(wc -w <<<"$HEARD")" -eq $((2 + 2949)) ]
	[ "$(tr ' ' '\n' <<<"$HEARD" | sort | uniq -d | wc -l)" -eq 0 ]
	[ "$RTT" -lt 500 ]
}

@test "/resolve over TCP: a server that streams wrong-id messages forever: the timeout still fires, others are served" {
	start_dns --answer many.test='10.1.0.1*40' --fault tcp-endless
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 1000 --dns-tries 1
	local fd probe t0 took rtt
	connect_fd probe
	stats_rtt_ms "$probe" >/dev/null
	connect_fd fd
	t0=$(now_ms)
	say "$fd" "/resolve many.test"
	wait_for 10 "grep -q 'query tcp id=[0-9]* A many.test -> .*, sent again and again' '$BATS_TEST_TMPDIR/dns.err'"
	rtt=$(stats_rtt_ms "$probe")
	echo "another client's /stats during the stream: $rtt ms"
	expect_line "$fd" "error: resolve many.test: timeout" 20
	took=$(( $(now_ms) - t0 ))
	echo "timeout answered after $took ms (--dns-timeout 1000)"
	[ "$rtt" -lt 500 ]
	[ "$took" -ge 900 ] && [ "$took" -lt 5000 ]
}

@test "/resolve over TCP: a reply with TC set is the answer (c-ares switches to TCP only from UDP)" {
	start_dns --answer many.test='10.1.0.1*40' --fault tcp-tc
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 2000
	resolve_all many.test
	[ "$output" = "resolve many.test $(addrs_from 10.1.0.1 40)" ]
	grep -q 'tcp id=[0-9]* A many.test -> 40 answers, TC set' "$BATS_TEST_TMPDIR/dns.err"
}

@test "/resolve: a UDP answer of 4,122 bytes (more than 4096) is read whole, not asked again over TCP" {
	# 12 + 14 (question) + 256 x 16 (A records) = 4122 bytes in one datagram
	start_dns --answer big.test='10.2.0.1*256' --fault udp-big
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 2000
	resolve_all big.test
	[ "$output" = "resolve big.test $(addrs_from 10.2.0.1 256)" ]
	grep -q 'query id=[0-9]* A big.test -> 256 answers' "$BATS_TEST_TMPDIR/dns.err"
	! grep -q 'tcp id=' "$BATS_TEST_TMPDIR/dns.err"
}

@test "/resolve over TCP: a reset from the server is 'connection reset', a name from PROTOCOL.md" {
	start_dns --answer many.test='10.1.0.1*40' --fault tcp-reset
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 2000 --dns-tries 2
	resolve_all many.test
	[ "$output" = "error: resolve many.test: connection reset" ]
	[ "$(grep -c 'tcp id=[0-9]* many.test -> reset' "$BATS_TEST_TMPDIR/dns.err")" -eq 2 ]
}

@test "every WHY /resolve can give is in PROTOCOL.md's list" {
	local why list
	list=$(sed -n '/^- `\/resolve HOST`/,/^$/p' "$KIT_ROOT/PROTOCOL.md")
	# the names the code can answer with: resolve.h's closed list
	for why in NXDOMAIN SERVFAIL REFUSED FORMERR NOTIMP "no A records" timeout \
		"connection refused" "connection reset" "connection closed" \
		"network unreachable" "out of resources" "network error" "bad response" \
		"out of memory" "not a valid hostname"; do
		grep -qF "\`$why\`" <<<"$list" || { echo "not in PROTOCOL.md: $why"; return 1; }
		grep -qF "\"$why\"" "$KIT_ROOT/$STEP/resolve.c" "$KIT_ROOT/$STEP/resolve.h" \
			"$KIT_ROOT/$STEP/dns_wire.c" "$KIT_ROOT/$STEP/dns.c" ||
			{ echo "not in the code: $why"; return 1; }
	done
	# and no system error text reaches a /resolve reply
	! grep -n 'strerror' "$KIT_ROOT/$STEP/resolve.c"
}
