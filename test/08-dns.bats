#!/usr/bin/env bats
# steps: 08-
# /lookup (getaddrinfo on the pool, throttled as slow I/O) and /resolve (the
# loop's own DNS client) against tools/slowdns; the starvation lesson.

load helpers
load dns-helpers

# resolver [SLOWDNS ARGS...] — slowdns with some names, and the server using it.
resolver() {
	start_dns --answer one.test=10.0.0.1 --answer two.test=10.0.0.2 \
		--answer two.test=10.0.0.3 --answer alias.test=@chain.test \
		--answer chain.test=@one.test "$@"
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 300 --dns-tries 2
}

@test "/lookup localhost: getaddrinfo on the pool, each address once" {
	start_server
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/lookup localhost"
	[[ $output =~ ^lookup\ localhost(\ [0-9a-f.:]+)+$ ]]
	[[ " $output " == *" 127.0.0.1 "* ]]
	local addrs
	addrs=$(tr ' ' '\n' <<<"${output#lookup localhost }")
	[ "$(sort <<<"$addrs" | uniq -d)" = "" ]
}

@test "/resolve: one A record, several, and a CNAME chain" {
	resolver
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/resolve one.test\n/resolve two.test\n/resolve alias.test\n/resolve ONE.test.'
	[ "${lines[0]}" = "resolve one.test 10.0.0.1" ]
	[ "${lines[1]}" = "resolve two.test 10.0.0.2 10.0.0.3" ]
	[ "${lines[2]}" = "resolve alias.test 10.0.0.1" ]
	[ "${lines[3]}" = "resolve ONE.test. 10.0.0.1" ]
}

@test "/resolve: NXDOMAIN, and a name that is not a hostname" {
	resolver
	run "$CLIENT" -p "$PORT" -t 5000 <<<$'/resolve nope.test\n/resolve bad..name\n/resolve'
	[ "${lines[0]}" = "error: resolve nope.test: NXDOMAIN" ]
	[ "${lines[1]}" = "error: resolve bad..name: not a valid hostname" ]
	[[ ${lines[2]} == "error: resolve"*usage* ]]
}

@test "/resolve: SERVFAIL, REFUSED and garbage replies are reported" {
	local fault want
	for fault in servfail:SERVFAIL refused:REFUSED garbage:"bad response"; do
		want=${fault#*:}
		resolver --fault "${fault%%:*}"
		run "$CLIENT" -p "$PORT" -t 5000 <<<$'/resolve one.test\n/resolve one.test\n/resolve one.test'
		echo "$output"
		[ "${lines[0]}" = "error: resolve one.test: $want" ]
		[ "${lines[2]}" = "error: resolve one.test: $want" ]
		kill_started
	done
}

@test "/resolve: a reply with the wrong id is ignored, so the query times out" {
	resolver --fault wrong-id
	local t0
	t0=$(now_ms)
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/resolve one.test"
	[ "$output" = "error: resolve one.test: timeout" ]
	# --dns-timeout 300 and --dns-tries 2: about 600 ms.
	[ $(( $(now_ms) - t0 )) -ge 550 ]
}

@test "/resolve: a server that drops every query: timeout after the configured tries" {
	start_dns --fault drop -v
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 200 --dns-tries 3
	local t0 took
	t0=$(now_ms)
	run "$CLIENT" -p "$PORT" -t 5000 <<<"/resolve one.test"
	took=$(( $(now_ms) - t0 ))
	echo "took $took ms"
	[ "$output" = "error: resolve one.test: timeout" ]
	[ "$took" -ge 550 ] && [ "$took" -lt 3000 ]
	[ "$(grep -c 'one.test' "$BATS_TEST_TMPDIR/dns.err")" -eq 3 ]
}

@test "/resolve: a slow server answers 120 parallel queries in about one delay, no thread used" {
	start_dns --delay 800 --answer one.test=10.0.0.1
	start_server --dns-server "127.0.0.1:$DNS_PORT" --dns-timeout 3000
	local fds=() fd i t0 took
	for i in $(seq 1 120); do
		connect_fd fd
		fds+=("$fd")
	done
	t0=$(now_ms)
	for fd in "${fds[@]}"; do
		say "$fd" "/resolve one.test"
	done
	for fd in "${fds[@]}"; do
		expect_line "$fd" "resolve one.test 10.0.0.1" 10
	done
	took=$(( $(now_ms) - t0 ))
	echo "120 resolves took $took ms"
	[ "$took" -lt 2500 ]
	[ "$(threads_of "$SERVER_PID")" -eq 1 ]
	[ "$(stats_value "${fds[0]}" dns_inflight)" -eq 0 ]
}

@test "/stats ends with dns_inflight and lookups_running" {
	start_dns --delay 1000 --answer one.test=10.0.0.1
	start_server --dns-server "127.0.0.1:$DNS_PORT"
	local a b
	connect_fd a
	connect_fd b
	say "$a" "/resolve one.test"
	wait_for 5 '[ "$(stats_value "$b" dns_inflight)" -eq 1 ]'
	say "$b" "/stats"
	hear "$b"
	[[ $HEARD =~ \ children=0\ dns_inflight=1\ lookups_running=0$ ]]
}

@test "a client that vanishes during /resolve: the query is dropped, nothing leaks" {
	start_dns --delay 1000 --answer one.test=10.0.0.1
	start_server --dns-server "127.0.0.1:$DNS_PORT"
	local probe
	connect_fd probe
	resettable_client "/resolve one.test"
	wait_for 5 '[ "$(stats_value "$probe" dns_inflight)" -eq 1 ]'
	vanish
	wait_for 5 '[ "$(stats_value "$probe" dns_inflight)" -eq 0 ]'
	[ "$(stats_value "$probe" conns)" -eq 1 ]
}

@test "bad DNS options are usage errors" {
	run "$STEP_BIN" --dns-server nowhere
	[ "$status" -eq 2 ]
	run "$STEP_BIN" --dns-server 127.0.0.1:99999
	[ "$status" -eq 2 ]
	run "$STEP_BIN" --dns-tries 0
	[ "$status" -eq 2 ]
	run "$STEP_BIN" --dns-timeout x
	[ "$status" -eq 2 ]
}

@test "slowdns is a real DNS server: dig gets its answers" {
	needs dig dnsutils
	start_dns --answer one.test=10.0.0.1 --answer alias.test=@one.test
	run dig +short +time=2 +tries=1 @127.0.0.1 -p "$DNS_PORT" alias.test A
	[ "$output" = $'one.test.\n10.0.0.1' ]
}

# ---- the lesson: thread-pool starvation, in a private namespace -------------

@test "starvation: a slow /lookup starves /cat on a 1-thread pool; the throttle and /resolve avoid it" {
	needs ip iproute2
	run "$KIT_ROOT/tools/dns-starvation" 1000
	[ "$status" -ne 77 ] || skip "no private namespace here: $output"
	echo "$output"
	[ "$status" -eq 0 ]
	local starved throttled resolved
	starved=$(sed -n 's/^starved_cat_ms=//p' <<<"$output")
	throttled=$(sed -n 's/^throttled_cat_ms=//p' <<<"$output")
	resolved=$(sed -n 's/^resolve_cat_ms=//p' <<<"$output")
	[ "$starved" -ge 800 ]
	[ "$throttled" -lt 500 ]
	[ "$resolved" -lt 500 ]
	grep -qx 'throttled_lookups_running=2' <<<"$output"
	grep -qx 'throttled_pool_queued=2' <<<"$output"
	grep -qx 'resolve_pool_threads=0' <<<"$output"
	grep -qx 'starved_lookup=lookup slow.test 10.1.2.3' <<<"$output"
	grep -qx 'resolve_reply=resolve slow.test 10.1.2.3' <<<"$output"
	# Two rounds of two lookups, each round one delay long.
	[ "$(sed -n 's/^throttled_all_lookups_ms=//p' <<<"$output")" -ge 1800 ]
}

@test "starvation without the throttle: four lookups at once, /cat waits, all done in one delay" {
	# Exercise 1's experiment, on a copy of this step with the throttle removed.
	local copy=$BATS_TEST_TMPDIR/kit
	mkdir -p "$copy"
	cp -r "$KIT_ROOT/$STEP" "$copy/$STEP"
	ln -s "$BIN_DIR/tools" "$copy/tools"
	sed -i 's|(pool.threads + 1) / 2;|pool.threads;|' "$copy/$STEP/pool.c"
	! cmp -s "$KIT_ROOT/$STEP/pool.c" "$copy/$STEP/pool.c"
	needs ip iproute2
	(cd "$copy/$STEP" && make -s clean >/dev/null && make -s)
	run env KIT_BIN_DIR="$copy" "$KIT_ROOT/tools/dns-starvation" 1000
	[ "$status" -ne 77 ] || skip "no private namespace here: $output"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'throttled_lookups_running=4' <<<"$output"
	[ "$(sed -n 's/^throttled_cat_ms=//p' <<<"$output")" -ge 800 ]
	local all
	all=$(sed -n 's/^throttled_all_lookups_ms=//p' <<<"$output")
	[ "$all" -ge 800 ]
	[ "$all" -lt 1800 ]
}

@test "/lookup of a name the DNS server does not know: the gai error" {
	needs unshare util-linux
	needs ip iproute2
	run unshare -mn true
	[ "$status" -eq 0 ] || skip "needs a private mount and network namespace (root)"
	local conf=$BATS_TEST_TMPDIR/resolv.conf
	printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:1\n' >"$conf"
	run unshare -mn bash -c '
		ip link set lo up && mount --bind "$1" /etc/resolv.conf || exit 1
		exec 4< <(exec "$2" -p 53 --answer known.test=10.9.9.9 2>/dev/null)
		dns=$!
		exec 5< <(exec "$3" --port 0)
		server=$!
		read -r -t 5 line <&4 && read -r -t 5 line <&5 || exit 1
		printf "/lookup unknown.test\n/lookup known.test\n" |
			"$4" -p "${line##*:}" -t 8000
		kill "$dns" "$server"
	' _ "$conf" "$SLOWDNS" "$STEP_BIN" "$CLIENT"
	echo "$output"
	[ "${lines[0]}" = "error: lookup unknown.test: Name or service not known" ]
	[ "${lines[1]}" = "lookup known.test 10.9.9.9" ]
}

@test "/lookup of a name with 150 addresses lists every one, once (glibc asks over TCP itself)" {
	needs unshare util-linux
	needs ip iproute2
	run unshare -mn true
	[ "$status" -eq 0 ] || skip "needs a private mount and network namespace (root)"
	local conf=$BATS_TEST_TMPDIR/resolv.conf
	printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:1\n' >"$conf"
	run unshare -mn bash -c '
		ip link set lo up && mount --bind "$1" /etc/resolv.conf || exit 1
		exec 4< <(exec "$2" -p 53 --answer "big.test=10.2.0.1*150" 2>/dev/null)
		dns=$!
		exec 5< <(exec "$3" --port 0)
		server=$!
		read -r -t 5 line <&4 && read -r -t 5 line <&5 || exit 1
		printf "/lookup big.test\n" | "$4" -p "${line##*:}" -t 8000
		kill "$dns" "$server"
	' _ "$conf" "$SLOWDNS" "$STEP_BIN" "$CLIENT"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "lookup big.test "* ]]
	local addrs
	addrs=$(tr ' ' '\n' <<<"${lines[0]#lookup big.test }")
	[ "$(wc -l <<<"$addrs")" -eq 150 ]
	[ "$(sort <<<"$addrs" | uniq -d)" = "" ]
	[ "$(sort -t. -k4,4n <<<"$addrs" | tr '\n' ' ')" = "$(addrs_from 10.2.0.1 150) " ]
}
